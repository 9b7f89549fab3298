package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// The CI examples in examples/ci: a GitHub Actions workflow and a GitLab CI job, whose shell
// steps are examples/ci/drift-check.sh. The hosting cannot run here; the YAML is checked
// statically, and the script is run against real MinIO servers.

const ciDir = "../../examples/ci"

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s is not valid YAML: %v", path, err)
	}
	return m
}

// TestCIWorkflowsRunTheDriftScript: both CI files parse, run the drift script on a directory of
// this repository that holds a configuration, and keep the report as an artifact whatever the
// outcome.
func TestCIWorkflowsRunTheDriftScript(t *testing.T) {
	checkDir := func(file, dir string) {
		t.Helper()
		matches, _ := filepath.Glob(filepath.Join("../..", dir, "*.hcl"))
		if dir == "" || len(matches) == 0 {
			t.Errorf("%s: BUCKETFORM_DIR %q holds no *.hcl", file, dir)
		}
	}

	gh := readYAML(t, filepath.Join(ciDir, "github/drift.yml"))
	job := get(gh, "jobs.drift")
	if job == nil {
		t.Fatal("drift.yml has no jobs.drift")
	}
	checkDir("drift.yml", str(get(job, "env.BUCKETFORM_DIR")))
	for _, key := range []string{"MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"} {
		if v := str(get(job, "env."+key)); !strings.Contains(v, "${{") {
			t.Errorf("drift.yml: %s = %q, want it from the repository's variables or secrets", key, v)
		}
	}
	var runsScript, uploads bool
	for _, step := range get(job, "steps").([]any) {
		if strings.Contains(str(get(step, "run")), `bash examples/ci/drift-check.sh "$BUCKETFORM_DIR"`) {
			runsScript = true
		}
		if strings.HasPrefix(str(get(step, "uses")), "actions/upload-artifact@") {
			uploads = str(get(step, "if")) == "always()" && str(get(step, "with.path")) == "drift-report/"
		}
	}
	if !runsScript || !uploads {
		t.Errorf("drift.yml: runs the script %v, uploads drift-report/ always %v", runsScript, uploads)
	}

	gl := readYAML(t, filepath.Join(ciDir, ".gitlab-ci.yml"))
	gjob := get(gl, "minio-drift")
	if gjob == nil {
		t.Fatal(".gitlab-ci.yml has no minio-drift job")
	}
	checkDir(".gitlab-ci.yml", str(get(gjob, "variables.BUCKETFORM_DIR")))
	script, _ := get(gjob, "script").([]any)
	if len(script) != 1 || str(script[0]) != `bash examples/ci/drift-check.sh "$BUCKETFORM_DIR"` {
		t.Errorf(".gitlab-ci.yml: script = %v, want the drift script", script)
	}
	if str(get(gjob, "artifacts.when")) != "always" || str(get(gjob, "artifacts.paths.0")) != "drift-report/" {
		t.Errorf(".gitlab-ci.yml: artifacts = %v, want drift-report/ always", get(gjob, "artifacts"))
	}
	if info, err := os.Stat(filepath.Join(ciDir, "drift-check.sh")); err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("drift-check.sh is missing or not executable: %v", err)
	}
}

// driftRun is one run of drift-check.sh.
type driftRun struct {
	code    int
	log     string // stdout and stderr
	out     string // DRIFT_OUT
	summary string // what was appended to GITHUB_STEP_SUMMARY
	plan    struct {
		Summary struct{ Add, Change, Destroy int }
		Changes []struct {
			Address           string
			Action            string
			ChangedAttributes []string `json:"changed_attributes"`
		}
	}
}

// runDriftCheck runs the script on examples/quickstart with env (NAME=VALUE) on top of a clean
// environment: nothing of a CI host this test may itself run on leaks in.
func runDriftCheck(t *testing.T, env ...string) *driftRun {
	t.Helper()
	bash := bashPath(t)
	r := &driftRun{out: t.TempDir()}
	summary := filepath.Join(t.TempDir(), "summary.md")
	cmd := exec.Command(bash, filepath.Join(ciDir, "drift-check.sh"), "../../examples/quickstart")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "MINIO_") || strings.HasPrefix(name, "GITHUB_") || strings.HasPrefix(name, "BUCKETFORM") || name == "PATH" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"),
		"DRIFT_OUT="+r.out, "GITHUB_STEP_SUMMARY="+summary, "DRIFT_WAIT=30s")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	r.log = string(out)
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(r.out, "plan.json")); err == nil && len(data) > 0 {
		if err := json.Unmarshal(data, &r.plan); err != nil {
			t.Fatalf("plan.json is not the JSON plan: %v\n%s", err, data)
		}
	}
	if data, err := os.ReadFile(summary); err == nil {
		r.summary = string(data)
	}
	return r
}

func bashPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bash")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("bash is not installed (CI is set, so this is a failure, not a skip)")
		}
		t.Skip("bash is not installed")
	}
	return p
}

// TestDriftCheckScript runs drift-check.sh as the CI jobs do. Without MINIO_ENDPOINT it builds
// bucketform itself and starts (and stops) a throw-away MinIO: a fresh server lacks every bucket,
// so that is drift. Against a server the configuration was applied to it passes; after a change
// made by hand it fails with exit 2 and a report naming the drifted attribute; an unreachable
// server is an error (exit 1), not "no drift".
func TestDriftCheckScript(t *testing.T) {
	minioBin := miniotest.Binary(t, "minio")
	bashPath(t)

	// A throw-away MinIO, and bucketform built by the script.
	port := miniotest.FreePort(t)
	r := runDriftCheck(t, "MINIO_BIN="+minioBin, "MINIO_PORT="+strconv.Itoa(port))
	if r.code != 2 || r.plan.Summary.Add != 2 || !strings.Contains(r.log, "== building bucketform") || !strings.Contains(r.log, "throw-away MinIO") {
		t.Fatalf("fresh throw-away MinIO: exit %d, plan %+v, want 2 and 2 to add:\n%s", r.code, r.plan, r.log)
	}
	if conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
		conn.Close()
		t.Errorf("the throw-away MinIO still listens on port %d after the script", port)
	}

	// The steps against a MinIO of our own, with a bucketform built once.
	bin := filepath.Join(t.TempDir(), "bucketform")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := miniotest.Start(t)
	env := append(srv.CredentialsEnv(), "MINIO_ENDPOINT="+srv.Endpoint, "BUCKETFORM="+bin)
	apply := exec.Command(bin, "apply", "-auto-approve", "../../examples/quickstart")
	apply.Env = append(os.Environ(), env...)
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}

	r = runDriftCheck(t, env...)
	if r.code != 0 || r.plan.Summary != (struct{ Add, Change, Destroy int }{}) || strings.Contains(r.log, "building") {
		t.Fatalf("applied server: exit %d, plan %+v, want 0 and no changes:\n%s", r.code, r.plan, r.log)
	}
	if !strings.Contains(r.summary, ":white_check_mark: No changes.") {
		t.Errorf("the job summary of a clean check:\n%s", r.summary)
	}

	srv.MC(t, "version", "suspend", "test/quickstart-uploads")
	r = runDriftCheck(t, env...)
	if r.code != 2 || r.plan.Summary.Change != 1 {
		t.Fatalf("drifted server: exit %d, plan %+v, want 2 and one change:\n%s", r.code, r.plan, r.log)
	}
	for _, c := range r.plan.Changes {
		if c.Action == "update" && (c.Address != "bucket.uploads" || strings.Join(c.ChangedAttributes, ",") != "versioning") {
			t.Errorf("drifted server: change %+v, want bucket.uploads with versioning changed", c)
		}
	}
	if !strings.Contains(r.summary, "`versioning`: \"suspended\" → \"enabled\"") || !strings.Contains(r.log, "== drift:") {
		t.Errorf("the job summary of a drifted check:\n%s\nlog:\n%s", r.summary, r.log)
	}
	if info, err := os.Stat(filepath.Join(r.out, "drift.plan")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("drift.plan: %v %v; want a plan file with mode 0600", err, info)
	}
	// The saved plan repairs exactly the drift.
	fix := exec.Command(bin, "apply", filepath.Join(r.out, "drift.plan"))
	fix.Env = append(os.Environ(), env...)
	if out, err := fix.CombinedOutput(); err != nil || !strings.Contains(string(out), "0 added, 1 changed, 0 destroyed") {
		t.Errorf("apply drift.plan: %v\n%s", err, out)
	}
	if r = runDriftCheck(t, env...); r.code != 0 {
		t.Errorf("after applying drift.plan: exit %d:\n%s", r.code, r.log)
	}

	// No server: an error, with the error in the summary.
	r = runDriftCheck(t, "MINIO_ENDPOINT=127.0.0.1:1", "BUCKETFORM="+bin, "DRIFT_WAIT=1s",
		"MINIO_ACCESS_KEY="+miniotest.AccessKey, "MINIO_SECRET_KEY="+miniotest.SecretKey)
	if r.code != 1 || !strings.Contains(r.summary, ":x: **The drift check failed** (exit 1)") || !strings.Contains(r.summary, "was not ready") {
		t.Errorf("unreachable server: exit %d, summary:\n%s", r.code, r.summary)
	}
}
