package planfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/plan"
)

// example returns a plan file whose plan has a create with a custom policy and lifecycle rules,
// an update, an adopt and a delete.
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
	key := func(n string) model.Key { return model.Key{Kind: model.KindBucket, ID: n} }
	live := map[model.Key]*model.Live{
		key("new"):    {State: model.NewResource(model.KindBucket, "new")},
		key("data"):   model.BucketLive{Exists: true, Owner: "ci", State: liveData}.Live(),
		key("legacy"): model.BucketLive{Exists: true, State: legacy}.Live(),
		key("gone"):   model.BucketLive{Exists: true, Owner: "ci", State: gone, Emptiness: model.Empty}.Live(),
	}
	schemas := kind.Schemas(kind.All())
	p := plan.Diff("ci", false, nil, []plan.Input{{
		Deployment: "main", Schemas: schemas,
		Desired: []plan.Desired{{Address: "bucket.new", Resource: want.Resource()}, {Address: "bucket.data", Resource: data.Resource()},
			{Address: "bucket.legacy", Resource: model.Bucket{Name: "legacy", Attrs: model.AttrSet{}}.Resource()}},
		Index: map[model.Key]plan.IndexEntry{key("data"): {Address: "bucket.data", Attrs: []string{"policy", "versioning"}},
			key("gone"): {Address: "bucket.gone", Attrs: []string{"tags"}}},
		Claims: map[model.Key]plan.Claim{key("data"): {Stack: "ci"}, key("gone"): {Stack: "ci"}},
		Live:   live,
	}})
	doc := p.Document(plan.DocumentInput{Schemas: schemas, Outputs: map[string]plan.OutputDoc{
		"url": {Sensitive: true}, "name": {Known: true, Value: []byte(`"data"`)}}})
	return &File{
		BucketformVersion: "test",
		CreatedAt:         time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC),
		Dir:               "/work/config",
		Stack:             "ci",
		Targets:           []string{"bucket.data"},
		Deployments:       map[string]Deployment{"main": {Endpoint: "minio:9000", Region: "us-east-1"}},
		Plan:              doc,
	}
}

// TestRoundTrip: a plan read back from its file is the same plan as the one written
// (plan.Differences finds nothing), renders the same, and holds no output value.
func TestRoundTrip(t *testing.T) {
	f := example()
	if s := f.Plan.Summary; s.Add != 1 || s.Change != 2 || s.Destroy != 1 {
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
	if diffs := plan.Differences(got.Plan, f.Plan); len(diffs) > 0 {
		t.Errorf("the plan read back differs from the one written: %v", diffs)
	}
	if diffs := plan.Differences(f.Plan, got.Plan); len(diffs) > 0 {
		t.Errorf("the plan written differs from the one read back: %v", diffs)
	}
	if got.Plan.Outputs["name"].Value != nil {
		t.Errorf("an output value was stored: %s", got.Plan.Outputs["name"].Value)
	}
	if f.Plan.Outputs["name"].Value == nil {
		t.Errorf("Write changed the caller's document")
	}
	got.Plan, f.Plan = nil, nil
	if !reflect.DeepEqual(got, f) {
		t.Errorf("header read back differs:\n got %+v\nwant %+v", got, f)
	}
}

// TestDifferencesSeeEveryChange: plans that differ in an action, a value before or after, or a
// refusal are told apart, with the address in the sentence.
func TestDifferencesSeeEveryChange(t *testing.T) {
	base := example().Plan
	edit := func(f func(d *plan.Document)) *plan.Document {
		data, _ := json.Marshal(base)
		var d plan.Document
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		f(&d)
		return &d
	}
	for _, tc := range []struct {
		name string
		edit func(d *plan.Document)
		want string
	}{
		{"action", func(d *plan.Document) { d.Changes[0].Action = plan.Adopt }, "bucket \"data\": the plan would adopt it, and now it would update it"},
		{"before", func(d *plan.Document) { d.Changes[0].Attributes[1].BeforeText = `"enabled"` }, "versioning was"},
		{"id", func(d *plan.Document) { d.Changes[1].ID = "victim" }, `(bucket "victim"): the plan would delete it, and now it is not in the plan`},
		{"address", func(d *plan.Document) { d.Changes[1].Address = "bucket.other" }, `the plan calls it bucket.other, and now bucket.gone`},
		{"summary", func(d *plan.Document) { d.Summary.Destroy = 0 }, "the plan would add 1, change 2 and destroy 0"},
		{"force_destroy", func(d *plan.Document) { d.Changes[1].ForceDestroy = true }, "force_destroy changed"},
		{"missing", func(d *plan.Document) { d.Changes = d.Changes[1:] }, `bucket.data (bucket "data"): not in the plan, and now it would update it`},
		{"refusal", func(d *plan.Document) {}, ""},
	} {
		saved := edit(tc.edit)
		diffs := plan.Differences(saved, base)
		if tc.want == "" {
			if len(diffs) > 0 {
				t.Errorf("%s: an unedited plan differs: %v", tc.name, diffs)
			}
			continue
		}
		if !strings.Contains(strings.Join(diffs, "\n"), tc.want) {
			t.Errorf("%s: differences %q lack %q", tc.name, diffs, tc.want)
		}
	}
	now := edit(func(d *plan.Document) {
		d.Refusals = append(d.Refusals, plan.RefusalDoc{Address: "bucket.x", Reason: "holds objects"})
	})
	if diffs := plan.Differences(base, now); len(diffs) != 1 || !strings.Contains(diffs[0], "now refused: holds objects") {
		t.Errorf("a refusal that appeared: %v", diffs)
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
		{"future.plan", `{"format_version": "9", "plan": {}}`, `has plan format "9"`},
		{"old.plan", `{"format_version": "1", "plan": {}, "snapshot": {}}`, `has plan format "1"`},
		{"half.plan", `{"format_version": "2", "stack": "ci"}`, "is not a complete bucketform plan file"},
		{"other.json", `{"name": "something else"}`, "is not a bucketform plan file: it has no format_version"},
		{"renamed.plan", `{"format_version": "2", "plan": {"changes": [{"address": "bucket.a", "writez": []}]}}`,
			`cannot be read by this bucketform (json: unknown field "writez")`},
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
