package bench

import (
	"io"
	"testing"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/plan"
)

// The pure parts of a plan of 10,000 buckets, without a server: the diff, the rendering, and
// parsing the policies a refresh reads. Run with
//
//	go test -run '^$' -bench . -benchmem ./cmd/internal/bench/

const pureN = 10000

// pureInput returns the diff input of a stack that declares and owns pureN buckets; with live
// set, every bucket exists as declared (a plan with no changes), else none exists (creates).
func pureInput(tb testing.TB, live bool) plan.Input {
	tb.Helper()
	in := plan.Input{Deployment: "main", Schemas: kind.Schemas(kind.All()), Index: map[model.Key]plan.IndexEntry{},
		Claims: map[model.Key]plan.Claim{}, Live: map[model.Key]*model.Live{}}
	attrs := model.NewAttrSet(model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags)
	for _, t := range Tenants("pure", pureN) {
		doc, _ := policy.Canned(policy.Download, t.Name)
		want := model.Bucket{Name: t.Name, Attrs: attrs, Policy: doc, Versioning: model.VersioningEnabled, Quota: t.Quota, Tags: t.Tags()}
		in.Desired = append(in.Desired, plan.Desired{Address: t.Address(), Resource: want.Resource()})
		if !live {
			continue
		}
		key := model.Key{Kind: model.KindBucket, ID: t.Name}
		in.Index[key] = plan.IndexEntry{Address: t.Address(), Attrs: []string{"policy", "quota", "tags", "versioning"}}
		in.Claims[key] = plan.Claim{Stack: "bench"}
		serverDoc, err := policy.Parse(DownloadPolicy(t.Name))
		if err != nil {
			tb.Fatal(err)
		}
		got := want
		got.Policy, got.Tags = serverDoc, t.Tags()
		in.Live[key] = model.BucketLive{Exists: true, Owner: "bench", State: got}.Live()
	}
	return in
}

func BenchmarkDiffNoChanges10000(b *testing.B) {
	in := pureInput(b, true)
	for b.Loop() {
		p := plan.Diff("bench", false, nil, []plan.Input{in})
		if p.HasChanges() {
			b.Fatal("changes")
		}
	}
}

func BenchmarkDiffCreates10000(b *testing.B) {
	in := pureInput(b, false)
	for b.Loop() {
		if p := plan.Diff("bench", false, nil, []plan.Input{in}); p.Summary().Add != pureN {
			b.Fatal("not all created")
		}
	}
}

func document(p *plan.Plan) *plan.Document {
	return p.Document(plan.DocumentInput{Schemas: kind.Schemas(kind.All())})
}

func BenchmarkDocumentCreates10000(b *testing.B) {
	p := plan.Diff("bench", false, nil, []plan.Input{pureInput(b, false)})
	for b.Loop() {
		document(p)
	}
}

func BenchmarkRenderHumanCreates10000(b *testing.B) {
	doc := document(plan.Diff("bench", false, nil, []plan.Input{pureInput(b, false)}))
	for b.Loop() {
		render.WritePlan(io.Discard, doc, render.Style{})
	}
}

func BenchmarkRenderJSONCreates10000(b *testing.B) {
	doc := document(plan.Diff("bench", false, nil, []plan.Input{pureInput(b, false)}))
	for b.Loop() {
		if err := render.WriteJSON(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderHumanNoChanges10000(b *testing.B) {
	doc := document(plan.Diff("bench", false, nil, []plan.Input{pureInput(b, true)}))
	for b.Loop() {
		render.WritePlan(io.Discard, doc, render.Style{})
	}
}

// BenchmarkPolicyParse parses one bucket policy as the server returns it: a refresh of 10,000
// buckets parses 10,000 of them.
func BenchmarkPolicyParse(b *testing.B) {
	text := DownloadPolicy("pure-t00042")
	for b.Loop() {
		if _, err := policy.Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPureInputHasNoChanges keeps the benchmarks honest: the no-change input is a plan with
// no changes, and the live policies (parsed from the server's form) equal the declared ones.
func TestPureInputHasNoChanges(t *testing.T) {
	p := plan.Diff("bench", false, nil, []plan.Input{pureInput(t, true)})
	if p.HasChanges() || len(p.Changes) != pureN {
		t.Fatalf("%+v, %d changes", p.Summary(), len(p.Changes))
	}
}
