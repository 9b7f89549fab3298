package plan

import (
	"strings"
	"testing"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
)

const stack = "s1"

func canned(mode, bucket string) policy.Document {
	d, _ := policy.Canned(mode, bucket)
	return d
}

func desired(name string, mutate func(*model.Bucket)) Desired {
	b := model.Bucket{Name: name, Attrs: model.AttrSet{}}
	mutate(&b)
	return Desired{Address: "bucket." + name, State: b}
}

// liveBucket returns a live bucket with every attribute read.
func liveBucket(name, owner string, mutate func(*model.Bucket)) model.Live {
	b := model.Bucket{Name: name, Attrs: model.NewAttrSet(model.AllAttrs...), Tags: map[string]string{}}
	if mutate != nil {
		mutate(&b)
	}
	return model.Live{Exists: true, Owner: owner, State: b, Emptiness: model.Empty}
}

func indexed(names ...string) map[string]IndexEntry {
	idx := map[string]IndexEntry{}
	for _, n := range names {
		idx[n] = IndexEntry{Address: "bucket." + n, Attrs: model.NewAttrSet(model.AttrPolicy, model.AttrQuota, model.AttrTags, model.AttrVersioning, model.AttrLifecycle)}
	}
	return idx
}

func diffOne(in Input) *Plan {
	in.Deployment, in.Stack = "main", stack
	if in.Live == nil {
		in.Live = map[string]model.Live{}
	}
	return Diff(stack, in.Destroy, []Input{in})
}

func onlyChange(t *testing.T, p *Plan) Change {
	t.Helper()
	if len(p.Changes) != 1 {
		t.Fatalf("want one change, got %+v (refusals %+v)", p.Changes, p.Refusals)
	}
	return p.Changes[0]
}

func writes(c Change) string {
	var s []string
	for _, w := range c.Writes {
		if w.Reset {
			s = append(s, "reset:"+string(w.Attr))
		} else {
			s = append(s, string(w.Attr))
		}
	}
	return strings.Join(s, ",")
}

func TestCreateWritesOnlyNonDefaults(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrObjectLock)
		b.Versioning = model.VersioningEnabled
		b.Quota = 100 << 30
		b.Tags = map[string]string{}
		b.ObjectLock = true
	})
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}}))
	if c.Action != Create || !c.ObjectLock || !c.WriteOwnerTag || writes(c) != "versioning,quota" {
		t.Fatalf("create = %+v, writes %s", c, writes(c))
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
	p := diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Live: map[string]model.Live{"data": live}})
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
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Live: map[string]model.Live{"data": live}}))
	if c.Action != Update || writes(c) != "tags,versioning,policy,quota,lifecycle" || c.WriteOwnerTag {
		t.Fatalf("got %s writes %s", c.Action, writes(c))
	}
	if c.Before.Quota != 2<<30 || c.After.Quota != 1<<30 {
		t.Fatalf("before/after quota %d → %d", c.Before.Quota, c.After.Quota)
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
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Live: map[string]model.Live{"data": live}}))
	if c.Action != Update || writes(c) != "reset:tags,reset:policy,reset:quota,reset:lifecycle" {
		t.Fatalf("got %s writes %s", c.Action, writes(c))
	}
	if !strings.Contains(strings.Join(c.Notes, " "), "stays enabled") {
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
	idx := map[string]IndexEntry{"data": {Address: "bucket.data", Attrs: model.NewAttrSet(model.AttrQuota)}}
	c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Index: idx, Live: map[string]model.Live{"data": live}}))
	if c.Action != NoOp {
		t.Fatalf("got %s writes %s", c.Action, writes(c))
	}
}

func TestAdoptionAndOwnership(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrQuota)
		b.Quota = 10
	})
	cases := []struct {
		name    string
		owner   string
		index   map[string]IndexEntry
		action  Action
		refused bool
	}{
		{"unowned", "", nil, Adopt, false},
		{"tag of this stack, not indexed", stack, nil, Adopt, false},
		{"indexed, tag missing", "", indexed("data"), Adopt, false},
		{"owned", stack, indexed("data"), Update, false},
		{"other stack", "other", nil, "", true},
		{"other stack, still in our index", "other", indexed("data"), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			live := liveBucket("data", tc.owner, nil)
			p := diffOne(Input{Desired: []Desired{d}, Index: tc.index, Live: map[string]model.Live{"data": live}})
			if tc.refused {
				if len(p.Refusals) != 1 || len(p.Changes) != 0 || !strings.Contains(p.Refusals[0].Reason, `stack "other"`) {
					t.Fatalf("want a refusal, got %+v %+v", p.Changes, p.Refusals)
				}
				if _, ok := p.Index["main"]["data"]; ok != (tc.index != nil) {
					t.Fatalf("index update %+v", p.Index)
				}
				return
			}
			c := onlyChange(t, p)
			if c.Action != tc.action || c.WriteOwnerTag != (tc.action == Adopt) {
				t.Fatalf("got %s (owner tag %v)", c.Action, c.WriteOwnerTag)
			}
			// Adoption never resets attributes the stack did not declare.
			for _, w := range c.Writes {
				if w.Reset && tc.action == Adopt {
					t.Fatalf("adoption resets %s", w.Attr)
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
		live    model.Live
		removed map[string]Removed
		want    string // "delete", "force", "refuse", "drop"
	}{
		{"empty is deleted", liveBucket("old", stack, nil), nil, "delete"},
		{"full is refused", full, nil, "refuse"},
		{"full with removed force_destroy", full, map[string]Removed{"old": {ForceDestroy: true}}, "force"},
		{"tag disagrees: dropped from index, untouched", liveBucket("old", "", nil), nil, "drop"},
		{"gone: dropped from index", model.Live{}, nil, "drop"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := diffOne(Input{Index: indexed("old"), Live: map[string]model.Live{"old": tc.live}, Removed: tc.removed})
			upd, inUpdate := p.Index["main"]["old"]
			if tc.want == "refuse" {
				if inUpdate {
					t.Fatalf("a refused delete must keep the index entry, got update %v", upd)
				}
			} else if !inUpdate || upd != nil {
				t.Fatalf("index entry should be removed, got %v %v", upd, inUpdate)
			}
			switch tc.want {
			case "refuse":
				if len(p.Refusals) != 1 || len(p.Changes) != 0 || !strings.Contains(p.Refusals[0].Reason, "force_destroy") {
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

func TestObjectLockRefusals(t *testing.T) {
	d := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrObjectLock)
		b.ObjectLock = true
	})
	p := diffOne(Input{Desired: []Desired{d}, Index: indexed("data"), Live: map[string]model.Live{"data": liveBucket("data", stack, nil)}})
	if len(p.Refusals) != 1 || !strings.Contains(p.Refusals[0].Reason, "object lock") {
		t.Fatalf("refusals %+v", p.Refusals)
	}
	s := desired("data", func(b *model.Bucket) {
		b.Attrs = model.NewAttrSet(model.AttrVersioning)
		b.Versioning = model.VersioningSuspended
	})
	if got := ReadAttrs(stack, stack, s.State, nil); !got.Has(model.AttrObjectLock) {
		t.Fatal("suspending versioning must read object lock")
	}
	locked := liveBucket("data", stack, func(b *model.Bucket) { b.ObjectLock = true; b.Versioning = model.VersioningEnabled })
	p = diffOne(Input{Desired: []Desired{s}, Index: indexed("data"), Live: map[string]model.Live{"data": locked}})
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
	p := diffOne(Input{Destroy: true, Desired: []Desired{mine, foreign}, Index: indexed("mine"),
		Live: map[string]model.Live{"mine": fullMine, "foreign": liveBucket("foreign", "", nil)}})
	c := onlyChange(t, p)
	if c.Action != Delete || c.Bucket != "mine" || !c.ForceDestroy {
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
	p := diffOne(Input{Targets: []string{"bucket.b"}, Desired: []Desired{a, b}, Index: indexed("old"),
		Live: map[string]model.Live{"old": liveBucket("old", stack, nil)}})
	c := onlyChange(t, p)
	if c.Bucket != "b" || len(p.Index["main"]) != 1 {
		t.Fatalf("target b: %+v index %+v", c, p.Index)
	}
}

func TestRemovedWithDestroyFalseReleases(t *testing.T) {
	full := liveBucket("old", stack, func(b *model.Bucket) { b.Tags = map[string]string{"team": "x"} })
	full.Emptiness = model.NotEmpty
	p := diffOne(Input{Index: indexed("old"), Live: map[string]model.Live{"old": full}, Removed: map[string]Removed{"old": {Keep: true}}})
	c := onlyChange(t, p)
	if c.Action != Update || !c.Release || c.KeepTags["team"] != "x" || len(c.Writes) != 0 || len(p.Refusals) != 0 {
		t.Fatalf("got %+v refusals %+v", c, p.Refusals)
	}
	if upd, ok := p.Index["main"]["old"]; !ok || upd != nil {
		t.Fatalf("a released bucket must leave the index, got %v %v", upd, ok)
	}
	if !p.HasChanges() {
		t.Fatal("releasing a bucket is a change")
	}
}

// Adopting a bucket whose tags already match the configuration (one created by an interrupted
// apply of this stack, or by hand) writes the owner tag together with those tags, not instead
// of them.
func TestAdoptWithMatchingTagsKeepsThem(t *testing.T) {
	for _, owner := range []string{"", stack} {
		d := desired("data", func(b *model.Bucket) {
			b.Attrs = model.NewAttrSet(model.AttrTags)
			b.Tags = map[string]string{"n": "1"}
		})
		live := liveBucket("data", owner, func(b *model.Bucket) { b.Tags = map[string]string{"n": "1"} })
		c := onlyChange(t, diffOne(Input{Desired: []Desired{d}, Live: map[string]model.Live{"data": live}}))
		if c.Action != Adopt || !c.WriteOwnerTag || writes(c) != "" || c.KeepTags["n"] != "1" {
			t.Fatalf("owner %q: adopt = %+v, writes %q: the owner tag would be written without the user tags", owner, c, writes(c))
		}
	}
}
