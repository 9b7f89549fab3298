package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
)

// Input is everything the diff of one deployment needs.
type Input struct {
	Deployment string
	Stack      string
	// Desired lists the buckets the configuration declares on this deployment.
	Desired []Desired
	// Index is the stack's ownership index on this deployment, by bucket name.
	Index map[string]IndexEntry
	// Live holds what the server has, by bucket name, for every desired and indexed bucket.
	Live map[string]model.Live
	// Removed holds the removed blocks of this deployment, by bucket name.
	Removed map[string]Removed
	// Destroy plans the deletion of everything the stack owns (plan -destroy).
	Destroy bool
	// Targets limits the plan to these addresses (-target); empty means everything.
	Targets []string
}

// Desired is one bucket the configuration declares.
type Desired struct {
	Address      string
	State        model.Bucket
	ForceDestroy bool
}

// Removed is a removed block: a bucket no longer declared that may be deleted with its objects,
// or released from the stack without being deleted.
type Removed struct {
	ForceDestroy bool
	// Keep (destroy = false) releases the bucket: it stays on the server, owned by no stack.
	Keep bool
}

// ReadAttrs returns the attributes refresh must read for a desired bucket, given its owner tag
// and its index entry: what the configuration declares, what the stack declared before (when it
// owns the bucket), and object lock when versioning is to be suspended (the server refuses that
// under object lock, so the plan must know).
func ReadAttrs(stack, owner string, d model.Bucket, indexed *IndexEntry) model.AttrSet {
	attrs := model.AttrSet{}
	if owner != "" && owner != stack {
		return attrs // another stack's bucket: it will be refused, nothing more to read
	}
	for a := range d.Attrs {
		attrs[a] = true
	}
	if indexed != nil && owner == stack {
		for a := range indexed.Attrs {
			attrs[a] = true
		}
	}
	if d.Attrs.Has(model.AttrVersioning) && d.Versioning == model.VersioningSuspended {
		attrs[model.AttrObjectLock] = true
	}
	delete(attrs, model.AttrTags) // always read with ownership
	return attrs
}

// Diff compares desired and live state of each deployment and returns the plan.
func Diff(stack string, destroy bool, inputs []Input) *Plan {
	p := &Plan{Stack: stack, Destroy: destroy, Index: map[string]IndexUpdate{}}
	for _, in := range inputs {
		d := differ{in: in, plan: p, index: IndexUpdate{}}
		d.run()
		p.Index[in.Deployment] = d.index
	}
	sort.SliceStable(p.Changes, func(i, j int) bool {
		if p.Changes[i].Address != p.Changes[j].Address {
			return p.Changes[i].Address < p.Changes[j].Address
		}
		return p.Changes[i].Deployment < p.Changes[j].Deployment
	})
	sort.SliceStable(p.Refusals, func(i, j int) bool { return p.Refusals[i].Address < p.Refusals[j].Address })
	return p
}

type differ struct {
	in    Input
	plan  *Plan
	index IndexUpdate
}

func (d *differ) run() {
	declared := map[string]bool{}
	for _, want := range d.in.Desired {
		declared[want.State.Name] = true
		if !MatchTargets(d.in.Targets, want.Address) {
			continue
		}
		if d.in.Destroy {
			d.destroyDeclared(want)
		} else {
			d.declared(want)
		}
	}
	names := make([]string, 0, len(d.in.Index))
	for name := range d.in.Index {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		entry := d.in.Index[name]
		if declared[name] || !MatchTargets(d.in.Targets, entry.Address) {
			continue
		}
		d.undeclared(name, entry)
	}
}

func (d *differ) refuse(address, bucket, reason string) {
	d.plan.Refusals = append(d.plan.Refusals, Refusal{Address: address, Deployment: d.in.Deployment, Bucket: bucket, Reason: reason})
}

func (d *differ) add(c Change) {
	c.Deployment = d.in.Deployment
	d.plan.Changes = append(d.plan.Changes, c)
}

// owned reports whether the stack owns the bucket: its index lists it and its tag agrees.
func (d *differ) owned(name string, live model.Live) bool {
	_, indexed := d.in.Index[name]
	return indexed && live.Exists && live.Owner == d.in.Stack
}

// writeOrder is the order attributes are written in: versioning before lifecycle rules that
// act on noncurrent versions, tags early so an interrupted create leaves an owned bucket.
var writeOrder = []model.Attr{model.AttrTags, model.AttrVersioning, model.AttrPolicy, model.AttrQuota, model.AttrLifecycle}

func (d *differ) declared(want Desired) {
	name := want.State.Name
	live := d.in.Live[name]
	entry, indexed := d.in.Index[name]
	declaredAttrs := want.State.Attrs
	if !live.Exists {
		c := Change{Address: want.Address, Bucket: name, Action: Create, After: cloneBucket(want.State),
			ObjectLock: want.State.ObjectLock, WriteOwnerTag: true}
		for _, a := range writeOrder {
			if declaredAttrs.Has(a) && !isDefault(a, &want.State) {
				c.Writes = append(c.Writes, Write{Attr: a})
			}
		}
		if indexed {
			c.Notes = append(c.Notes, "owned by this stack but missing from the server: it will be created again")
		}
		d.add(c)
		d.index[name] = &IndexEntry{Address: want.Address, Attrs: declaredAttrs}
		return
	}
	if live.Owner != "" && live.Owner != d.in.Stack {
		d.refuse(want.Address, name, fmt.Sprintf("bucket %q is owned by stack %q; bucketform never adopts, changes or deletes another stack's bucket "+
			"(to move it, release it from stack %q first: see \"Moving a bucket between stacks\" in the README)", name, live.Owner, live.Owner))
		if indexed {
			d.index[name] = nil
		}
		return
	}
	var prev model.AttrSet
	action := Update
	var notes []string
	switch {
	case d.owned(name, live):
		prev = entry.Attrs
	case live.Owner == d.in.Stack:
		action = Adopt
		notes = append(notes, "tagged by this stack but missing from its ownership index (an interrupted apply?): it will be recorded again")
	case indexed:
		action = Adopt
		notes = append(notes, "listed in this stack's ownership index but its "+model.OwnerTag+" tag is missing: it will be adopted again")
	default:
		action = Adopt
		notes = append(notes, "exists and no stack owns it: it will be adopted (attributes the configuration does not declare are left as they are)")
	}

	if declaredAttrs.Has(model.AttrObjectLock) && live.State.ObjectLock != want.State.ObjectLock {
		d.refuse(want.Address, name, fmt.Sprintf("object_lock is %v on the server and %v in the configuration; object lock can only be chosen when a bucket is created "+
			"(set object_lock = %v, or create a new bucket under another name)", live.State.ObjectLock, want.State.ObjectLock, live.State.ObjectLock))
	}
	if declaredAttrs.Has(model.AttrVersioning) && want.State.Versioning == model.VersioningSuspended && live.State.ObjectLock {
		d.refuse(want.Address, name, "versioning cannot be suspended on a bucket with object lock; the server refuses it (set versioning = \"enabled\")")
	}

	concerned := declaredAttrs.Union(prev)
	before := restrict(live.State, concerned)
	after := restrict(live.State, concerned)
	var writes []Write
	for _, a := range writeOrder {
		switch {
		case declaredAttrs.Has(a):
			copyAttr(a, after, &want.State)
			if !EqualAttr(a, before, after) {
				writes = append(writes, Write{Attr: a})
			}
		case prev.Has(a) && a == model.AttrVersioning:
			notes = append(notes, fmt.Sprintf("versioning is no longer declared; it stays %s, because a bucket cannot return to never versioned", live.State.Versioning.Display()))
		case prev.Has(a):
			resetAttr(a, after)
			if !EqualAttr(a, before, after) {
				writes = append(writes, Write{Attr: a, Reset: true})
			}
		}
	}
	if declaredAttrs.Has(model.AttrObjectLock) {
		after.ObjectLock = want.State.ObjectLock
	}
	if action == Update && len(writes) == 0 {
		action = NoOp
	}
	c := Change{Address: want.Address, Bucket: name, Action: action, Before: before, After: after,
		Writes: writes, WriteOwnerTag: action == Adopt, Notes: notes}
	if c.WriteOwnerTag {
		// Written with the owner tag unless tags are among the writes: also when the
		// configuration declares tags that already match (an adopted bucket, or one created by
		// an interrupted apply), or they would be wiped.
		c.KeepTags = copyTags(live.State.Tags)
	}
	d.add(c)
	d.index[name] = &IndexEntry{Address: want.Address, Attrs: declaredAttrs}
}

func (d *differ) destroyDeclared(want Desired) {
	name := want.State.Name
	live := d.in.Live[name]
	if !d.owned(name, live) {
		return // not ours: -destroy never touches it
	}
	d.deleteOwned(want.Address, name, live, want.ForceDestroy, "")
}

func (d *differ) undeclared(name string, entry IndexEntry) {
	live := d.in.Live[name]
	if !d.owned(name, live) {
		d.index[name] = nil // stale record: the bucket is gone or no longer carries our tag
		return
	}
	removed := d.in.Removed[name]
	if removed.Keep {
		before := restrict(live.State, model.NewAttrSet(model.AttrTags))
		d.add(Change{Address: entry.Address, Bucket: name, Action: Update, Before: before, After: restrict(live.State, model.NewAttrSet(model.AttrTags)),
			Release: true, KeepTags: copyTags(live.State.Tags),
			Notes: []string{"released from this stack (removed block with destroy = false): its " + model.OwnerTag + " tag and index entry are removed; the bucket and its objects stay"}})
		d.index[name] = nil
		return
	}
	d.deleteOwned(entry.Address, name, live, removed.ForceDestroy,
		"no longer declared; add a removed block with force_destroy = true to delete it with its objects, empty it, or declare it again")
}

func (d *differ) deleteOwned(address, name string, live model.Live, force bool, hint string) {
	if hint == "" {
		hint = "set force_destroy = true on it to delete it with its objects, or empty it first"
	}
	if !force && live.Emptiness == model.NotEmpty {
		d.refuse(address, name, fmt.Sprintf("bucket %q holds objects and only empty buckets are deleted: %s", name, hint))
		return
	}
	c := Change{Address: address, Bucket: name, Action: Delete, Before: cloneBucket(live.State), ForceDestroy: force}
	if force {
		c.Notes = append(c.Notes, "force_destroy: every object and object version is deleted first (object-lock retention is never bypassed)")
	}
	d.add(c)
	d.index[name] = nil
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

func isDefault(a model.Attr, b *model.Bucket) bool {
	var zero model.Bucket
	if a == model.AttrVersioning {
		return b.Versioning == model.VersioningNever
	}
	return EqualAttr(a, b, &zero)
}

// EqualAttr compares one attribute semantically: policies as grant sets, sizes as bytes, tags
// as maps, lifecycle rules by ID.
func EqualAttr(a model.Attr, x, y *model.Bucket) bool {
	switch a {
	case model.AttrPolicy:
		return policy.Equal(x.Policy, y.Policy)
	case model.AttrVersioning:
		return x.Versioning == y.Versioning
	case model.AttrQuota:
		return x.Quota == y.Quota
	case model.AttrTags:
		return equalTags(x.Tags, y.Tags)
	case model.AttrObjectLock:
		return x.ObjectLock == y.ObjectLock
	case model.AttrLifecycle:
		return equalLifecycle(x.Lifecycle, y.Lifecycle)
	}
	return false
}

func equalTags(x, y map[string]string) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if w, ok := y[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func equalLifecycle(x, y []model.LifecycleRule) bool {
	if len(x) != len(y) {
		return false
	}
	xs, ys := model.SortLifecycle(x), model.SortLifecycle(y)
	for i := range xs {
		if xs[i] != ys[i] {
			return false
		}
	}
	return true
}

func copyAttr(a model.Attr, dst, src *model.Bucket) {
	switch a {
	case model.AttrPolicy:
		dst.Policy = src.Policy
	case model.AttrVersioning:
		dst.Versioning = src.Versioning
	case model.AttrQuota:
		dst.Quota = src.Quota
	case model.AttrTags:
		dst.Tags = copyTags(src.Tags)
	case model.AttrObjectLock:
		dst.ObjectLock = src.ObjectLock
	case model.AttrLifecycle:
		dst.Lifecycle = model.SortLifecycle(src.Lifecycle)
	}
	dst.Attrs[a] = true
}

func resetAttr(a model.Attr, b *model.Bucket) {
	var zero model.Bucket
	copyAttr(a, b, &zero)
}

// restrict returns a copy of b holding only the attributes in attrs.
func restrict(b model.Bucket, attrs model.AttrSet) *model.Bucket {
	out := &model.Bucket{Name: b.Name, Attrs: model.AttrSet{}}
	for a := range attrs {
		copyAttr(a, out, &b)
	}
	return out
}

func cloneBucket(b model.Bucket) *model.Bucket {
	attrs := b.Attrs
	if attrs == nil {
		attrs = model.AttrSet{}
	}
	return restrict(b, attrs)
}

func copyTags(t map[string]string) map[string]string {
	out := make(map[string]string, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}
