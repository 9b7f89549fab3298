package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bucketform/bucketform/config/model"
)

// Input is everything the diff of one deployment needs.
type Input struct {
	Deployment string
	Stack      string
	// Schemas holds the schema of every kind that can appear below.
	Schemas map[model.Kind]*Schema
	// Desired lists the resources the configuration declares on this deployment.
	Desired []Desired
	// Index is the stack's ownership index on this deployment.
	Index map[model.Key]IndexEntry
	// Claims holds the claims of the resources below, whichever stack holds them.
	Claims map[model.Key]Claim
	// Live holds what the server has for every desired resource, every resource the index
	// lists and every resource the stack claims.
	Live map[model.Key]*model.Live
	// Removed holds the removed blocks of this deployment.
	Removed map[model.Key]Removed
	// Destroy plans the deletion of everything the stack owns (plan -destroy).
	Destroy bool
	// Targets limits the plan to these addresses (-target); empty means everything.
	Targets []string
}

// Desired is one resource the configuration declares.
type Desired struct {
	Address      string
	Resource     *model.Resource
	ForceDestroy bool
	Range        *Range
}

// Removed is a removed block: a resource no longer declared that may be deleted (a bucket with
// its objects), or released from the stack without being deleted.
type Removed struct {
	ForceDestroy bool
	// Keep (destroy = false) releases the resource: it stays on the server, owned by no stack.
	Keep  bool
	Range *Range
}

// Claim says which stack owns a resource: the one that won the conditional write of its claim
// object, and the address the resource had then.
type Claim struct {
	Stack   string
	Address string
	// Kind is the kind the claim is of when it differs from the key it is listed under: an
	// access key another stack holds as a user, listed for a service account too.
	Kind model.Kind
}

// Diff compares desired and live state of each deployment and returns the plan.
func Diff(stack string, destroy bool, targets []string, inputs []Input) *Plan {
	p := &Plan{Stack: stack, Destroy: destroy, Targets: slices.Clone(targets), Index: map[string]IndexUpdate{}}
	for _, in := range inputs {
		in.Stack, in.Destroy, in.Targets = stack, destroy, targets
		d := differ{in: in, plan: p, index: IndexUpdate{}, declared: map[model.Key]bool{}}
		d.run()
		p.Index[in.Deployment] = d.index
	}
	slices.SortStableFunc(p.Changes, func(a, b Change) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Deployment, b.Deployment))
	})
	slices.SortStableFunc(p.Refusals, func(a, b Refusal) int {
		return cmp.Or(cmp.Compare(a.Address, b.Address), cmp.Compare(a.Deployment, b.Deployment))
	})
	return p
}

type differ struct {
	in       Input
	plan     *Plan
	index    IndexUpdate
	declared map[model.Key]bool
	desired  map[model.Key]*model.Resource
}

func (d *differ) run() {
	d.desired = map[model.Key]*model.Resource{}
	for _, want := range d.in.Desired {
		d.declared[want.Resource.Key()] = true
		d.desired[want.Resource.Key()] = want.Resource
	}
	for _, want := range d.in.Desired {
		if !MatchTargets(d.in.Targets, want.Address) {
			continue
		}
		if d.in.Destroy {
			d.destroyDeclared(want)
		} else {
			d.declaredResource(want)
		}
	}
	for _, key := range d.undeclaredKeys() {
		d.undeclared(key)
	}
}

// undeclaredKeys returns, sorted, the resources the index lists or the stack claims that the
// configuration no longer declares and that -target selects.
func (d *differ) undeclaredKeys() []model.Key {
	seen := map[model.Key]bool{}
	var keys []model.Key
	add := func(k model.Key) {
		if !d.declared[k] && !seen[k] && MatchTargets(d.in.Targets, d.address(k)) {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for k := range d.in.Index {
		add(k)
	}
	for k, c := range d.in.Claims {
		if c.Stack == d.in.Stack {
			add(k)
		}
	}
	slices.SortFunc(keys, func(a, b model.Key) int {
		return cmp.Or(cmp.Compare(d.address(a), d.address(b)), cmp.Compare(a.String(), b.String()))
	})
	return keys
}

// address returns the address an undeclared resource had: from the index, else from its claim,
// else KIND.ID.
func (d *differ) address(k model.Key) string {
	if e, ok := d.in.Index[k]; ok && e.Address != "" {
		return e.Address
	}
	if c, ok := d.in.Claims[k]; ok && c.Address != "" {
		return c.Address
	}
	return string(k.Kind) + "." + k.ID
}

func (d *differ) schema(k model.Kind) *Schema {
	s := d.in.Schemas[k]
	if s == nil {
		panic(fmt.Sprintf("plan: no schema for kind %q", k)) // a programming error: every kind registers one
	}
	return s
}

// owner returns the stack that owns a resource and whether a claim says so. A resource without
// a claim whose ownership mark names a stack (a bucket's bucketform-stack tag) belongs to that
// stack as far as others are concerned: bucketform versions before claims recorded ownership
// that way.
func (d *differ) owner(k model.Key) (stack string, claimed bool) {
	if c, ok := d.in.Claims[k]; ok {
		return c.Stack, true
	}
	if live := d.in.Live[k]; live != nil && live.Exists && live.Tagged != "" {
		return live.Tagged, false
	}
	return "", false
}

// claimedByStack reports whether the stack holds the claim of k.
func (d *differ) claimedByStack(k model.Key) bool {
	c, ok := d.in.Claims[k]
	return ok && c.Stack == d.in.Stack
}

// owned reports whether the stack owns an existing resource: its claim names the stack, or,
// without a claim, both its ownership mark and the stack's index do (the record of versions
// before claims; apply writes the claim).
func (d *differ) owned(k model.Key) bool {
	live := d.in.Live[k]
	if live == nil || !live.Exists {
		return false
	}
	owner, claimed := d.owner(k)
	if owner != d.in.Stack {
		return false
	}
	_, indexed := d.in.Index[k]
	return claimed || indexed
}

func (d *differ) deleteEnv() DeleteEnv {
	return DeleteEnv{
		Owned: func(k model.Key) bool {
			owner, _ := d.owner(k)
			return owner == d.in.Stack
		},
		Declared: func(k model.Key) bool { return d.declared[k] },
		Desired:  func(k model.Key) *model.Resource { return d.desired[k] },
	}
}

func (d *differ) refuse(kind model.Kind, address, id, code, reason string, rng *Range) {
	d.plan.Refusals = append(d.plan.Refusals, Refusal{Kind: kind, Address: address, Deployment: d.in.Deployment,
		ID: id, Code: code, Reason: reason, Range: rng})
}

func (d *differ) add(c Change) {
	c.Deployment = d.in.Deployment
	d.plan.Changes = append(d.plan.Changes, c)
}

func (d *differ) record(k model.Key, address string, want *model.Resource) {
	d.index[k] = &IndexEntry{Address: address, Attrs: want.Names()}
}

func (d *differ) declaredResource(want Desired) {
	r := want.Resource
	key, s := r.Key(), d.schema(r.Kind)
	live := d.in.Live[key]
	entry, indexed := d.in.Index[key]
	owner, claimed := d.owner(key)
	noun := fmt.Sprintf("%s %q", s.Kind, r.ID)

	if cl := d.in.Claims[key]; claimed && owner != d.in.Stack && cl.Kind != "" && cl.Kind != key.Kind {
		d.refuse(s.Kind, want.Address, r.ID, "owned-by-other-stack", fmt.Sprintf("the access key %q is held by stack %q as a %s (users and service accounts share access keys); bucketform never takes another stack's: choose another access_key",
			r.ID, owner, cl.Kind), want.Range)
		return
	}
	if owner != "" && owner != d.in.Stack {
		d.refuse(s.Kind, want.Address, r.ID, "owned-by-other-stack", fmt.Sprintf("%s is owned by stack %q; bucketform never adopts, changes or deletes another stack's %s "+
			"(to move it, release it from stack %q first: see \"Moving resources between stacks\" in the docs)", noun, owner, s.Kind, owner), want.Range)
		return
	}
	if live != nil && !live.Exists && live.Taken != "" {
		reason := fmt.Sprintf("%s cannot be created: %s", noun, live.Taken)
		if by := live.TakenBy; by.Kind != "" && d.owned(by) && !d.declared[by] {
			reason = fmt.Sprintf("%s cannot be created yet: its access key is %s of this stack, which this plan deletes, and the server frees the key only then. "+
				"Apply the deletion first (bucketform apply -target=%s), then apply again", noun, d.address(by), d.address(by))
		}
		d.refuse(s.Kind, want.Address, r.ID, "identity-taken", reason, want.Range)
		return
	}
	if live == nil || !live.Exists {
		if d.createRefused(s, want) {
			return
		}
		c := Change{Kind: s.Kind, Address: want.Address, ID: r.ID, Action: Create, After: r.Clone(), Range: want.Range}
		for _, a := range s.Attrs {
			if v := r.Get(a.Name); v != nil {
				name, _, after := a.present(nil, v)
				c.Attrs = append(c.Attrs, AttrChange{Attr: a.Name, Name: name, After: after, Changed: true, Sensitive: a.Sensitive})
			}
		}
		switch {
		case claimed:
			c.Notes = append(c.Notes, Note{"recreate-claimed", "claimed by this stack but missing from the server: it will be created again"})
		case indexed:
			c.Notes = append(c.Notes, Note{"recreate-indexed", "owned by this stack but missing from the server: it will be created again"})
		}
		d.add(c)
		d.record(key, want.Address, r)
		return
	}

	var prev []string
	action := Update
	var notes []Note
	switch {
	case d.owned(key) && indexed:
		prev = entry.Attrs
	case d.owned(key):
		notes = append(notes, Note{"claimed-not-indexed", "claimed by this stack but missing from its ownership index (an interrupted apply?): it will be recorded again"})
	case owner == d.in.Stack:
		action = Adopt
		notes = append(notes, Note{"adopt-marked", "marked as owned by this stack but neither claimed nor in its ownership index (an interrupted apply?): it will be adopted again"})
	case indexed:
		action = Adopt
		notes = append(notes, Note{"adopt-indexed", "listed in this stack's ownership index but no stack claims it: it will be adopted again"})
	default:
		action = Adopt
		notes = append(notes, Note{"adopt", "exists and no stack owns it: it will be adopted (attributes the configuration does not declare are left as they are)"})
	}
	if s.Check != nil {
		for _, f := range s.Check(r, live) {
			if f.Refuse {
				d.refuse(s.Kind, want.Address, r.ID, f.Code, f.Text, want.Range)
			} else {
				notes = append(notes, Note{f.Code, f.Text})
			}
		}
	}

	c := Change{Kind: s.Kind, Address: want.Address, ID: r.ID, Range: want.Range}
	before := model.NewResource(s.Kind, r.ID)
	after := model.NewResource(s.Kind, r.ID)
	replace := false
	for _, a := range s.Attrs {
		declared, wasDeclared := r.Has(a.Name), slices.Contains(prev, a.Name)
		if !declared && !wasDeclared {
			continue
		}
		liveV := live.State.Get(a.Name)
		if liveV != nil {
			before.Set(a.Name, liveV)
		}
		ac := AttrChange{Attr: a.Name, Sensitive: a.Sensitive}
		var afterV model.Value
		switch {
		case declared:
			afterV = r.Get(a.Name)
			differs := liveV == nil || !afterV.Equal(liveV)
			if !differs && slices.Contains(entry.Unsettled, a.Name) && d.owned(key) && a.CreateOnly == nil {
				differs = true
				name, _, _ := a.present(liveV, afterV)
				notes = append(notes, Note{"unsettled", "the last apply failed while writing " + name + "; it is written again, " +
					"so that every server of a cluster serves it (a write cut short may have reached some of them only)"})
			}
			if a.CreateOnly != nil {
				if differs && liveV != nil {
					d.refuse(s.Kind, want.Address, r.ID, "create-only", a.CreateOnly(liveV, afterV), want.Range)
				}
				differs = false
			}
			ac.Changed = differs
			if differs && a.Replace {
				replace, ac.ForcesReplacement = true, true
			}
		case a.Reset == nil:
			afterV = liveV
			if a.NoReset != nil {
				notes = append(notes, Note{"no-reset", a.NoReset(liveV)})
			}
		default:
			afterV = a.Reset
			ac.Changed = liveV == nil || !a.Reset.Equal(liveV)
			ac.Reset = true
		}
		if afterV != nil {
			after.Set(a.Name, afterV)
		}
		ac.Name, ac.Before, ac.After = a.present(liveV, afterV)
		c.Attrs = append(c.Attrs, ac)
	}
	// Resources are never modified once made: a before or after that carries what the live or
	// desired resource carries is that resource, so that a plan of 10,000 unchanged buckets
	// does not hold 20,000 copies.
	c.Before, c.After = sameOrOwn(live.State, before), sameOrOwn(r, after)
	switch {
	case replace:
		if d.createRefused(s, want) {
			return
		}
		action = Replace
		c.After = r.Clone()
		notes = append(notes, Note{"replace", "a changed attribute cannot be changed in place: the " + string(s.Kind) + " is deleted and created again"})
	case action == Update && len(c.Changed()) == 0:
		action = NoOp
	}
	c.Action, c.Notes = action, notes
	d.add(c)
	d.record(key, want.Address, r)
}

// sameOrOwn returns whole when part, made of some of whole's values, carries all of them.
func sameOrOwn(whole, part *model.Resource) *model.Resource {
	if whole == nil || len(whole.Attrs) != len(part.Attrs) {
		return part
	}
	for a := range part.Attrs {
		if !whole.Has(a) {
			return part
		}
	}
	return whole
}

// createRefused applies the kind's CheckCreate to a resource the plan would create, records
// its refusals, and reports whether there were any.
func (d *differ) createRefused(s *Schema, want Desired) bool {
	if s.CheckCreate == nil {
		return false
	}
	refused := false
	for _, f := range s.CheckCreate(want.Resource, d.deleteEnv()) {
		if f.Refuse {
			d.refuse(s.Kind, want.Address, want.Resource.ID, f.Code, f.Text, want.Range)
			refused = true
		}
	}
	return refused
}

func (d *differ) destroyDeclared(want Desired) {
	key := want.Resource.Key()
	if !d.owned(key) {
		// Not ours, or gone: -destroy never touches it, and a record of it is stale (the
		// apply drops the stack's claim of one that is gone).
		if _, indexed := d.in.Index[key]; indexed || d.claimedByStack(key) {
			d.index[key] = nil
		}
		return
	}
	d.deleteOwned(key, want.Address, want.ForceDestroy, true, want.Range)
}

func (d *differ) undeclared(key model.Key) {
	address := d.address(key)
	if !d.owned(key) {
		d.index[key] = nil // a stale record: the resource is gone, or another stack owns it
		return
	}
	s := d.schema(key.Kind)
	live := d.in.Live[key]
	removed := d.in.Removed[key]
	if removed.Keep {
		d.add(Change{Kind: key.Kind, Address: address, ID: key.ID, Action: Release, Before: live.State.Clone(), After: live.State.Clone(),
			Attrs: unchangedAttrs(s, live.State), Range: removed.Range,
			Notes: []Note{{"release", "released from this stack (removed block with destroy = false): its claim and index entry are removed; the " + string(s.Kind) + " stays as it is"}}})
		d.index[key] = nil
		return
	}
	d.deleteOwned(key, address, removed.ForceDestroy, false, removed.Range)
}

func (d *differ) deleteOwned(key model.Key, address string, force, declared bool, rng *Range) {
	s := d.schema(key.Kind)
	live := d.in.Live[key]
	if s.DeleteBlocked != nil {
		if f := s.DeleteBlocked(key.ID, live, force, declared, d.deleteEnv()); f != nil {
			d.refuse(key.Kind, address, key.ID, f.Code, f.Text, rng)
			return
		}
	}
	c := Change{Kind: key.Kind, Address: address, ID: key.ID, Action: Delete, Before: live.State.Clone(),
		Attrs: unchangedAttrs(s, live.State), ForceDestroy: force, Range: rng}
	if force {
		c.Notes = append(c.Notes, Note{"force-destroy", "force_destroy: every object and object version is deleted first (object-lock retention is never bypassed)"})
	}
	d.add(c)
	d.index[key] = nil
}

// unchangedAttrs lists the attributes of r as unchanged, in the kind's order: what a delete or
// a release shows.
func unchangedAttrs(s *Schema, r *model.Resource) []AttrChange {
	var out []AttrChange
	for _, a := range s.Attrs {
		if v := r.Get(a.Name); v != nil {
			name, b, _ := a.present(v, nil)
			out = append(out, AttrChange{Attr: a.Name, Name: name, Before: b, After: b, Sensitive: a.Sensitive})
		}
	}
	return out
}

// MatchTargets reports whether address is selected by targets: an exact match, or a match of
// the whole block (bucket.tenant selects bucket.tenant["acme"]). No targets select everything.
func MatchTargets(targets []string, address string) bool {
	if len(targets) == 0 {
		return true
	}
	for _, t := range targets {
		if t == address || (strings.HasPrefix(address, t) && strings.HasPrefix(address[len(t):], "[")) {
			return true
		}
	}
	return false
}
