package engine_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// crashConfig declares n buckets with every kind of attribute, so each create is several
// requests and an apply of a few hundred takes long enough to be interrupted.
const crashConfig = `
bucketform {
  stack = "crash"
}

minio "main" {
  endpoint = env("MINIO_ENDPOINT")
}

bucket "b" {
  for_each   = toset([for i in range(%d) : format("%%03d", i)])
  name       = "crash-${each.key}"
  versioning = "enabled"
  quota      = "1GiB"
  anonymous  = each.key == "007" ? "download" : "none"
  tags       = { n = each.key }

  lifecycle_rule {
    id              = "tmp"
    prefix          = "tmp/"
    expiration_days = 7
  }
}
`

type crashRig struct {
	t   *testing.T
	srv *miniotest.Server
	s3  *minio.Client
}

func (r *crashRig) config(n int) *config.Config {
	r.t.Helper()
	dir := r.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(crashConfig, n)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	env := map[string]string{"MINIO_ENDPOINT": r.srv.Endpoint, "MINIO_ACCESS_KEY": miniotest.AccessKey, "MINIO_SECRET_KEY": miniotest.SecretKey}
	cfg, diags := config.Load(dir, config.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if diags.HasErrors() {
		r.t.Fatalf("config: %v", diags)
	}
	return cfg
}

func (r *crashRig) engine(cfg *config.Config) *engine.Engine {
	r.t.Helper()
	e, err := engine.New(cfg, engine.Options{Parallelism: 8})
	if err != nil {
		r.t.Fatal(err)
	}
	return e
}

// apply runs what `bucketform apply -auto-approve -wait 1m -lock-timeout` runs.
func (r *crashRig) apply(ctx context.Context, e *engine.Engine) (*plan.Plan, *engine.Report, error) {
	if err := e.Wait(ctx, time.Minute, nil); err != nil {
		return nil, nil, err
	}
	unlock, _, err := e.Lock(ctx, 3*ownership.LeaseTTL)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	snap, err := e.Refresh(ctx)
	if err != nil {
		return nil, nil, err
	}
	p := e.Plan(snap)
	if len(p.Refusals) > 0 {
		return p, nil, fmt.Errorf("refusals: %+v", p.Refusals)
	}
	report, err := e.Apply(ctx, p, snap, engine.ApplyOptions{})
	actions := map[plan.Action]int{}
	for _, c := range p.Changes {
		actions[c.Action]++
	}
	r.t.Logf("apply: planned %v; err=%v", actions, err)
	return p, report, err
}

// planChanges returns the addresses a fresh plan would change.
func (r *crashRig) planChanges(ctx context.Context, cfg *config.Config) []string {
	r.t.Helper()
	snap, err := r.engine(cfg).Refresh(ctx)
	if err != nil {
		r.t.Fatalf("plan: %v", err)
	}
	p := r.engine(cfg).Plan(snap)
	var out []string
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			var writes []string
			for _, a := range c.Changed() {
				writes = append(writes, a.Attr)
			}
			out = append(out, fmt.Sprintf("%s (%s %v %v)", c.Address, c.Action, writes, c.Notes))
		}
	}
	for _, ref := range p.Refusals {
		out = append(out, fmt.Sprintf("%s (refused: %s)", ref.Address, ref.Reason))
	}
	return out
}

func (r *crashRig) crashBuckets(ctx context.Context) int {
	r.t.Helper()
	list, err := r.s3.ListBuckets(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	n := 0
	for _, b := range list {
		if strings.HasPrefix(b.Name, "crash-") {
			n++
		}
	}
	return n
}

func (r *crashRig) putObject(ctx context.Context, bucket, key string) {
	r.t.Helper()
	if _, err := r.s3.PutObject(ctx, bucket, key, strings.NewReader("keep me"), 7, minio.PutObjectOptions{}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *crashRig) requireObject(ctx context.Context, bucket, key string) {
	r.t.Helper()
	obj, err := r.s3.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err == nil {
		var data []byte
		data, err = io.ReadAll(obj)
		if err == nil && string(data) != "keep me" {
			err = fmt.Errorf("content %q", data)
		}
	}
	if err != nil {
		r.t.Errorf("%s/%s was lost: %v", bucket, key, err)
	}
}

// TestKilledMidApplyConverges kills MinIO (SIGKILL, as a crash or an OOM kill would) in the
// middle of an apply of 300 buckets, after some but not all of them were created, restarts it
// on the same data, and applies again: the second apply converges, a plan then shows no
// changes, and nothing that existed before — a foreign bucket, the stack's earlier buckets and
// their objects, its ownership records — is lost.
//
// "restart at once": MinIO is back within the per-request retry budget, so the first apply may
// even finish (its requests are retried); "stays down": MinIO stays down longer than every
// retry, so the first apply fails, leaves its lease behind, and the second apply waits for it.
func TestKilledMidApplyConverges(t *testing.T) {
	for _, variant := range []string{"restart at once", "stays down"} {
		t.Run(strings.ReplaceAll(variant, " ", "_"), func(t *testing.T) {
			ctx := context.Background()
			srv := miniotest.Start(t)
			r := &crashRig{t: t, srv: srv, s3: srv.Client(t)}

			// What exists before: a bucket of no stack with an object, and 20 buckets of this
			// stack, two of them holding objects.
			if err := r.s3.MakeBucket(ctx, "foreign-keep", minio.MakeBucketOptions{}); err != nil {
				t.Fatal(err)
			}
			r.putObject(ctx, "foreign-keep", "a.txt")
			if _, _, err := r.apply(ctx, r.engine(r.config(20))); err != nil {
				t.Fatalf("first apply of 20 buckets: %v", err)
			}
			r.putObject(ctx, "crash-000", "data/x.txt")
			r.putObject(ctx, "crash-005", "tmp/y.txt")

			if variant == "stays down" {
				old, oldTTL := server.Retry, ownership.LeaseTTL
				server.Retry = server.RetryPolicy{Attempts: 3, First: 10 * time.Millisecond, Max: 20 * time.Millisecond, AttemptTimeout: 10 * time.Second}
				ownership.LeaseTTL = 4 * time.Second
				t.Cleanup(func() { server.Retry, ownership.LeaseTTL = old, oldTTL })
			}

			// The interrupted apply: MinIO is killed once 100 of the 280 creates are done.
			cfg := r.config(300)
			e := r.engine(cfg)
			var once sync.Once
			restarted := make(chan error, 1)
			e.SetProgress(func(p engine.Progress) {
				if p.Phase != "apply" || p.Done != 100 {
					return
				}
				once.Do(func() {
					srv.Kill()
					if variant == "restart at once" {
						go func() { restarted <- srv.Start() }()
					}
				})
			})
			p, report, err := r.apply(ctx, e)
			if p == nil || p.Summary().Add != 280 {
				t.Fatalf("interrupted apply did not plan 280 creates: %v", err)
			}
			t.Logf("interrupted apply: err=%v", err)
			if report != nil {
				t.Logf("interrupted apply: %d applied, %d failed, %d not attempted", len(report.Applied), len(report.Failed), len(report.NotAttempted))
			}
			if variant == "stays down" {
				if err == nil {
					t.Fatal("the apply succeeded although MinIO was down for the rest of it")
				}
				server.Retry = RetryDefault
				go func() { restarted <- srv.Start() }()
			}
			select {
			case err := <-restarted:
				if err != nil {
					t.Fatalf("restart MinIO: %v", err)
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("MinIO was never killed and restarted")
			}
			if variant == "stays down" {
				if n := r.crashBuckets(ctx); n < 120 || n >= 300 {
					t.Fatalf("%d crash buckets after the interrupted apply; want some but not all of the new ones", n)
				}
			}

			// A second apply converges; a plan then finds nothing to do.
			_, report, err = r.apply(ctx, r.engine(cfg))
			if err != nil {
				t.Fatalf("second apply: %v", err)
			}
			t.Logf("second apply: %+v", report.Summary())
			if changes := r.planChanges(ctx, cfg); len(changes) > 0 {
				t.Fatalf("a plan after the second apply still has %d changes: %v", len(changes), changes)
			}

			// Nothing that existed before is lost, and the stack owns all 300 buckets.
			r.requireObject(ctx, "foreign-keep", "a.txt")
			r.requireObject(ctx, "crash-000", "data/x.txt")
			r.requireObject(ctx, "crash-005", "tmp/y.txt")
			if n := r.crashBuckets(ctx); n != 300 {
				t.Errorf("%d crash buckets, want 300", n)
			}
			c, err := server.New(server.Target{Endpoint: srv.Endpoint, Region: "us-east-1", AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey})
			if err != nil {
				t.Fatal(err)
			}
			idx, err := ownership.NewStore(c, "bucketform-state", "crash").Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(idx.Index.Resources[model.KindBucket]); n != 300 {
				t.Errorf("the ownership index lists %d buckets, want 300", n)
			}
			claims, err := ownership.NewStore(c, "bucketform-state", "crash").Claims(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(claims); n != 300 {
				t.Errorf("%d claims, want 300", n)
			}
			if _, err := r.s3.StatObject(ctx, "bucketform-state", "stacks/crash/lease.json", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
				t.Errorf("the lease is still held after the second apply: %v", err)
			}
		})
	}
}

// RetryDefault is the production retry policy, restored before the second apply.
var RetryDefault = server.Retry
