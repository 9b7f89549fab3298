package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// TestSavedPlanIgnoresDeploymentAddedSince: a minio block declared after a plan was saved does
// not stop the plan from applying: the plan changes only the deployments it was made against,
// and the new one is left alone (no bucket, no ownership index).
func TestSavedPlanIgnoresDeploymentAddedSince(t *testing.T) {
	first, second := miniotest.Start(t), miniotest.Start(t)
	t.Setenv("MINIO_ACCESS_KEY", miniotest.AccessKey)
	t.Setenv("MINIO_SECRET_KEY", miniotest.SecretKey)
	dir := t.TempDir()
	writeConfig := func(deployments string) {
		t.Helper()
		cfg := "bucketform {\n  stack = \"added\"\n}\n\n" + deployments +
			"bucket \"a\" {\n  minio = minio.first\n  name  = \"t-added-a\"\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	block := func(name, endpoint string) string {
		return fmt.Sprintf("minio %q {\n  endpoint = %q\n}\n\n", name, endpoint)
	}
	runCLI := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &out)
		return code, out.String()
	}

	writeConfig(block("first", first.Endpoint))
	planFile := filepath.Join(t.TempDir(), "ci.plan")
	if code, out := runCLI("plan", "-out", planFile, dir); code != 0 {
		t.Fatalf("plan exited %d:\n%s", code, out)
	}
	writeConfig(block("first", first.Endpoint) + block("second", second.Endpoint))
	code, out := runCLI("apply", planFile)
	if code != 0 || !strings.Contains(out, "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.") {
		t.Fatalf("apply of the saved plan exited %d:\n%s", code, out)
	}
	ctx := context.Background()
	if ok, err := first.Client(t).BucketExists(ctx, "t-added-a"); err != nil || !ok {
		t.Errorf("t-added-a on the first server: exists %v, %v", ok, err)
	}
	buckets, err := second.Client(t).ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range buckets {
		if b.Name != "bucketform-state" { // the lease of the apply lives there
			t.Errorf("the second server, which the plan does not name, has bucket %s", b.Name)
		}
	}
	if code, out := runCLI("plan", "-detailed-exitcode", dir); code != 0 {
		t.Errorf("a plan after the apply exited %d:\n%s", code, out)
	}
}
