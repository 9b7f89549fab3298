package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

// exportFixture builds buckets holding every kind of attribute bucketform reads, and returns
// the names to compare (two of them do not exist).
func exportFixture(t *testing.T, c *server.Client) []string {
	t.Helper()
	ctx := context.Background()
	srv := minioServer.Get(t)
	s3, adm := srv.Client(t), srv.Admin(t)
	var steps []error
	step := func(err error) { steps = append(steps, err) }
	mk := func(name string, lock bool) {
		if err := c.MakeBucket(ctx, name, lock); err != nil {
			t.Fatal(err)
		}
	}

	// Policies: none, each canned kind (one written by mc, as a user would), a custom one,
	// one that bucketform cannot parse, one set and removed.
	mk("exp-policy-none", false)
	for _, kind := range []string{policy.Download, policy.Upload, policy.Public} {
		name := "exp-policy-" + kind
		mk(name, false)
		doc, _ := policy.Canned(kind, name)
		step(c.SetPolicy(ctx, name, doc))
	}
	mk("exp-policy-mc", false)
	srv.MC(t, "anonymous", "set", "download", "test/exp-policy-mc")
	mk("exp-policy-custom", false)
	step(s3.SetBucketPolicy(ctx, "exp-policy-custom", `{"Version":"2012-10-17","Statement":[
		{"Sid":"ro","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::exp-policy-custom/public/*",
		 "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"StringEquals":{"s3:ExistingObjectTag/x":"1"}}},
		{"Effect":"Deny","Principal":{"AWS":["*"]},"Action":"s3:DeleteObject","NotResource":"arn:aws:s3:::exp-policy-custom/tmp/*"}]}`))
	// The server stores Resource "*" as "**", which bucketform's parser refuses: the export must
	// give ReadBucket's error, for this bucket only.
	mk("exp-policy-unparseable", false)
	step(s3.SetBucketPolicy(ctx, "exp-policy-unparseable", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`))
	mk("exp-policy-removed", false)
	doc, _ := policy.Canned(policy.Public, "exp-policy-removed")
	step(c.SetPolicy(ctx, "exp-policy-removed", doc))
	step(c.SetPolicy(ctx, "exp-policy-removed", policy.Document{}))

	// Versioning: never (exp-policy-none), enabled, suspended, suspended from never.
	mk("exp-versioning-enabled", false)
	step(c.SetVersioning(ctx, "exp-versioning-enabled", model.VersioningEnabled))
	mk("exp-versioning-suspended", false)
	step(c.SetVersioning(ctx, "exp-versioning-suspended", model.VersioningEnabled))
	step(c.SetVersioning(ctx, "exp-versioning-suspended", model.VersioningSuspended))
	mk("exp-versioning-suspended-never", false)
	step(c.SetVersioning(ctx, "exp-versioning-suspended-never", model.VersioningSuspended))

	// Quota: hard, without type (not enforced: reads as none), set and cleared.
	mk("exp-quota-hard", false)
	step(c.SetQuota(ctx, "exp-quota-hard", 5<<30))
	mk("exp-quota-untyped", false)
	step(adm.SetBucketQuota(ctx, "exp-quota-untyped", &madmin.BucketQuota{Size: 1 << 30}))
	mk("exp-quota-cleared", false)
	step(c.SetQuota(ctx, "exp-quota-cleared", 1<<30))
	step(c.SetQuota(ctx, "exp-quota-cleared", 0))

	// Tags: user tags only, ownership tag and user tags, ownership tag only, removed.
	mk("exp-tags-user", false)
	step(c.SetTags(ctx, "exp-tags-user", map[string]string{"team": "ml", "cost center": "a/b@c"}))
	mk("exp-tags-owned", false)
	step(c.SetTags(ctx, "exp-tags-owned", map[string]string{"team": "ml", model.OwnerTag: "stack-a"}))
	mk("exp-tags-owner-only", false)
	step(c.SetTags(ctx, "exp-tags-owner-only", map[string]string{model.OwnerTag: "stack-b"}))
	mk("exp-tags-removed", false)
	step(c.SetTags(ctx, "exp-tags-removed", map[string]string{"team": "ml"}))
	step(c.SetTags(ctx, "exp-tags-removed", nil))

	// Object lock (which enables versioning).
	mk("exp-lock", true)

	// Lifecycle: rules bucketform writes, and rules it cannot express, written with minio-go.
	mk("exp-lifecycle", false)
	step(c.SetVersioning(ctx, "exp-lifecycle", model.VersioningEnabled))
	cfg := lifecycle.NewConfiguration()
	cfg.Rules = []lifecycle.Rule{
		{ID: "a-plain", Status: "Enabled", RuleFilter: lifecycle.Filter{Prefix: "tmp/"}, Expiration: lifecycle.Expiration{Days: 7},
			NoncurrentVersionExpiration: lifecycle.NoncurrentVersionExpiration{NoncurrentDays: 30}},
		{ID: "b-disabled", Status: "Disabled", Prefix: "old/", Expiration: lifecycle.Expiration{Days: 365}},
		{ID: "c-tag", Status: "Enabled", RuleFilter: lifecycle.Filter{Tag: lifecycle.Tag{Key: "class", Value: "scratch"}}, Expiration: lifecycle.Expiration{Days: 1}},
		{ID: "d-and", Status: "Enabled", RuleFilter: lifecycle.Filter{And: lifecycle.And{Prefix: "logs/", Tags: []lifecycle.Tag{{Key: "k", Value: "v"}},
			ObjectSizeGreaterThan: 1 << 20}}, Expiration: lifecycle.Expiration{Days: 2}},
		{ID: "e-markers", Status: "Enabled", Expiration: lifecycle.Expiration{DeleteMarker: true}},
		{ID: "f-newer", Status: "Enabled", NoncurrentVersionExpiration: lifecycle.NoncurrentVersionExpiration{NoncurrentDays: 3, NewerNoncurrentVersions: 2}},
		{ID: "g-delmarker", Status: "Enabled", DelMarkerExpiration: lifecycle.DelMarkerExpiration{Days: 5}},
		{ID: "i-all", Status: "Enabled", RuleFilter: lifecycle.Filter{Prefix: "gone/"}, Expiration: lifecycle.Expiration{Days: 3, DeleteAll: true}},
		{ID: "h-date", Status: "Enabled", RuleFilter: lifecycle.Filter{Prefix: "dated/"},
			Expiration: lifecycle.Expiration{Date: lifecycle.ExpirationDate{Time: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}},
	}
	step(s3.SetBucketLifecycle(ctx, "exp-lifecycle", cfg))
	mk("exp-lifecycle-removed", false)
	step(c.SetLifecycle(ctx, "exp-lifecycle-removed", []model.LifecycleRule{{ID: "x", ExpirationDays: 1}}))
	step(c.SetLifecycle(ctx, "exp-lifecycle-removed", nil))

	// Everything on one bucket.
	mk("exp-everything", true)
	doc, _ = policy.Canned(policy.Download, "exp-everything")
	step(c.SetPolicy(ctx, "exp-everything", doc))
	step(c.SetQuota(ctx, "exp-everything", 7<<30))
	step(c.SetTags(ctx, "exp-everything", map[string]string{"env": "prod", model.OwnerTag: "stack-a"}))
	step(c.SetLifecycle(ctx, "exp-everything", []model.LifecycleRule{{ID: "tmp", Prefix: "tmp/", ExpirationDays: 7}}))

	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}

	// A bucket deleted between the caller's listing and the reads.
	mk("exp-deleted", false)
	step(c.SetTags(ctx, "exp-deleted", map[string]string{model.OwnerTag: "stack-a"}))
	listed, err := s3.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesContainsBucket(listed, "exp-deleted") {
		t.Fatal("exp-deleted is not listed")
	}
	if err := c.DeleteBucket(ctx, "exp-deleted"); err != nil {
		t.Fatal(err)
	}

	return []string{
		"exp-policy-none", "exp-policy-download", "exp-policy-upload", "exp-policy-public", "exp-policy-mc",
		"exp-policy-custom", "exp-policy-unparseable", "exp-policy-removed",
		"exp-versioning-enabled", "exp-versioning-suspended", "exp-versioning-suspended-never",
		"exp-quota-hard", "exp-quota-untyped", "exp-quota-cleared",
		"exp-tags-user", "exp-tags-owned", "exp-tags-owner-only", "exp-tags-removed",
		"exp-lock", "exp-lifecycle", "exp-lifecycle-removed", "exp-everything",
		"exp-missing", "exp-deleted",
	}
}

func slicesContainsBucket(list []minio.BucketInfo, name string) bool {
	for _, b := range list {
		if b.Name == name {
			return true
		}
	}
	return false
}

// read is the outcome of reading one bucket one way.
type read struct {
	live model.BucketLive
	err  error
}

// TestExportMatchesReadBucket compares, field by field, what the all-buckets export and the
// single-bucket export give for each bucket with what ReadBucket gives reading every attribute.
func TestExportMatchesReadBucket(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	names := exportFixture(t, c)

	exp, err := c.ExportAllBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every bucket of the server, not only the fixture's, must read the same.
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for _, n := range exp.Names() {
		if !seen[n] {
			names = append(names, n)
		}
	}

	reads := map[string]read{}
	for _, name := range names {
		want, wantErr := c.ReadBucket(ctx, name, all)
		reads[name] = read{want, wantErr}
		fromAll, allErr := exp.Bucket(name)
		compareRead(t, name+" (export of every bucket)", read{want, wantErr}, read{fromAll, allErr})
		single, singleErr := c.ExportBucket(ctx, name)
		compareRead(t, name+" (export of one bucket)", read{want, wantErr}, read{single, singleErr})
	}

	// The fixture reads as built (so that the comparison above compares what it should).
	check := func(name string, ok func(l model.BucketLive) bool, what string) {
		t.Helper()
		if r := reads[name]; r.err != nil || !ok(r.live) {
			t.Errorf("%s: want %s, ReadBucket gives %+v (err %v)", name, what, r.live, r.err)
		}
	}
	check("exp-missing", func(l model.BucketLive) bool { return !l.Exists }, "missing")
	check("exp-deleted", func(l model.BucketLive) bool { return !l.Exists }, "missing")
	check("exp-policy-none", func(l model.BucketLive) bool {
		b := l.State
		return l.Exists && b.Policy.IsEmpty() && b.Versioning == model.VersioningNever && b.Quota == 0 && len(b.Tags) == 0 && !b.ObjectLock && b.Lifecycle == nil
	}, "all unset")
	for _, kind := range []string{policy.Download, policy.Upload, policy.Public} {
		check("exp-policy-"+kind, func(l model.BucketLive) bool { return policy.Name(l.State.Policy, "exp-policy-"+kind) == kind }, kind)
	}
	check("exp-policy-mc", func(l model.BucketLive) bool { return policy.Name(l.State.Policy, "exp-policy-mc") == policy.Download }, "download")
	check("exp-policy-custom", func(l model.BucketLive) bool { return len(l.State.Policy.Statements) == 2 }, "two statements")
	if r := reads["exp-policy-unparseable"]; r.err == nil || !strings.Contains(r.err.Error(), "cannot be parsed") {
		t.Errorf("exp-policy-unparseable: ReadBucket gives %v, want a parse error", r.err)
	}
	check("exp-policy-removed", func(l model.BucketLive) bool { return l.Exists && l.State.Policy.IsEmpty() }, "no policy")
	check("exp-versioning-enabled", func(l model.BucketLive) bool { return l.State.Versioning == model.VersioningEnabled }, "enabled")
	check("exp-versioning-suspended", func(l model.BucketLive) bool { return l.State.Versioning == model.VersioningSuspended }, "suspended")
	check("exp-versioning-suspended-never", func(l model.BucketLive) bool { return l.State.Versioning == model.VersioningSuspended }, "suspended")
	check("exp-quota-hard", func(l model.BucketLive) bool { return l.State.Quota == 5<<30 }, "5 GiB")
	check("exp-quota-untyped", func(l model.BucketLive) bool { return l.State.Quota == 0 }, "no quota")
	check("exp-quota-cleared", func(l model.BucketLive) bool { return l.State.Quota == 0 }, "no quota")
	check("exp-tags-user", func(l model.BucketLive) bool { return l.Owner == "" && len(l.State.Tags) == 2 }, "two user tags")
	check("exp-tags-owned", func(l model.BucketLive) bool {
		return l.Owner == "stack-a" && reflect.DeepEqual(l.State.Tags, map[string]string{"team": "ml"})
	}, "owner and one tag")
	check("exp-tags-owner-only", func(l model.BucketLive) bool { return l.Owner == "stack-b" && len(l.State.Tags) == 0 }, "owner only")
	check("exp-tags-removed", func(l model.BucketLive) bool { return l.Owner == "" && len(l.State.Tags) == 0 }, "no tags")
	check("exp-lock", func(l model.BucketLive) bool {
		return l.State.ObjectLock && l.State.Versioning == model.VersioningEnabled
	}, "locked")
	check("exp-lifecycle-removed", func(l model.BucketLive) bool { return l.Exists && l.State.Lifecycle == nil }, "no lifecycle")
	unsupported := map[string]string{
		"a-plain": "", "b-disabled": "", "c-tag": "tag filter", "d-and": "tag filter, size filter",
		"e-markers": "expired delete markers", "f-newer": "newer noncurrent versions",
		"g-delmarker": "delete marker expiration", "h-date": "expiration date", "i-all": "expire all versions",
	}
	check("exp-lifecycle", func(l model.BucketLive) bool {
		if len(l.State.Lifecycle) != len(unsupported) {
			return false
		}
		for _, r := range l.State.Lifecycle {
			if u, ok := unsupported[r.ID]; !ok || u != r.Unsupported {
				return false
			}
		}
		return l.State.Lifecycle[1].Disabled && l.State.Lifecycle[1].Prefix == "old/"
	}, "rules with their unsupported parts")
	check("exp-everything", func(l model.BucketLive) bool {
		b := l.State
		return l.Owner == "stack-a" && policy.Name(b.Policy, "exp-everything") == policy.Download && b.Quota == 7<<30 &&
			b.ObjectLock && b.Versioning == model.VersioningEnabled && len(b.Lifecycle) == 1 && b.Tags["env"] == "prod"
	}, "every attribute")

	if exp.Size() == 0 || exp.Len() < len(names)-2 {
		t.Errorf("export of %d bytes holds %d buckets", exp.Size(), exp.Len())
	}
}

// compareRead reports every field in which got differs from want.
func compareRead(t *testing.T, label string, want, got read) {
	t.Helper()
	if (want.err == nil) != (got.err == nil) || (want.err != nil && want.err.Error() != got.err.Error()) {
		t.Errorf("%s: error %v, ReadBucket's is %v", label, got.err, want.err)
		return
	}
	if want.err != nil {
		return
	}
	w, g := want.live, got.live
	diff := func(field string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %s is %#v, ReadBucket's is %#v", label, field, b, a)
		}
	}
	diff("Exists", w.Exists, g.Exists)
	diff("Owner", w.Owner, g.Owner)
	diff("Emptiness", w.Emptiness, g.Emptiness)
	diff("Name", w.State.Name, g.State.Name)
	diff("Attrs", w.State.Attrs, g.State.Attrs)
	diff("Policy", w.State.Policy, g.State.Policy)
	if !policy.Equal(w.State.Policy, g.State.Policy) {
		t.Errorf("%s: policy %s, ReadBucket's %s", label, g.State.Policy.JSON(), w.State.Policy.JSON())
	}
	diff("Versioning", w.State.Versioning, g.State.Versioning)
	diff("Quota", w.State.Quota, g.State.Quota)
	diff("Tags", w.State.Tags, g.State.Tags)
	diff("ObjectLock", w.State.ObjectLock, g.State.ObjectLock)
	diff("Lifecycle", w.State.Lifecycle, g.State.Lifecycle)
	diff("Live", w, g) // anything the fields above do not cover
}

// An identity without admin:ExportBucketMetadata is told apart from wrong credentials, and can
// still read attribute by attribute; one with only that action can export.
func TestExportDenied(t *testing.T) {
	ctx := context.Background()
	srv := minioServer.Get(t)
	c := client(t)
	if err := c.MakeBucket(ctx, "exp-denied", false); err != nil {
		t.Fatal(err)
	}
	srv.AddUser(t, "exp-narrow", "exp-narrow-secret", "exp-narrow", []byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]},
		{"Effect":"Allow","Action":["admin:GetBucketQuota","admin:SetBucketQuota"],"Resource":["arn:aws:s3:::*"]}]}`))
	srv.AddUser(t, "exp-exporter", "exp-exporter-secret", "exp-exporter", []byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["admin:ExportBucketMetadata"],"Resource":["arn:aws:s3:::*"]}]}`))
	as := func(access, secret string) *server.Client {
		cl, err := server.New(server.Target{Endpoint: srv.Endpoint, Region: "us-east-1", AccessKey: access, SecretKey: secret})
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	narrow := as("exp-narrow", "exp-narrow-secret")

	_, err := narrow.ExportAllBuckets(ctx)
	if !errors.Is(err, server.ErrExportDenied) || errors.Is(err, server.ErrExportUnsupported) || !server.ExportUnavailable(err) {
		t.Fatalf("export of every bucket without the permission: %v, want ErrExportDenied", err)
	}
	if server.Code(err) != server.CodeAccessDenied {
		t.Errorf("code of %v is %q", err, server.Code(err))
	}
	if hint := server.Explain(err).Error(); !strings.Contains(hint, "admin:ExportBucketMetadata") {
		t.Errorf("the explained error does not say what to grant: %s", hint)
	}
	for _, name := range []string{"exp-denied", "exp-no-such-bucket"} {
		if _, err := narrow.ExportBucket(ctx, name); !errors.Is(err, server.ErrExportDenied) {
			t.Errorf("export of %s without the permission: %v, want ErrExportDenied", name, err)
		}
	}
	// The fallback works for this identity.
	if live, err := narrow.ReadBucket(ctx, "exp-denied", all); err != nil || !live.Exists {
		t.Errorf("ReadBucket as the narrow identity: %+v, %v", live, err)
	}

	// Wrong credentials are not "export unavailable": reading attribute by attribute would fail too.
	_, err = as("exp-narrow", "not-the-secret").ExportAllBuckets(ctx)
	if err == nil || server.ExportUnavailable(err) || server.Code(err) != "SignatureDoesNotMatch" {
		t.Errorf("export with a wrong secret: %v (code %q), want SignatureDoesNotMatch", err, server.Code(err))
	}

	exporter := as("exp-exporter", "exp-exporter-secret")
	exp, err := exporter.ExportAllBuckets(ctx)
	if err != nil {
		t.Fatalf("export with admin:ExportBucketMetadata alone: %v", err)
	}
	if live, err := exp.Bucket("exp-denied"); err != nil || !live.Exists {
		t.Errorf("exp-denied in the export: %+v, %v", live, err)
	}
	if live, err := exporter.ExportBucket(ctx, "exp-denied"); err != nil || !live.Exists {
		t.Errorf("export of exp-denied with admin:ExportBucketMetadata alone: %+v, %v", live, err)
	}
}

// A server that is not MinIO (here a plain static file server, as a misrouted endpoint would
// be) gives ErrExportUnsupported, whether it answers 404 or a file that is not a zip archive.
func TestExportUnsupported(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	web := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer web.Close()
	c, err := server.New(server.Target{Endpoint: strings.TrimPrefix(web.URL, "http://"), Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ExportAllBuckets(ctx)
	if !errors.Is(err, server.ErrExportUnsupported) || errors.Is(err, server.ErrExportDenied) {
		t.Errorf("export of every bucket from a web server answering 404: %v, want ErrExportUnsupported", err)
	}
	// One bucket: the 404 is not MinIO's NoSuchBucket, so a HEAD decides; the web server has
	// no such bucket either, which is what ReadBucket would conclude too.
	if live, err := c.ExportBucket(ctx, "some-bucket"); err != nil || live.Exists {
		t.Errorf("export of one bucket from a web server answering 404: %+v, %v", live, err)
	}
	if live, err := c.ReadBucket(ctx, "some-bucket", all); err != nil || live.Exists {
		t.Errorf("ReadBucket from a web server answering 404: %+v, %v", live, err)
	}

	// The same server with a file where the export would be: 200, not a zip archive.
	p := filepath.Join(dir, "minio", "admin", "v3", "export-bucket-metadata")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("<html>hello</html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bucket := range []string{"", "some-bucket"} {
		var err error
		if bucket == "" {
			_, err = c.ExportAllBuckets(ctx)
		} else {
			_, err = c.ExportBucket(ctx, bucket)
		}
		if !errors.Is(err, server.ErrExportUnsupported) || !server.ExportUnavailable(err) {
			t.Errorf("export %q answered with a page that is not a zip archive: %v, want ErrExportUnsupported", bucket, err)
		}
	}
}
