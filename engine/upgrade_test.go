package engine_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
)

// TestServerOfThePreviousReleaseIsUpgraded starts MinIO on a data directory the previous
// release of bucketform applied testdata/v1-server/main.hcl to (four buckets tagged with their
// stack, an ownership index of format 1, no claims). This release plans it with no changes and
// treats the buckets as the stack's (another stack is refused them); the next apply writes a
// claim for each and the index in format 2, losing no entry; the plan stays No changes.
func TestServerOfThePreviousReleaseIsUpgraded(t *testing.T) {
	miniotest.Binary(t, "minio")
	data := t.TempDir()
	if err := os.CopyFS(data, os.DirFS("testdata/v1-server/data")); err != nil {
		t.Fatal(err)
	}
	// Git keeps no empty directories: a bucket's directory comes back from its metadata.
	metas, _ := fs.Glob(os.DirFS(data), ".minio.sys/buckets/*/.metadata.bin")
	for _, m := range metas {
		if err := os.MkdirAll(filepath.Join(data, strings.Split(m, "/")[2]), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := miniotest.Prepare(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := os.ReadFile("testdata/v1-server/main.hcl")
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, loadConfig(t, srv, string(src)))
	store := ownership.NewStore(rawClient(t, srv), ownership.StateBucket, "legacy")
	before, err := store.Load(ctx)
	if err != nil || before.Version != "1" || before.Index.Len() != 4 {
		t.Fatalf("the fixture's index: version %q, %d entries, %v", before.Version, before.Index.Len(), err)
	}

	if p := planOf(t, ctx, e); p.HasChanges() || len(p.Refusals) > 0 {
		t.Fatalf("the first plan of an index of format 1: %+v, refusals %+v", p.Summary(), p.Refusals)
	}
	thief := newEngine(t, loadConfig(t, srv, strings.Replace(string(src), `stack = "legacy"`, `stack = "thief"`, 1)))
	if p := planOf(t, ctx, thief); len(p.Refusals) != 4 {
		t.Fatalf("another stack is refused %d of the 4 buckets of a format-1 stack", len(p.Refusals))
	}

	if _, _, err := applyOnce(ctx, e, engine.ApplyOptions{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	after, err := store.Load(ctx)
	if err != nil || after.Version != ownership.FormatVersion {
		t.Fatalf("after the apply: version %q, %v", after.Version, err)
	}
	for k, was := range before.Index.Entries() {
		now, ok := after.Index.Get(k)
		if !ok || now.Address != was.Address || strings.Join(now.Attrs, ",") != strings.Join(was.Attrs, ",") {
			t.Errorf("%s was %+v in format 1 and is %+v (%v) in format 2", k, was, now, ok)
		}
	}
	claims, err := store.Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"legacy-data", "legacy-logs", "legacy-acme", "legacy-globex"} {
		if claims[model.Key{Kind: model.KindBucket, ID: name}].Stack != "legacy" {
			t.Errorf("%s is not claimed by stack legacy after the upgrade: %+v", name, claims)
		}
	}
	if p := planOf(t, ctx, e); p.HasChanges() {
		t.Fatalf("after the upgrade: %+v", p.Summary())
	}
}
