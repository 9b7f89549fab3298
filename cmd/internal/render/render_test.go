package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const stack = "ci"

func canned(mode, bucket string) policy.Document {
	d, _ := policy.Canned(mode, bucket)
	return d
}

func bucket(name string, attrs ...model.Attr) model.Bucket {
	return model.Bucket{Name: name, Attrs: model.NewAttrSet(attrs...), Tags: map[string]string{}}
}

func live(owner string, b model.Bucket) model.Live {
	return model.Live{Exists: true, Owner: owner, State: b, Emptiness: model.Empty}
}

// examplePlan is a plan with one change of every kind, built by the real diff from model values:
// what the golden files pin.
func examplePlan() *plan.Plan {
	all := []model.Attr{model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrLifecycle}

	// create: every attribute, a custom policy, two lifecycle rules.
	created := bucket("ci-new", model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrObjectLock, model.AttrLifecycle)
	created.Policy = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ci-new/public/*"}]}`)
	created.Versioning = model.VersioningEnabled
	created.Quota = 100 << 30
	created.Tags = map[string]string{"team": "ml", "cost centre": "42"}
	created.ObjectLock = true
	created.Lifecycle = []model.LifecycleRule{
		{ID: "expire-tmp", Prefix: "tmp/", ExpirationDays: 7},
		{ID: "old-versions", NoncurrentExpirationDays: 30},
	}

	// update: drift made by hand on every attribute.
	want := bucket("ci-data", all...)
	want.Policy = canned(policy.Download, "ci-data")
	want.Versioning = model.VersioningEnabled
	want.Quota = 1 << 30
	want.Tags = map[string]string{"team": "ml"}
	want.Lifecycle = []model.LifecycleRule{{ID: "expire-tmp", Prefix: "tmp/", ExpirationDays: 7}}
	drifted := bucket("ci-data", model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrLifecycle, model.AttrObjectLock)
	drifted.Policy = canned(policy.Public, "ci-data")
	drifted.Versioning = model.VersioningSuspended
	drifted.Quota = 2 << 30
	drifted.Tags = map[string]string{"team": "ops", "extra": "1"}
	drifted.Lifecycle = []model.LifecycleRule{{ID: "expire-tmp", Prefix: "tmp/", ExpirationDays: 9}, {ID: "by-hand", Prefix: "logs/", ExpirationDays: 3}}

	// update: a statement added by hand to a canned policy, and a quota no longer declared.
	wantPolicy := bucket("ci-policy", model.AttrPolicy)
	wantPolicy.Policy = canned(policy.Download, "ci-policy")
	extra := bucket("ci-policy", model.AttrPolicy, model.AttrQuota, model.AttrTags)
	extra.Policy = policy.MustParse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::ci-policy"]},
		{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::ci-policy/*"]}]}`)
	extra.Quota = 5 << 30

	// adopt: an existing bucket no stack owns, whose declared tags already match.
	wantAdopt := bucket("ci-legacy", model.AttrTags)
	wantAdopt.Tags = map[string]string{"team": "ml"}
	legacy := bucket("ci-legacy", model.AttrTags)
	legacy.Tags = map[string]string{"team": "ml"}

	// no-op.
	wantSame := bucket("ci-same", model.AttrVersioning)
	wantSame.Versioning = model.VersioningEnabled
	same := bucket("ci-same", model.AttrVersioning, model.AttrTags)
	same.Versioning = model.VersioningEnabled

	// refused: another stack's bucket.
	wantForeign := bucket("ci-foreign", model.AttrVersioning)
	wantForeign.Versioning = model.VersioningEnabled

	// delete: an owned bucket no longer declared; refused: one that holds objects.
	gone := bucket("ci-gone", model.AttrTags)
	gone.Tags = map[string]string{"team": "old"}
	full := bucket("ci-full", model.AttrTags)
	fullLive := live(stack, full)
	fullLive.Emptiness = model.NotEmpty

	entry := func(name string, attrs ...model.Attr) plan.IndexEntry {
		return plan.IndexEntry{Address: "bucket." + strings.TrimPrefix(name, "ci-"), Attrs: model.NewAttrSet(attrs...)}
	}
	in := plan.Input{
		Deployment: "main",
		Stack:      stack,
		Desired: []plan.Desired{
			{Address: "bucket.new", State: created},
			{Address: "bucket.data", State: want},
			{Address: "bucket.policy", State: wantPolicy},
			{Address: `bucket.legacy["a"]`, State: wantAdopt},
			{Address: "bucket.same", State: wantSame},
			{Address: "bucket.foreign", State: wantForeign},
		},
		Index: map[string]plan.IndexEntry{
			"ci-data":   entry("ci-data", all...),
			"ci-policy": entry("ci-policy", model.AttrPolicy, model.AttrQuota),
			"ci-same":   entry("ci-same", model.AttrVersioning),
			"ci-gone":   entry("ci-gone", model.AttrTags),
			"ci-full":   entry("ci-full", model.AttrTags),
		},
		Live: map[string]model.Live{
			"ci-new":     {},
			"ci-data":    live(stack, drifted),
			"ci-policy":  live(stack, extra),
			"ci-legacy":  live("", legacy),
			"ci-same":    live(stack, same),
			"ci-foreign": live("other", bucket("ci-foreign", model.AttrTags)),
			"ci-gone":    live(stack, gone),
			"ci-full":    fullLive,
		},
	}
	return plan.Diff(stack, false, []plan.Input{in})
}

func exampleOutputs() []Output {
	return []Output{
		{Name: "bucket_name", Known: true, Value: json.RawMessage(`"ci-data"`)},
		{Name: "upload_url", Sensitive: true},
		{Name: "db_password", Sensitive: true, Known: true, Value: json.RawMessage(`"hunter2-secret"`)},
		{Name: "download_url", Known: false},
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./cmd/internal/render -update rewrites it; review the diff):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGoldenPlan(t *testing.T) {
	p := examplePlan()
	if len(p.Refusals) != 2 {
		t.Fatalf("the example plan should have two refusals, has %+v", p.Refusals)
	}
	var human, js, md bytes.Buffer
	WritePlan(&human, p, exampleOutputs(), Style{})
	if err := WriteJSON(&js, p, exampleOutputs()); err != nil {
		t.Fatal(err)
	}
	WriteMarkdown(&md, p)
	golden(t, "plan.txt", human.String())
	golden(t, "plan.json", js.String())
	golden(t, "plan.md", md.String())
}

func TestGoldenTargetedDestroyPlan(t *testing.T) {
	gone := bucket("ci-gone", model.AttrTags)
	gone.Tags = map[string]string{"team": "old"}
	in := plan.Input{Deployment: "main", Stack: stack, Destroy: true, Targets: []string{"bucket.gone"},
		Desired: []plan.Desired{{Address: "bucket.gone", State: bucket("ci-gone")}, {Address: "bucket.kept", State: bucket("ci-kept")}},
		Index:   map[string]plan.IndexEntry{"ci-gone": {Address: "bucket.gone"}, "ci-kept": {Address: "bucket.kept"}},
		Live:    map[string]model.Live{"ci-gone": live(stack, gone), "ci-kept": live(stack, bucket("ci-kept"))}}
	p := plan.Diff(stack, true, []plan.Input{in})
	p.Targets = []string{"bucket.gone"}
	var human, js, md bytes.Buffer
	WritePlan(&human, p, exampleOutputs(), Style{})
	if err := WriteJSON(&js, p, exampleOutputs()); err != nil {
		t.Fatal(err)
	}
	WriteMarkdown(&md, p)
	golden(t, "destroy_target.txt", human.String())
	golden(t, "destroy_target.json", js.String())
	golden(t, "destroy_target.md", md.String())
}

func TestNoChanges(t *testing.T) {
	p := &plan.Plan{Stack: stack, Changes: []plan.Change{{Address: "bucket.a", Deployment: "main", Bucket: "a", Action: plan.NoOp,
		Before: &model.Bucket{Name: "a", Attrs: model.AttrSet{}}, After: &model.Bucket{Name: "a", Attrs: model.AttrSet{}}}}}
	var human, md bytes.Buffer
	WritePlan(&human, p, exampleOutputs(), Style{})
	if human.String() != NoChangesLine+"\n" {
		t.Errorf("human plan without changes = %q, want only the closing line", human.String())
	}
	WriteMarkdown(&md, p)
	if !strings.Contains(md.String(), ":white_check_mark: "+NoChangesLine) || strings.Contains(md.String(), "<details>") {
		t.Errorf("Markdown without changes:\n%s", md.String())
	}
	doc := Document(p, nil)
	if doc.Summary != (plan.Summary{}) || len(doc.Changes) != 1 || doc.Changes[0].Action != plan.NoOp || len(doc.Changes[0].ChangedAttributes) != 0 {
		t.Errorf("JSON without changes: %+v", doc)
	}
}

// TestJSONSchema pins the keys of the JSON plan: the spec's keys and the ones the README (section "CI")
// documents, no more and no fewer. A new key is a deliberate change to this test and the docs.
func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, examplePlan(), exampleOutputs()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m any) string {
		var ks []string
		for k := range m.(map[string]any) {
			ks = append(ks, k)
		}
		return strings.Join(sorted(ks), ",")
	}
	check := func(what string, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s keys = %s, want %s", what, got, want)
		}
	}
	check("document", keys(doc), "changes,destroy,format_version,outputs,refusals,stack,summary,targets")
	check("summary", keys(doc["summary"]), "add,change,destroy")
	check("refusal", keys(doc["refusals"].([]any)[0]), "address,bucket,deployment,reason")
	for _, c := range doc["changes"].([]any) {
		c := c.(map[string]any)
		k := keys(c)
		if _, ok := c["notes"]; ok {
			k = strings.Replace(k, ",notes", "", 1)
		}
		check("change "+c["address"].(string), k, "action,address,after,before,bucket,changed_attributes,deployment")
		// Every changed attribute is a key of before and after (after alone for a create).
		for _, a := range c["changed_attributes"].([]any) {
			if after, ok := c["after"].(map[string]any); ok {
				if _, ok := after[a.(string)]; !ok {
					t.Errorf("%s: changed attribute %s is not in after", c["address"], a)
				}
			}
			if before, ok := c["before"].(map[string]any); ok {
				if _, ok := before[a.(string)]; !ok {
					t.Errorf("%s: changed attribute %s is not in before", c["address"], a)
				}
			}
		}
	}
	check("sensitive output", keys(doc["outputs"].(map[string]any)["upload_url"]), "known,sensitive")
	check("known output", keys(doc["outputs"].(map[string]any)["bucket_name"]), "known,sensitive,value")
	if doc["format_version"] != "1" {
		t.Errorf("format_version = %v", doc["format_version"])
	}
}

// TestSensitiveOutputsNeverRendered: a sensitive output's value never reaches any rendering, even
// when the caller hands it over.
func TestSensitiveOutputsNeverRendered(t *testing.T) {
	p := examplePlan()
	var all bytes.Buffer
	WritePlan(&all, p, exampleOutputs(), Style{Color: true})
	if err := WriteJSON(&all, p, exampleOutputs()); err != nil {
		t.Fatal(err)
	}
	WriteMarkdown(&all, p)
	WriteOutputs(&all, exampleOutputs())
	if strings.Contains(all.String(), "hunter2") {
		t.Errorf("a sensitive output value was rendered:\n%s", all.String())
	}
}

// TestRenderingsAgree: the human, JSON and Markdown plans are rendered from the same values:
// the same closing line, and every change and refusal in each.
func TestRenderingsAgree(t *testing.T) {
	p := examplePlan()
	var human, md bytes.Buffer
	WritePlan(&human, p, nil, Style{})
	WriteMarkdown(&md, p)
	doc := Document(p, nil)
	line := PlanLine(doc.Summary)
	if !strings.HasSuffix(human.String(), line+"\n") || !strings.Contains(md.String(), "**"+line+"**") {
		t.Errorf("closing line %q missing from the human or Markdown plan", line)
	}
	for _, c := range doc.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		if !strings.Contains(human.String(), "# "+c.Address+" ") || !strings.Contains(md.String(), "`"+c.Address+"`") {
			t.Errorf("change %s missing from the human or Markdown plan", c.Address)
		}
		for _, a := range c.ChangedAttributes {
			if c.Action != plan.Create && !strings.Contains(human.String(), a+" ") {
				t.Errorf("changed attribute %s of %s missing from the human plan", a, c.Address)
			}
		}
	}
	for _, r := range doc.Refusals {
		if !strings.Contains(human.String(), r.Address+": "+r.Reason) || !strings.Contains(md.String(), "`"+r.Address+"`") {
			t.Errorf("refusal of %s missing from the human or Markdown plan", r.Address)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	p := &plan.Plan{Stack: "s", Refusals: []plan.Refusal{{Address: `bucket.t["a|b"]`, Deployment: "main", Bucket: "b",
		Reason: "<script>alert(1)</script> | and\nmore"}}}
	var md bytes.Buffer
	WriteMarkdown(&md, p)
	out := md.String()
	for _, bad := range []string{"<script>", "a|b", "\nmore"} {
		if strings.Contains(out, bad) {
			t.Errorf("Markdown holds %q unescaped:\n%s", bad, out)
		}
	}
	if got := diffMarkers("  ~ bucket \"a\" {\n      + tags = {}\n    }\n"); got != "!   bucket \"a\" {\n+       tags = {}\n    }\n" {
		t.Errorf("diffMarkers = %q", got)
	}
}

func sorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}
