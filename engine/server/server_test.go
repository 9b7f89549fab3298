package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

// One MinIO for the package; each test uses its own bucket names.
var minioServer miniotest.Shared

func TestMain(m *testing.M) { os.Exit(minioServer.Run(m)) }

func client(t *testing.T) *server.Client {
	t.Helper()
	srv := minioServer.Get(t)
	c, err := server.New(server.Target{Endpoint: srv.Endpoint, Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func all(string) model.AttrSet { return model.NewAttrSet(model.AllAttrs...) }

func only(attrs ...model.Attr) func(string) model.AttrSet {
	return func(string) model.AttrSet { return model.NewAttrSet(attrs...) }
}

// Tags and object lock reads do not reveal a missing bucket (NoSuchTagSet,
// ObjectLockConfigurationNotFoundError); whatever is read, a missing bucket must read as missing.
func TestReadMissingBucket(t *testing.T) {
	for _, attrs := range [][]model.Attr{nil, {model.AttrTags}, {model.AttrObjectLock}, {model.AttrQuota}, model.AllAttrs} {
		live, err := client(t).ReadBucket(context.Background(), "no-such-bucket", only(attrs...))
		if err != nil {
			t.Fatal(err)
		}
		if live.Exists {
			t.Fatalf("missing bucket reads as existing when reading %v", attrs)
		}
	}
	c := client(t)
	if err := c.MakeBucket(context.Background(), "exists-plain", false); err != nil {
		t.Fatal(err)
	}
	for _, attrs := range [][]model.Attr{nil, {model.AttrTags}, {model.AttrObjectLock}, {model.AttrQuota}} {
		live, err := c.ReadBucket(context.Background(), "exists-plain", only(attrs...))
		if err != nil || !live.Exists {
			t.Fatalf("existing bucket reads as missing when reading %v: %v", attrs, err)
		}
	}
}

func TestReadFreshBucketIsAllUnset(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	if err := c.MakeBucket(ctx, "fresh", false); err != nil {
		t.Fatal(err)
	}
	// Creating it again converges instead of failing.
	if err := c.MakeBucket(ctx, "fresh", false); err != nil {
		t.Fatalf("second MakeBucket: %v", err)
	}
	live, err := c.ReadBucket(ctx, "fresh", all)
	if err != nil {
		t.Fatal(err)
	}
	b := live.State
	if !live.Exists || live.Owner != "" || !b.Policy.IsEmpty() || b.Versioning != model.VersioningNever ||
		b.Quota != 0 || len(b.Tags) != 0 || b.ObjectLock || len(b.Lifecycle) != 0 {
		t.Fatalf("fresh bucket reads as %+v", live)
	}
	for _, a := range model.AllAttrs {
		if !b.Attrs.Has(a) {
			t.Errorf("attribute %s not marked as read", a)
		}
	}
}

func TestRoundTripEveryAttribute(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	name := "roundtrip"
	if err := c.MakeBucket(ctx, name, true); err != nil {
		t.Fatal(err)
	}
	download, _ := policy.Canned(policy.Download, name)
	rules := []model.LifecycleRule{
		{ID: "a-tmp", Prefix: "tmp/", ExpirationDays: 7, NoncurrentExpirationDays: 30},
		{ID: "b-all", ExpirationDays: 365, Disabled: true},
	}
	steps := []error{
		c.SetPolicy(ctx, name, download),
		c.SetQuota(ctx, name, 5<<30),
		c.SetTags(ctx, name, map[string]string{"team": "ml", model.OwnerTag: "s1", "cost center": "a/b@c"}),
		c.SetLifecycle(ctx, name, rules),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	live, err := c.ReadBucket(ctx, name, all)
	if err != nil {
		t.Fatal(err)
	}
	b := live.State
	if !policy.Equal(b.Policy, download) || policy.Name(b.Policy, name) != policy.Download {
		t.Errorf("policy reads as %s", b.Policy.JSON())
	}
	if b.Quota != 5<<30 {
		t.Errorf("quota reads as %d", b.Quota)
	}
	if live.Owner != "s1" || len(b.Tags) != 2 || b.Tags["team"] != "ml" || b.Tags["cost center"] != "a/b@c" {
		t.Errorf("tags read as owner=%q %v", live.Owner, b.Tags)
	}
	if !b.ObjectLock || b.Versioning != model.VersioningEnabled {
		t.Errorf("object lock bucket reads as lock=%v versioning=%q", b.ObjectLock, b.Versioning)
	}
	if len(b.Lifecycle) != 2 || b.Lifecycle[0] != rules[0] || b.Lifecycle[1] != rules[1] {
		t.Errorf("lifecycle reads as %+v", b.Lifecycle)
	}

	// Resetting each attribute brings it back to "unset".
	steps = []error{
		c.SetPolicy(ctx, name, policy.Document{}),
		c.SetQuota(ctx, name, 0),
		c.SetTags(ctx, name, nil),
		c.SetLifecycle(ctx, name, nil),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	live, err = c.ReadBucket(ctx, name, all)
	if err != nil {
		t.Fatal(err)
	}
	b = live.State
	if !b.Policy.IsEmpty() || b.Quota != 0 || len(b.Tags) != 0 || live.Owner != "" || len(b.Lifecycle) != 0 {
		t.Errorf("after reset: %+v", live)
	}
	// Suspending versioning under object lock is refused by the server.
	if err := c.SetVersioning(ctx, name, model.VersioningSuspended); err == nil {
		t.Error("server accepted suspending versioning on an object-lock bucket")
	}
}

// The server normalises stored policies; semantic comparison must not see that as a change, and
// must see one extra anonymous action even though mc still calls the policy "download".
func TestPolicyNormalisationAndSuperset(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	name := "policy-norm"
	if err := c.MakeBucket(ctx, name, false); err != nil {
		t.Fatal(err)
	}
	srv := minioServer.Get(t)
	srv.MC(t, "anonymous", "set", "download", "test/"+name)
	live, err := c.ReadBucket(ctx, name, only(model.AttrPolicy))
	if err != nil {
		t.Fatal(err)
	}
	download, _ := policy.Canned(policy.Download, name)
	if !policy.Equal(live.State.Policy, download) {
		t.Fatalf("mc's download policy differs from the canned one:\nmc:   %s\nours: %s", live.State.Policy.JSON(), download.JSON())
	}
	// Add one anonymous action by hand, as a user would with mc anonymous set-json.
	var doc map[string]any
	if err := json.Unmarshal([]byte(live.State.Policy.JSON()), &doc); err != nil {
		t.Fatal(err)
	}
	stmts := doc["Statement"].([]any)
	stmts = append(stmts, map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::" + name + "/*"})
	doc["Statement"] = stmts
	raw, _ := json.Marshal(doc)
	f := t.TempDir() + "/p.json"
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	srv.MC(t, "anonymous", "set-json", f, "test/"+name)
	if got := srv.MC(t, "anonymous", "get", "test/"+name); !strings.Contains(got, "download") {
		t.Logf("mc anonymous get says %q", got)
	}
	live, err = c.ReadBucket(ctx, name, only(model.AttrPolicy))
	if err != nil {
		t.Fatal(err)
	}
	if policy.Equal(live.State.Policy, download) || policy.Name(live.State.Policy, name) != policy.Custom {
		t.Fatalf("a policy with an extra anonymous PutObject compares equal to download: %s", live.State.Policy.JSON())
	}
	_, added := policy.Diff(download, live.State.Policy)
	if len(added) != 1 || added[0].Action != "s3:PutObject" {
		t.Fatalf("diff should show exactly the extra grant, got %v", added)
	}
}

// A quota stored with a size and no type is not enforced; it must not read as a quota.
func TestQuotaWithoutTypeReadsAsNone(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	name := "quota-untyped"
	if err := c.MakeBucket(ctx, name, false); err != nil {
		t.Fatal(err)
	}
	if err := minioServer.Get(t).Admin(t).SetBucketQuota(ctx, name, &madmin.BucketQuota{Size: 1 << 30}); err != nil {
		t.Fatal(err)
	}
	live, err := c.ReadBucket(ctx, name, only(model.AttrQuota))
	if err != nil {
		t.Fatal(err)
	}
	if live.State.Quota != 0 {
		t.Fatalf("untyped quota reads as %d, want 0 (not enforced)", live.State.Quota)
	}
}

func TestConditionalWrites(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	bucket := "cas"
	if err := c.EnsureBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := c.GetSmall(ctx, "no-such-bucket-cas", "k"); found || err != nil {
		t.Fatalf("missing bucket: found=%v err=%v", found, err)
	}
	etag, err := c.PutSmall(ctx, bucket, "k", []byte("one"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutSmall(ctx, bucket, "k", []byte("again"), ""); !errors.Is(err, server.ErrConflict) {
		t.Fatalf("create of an existing object: %v, want ErrConflict", err)
	}
	etag2, err := c.PutSmall(ctx, bucket, "k", []byte("two"), etag)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutSmall(ctx, bucket, "k", []byte("three"), etag); !errors.Is(err, server.ErrConflict) {
		t.Fatalf("replace with a stale ETag: %v, want ErrConflict", err)
	}
	data, got, found, err := c.GetSmall(ctx, bucket, "k")
	if err != nil || !found || string(data) != "two" || got != etag2 {
		t.Fatalf("read back %q etag %q found %v err %v; want two %q", data, got, found, err, etag2)
	}
}

func TestDeleteRefusesNonEmptyAndEmptyBucketEmpties(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	name := "full"
	if err := c.MakeBucket(ctx, name, false); err != nil {
		t.Fatal(err)
	}
	if err := c.SetVersioning(ctx, name, model.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	mc := minioServer.Get(t).Client(t)
	for _, k := range []string{"a", "a", "b/c"} {
		if _, err := mc.PutObject(ctx, name, k, strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := mc.RemoveObject(ctx, name, "b/c", minio.RemoveObjectOptions{}); err != nil { // leaves a delete marker
		t.Fatal(err)
	}
	if empty, err := c.IsEmpty(ctx, name); err != nil || empty {
		t.Fatalf("IsEmpty = %v, %v", empty, err)
	}
	if err := c.DeleteBucket(ctx, name); server.Code(err) != server.CodeBucketNotEmpty {
		t.Fatalf("DeleteBucket of a full bucket: %v", err)
	}
	if err := c.EmptyBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	if empty, err := c.IsEmpty(ctx, name); err != nil || !empty {
		t.Fatalf("after EmptyBucket IsEmpty = %v, %v", empty, err)
	}
	if err := c.DeleteBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
}

func TestHealthy(t *testing.T) {
	if err := client(t).Healthy(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := server.New(server.Target{Endpoint: "127.0.0.1:1", Region: "us-east-1"})
	if err := c.Healthy(context.Background()); err == nil {
		t.Fatal("closed port reads as healthy")
	}
}
