package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/miniotest"
)

// TestIAMScaleFigures measures a plan of many users with a service account each: the apply
// that creates them, then a plan with no changes, with the time and the requests by kind. It
// prints figures and asserts only that the plan has no changes; it takes minutes, so it runs
// only when BUCKETFORM_IAM_SCALE is set (to the number of users; 1000 for the documented figure):
//
//	BUCKETFORM_IAM_SCALE=1000 go test -run TestIAMScaleFigures -v -timeout 60m ./cmd/internal/bench/
func TestIAMScaleFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BUCKETFORM_IAM_SCALE"))
	if n <= 0 {
		t.Skip("set BUCKETFORM_IAM_SCALE=N to measure a plan of N users and N service accounts")
	}
	srv := miniotest.Start(t)
	var c counter
	endpoint := c.start(t, srv.Endpoint)
	var b strings.Builder
	fmt.Fprintf(&b, "bucketform {\n  stack = \"iamscale\"\n}\nminio \"main\" {\n  endpoint = %q\n}\n", endpoint)
	b.WriteString(`policy "p" {
  name = "scale-writer"
  document = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = ["s3:PutObject"], Resource = ["arn:aws:s3:::scale/*"]}]})
}
user "u" {
  for_each   = toset([for i in range(` + strconv.Itoa(n) + `) : format("%05d", i)])
  access_key = "scale-u-${each.key}"
  secret_key = env("SCALE_SECRET")
  policies   = [policy.p]
}
service_account "s" {
  for_each   = user.u
  user       = each.value
  access_key = "scale-s-${each.key}"
  secret_key = env("SCALE_SECRET")
}
`)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MINIO_ACCESS_KEY": miniotest.AccessKey, "MINIO_SECRET_KEY": miniotest.SecretKey, "SCALE_SECRET": "scale-secret-0123"}
	cfg, diags := config.Load(dir, config.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	e, err := engine.New(cfg, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	report := func(what string, took time.Duration) {
		counts := byKind(c.take())
		total := 0
		var lines []string
		for k, v := range counts {
			total += v
			lines = append(lines, fmt.Sprintf("%6d %s", v, k))
		}
		sort.Strings(lines)
		t.Logf("%s: %s, %d requests:\n%s", what, took.Round(time.Millisecond), total, strings.Join(lines, "\n"))
	}
	start := time.Now()
	unlock, _, err := e.Lock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Plan(snap)
	if rep, err := e.Apply(ctx, p, snap, engine.ApplyOptions{}); err != nil {
		for i, f := range rep.Failed {
			if i < 5 {
				t.Logf("%s: %v", f.Change.Address, f.Err)
			}
		}
		t.Fatal(err)
	}
	unlock()
	report(fmt.Sprintf("apply creating %d users and %d service accounts", n, n), time.Since(start))
	start = time.Now()
	snap, err = e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p = e.Plan(snap)
	report(fmt.Sprintf("plan with no changes of %d users and %d service accounts", n, n), time.Since(start))
	if p.HasChanges() {
		t.Fatalf("the plan after the apply has changes: %+v", p.Summary())
	}
}
