package planfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
)

// example returns a plan file whose plan has a create with a custom policy and lifecycle rules,
// an update, an adopt and a delete, and the snapshot it was made from.
func example() *File {
	custom := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
		"Resource":"arn:aws:s3:::new/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}}]}`)
	download, _ := policy.Canned(policy.Download, "data")
	want := model.Bucket{Name: "new", Attrs: model.NewAttrSet(model.AttrPolicy, model.AttrQuota, model.AttrLifecycle, model.AttrObjectLock),
		Policy: custom, Quota: 1 << 30, ObjectLock: true,
		Lifecycle: []model.LifecycleRule{{ID: "tmp", Prefix: "tmp/", ExpirationDays: 7}, {ID: "old", NoncurrentExpirationDays: 30}}}
	data := model.Bucket{Name: "data", Attrs: model.NewAttrSet(model.AttrPolicy, model.AttrVersioning), Policy: download, Versioning: model.VersioningEnabled}
	liveData := model.Bucket{Name: "data", Attrs: model.NewAttrSet(model.AttrPolicy, model.AttrVersioning, model.AttrTags),
		Versioning: model.VersioningSuspended, Tags: map[string]string{"team": "ml"}}
	legacy := model.Bucket{Name: "legacy", Attrs: model.NewAttrSet(model.AttrTags), Tags: map[string]string{"by": "hand"}}
	gone := model.Bucket{Name: "gone", Attrs: model.NewAttrSet(model.AttrTags), Tags: map[string]string{}}
	live := map[string]model.Live{
		"new":    {},
		"data":   {Exists: true, Owner: "ci", State: liveData},
		"legacy": {Exists: true, State: legacy},
		"gone":   {Exists: true, Owner: "ci", State: gone, Emptiness: model.Empty},
	}
	idx := ownership.Index{FormatVersion: ownership.FormatVersion, Stack: "ci", Buckets: map[string]ownership.Entry{
		"data": ownership.NewEntry("bucket.data", model.NewAttrSet(model.AttrPolicy, model.AttrVersioning)),
		"gone": ownership.NewEntry("bucket.gone", model.NewAttrSet(model.AttrTags)),
	}}
	p := plan.Diff("ci", false, []plan.Input{{
		Deployment: "main", Stack: "ci",
		Desired: []plan.Desired{{Address: "bucket.new", State: want}, {Address: "bucket.data", State: data},
			{Address: "bucket.legacy", State: model.Bucket{Name: "legacy", Attrs: model.AttrSet{}}}},
		Index: map[string]plan.IndexEntry{"data": {Address: "bucket.data", Attrs: model.NewAttrSet(model.AttrPolicy, model.AttrVersioning)},
			"gone": {Address: "bucket.gone", Attrs: model.NewAttrSet(model.AttrTags)}},
		Live: live,
	}})
	return &File{
		BucketformVersion: "test",
		CreatedAt:         time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC),
		Dir:               "/work/config",
		Stack:             "ci",
		StateBucket:       "bucketform-state",
		Targets:           []string{"bucket.data"},
		Deployments:       map[string]Deployment{"main": {Endpoint: "minio:9000", Region: "us-east-1"}},
		Outputs:           []Output{{Name: "url", Sensitive: true}, {Name: "name", Known: true}},
		Plan:              p,
		Snapshot: &engine.Snapshot{ReadAt: time.Date(2026, 11, 23, 6, 59, 0, 0, time.UTC), Deployments: map[string]*engine.DeploymentSnapshot{
			"main": {Endpoint: "minio:9000", Index: ownership.Snapshot{Index: idx, ETag: `"abc"`}, Live: live},
		}},
	}
}

// TestRoundTrip: a plan read back from its file is the plan that was written, to the last field
// apply uses (writes, index updates, kept tags, policies, lifecycle rules), and so is the snapshot
// the stale check compares with.
func TestRoundTrip(t *testing.T) {
	f := example()
	if s := f.Plan.Summary(); s.Add != 1 || s.Change != 2 || s.Destroy != 1 {
		t.Fatalf("the example plan is not what the test needs: %+v %+v", s, f.Plan.Refusals)
	}
	path := filepath.Join(t.TempDir(), "ci.plan")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan, f.Plan) {
		t.Errorf("plan read back differs:\n got %+v\nwant %+v", got.Plan, f.Plan)
	}
	if !reflect.DeepEqual(got.Snapshot, f.Snapshot) {
		t.Errorf("snapshot read back differs:\n got %+v\nwant %+v", got.Snapshot, f.Snapshot)
	}
	if diffs := engine.Differences(f.Snapshot, got.Snapshot); len(diffs) > 0 {
		t.Errorf("the snapshot read back is stale against itself: %v", diffs)
	}
	got.Plan, got.Snapshot, f.Plan, f.Snapshot = nil, nil, nil, nil
	if !reflect.DeepEqual(got, f) {
		t.Errorf("header read back differs:\n got %+v\nwant %+v", got, f)
	}
}

// TestWriteMode: the file has mode 0600, also when it replaces a file with a wider mode, and no
// temporary file is left behind.
func TestWriteMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ci.plan")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, example()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %v, want only the plan file", entries)
	}
	if err := Write(dir, example()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Write over a directory: %v", err)
	}
}

func TestReadRejects(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ name, content, want string }{
		{"main.hcl", "bucketform {\n  stack = \"x\"\n}\n", "is not a bucketform plan file"},
		{"future.plan", `{"format_version": "9", "plan": {}, "snapshot": {}}`, `has plan format "9"`},
		{"half.plan", `{"format_version": "1", "stack": "ci"}`, "is not a complete bucketform plan file"},
		{"other.json", `{"name": "something else"}`, "is not a bucketform plan file: it has no format_version"},
		{"renamed.plan", `{"format_version": "1", "plan": {"Changes": [{"Address": "bucket.a", "Writez": []}]}, "snapshot": {}}`,
			`cannot be read by this bucketform (json: unknown field "Writez")`},
	} {
		_, err := Read(write(tc.name, tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing.plan")); err == nil {
		t.Error("Read of a missing file succeeded")
	}
}
