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
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/kind/kindtest"
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

func live(owner string, b model.Bucket) *model.Live {
	return model.BucketLive{Exists: true, Owner: owner, State: b, Emptiness: model.Empty}.Live()
}

func bkey(name string) model.Key { return model.Key{Kind: model.KindBucket, ID: name} }

func nkey(name string) model.Key { return model.Key{Kind: kindtest.KindNote, ID: name} }

func note(id string, attrs map[string]model.Value) *model.Resource {
	r := model.NewResource(kindtest.KindNote, id)
	for k, v := range attrs {
		r.Set(k, v)
	}
	return r
}

var schemas = kind.Schemas(append(kind.All(), kindtest.Note{}))

// examplePlan is a plan with one change of every action and refusals, of buckets and of the
// test kind "note", built by the real diff from model values: what the golden files pin.
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

	// delete: an owned bucket no longer declared; refused: one that holds objects; release:
	// one given up with a removed block.
	gone := bucket("ci-gone", model.AttrTags)
	gone.Tags = map[string]string{"team": "old"}
	full := bucket("ci-full", model.AttrTags)
	fullLive := live(stack, full)
	fullLive.Emptiness = model.NotEmpty
	kept := bucket("ci-kept", model.AttrTags)
	kept.Tags = map[string]string{"team": "x"}

	rng := func(line int) *plan.Range {
		return &plan.Range{Filename: "main.hcl", Start: plan.Pos{Line: line, Column: 1}, End: plan.Pos{Line: line, Column: 20}}
	}
	entry := func(name string, attrs ...model.Attr) plan.IndexEntry {
		var names []string
		for _, a := range attrs {
			names = append(names, string(a))
		}
		return plan.IndexEntry{Address: "bucket." + strings.TrimPrefix(name, "ci-"), Attrs: names}
	}
	owned := map[model.Key]plan.Claim{}
	for _, n := range []string{"ci-data", "ci-policy", "ci-same", "ci-gone", "ci-full", "ci-kept"} {
		owned[bkey(n)] = plan.Claim{Stack: stack}
	}
	owned[bkey("ci-foreign")] = plan.Claim{Stack: "other"}
	// The test kind: a replace (its parent changes), a sensitive secret that differs.
	owned[nkey("memo")] = plan.Claim{Stack: stack}
	owned[nkey("pinned")] = plan.Claim{Stack: stack}
	in := plan.Input{
		Deployment: "main",
		Schemas:    schemas,
		Desired: []plan.Desired{
			{Address: "bucket.new", Resource: created.Resource(), Range: rng(10)},
			{Address: "bucket.data", Resource: want.Resource(), Range: rng(20)},
			{Address: "bucket.policy", Resource: wantPolicy.Resource(), Range: rng(30)},
			{Address: `bucket.legacy["a"]`, Resource: wantAdopt.Resource(), Range: rng(40)},
			{Address: "bucket.same", Resource: wantSame.Resource(), Range: rng(50)},
			{Address: "bucket.foreign", Resource: wantForeign.Resource(), Range: rng(60)},
			{Address: "note.memo", Resource: note("memo", map[string]model.Value{"text": model.String("hello"), "parent": model.String("b"),
				"secret": model.NewSecret("new-secret-value")}), Range: rng(70)},
		},
		Index: map[model.Key]plan.IndexEntry{
			bkey("ci-data"):   entry("ci-data", all...),
			bkey("ci-policy"): entry("ci-policy", model.AttrPolicy, model.AttrQuota),
			bkey("ci-same"):   entry("ci-same", model.AttrVersioning),
			bkey("ci-gone"):   entry("ci-gone", model.AttrTags),
			bkey("ci-full"):   entry("ci-full", model.AttrTags),
			bkey("ci-kept"):   entry("ci-kept", model.AttrTags),
			nkey("memo"):      {Address: "note.memo", Attrs: []string{"parent", "secret", "text"}},
			nkey("pinned"):    {Address: "note.pinned", Attrs: []string{"labels"}},
		},
		Claims: owned,
		Live: map[model.Key]*model.Live{
			bkey("ci-new"):     {State: model.NewResource(model.KindBucket, "ci-new")},
			bkey("ci-data"):    live(stack, drifted),
			bkey("ci-policy"):  live(stack, extra),
			bkey("ci-legacy"):  live("", legacy),
			bkey("ci-same"):    live(stack, same),
			bkey("ci-foreign"): live("other", bucket("ci-foreign", model.AttrTags)),
			bkey("ci-gone"):    live(stack, gone),
			bkey("ci-full"):    fullLive,
			bkey("ci-kept"):    live(stack, kept),
			nkey("memo"): {Exists: true, State: note("memo", map[string]model.Value{"text": model.String("hello"), "parent": model.String("a"),
				"secret": model.SecretDiffers})},
			nkey("pinned"): {Exists: true, State: note("pinned", map[string]model.Value{"labels": model.Tags{"keep": "yes"}})},
		},
		Removed: map[model.Key]plan.Removed{bkey("ci-kept"): {Keep: true, Range: rng(80)}},
	}
	return plan.Diff(stack, false, nil, []plan.Input{in})
}

func exampleDocument() *plan.Document {
	return examplePlan().Document(plan.DocumentInput{Schemas: schemas, Outputs: exampleOutputs(),
		Deployments: map[string]plan.DeploymentDoc{"main": {Endpoint: "minio:9000", Read: "export"}}})
}

func exampleOutputs() map[string]plan.OutputDoc {
	return map[string]plan.OutputDoc{
		"bucket_name":  {Known: true, Value: json.RawMessage(`"ci-data"`)},
		"upload_url":   {Sensitive: true},
		"db_password":  {Sensitive: true, Known: true, Value: json.RawMessage(`"hunter2-secret"`)},
		"download_url": {Known: false},
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
	if len(p.Refusals) != 3 {
		t.Fatalf("the example plan should have three refusals, has %+v", p.Refusals)
	}
	seen := map[plan.Action]bool{}
	for _, c := range p.Changes {
		seen[c.Action] = true
	}
	for _, a := range plan.Actions {
		if !seen[a] {
			t.Errorf("the example plan has no %s change", a)
		}
	}
	doc := exampleDocument()
	var human, js, md bytes.Buffer
	WritePlan(&human, doc, Style{})
	if err := WriteJSON(&js, doc); err != nil {
		t.Fatal(err)
	}
	WriteMarkdown(&md, doc)
	golden(t, "plan.txt", human.String())
	golden(t, "plan.json", js.String())
	golden(t, "plan.md", md.String())
}

func TestGoldenTargetedDestroyPlan(t *testing.T) {
	gone := bucket("ci-gone", model.AttrTags)
	gone.Tags = map[string]string{"team": "old"}
	in := plan.Input{Deployment: "main", Schemas: schemas,
		Desired: []plan.Desired{{Address: "bucket.gone", Resource: bucket("ci-gone").Resource()}, {Address: "bucket.kept", Resource: bucket("ci-kept").Resource()}},
		Index:   map[model.Key]plan.IndexEntry{bkey("ci-gone"): {Address: "bucket.gone"}, bkey("ci-kept"): {Address: "bucket.kept"}},
		Claims:  map[model.Key]plan.Claim{bkey("ci-gone"): {Stack: stack}, bkey("ci-kept"): {Stack: stack}},
		Live:    map[model.Key]*model.Live{bkey("ci-gone"): live(stack, gone), bkey("ci-kept"): live(stack, bucket("ci-kept"))}}
	p := plan.Diff(stack, true, []string{"bucket.gone"}, []plan.Input{in})
	doc := p.Document(plan.DocumentInput{Schemas: schemas, Outputs: exampleOutputs(), Notes: []plan.NoteDoc{{Code: "targets",
		Text: "-target limits this plan to bucket.gone. Other resources were not read, so it does not show whether they drifted."}}})
	var human, js, md bytes.Buffer
	WritePlan(&human, doc, Style{})
	if err := WriteJSON(&js, doc); err != nil {
		t.Fatal(err)
	}
	WriteMarkdown(&md, doc)
	golden(t, "destroy_target.txt", human.String())
	golden(t, "destroy_target.json", js.String())
	golden(t, "destroy_target.md", md.String())
}

func TestNoChanges(t *testing.T) {
	p := &plan.Plan{Stack: stack, Changes: []plan.Change{{Kind: model.KindBucket, Address: "bucket.a", Deployment: "main", ID: "a", Action: plan.NoOp,
		Before: model.NewResource(model.KindBucket, "a"), After: model.NewResource(model.KindBucket, "a")}}}
	doc := p.Document(plan.DocumentInput{Schemas: schemas, Outputs: exampleOutputs()})
	var human, md bytes.Buffer
	WritePlan(&human, doc, Style{})
	if human.String() != NoChangesLine+"\n" {
		t.Errorf("human plan without changes = %q, want only the closing line", human.String())
	}
	WriteMarkdown(&md, doc)
	if !strings.Contains(md.String(), ":white_check_mark: "+NoChangesLine) || strings.Contains(md.String(), "<details>") {
		t.Errorf("Markdown without changes:\n%s", md.String())
	}
	if doc.Summary != (plan.Summary{}) || len(doc.Changes) != 1 || doc.Changes[0].Action != plan.NoOp || len(doc.Changes[0].ChangedAttributes) != 0 {
		t.Errorf("JSON without changes: %+v", doc)
	}
}

// TestSensitiveValuesNeverRendered: neither a sensitive output's value nor a declared secret
// reaches any rendering, even when the caller hands them over.
func TestSensitiveValuesNeverRendered(t *testing.T) {
	doc := exampleDocument()
	var all bytes.Buffer
	WritePlan(&all, doc, Style{Color: true})
	if err := WriteJSON(&all, doc); err != nil {
		t.Fatal(err)
	}
	WriteMarkdown(&all, doc)
	WriteOutputs(&all, doc.Outputs)
	for _, secret := range []string{"hunter2", "new-secret-value"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("a sensitive value (%s) was rendered:\n%s", secret, all.String())
		}
	}
	if !strings.Contains(all.String(), "secret = (sensitive)") {
		t.Errorf("a changed secret must show as (sensitive):\n%s", all.String())
	}
}

// TestRenderingsAgree: the human, JSON and Markdown plans are rendered from the same document:
// the same closing line, and every change, changed attribute and refusal in each.
func TestRenderingsAgree(t *testing.T) {
	doc := exampleDocument()
	var human, md, js bytes.Buffer
	WritePlan(&human, doc, Style{})
	WriteMarkdown(&md, doc)
	if err := WriteJSON(&js, doc); err != nil {
		t.Fatal(err)
	}
	var back plan.Document
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	// The document read back renders the same: show renders a plan file's document.
	var again bytes.Buffer
	WritePlan(&again, &back, Style{})
	if again.String() != human.String() {
		t.Errorf("the document read back from JSON renders differently:\n%s\n---\n%s", again.String(), human.String())
	}
	line := PlanLine(doc)
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
			if !strings.Contains(human.String(), a+" ") || !strings.Contains(md.String(), "`"+a+"`") {
				t.Errorf("changed attribute %s of %s missing from the human or Markdown plan", a, c.Address)
			}
		}
	}
	for _, r := range doc.Refusals {
		if !strings.Contains(human.String(), r.Address+": "+r.Reason) || !strings.Contains(md.String(), "`"+r.Address+"`") {
			t.Errorf("refusal of %s missing from the human or Markdown plan", r.Address)
		}
		if r.Code == "" || (r.Range != nil && !strings.Contains(human.String(), r.Reason+"\n      "+Where(r.Range))) {
			t.Errorf("refusal of %s has no code, or its source range is not shown: %+v", r.Address, r)
		}
		if (r.Range != nil) != (r.Address == "bucket.foreign") {
			t.Errorf("refusal of %s: a refusal of a declared resource carries its block's range, one of an undeclared resource none: %+v", r.Address, r.Range)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	p := &plan.Plan{Stack: "s", Refusals: []plan.Refusal{{Kind: model.KindBucket, Address: `bucket.t["a|b"]`, Deployment: "main", ID: "b",
		Reason: "<script>alert(1)</script> | and\nmore"}}}
	var md bytes.Buffer
	WriteMarkdown(&md, p.Document(plan.DocumentInput{Schemas: schemas}))
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

// TestControlCharactersAreEscaped: text from the server (a policy statement someone wrote
// with an escape sequence, an odd tag) reaches no view raw: the human plan and the Markdown
// summary escape it, so it cannot clear or rewrite what is shown before "yes".
func TestControlCharactersAreEscaped(t *testing.T) {
	hostile := "x\x1b[2J\x1b[31mfake\u202e\r\n"
	p := &plan.Plan{Stack: "s", Changes: []plan.Change{{Kind: model.KindBucket, Address: "bucket.a", Deployment: "main", ID: "a", Action: plan.Update,
		Before: model.NewResource(model.KindBucket, "a"), After: model.NewResource(model.KindBucket, "a"),
		Attrs: []plan.AttrChange{{Attr: "tags", Name: "tags", Before: model.Tags{"k": hostile}, After: model.Tags{"k": "v"}, Changed: true}},
		Notes: []plan.Note{{Code: "n", Text: hostile}}}},
		Refusals: []plan.Refusal{{Kind: model.KindBucket, Address: "bucket.b", ID: "b", Code: "c", Reason: hostile}}}
	doc := p.Document(plan.DocumentInput{Schemas: schemas})
	var human, md bytes.Buffer
	WritePlan(&human, doc, Style{})
	WriteMarkdown(&md, doc)
	for name, out := range map[string]string{"human": human.String(), "markdown": md.String()} {
		if strings.ContainsAny(out, "\x1b\r\u202e") {
			t.Errorf("the %s plan holds a raw control character:\n%q", name, out)
		}
		if !strings.Contains(out, `\x1b[2J`) {
			t.Errorf("the %s plan does not show the escaped sequence:\n%s", name, out)
		}
	}
}
