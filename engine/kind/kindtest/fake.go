// Package kindtest provides a kind of resource for tests: "note", kept in memory instead of on a
// server. It proves that the plan, the engine, the ownership index and claims, and every
// renderer work on a kind they do not name: adding it touches none of them.
package kindtest

import (
	"context"
	"maps"
	"sync"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/plan"
)

// KindNote is the fake kind.
const KindNote model.Kind = "note"

// Store is the fake kind's "server": notes by id. It is safe for concurrent use.
type Store struct {
	mu    sync.Mutex
	notes map[string]*model.Resource
	// Calls counts the writes, by operation.
	Calls map[string]int
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{notes: map[string]*model.Resource{}, Calls: map[string]int{}} }

// Put stores a note as if someone had made it by hand.
func (s *Store) Put(r *model.Resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes[r.ID] = r.Clone()
}

// Get returns a copy of a note, or nil.
func (s *Store) Get(id string) *model.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notes[id].Clone()
}

// Note is the fake kind: a note has a text (String), labels (Tags, reset to {}), a parent
// (String; changing it replaces the note) and a secret (sensitive; checked, never read).
type Note struct{ Store *Store }

var noteSchema = &plan.Schema{
	Kind:   KindNote,
	IDName: "name",
	Order:  5,
	Attrs: []plan.AttrSchema{
		{Name: "text", Reset: model.String("")},
		{Name: "labels", Reset: model.Tags{}},
		{Name: "parent", Replace: true},
		{Name: "secret", Sensitive: true},
	},
	DeleteBlocked: func(id string, live *model.Live, force, declared bool, env plan.DeleteEnv) *plan.Finding {
		if labels, ok := live.State.Get("labels").(model.Tags); ok && labels["keep"] == "yes" && !force {
			return &plan.Finding{Code: "note-kept", Refuse: true, Text: "note " + id + " is labelled keep = yes"}
		}
		return nil
	},
}

// Schema describes notes to the plan.
func (Note) Schema() *plan.Schema { return noteSchema }

// Read reads notes from the store; a secret reads as whether it matches the declared one.
func (n Note) Read(ctx context.Context, env *kind.Env, reqs []kind.Request) (map[string]*model.Live, error) {
	n.Store.mu.Lock()
	defer n.Store.mu.Unlock()
	out := map[string]*model.Live{}
	for _, r := range reqs {
		cur := n.Store.notes[r.ID]
		if cur == nil {
			out[r.ID] = &model.Live{State: model.NewResource(KindNote, r.ID)}
			continue
		}
		live := &model.Live{Exists: true, State: model.NewResource(KindNote, r.ID)}
		attrs := r.Attrs
		if r.Deletable {
			attrs = append(attrs, "labels") // what DeleteBlocked looks at
		}
		for _, a := range attrs {
			v := cur.Get(a)
			if a == "secret" {
				want, _ := r.Want.Get("secret").(model.Secret)
				have, _ := v.(model.Secret)
				check := model.SecretDiffers
				if want.Reveal() == have.Reveal() {
					check = model.SecretMatches
				}
				live.State.Set(a, check)
				continue
			}
			if v == nil {
				v = noteSchema.Attrs[attrIndex(a)].Reset
			}
			if v != nil {
				live.State.Set(a, v)
			}
		}
		out[r.ID] = live
	}
	return out, nil
}

func attrIndex(name string) int {
	for i, a := range noteSchema.Attrs {
		if a.Name == name {
			return i
		}
	}
	return 0
}

// Create stores the note.
func (n Note) Create(ctx context.Context, env *kind.Env, c *plan.Change) (bool, error) {
	n.Store.mu.Lock()
	defer n.Store.mu.Unlock()
	n.Store.Calls["create"]++
	if n.Store.notes[c.ID] != nil {
		return false, kind.ErrExists
	}
	n.Store.notes[c.ID] = c.After.Clone()
	return true, nil
}

// Update writes the changed attributes.
func (n Note) Update(ctx context.Context, env *kind.Env, c *plan.Change, _ *model.Live) error {
	n.Store.mu.Lock()
	defer n.Store.mu.Unlock()
	n.Store.Calls["update"]++
	cur := n.Store.notes[c.ID]
	attrs := maps.Clone(cur.Attrs)
	for _, a := range c.Changed() {
		attrs[a.Attr] = c.After.Get(a.Attr)
	}
	cur.Attrs = attrs
	return nil
}

// Mark does nothing: notes have no ownership mark.
func (Note) Mark(context.Context, *kind.Env, *plan.Change, *model.Live) error { return nil }

// Unmark does nothing.
func (Note) Unmark(context.Context, *kind.Env, *plan.Change, *model.Live) error { return nil }

// Delete removes the note.
func (n Note) Delete(ctx context.Context, env *kind.Env, c *plan.Change, _ *model.Live) error {
	n.Store.mu.Lock()
	defer n.Store.mu.Unlock()
	n.Store.Calls["delete"]++
	delete(n.Store.notes, c.ID)
	return nil
}
