package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// TestInvalidConfigsChangeNothing applies every invalid configuration under testdata/invalid
// against a real MinIO: each must exit 1 with a located "Error:" (file and line) and leave the
// server exactly as it was — no bucket, not even the state bucket.
func TestInvalidConfigsChangeNothing(t *testing.T) {
	srv := miniotest.Start(t)
	t.Setenv("MINIO_ACCESS_KEY", miniotest.AccessKey)
	t.Setenv("MINIO_SECRET_KEY", miniotest.SecretKey)
	cases, err := filepath.Glob("../../testdata/invalid/*")
	if err != nil || len(cases) < 25 {
		t.Fatalf("want at least 25 invalid configurations, found %d (%v)", len(cases), err)
	}
	// A source line follows, except for a variable file, whose source is never shown.
	located := regexp.MustCompile(`(?m)^Error: .+\n\n  on \S+\.(hcl|bfvars) line [0-9]+:\n(  +[0-9]+: |  \(source not shown: variable files hold secrets\)\n)`)
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			work := copyCase(t, dir, srv.Endpoint)
			args := []string{"apply", "-auto-approve", "-allow-destroy", "-no-color"}
			vars, _ := filepath.Glob(filepath.Join(work, "*.bfvars"))
			for _, v := range vars {
				args = append(args, "-var-file", v)
			}
			var stdout, stderr bytes.Buffer
			code := run(append(args, work), strings.NewReader(""), &stdout, &stderr)
			if code != exitError {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			if !located.MatchString(stderr.String()) {
				t.Fatalf("no located error (Error: … on FILE line N:) in stderr:\n%s", stderr.String())
			}
			if strings.Contains(stderr.String(), "goroutine ") || strings.Contains(stderr.String(), "panic") {
				t.Fatalf("a stack trace reached the user:\n%s", stderr.String())
			}
			buckets, err := srv.Client(t).ListBuckets(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(buckets) != 0 {
				t.Fatalf("an invalid configuration changed the server: buckets %v", buckets)
			}
		})
	}
}

// copyCase copies an invalid case into a temporary directory, pointing its minio blocks at the
// test server so that an apply that got past validation would really create buckets there.
func copyCase(t *testing.T, dir, endpoint string) string {
	t.Helper()
	work := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.ReplaceAll(data, []byte(`"minio:9000"`), []byte(`"`+endpoint+`"`))
		if err := os.WriteFile(filepath.Join(work, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return work
}
