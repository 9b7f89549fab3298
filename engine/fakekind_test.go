package engine_test

import (
	"context"
	"testing"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/kind/kindtest"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
)

// TestAKindTheEngineDoesNotName: the test kind "note" (a map in memory) goes through refresh,
// plan, apply, claims and the ownership index like buckets do, although nothing in the engine
// names it: created, converged (No changes), updated, replaced when its parent changes (with
// its secret), adopted when made by hand, refused when another stack claims it, deleted, and
// refused deletion by its kind's rule.
func TestAKindTheEngineDoesNotName(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	store := kindtest.NewStore()
	note := func(id string, attrs map[string]model.Value) plan.Desired {
		r := model.NewResource(kindtest.KindNote, id)
		for k, v := range attrs {
			r.Set(k, v)
		}
		return plan.Desired{Address: "note." + id, Resource: r}
	}
	run := func(stack string, notes ...plan.Desired) (*engine.Engine, *plan.Plan, *engine.Report, error) {
		t.Helper()
		cfg := loadConfig(t, srv, "bucketform {\n  stack = \""+stack+"\"\n}\nminio \"main\" {\n  endpoint = env(\"MINIO_ENDPOINT\")\n}\n")
		e, err := engine.New(cfg, engine.Options{Parallelism: 4, Kinds: append(kind.All(), kindtest.Note{Store: store})})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.AddDesired("main", notes...); err != nil {
			t.Fatal(err)
		}
		p, r, err := applyOnce(ctx, e, engine.ApplyOptions{})
		return e, p, r, err
	}
	actions := func(p *plan.Plan) map[string]plan.Action {
		out := map[string]plan.Action{}
		for _, c := range p.Changes {
			out[c.Address] = c.Action
		}
		return out
	}
	a := map[string]model.Value{"text": model.String("hello"), "parent": model.String("p1"), "secret": model.NewSecret("s3cr3t-one")}
	e, p, _, err := run("notes", note("a", a), note("b", map[string]model.Value{"labels": model.Tags{"keep": "yes"}}))
	if err != nil || actions(p)["note.a"] != plan.Create || store.Get("a") == nil {
		t.Fatalf("create: %v %v", actions(p), err)
	}
	if p := planOf(t, ctx, e); p.HasChanges() {
		t.Fatalf("after the create: %+v", p.Summary())
	}
	// Claimed and indexed like any resource.
	c := rawClient(t, srv)
	claims, err := ownership.NewStore(c, ownership.StateBucket, "notes").Claims(ctx)
	if err != nil || claims[model.Key{Kind: kindtest.KindNote, ID: "a"}].Stack != "notes" {
		t.Fatalf("claims %v %v", claims, err)
	}
	// Update, then replace (the parent changes, and the secret with it).
	a["text"] = model.String("changed")
	if _, p, _, err = run("notes", note("a", a), note("b", map[string]model.Value{"labels": model.Tags{"keep": "yes"}})); err != nil || actions(p)["note.a"] != plan.Update {
		t.Fatalf("update: %v %v", actions(p), err)
	}
	a["parent"], a["secret"] = model.String("p2"), model.NewSecret("s3cr3t-two")
	if _, p, _, err = run("notes", note("a", a), note("b", map[string]model.Value{"labels": model.Tags{"keep": "yes"}})); err != nil || actions(p)["note.a"] != plan.Replace {
		t.Fatalf("replace: %v %v", actions(p), err)
	}
	if got := store.Get("a"); !got.Get("parent").Equal(model.String("p2")) || store.Calls["delete"] != 1 {
		t.Fatalf("after the replace: %+v, calls %v", got, store.Calls)
	}
	// Made by hand: adopted. Another stack: refused.
	store.Put(note("hand", map[string]model.Value{"text": model.String("by hand")}).Resource)
	if _, p, _, err = run("notes", note("a", a), note("b", map[string]model.Value{"labels": model.Tags{"keep": "yes"}}), note("hand", nil)); err != nil || actions(p)["note.hand"] != plan.Adopt {
		t.Fatalf("adopt: %v %v", actions(p), err)
	}
	if _, p, _, err = run("others", note("a", nil)); err == nil || len(p.Refusals) != 1 || p.Refusals[0].Code != "owned-by-other-stack" {
		t.Fatalf("another stack's note: %+v %v", p.Refusals, err)
	}
	// No longer declared: a is deleted; b is refused by the kind's own rule, and stays.
	if _, p, _, err = run("notes", note("hand", nil)); err == nil || len(p.Refusals) != 1 || p.Refusals[0].Code != "note-kept" {
		t.Fatalf("delete refused by the kind: %+v %v", p.Refusals, err)
	}
	if _, p, _, err = run("notes", note("hand", nil), note("b", map[string]model.Value{"labels": model.Tags{"keep": "yes"}})); err != nil || actions(p)["note.a"] != plan.Delete || store.Get("a") != nil {
		t.Fatalf("delete: %v %v", actions(p), err)
	}
}
