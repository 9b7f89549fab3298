package plan_test

import (
	"strings"
	"testing"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/kind"
	. "github.com/bucketform/bucketform/engine/plan"
)

const stack = "s1"

var schemas = kind.Schemas(kind.All())

func canned(mode, bucket string) policy.Document {
	d, _ := policy.Canned(mode, bucket)
	return d
}

func key(name string) model.Key { return model.Key{Kind: model.KindBucket, ID: name} }

func desired(name string, mutate func(*model.Bucket)) Desired {
	b := model.Bucket{Name: name, Attrs: model.AttrSet{}}
	mutate(&b)
	return Desired{Address: "bucket." + name, Resource: b.Resource()}
}

// liveBucket returns a live bucket with every attribute read; owner is its ownership tag.
func liveBucket(name, owner string, mutate func(*model.Bucket)) *model.Live {
	b := model.Bucket{Name: name, Attrs: model.NewAttrSet(model.AllAttrs...), Tags: map[string]string{}}
	if mutate != nil {
		mutate(&b)
	}
	return model.BucketLive{Exists: true, Owner: owner, State: b, Emptiness: model.Empty}.Live()
}

func indexed(names ...string) map[model.Key]IndexEntry {
	idx := map[model.Key]IndexEntry{}
	for _, n := range names {
		idx[key(n)] = IndexEntry{Address: "bucket." + n, Attrs: []string{"lifecycle", "policy", "quota", "tags", "versioning"}}
	}
	return idx
}

func claims(stack string, names ...string) map[model.Key]Claim {
	out := map[model.Key]Claim{}
	for _, n := range names {
		out[key(n)] = Claim{Stack: stack}
	}
	return out
}

func diffOne(in Input) *Plan {
	in.Deployment, in.Schemas = "main", schemas
	if in.Live == nil {
		in.Live = map[model.Key]*model.Live{}
	}
	return Diff(stack, in.Destroy, in.Targets, []Input{in})
}

func onlyChange(t *testing.T, p *Plan) Change {
	t.Helper()
	if len(p.Changes) != 1 {
		t.Fatalf("want one change, got %+v (refusals %+v)", p.Changes, p.Refusals)
	}
	return p.Changes[0]
}

// writes lists the attributes a change writes, resets marked.
func writes(c Change) string {
	var s []string
	for _, a := range c.Changed() {
		if a.Reset {
			s = append(s, "reset:"+a.Attr)
		} else {
			s = append(s, a.Attr)
		}
	}
	return strings.Join(s, ",")
}

func noteText(c Change) string {
	var s []string
	for _, n := range c.Notes {
		s = append(s, n.Code+": "+n.Text)
	}
	return strings.Join(s, " | ")
}

func TestCreateListsEveryDeclaredAttribute(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrObjectLock)
		b.Versioning = model.VersioningEnabled
		b.Quota = 100 << 30
		b.Tags = map[string]string{}
		b.ObjectLock = true
	})
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}}))
	if c.Action != Create || writes(c) != "policy,versioning,quota,tags,object_lock" || c.Before != nil {
		t.Fatalf("create = %+v, writes %s", c, writes(c))
	}
	if c.Attrs[0].Name != "anonymous" {
		t.Fatalf("a canned policy is named anonymous, got %q", c.Attrs[0].Name)
	}
}

func TestNoChangesWhenLiveMatchesSemantically(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrLifecycle)
		b.Policy = canned(policy.Download, "data")
		b.Versioning = model.VersioningEnabled
		b.Quota = 1 << 30
		b.Tags = map[string]string{"team": "ml"}
		b.Lifecycle = []model.LifecycleRule{{ID: "b", ExpirationDays: 2}, {ID: "a", ExpirationDays: 1}}
	})
	// The server splits and reorders statements and rules; still equal.
	live := liveBucket("data", stack, func(b *model.Bucket) {
		b.Policy = policy.MustParse(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":["arn:aws:s3:::data/*"]},
			{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::data"}]}`)
		b.Versioning = model.VersioningEnabled
		b.Quota = 1 << 30
		b.Tags = map[string]string{"team": "ml"}
		b.Lifecycle = []model.LifecycleRule{{ID: "a", ExpirationDays: 1}, {ID: "b", ExpirationDays: 2}}
	})
	p := diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}})
	c := onlyChange(t, p)
	if c.Action != NoOp || p.HasChanges() {
		t.Fatalf("want no-op, got %s with writes %s", c.Action, writes(c))
	}
}

func TestDriftOnEveryAttribute(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrLifecycle)
		b.Policy = canned(policy.Download, "data")
		b.Versioning = model.VersioningEnabled
		b.Quota = 1 << 30
		b.Tags = map[string]string{"team": "ml"}
		b.Lifecycle = []model.LifecycleRule{{ID: "a", ExpirationDays: 1}}
	})
	extra := canned(policy.Download, "data")
	extra.Statements = append(extra.Statements, policy.Statement{Effect: "Allow", Principal: policy.Principal{"AWS": {"*"}},
		Action: []string{"s3:PutObject"}, Resource: []string{"arn:aws:s3:::data/*"}})
	live := liveBucket("data", stack, func(b *model.Bucket) {
		b.Policy = extra
		b.Versioning = model.VersioningSuspended
		b.Quota = 2 << 30
		b.Tags = map[string]string{"team": "ops"}
		b.Lifecycle = []model.LifecycleRule{{ID: "a", ExpirationDays: 1, Unsupported: "transition"}}
	})
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}}))
	if c.Action != Update || writes(c) != "policy,versioning,quota,tags,lifecycle" {
		t.Fatalf("got %s writes %s", c.Action, writes(c))
	}
	if !c.Before.Get("quota").Equal(model.Size(2<<30)) || !c.After.Get("quota").Equal(model.Size(1<<30)) {
		t.Fatalf("before/after quota %v → %v", c.Before.Get("quota"), c.After.Get("quota"))
	}
	// A custom policy on either side is shown as `policy`, never both names.
	if c.Attrs[0].Name != "policy" {
		t.Fatalf("policy shown as %q", c.Attrs[0].Name)
	}
}

func TestPreviouslyDeclaredAttributesAreReset(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {}) // declares nothing any more
	live := liveBucket("data", stack, func(b *model.Bucket) {
		b.Policy = canned(policy.Public, "data")
		b.Quota = 5
		b.Tags = map[string]string{"team": "ml"}
		b.Versioning = model.VersioningEnabled
		b.Lifecycle = []model.LifecycleRule{{ID: "a", ExpirationDays: 1}}
	})
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}}))
	if c.Action != Update || writes(c) != "reset:policy,reset:quota,reset:tags,reset:lifecycle" {
		t.Fatalf("got %s writes %s", c.Action, writes(c))
	}
	if !strings.Contains(noteText(c), "stays enabled") {
		t.Fatalf("versioning note missing: %v", c.Notes)
	}
}

func TestNeverDeclaredAttributesAreLeftAlone(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrQuota)
		b.Quota = 10
	})
	live := liveBucket("data", stack, func(b *model.Bucket) {
		b.Quota = 10
		b.Policy = canned(policy.Public, "data") // set by hand, never declared
	})
	idx := map[model.Key]IndexEntry{key("data"): {Address: "bucket.data", Attrs: []string{"quota"}}}
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: idx, Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}}))
	if c.Action != NoOp {
		t.Fatalf("got %s writes %s", c.Action, writes(c))
	}
}

// TestOwnership: the claim decides who owns a resource; without a claim, the ownership tag of
// versions before claims still protects another stack's bucket, and counts as this stack's
// only together with its index.
func TestOwnership(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrQuota)
		b.Quota = 10
	})
	cases := []struct {
		name   string
		tag    string
		claim  string
		index  map[model.Key]IndexEntry
		action Action
		note   string
		refuse string
	}{
		{name: "unowned", action: Adopt, note: "adopt"},
		{name: "tag of this stack, not indexed, no claim", tag: stack, action: Adopt, note: "adopt-marked"},
		{name: "indexed, no claim, no tag", index: indexed("data"), action: Adopt, note: "adopt-indexed"},
		{name: "claimed and indexed", claim: stack, index: indexed("data"), action: Update},
		{name: "claimed, not indexed", claim: stack, action: Update, note: "claimed-not-indexed"},
		{name: "before claims: tag and index", tag: stack, index: indexed("data"), action: Update},
		{name: "claimed by another stack", claim: "other", refuse: `stack "other"`},
		{name: "claimed by another stack, our tag and index", claim: "other", tag: stack, index: indexed("data"), refuse: `stack "other"`},
		{name: "tag of another stack, no claim", tag: "other", refuse: `stack "other"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			live := liveBucket("data", tc.tag, nil)
			in := Input{Desired: []Desired{d}, Index: tc.index, Live: map[model.Key]*model.Live{key("data"): live}}
			if tc.claim != "" {
				in.Claims = claims(tc.claim, "data")
			}
			p := diffOne(in)
			if tc.refuse != "" {
				if len(p.Refusals) != 1 || len(p.Changes) != 0 || !strings.Contains(p.Refusals[0].Reason, tc.refuse) || p.Refusals[0].Code != "owned-by-other-stack" {
					t.Fatalf("want a refusal, got %+v %+v", p.Changes, p.Refusals)
				}
				return
			}
			c := onlyChange(t, p)
			if c.Action != tc.action {
				t.Fatalf("got %s, want %s (notes %s)", c.Action, tc.action, noteText(c))
			}
			if tc.note != "" && (len(c.Notes) == 0 || c.Notes[0].Code != tc.note) {
				t.Fatalf("notes %s, want code %s", noteText(c), tc.note)
			}
			// Adoption never resets attributes the stack did not declare.
			for _, a := range c.Attrs {
				if a.Reset && tc.action == Adopt {
					t.Fatalf("adoption resets %s", a.Attr)
				}
			}
		})
	}
}

func TestUndeclaredOwnedBuckets(t *testing.T) {
	full := liveBucket("old", stack, nil)
	full.Emptiness = model.NotEmpty
	cases := []struct {
		name    string
		live    *model.Live
		claim   string
		removed map[model.Key]Removed
		want    string // "delete", "force", "refuse", "drop"
	}{
		{name: "empty is deleted", live: liveBucket("old", stack, nil), want: "delete"},
		{name: "claimed, tag gone: still ours, deleted", live: liveBucket("old", "", nil), claim: stack, want: "delete"},
		{name: "full is refused", live: full, want: "refuse"},
		{name: "full with removed force_destroy", live: full, removed: map[model.Key]Removed{key("old"): {ForceDestroy: true}}, want: "force"},
		{name: "tag disagrees, no claim: dropped from index, untouched", live: liveBucket("old", "", nil), want: "drop"},
		{name: "another stack claims it: dropped, untouched", live: liveBucket("old", stack, nil), claim: "other", want: "drop"},
		{name: "gone: dropped from index", live: &model.Live{State: model.NewResource(model.KindBucket, "old")}, want: "drop"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Index: indexed("old"), Live: map[model.Key]*model.Live{key("old"): tc.live}, Removed: tc.removed}
			if tc.claim != "" {
				in.Claims = claims(tc.claim, "old")
			}
			p := diffOne(in)
			upd, inUpdate := p.Index["main"][key("old")]
			if tc.want == "refuse" {
				if inUpdate {
					t.Fatalf("a refused delete must keep the index entry, got update %v", upd)
				}
			} else if !inUpdate || upd != nil {
				t.Fatalf("index entry should be removed, got %v %v", upd, inUpdate)
			}
			switch tc.want {
			case "refuse":
				if len(p.Refusals) != 1 || len(p.Changes) != 0 || !strings.Contains(p.Refusals[0].Reason, "force_destroy") || p.Refusals[0].Code != "bucket-not-empty" {
					t.Fatalf("got %+v %+v", p.Changes, p.Refusals)
				}
			case "drop":
				if len(p.Changes) != 0 || len(p.Refusals) != 0 {
					t.Fatalf("got %+v %+v", p.Changes, p.Refusals)
				}
			default:
				c := onlyChange(t, p)
				if c.Action != Delete || c.ForceDestroy != (tc.want == "force") || c.Address != "bucket.old" {
					t.Fatalf("got %+v", c)
				}
			}
		})
	}
}

// A claim of the stack without an index entry (an apply interrupted between claiming and
// recording) is owned: undeclared, it is deleted under the address the claim recorded.
func TestClaimWithoutIndexEntry(t *testing.T) {
	p := diffOne(Input{Claims: map[model.Key]Claim{key("orphan"): {Stack: stack, Address: `bucket.t["x"]`}},
		Live: map[model.Key]*model.Live{key("orphan"): liveBucket("orphan", stack, nil)}})
	c := onlyChange(t, p)
	if c.Action != Delete || c.Address != `bucket.t["x"]` {
		t.Fatalf("got %+v", c)
	}
}

func TestObjectLockRefusals(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrObjectLock)
		b.ObjectLock = true
	})
	p := diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): liveBucket("data", stack, nil)}})
	if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Reason, "object lock") || p.Refusals[0].Code != "create-only" {
		t.Fatalf("refusals %+v", p.Refusals)
	}
	s := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrVersioning)
		b.Versioning = model.VersioningSuspended
	})
	if got := schemas[model.KindBucket].ReadAttrs(s.Resource, nil, true); !strings.Contains(strings.Join(got, ","), "object_lock") {
		t.Fatal("suspending versioning must read object lock")
	}
	locked := liveBucket("data", stack, func(b *model.Bucket) { b.ObjectLock = true; b.Versioning = model.VersioningEnabled })
	p = diffOne(Input{Desired: []Desired{s}, Index: indexed("data"), Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): locked}})
	if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Reason, "suspended") {
		t.Fatalf("refusals %+v", p.Refusals)
	}
}

func TestDestroyOnlyOwned(t *testing.T) {
	mine := desired("mine", func(b *model.Bucket) {})
	mine.ForceDestroy = true
	foreign := desired("foreign", func(b *model.Bucket) {})
	fullMine := liveBucket("mine", stack, nil)
	fullMine.Emptiness = model.NotEmpty
	p := diffOne(Input{Destroy: true, Desired: []Desired{mine, foreign}, Index: indexed("mine"), Claims: claims(stack, "mine"),
		Live: map[model.Key]*model.Live{key("mine"): fullMine, key("foreign"): liveBucket("foreign", "", nil)}})
	c := onlyChange(t, p)
	if c.Action != Delete || c.ID != "mine" || !c.ForceDestroy {
		t.Fatalf("got %+v", c)
	}
}

func TestTargets(t *testing.T) {
	for _, tc := range []struct {
		targets []string
		addr    string
		want    bool
	}{
		{nil, "bucket.a", true},
		{[]string{"bucket.a"}, "bucket.a", true},
		{[]string{"bucket.a"}, "bucket.ab", false},
		{[]string{"bucket.t"}, `bucket.t["x"]`, true},
		{[]string{`bucket.t["x"]`}, `bucket.t["y"]`, false},
	} {
		if got := MatchTargets(tc.targets, tc.addr); got != tc.want {
			t.Errorf("MatchTargets(%v, %s) = %v", tc.targets, tc.addr, got)
		}
	}
	a, b := desired("a", func(*model.Bucket) {}), desired("b", func(*model.Bucket) {})
	p := diffOne(Input{Targets: []string{"bucket.b"}, Desired: []Desired{a, b}, Index: indexed("old"), Claims: claims(stack, "old"),
		Live: map[model.Key]*model.Live{key("old"): liveBucket("old", stack, nil)}})
	c := onlyChange(t, p)
	if c.ID != "b" || len(p.Index["main"]) != 1 {
		t.Fatalf("target b: %+v index %+v", c, p.Index)
	}
}

func TestRemovedWithDestroyFalseReleases(t *testing.T) {
	full := liveBucket("old", stack, func(b *model.Bucket) { b.Tags = map[string]string{"team": "x"} })
	full.Emptiness = model.NotEmpty
	p := diffOne(Input{Index: indexed("old"), Claims: claims(stack, "old"), Live: map[model.Key]*model.Live{key("old"): full},
		Removed: map[model.Key]Removed{key("old"): {Keep: true}}})
	c := onlyChange(t, p)
	if c.Action != Release || len(c.Changed()) != 0 || len(p.Refusals) != 0 || !c.Before.Get("tags").Equal(model.Tags{"team": "x"}) {
		t.Fatalf("got %+v refusals %+v", c, p.Refusals)
	}
	if upd, ok := p.Index["main"][key("old")]; !ok || upd != nil {
		t.Fatalf("a released bucket must leave the index, got %v %v", upd, ok)
	}
	if s := p.Summary(); s != (Summary{Change: 1}) {
		t.Fatalf("a release counts as a change: %+v", s)
	}
}

// Adopting a bucket whose tags already match the configuration writes nothing but the
// ownership mark (the kind writes it together with the live tags).
func TestAdoptWithMatchingTags(t *testing.T) {
	for _, owner := range []string{"", stack} {
		d := desired("data", func(b *model.Bucket) {
			b.Attrs = model.NewAttrSet(model.AttrTags)
			b.Tags = map[string]string{"n": "1"}
		})
		live := liveBucket("data", owner, func(b *model.Bucket) { b.Tags = map[string]string{"n": "1"} })
		c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Live: map[model.Key]*model.Live{key("data"): live}}))
		if c.Action != Adopt || writes(c) != "" {
			t.Fatalf("owner %q: adopt = %+v, writes %q", owner, c, writes(c))
		}
	}
}

func TestSummaryCountsEveryAction(t *testing.T) {
	var s Summary
	for _, a := range Actions {
		s.Count(a)
	}
	if s != (Summary{Add: 2, Change: 3, Destroy: 2}) {
		t.Fatalf("summary of one change of every action = %+v: create and replace add; update, adopt and release change; replace and delete destroy", s)
	}
}

// An attribute whose last write failed part way (unsettled in the index) is written again even
// when it reads as converged: a write cut short by a node failure may have reached some servers
// of a cluster only.
func TestUnsettledAttributesAreWrittenAgain(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrTags, model.AttrQuota)
		b.Tags = map[string]string{"gen": "2"}
		b.Quota = 10
	})
	live := liveBucket("data", stack, func(b *model.Bucket) { b.Tags = map[string]string{"gen": "2"}; b.Quota = 10 })
	idx := map[model.Key]IndexEntry{key("data"): {Address: "bucket.data", Attrs: []string{"quota", "tags"}, Unsettled: []string{"tags"}}}
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: idx, Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}}))
	if c.Action != Update || writes(c) != "tags" || !strings.Contains(noteText(c), "unsettled: the last apply failed while writing tags") {
		t.Fatalf("got %s writes %q notes %s", c.Action, writes(c), noteText(c))
	}
	delete(idx, key("data"))
	idx[key("data")] = IndexEntry{Address: "bucket.data", Attrs: []string{"quota", "tags"}}
	if c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: idx, Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}})); c.Action != NoOp {
		t.Fatalf("settled: got %s", c.Action)
	}
}

// A change that carries every attribute the live or desired resource carries shares that
// resource instead of holding a copy (a plan of 10,000 unchanged buckets would hold 20,000),
// and one that carries only some of them has its own: the live bucket's undeclared attributes
// never show up as the change's before.
func TestUnchangedResourcesAreSharedNotCopied(t *testing.T) {
	all := func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AllAttrs...)
		b.Versioning = model.VersioningEnabled
		b.Tags = map[string]string{"team": "ml"}
	}
	d := desired("data", all)
	live := liveBucket("data", stack, all)
	p := diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}})
	c := onlyChange(t, p)
	if c.Action != NoOp || c.Before != live.State || c.After != d.Resource {
		t.Fatalf("no-op with every attribute declared: action %s, before shared %v, after shared %v", c.Action, c.Before == live.State, c.After == d.Resource)
	}

	some := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrVersioning)
		b.Versioning = model.VersioningEnabled
	})
	p = diffOne(Input{Desired: []Desired{some}, Index: map[model.Key]IndexEntry{key("data"): {Address: "bucket.data", Attrs: []string{"versioning"}}},
		Claims: claims(stack, "data"), Live: map[model.Key]*model.Live{key("data"): live}})
	c = onlyChange(t, p)
	if c.Action != NoOp || c.Before == live.State || c.After != some.Resource || len(c.Before.Attrs) != 1 {
		t.Fatalf("no-op with one attribute declared: action %s, before %+v", c.Action, c.Before)
	}
}
