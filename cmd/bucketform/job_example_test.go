package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// configMapDir lays files out as the kubelet mounts a ConfigMap volume: the files live in a
// timestamped directory, ..data links to it, and each name is a link through ..data.
func configMapDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	ts := filepath.Join(dir, "..2026_11_23_00_00_00.000000001")
	if err := os.Mkdir(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(ts), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(ts, name), []byte(content), 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// jobLine is one line of apply -json.
type jobLine struct {
	Type    string `json:"type"`
	Ready   bool   `json:"ready"`
	Attempt int    `json:"attempt"`
	Add     int    `json:"add"`
	Change  int    `json:"change"`
	Destroy int    `json:"destroy"`
	Status  string `json:"status"`
	Error   string `json:"error"`
}

// runJob runs the Job's command line in-process, as the container would, and parses its
// stdout as JSON lines.
func runJob(t *testing.T, args []string) (int, []jobLine, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	var lines []jobLine
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if l == "" {
			continue
		}
		var jl jobLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			t.Fatalf("stdout line is not JSON: %q (%v)", l, err)
		}
		lines = append(lines, jl)
	}
	return code, lines, stderr.String()
}

// TestExampleJobConverges runs examples/kubernetes as the cluster would, short of a container:
// the Job's exact arguments, its ConfigMap laid out as a mounted volume, and the credentials of
// its Secret for a MinIO user with exactly bucketform-policy.json. MinIO starts after the Job
// (a fresh install); the Job waits, converges, and a re-run changes nothing. Then the
// ConfigMap arrives truncated, and then empty: the re-run Job fails and deletes nothing.
func TestExampleJobConverges(t *testing.T) {
	plain, _ := manifests(t)
	job := byKind(plain, "Job")[0]
	secret := byKind(plain, "Secret")[0]
	cm := byKind(plain, "ConfigMap")[0]
	container := get(job.m, "spec.template.spec.containers.0")

	// MinIO with the Job's user and the minimum policy; stopped, to be started after the Job.
	srv := miniotest.Start(t)
	ctx := context.Background()
	policy, err := os.ReadFile(filepath.Join(k8sDir, "bucketform-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	accessKey := str(get(secret.m, "stringData.access-key"))
	secretKey := str(get(secret.m, "stringData.secret-key"))
	srv.AddUser(t, accessKey, secretKey, "bucketform", policy)
	srv.Stop()

	// The container's environment: literal values as they are, Secret references resolved.
	for _, e := range get(container, "env").([]any) {
		name := str(get(e, "name"))
		switch {
		case name == "MINIO_ENDPOINT":
			t.Setenv(name, srv.Endpoint) // the in-cluster Service name, here
		case get(e, "value") != nil:
			t.Setenv(name, str(get(e, "value")))
		default:
			t.Setenv(name, str(get(secret.m, "stringData."+str(get(e, "valueFrom.secretKeyRef.key")))))
		}
	}
	hcl := str(get(cm.m, "data").(map[string]any)["main.hcl"])
	mount := str(get(container, "volumeMounts.0.mountPath"))
	jobArgs := func(dir string) []string {
		var args []string
		for _, a := range get(container, "args").([]any) {
			if str(a) == mount {
				a = dir
			}
			args = append(args, str(a))
		}
		return args
	}
	args := jobArgs(configMapDir(t, map[string]string{"main.hcl": hcl}))

	// MinIO comes up a few seconds after the Job starts.
	started := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		started <- srv.Start()
	}()
	code, lines, stderr := runJob(t, args)
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("the Job exited %d: %+v\n%s", code, lines, stderr)
	}
	if len(lines) < 3 || lines[0].Type != "wait" || lines[0].Ready {
		t.Errorf("the Job did not log waiting for MinIO first: %+v", lines)
	}
	last := lines[len(lines)-1]
	if last.Type != "summary" || last.Add != 4 {
		t.Errorf("the Job's last line is %+v, want a summary of 4 added", last)
	}

	// Every deploy runs the Job again: nothing to do.
	code, lines, stderr = runJob(t, args)
	if code != 0 || lines[len(lines)-1] != (jobLine{Type: "summary"}) {
		t.Fatalf("re-run: exit %d, %+v\n%s", code, lines, stderr)
	}

	// The ConfigMap arrives truncated: the blocks up to the minio block, no buckets.
	truncated := hcl[:strings.Index(hcl, "variable \"tenants\"")]
	code, lines, _ = runJob(t, jobArgs(configMapDir(t, map[string]string{"main.hcl": truncated})))
	if code != 1 || !slices.ContainsFunc(lines, func(l jobLine) bool {
		return l.Type == "error" && strings.Contains(l.Error, "without -allow-destroy; nothing was applied")
	}) {
		t.Errorf("truncated configuration: exit %d, %+v; want exit 1 and the -allow-destroy refusal", code, lines)
	}
	// ... or empty.
	code, lines, _ = runJob(t, jobArgs(configMapDir(t, map[string]string{"main.hcl": ""})))
	if code != 1 || len(lines) == 0 || lines[0].Type != "error" {
		t.Errorf("empty configuration: exit %d, %+v; want exit 1 and an error line", code, lines)
	}
	buckets, err := srv.Client(t).ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range buckets {
		names = append(names, b.Name)
	}
	for _, want := range []string{"tenant-acme", "tenant-globex", "tenant-initech", "public-assets"} {
		if !slices.Contains(names, want) {
			t.Errorf("bucket %s is gone: %v", want, names)
		}
	}
}
