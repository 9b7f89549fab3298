// Package plan decides what to do: it compares the desired state of a configuration with what a
// server holds and the stack's ownership index, and returns a Plan of changes and refusals. It
// does no I/O, so every rule of ownership and every attribute comparison is unit-tested here.
package plan

import (
	"github.com/bucketform/bucketform/config/model"
)

// Action is what a change does to a bucket. The values are the names used in JSON plans.
type Action string

// The actions.
const (
	NoOp   Action = "no-op"
	Create Action = "create"
	Update Action = "update"
	Adopt  Action = "adopt" // take ownership of an existing bucket no stack owns, and converge it
	Delete Action = "delete"
)

// Symbol returns the marker plans show for the action, as Terraform does.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update, Adopt:
		return "~"
	case Delete:
		return "-"
	}
	return " "
}

// Plan is the result of a diff: what will change, and what will not be done and why.
type Plan struct {
	Stack string
	// Destroy is set for a plan made with -destroy.
	Destroy bool
	// Targets are the -target addresses the plan is limited to; empty for a whole plan.
	Targets []string
	// Changes holds one entry per bucket considered, no-ops included, sorted by address.
	Changes []Change
	// Refusals lists everything that will not be done. A plan with refusals is not applied.
	Refusals []Refusal
	// Index holds, per deployment, the ownership index entries to write after applying.
	Index map[string]IndexUpdate
}

// Change is the change of one bucket.
//
//	action   Before                          After
//	create   nil                             the declared attributes
//	update   live values of the attributes   their values after the change (zero for a reset)
//	adopt    as update
//	no-op    as update (Before equals After)
//	delete   the live bucket (tags)          nil
type Change struct {
	Address    string
	Deployment string
	Bucket     string
	Action     Action
	Before     *model.Bucket
	After      *model.Bucket
	// Writes lists, in apply order, the attributes to write with their value in After. An
	// attribute written for a reset (declared before, not any more) has Reset set.
	Writes []Write
	// ObjectLock is set on a create of a bucket with object lock.
	ObjectLock bool
	// WriteOwnerTag is set when the ownership tag must be written (create, adopt); the tags
	// written are After.Tags when tags are among Writes, else the live tags, plus the owner tag.
	WriteOwnerTag bool
	// KeepTags are the bucket's live user tags, written back with the owner tag when tags are
	// not among Writes (the configuration does not manage them, or they already match).
	KeepTags map[string]string
	// ForceDestroy is set on a delete that removes the bucket's objects first.
	ForceDestroy bool
	// Release is set on an update that gives up ownership (a removed block with
	// destroy = false): the ownership tag is removed and KeepTags written back; the bucket, its
	// objects and its other attributes stay.
	Release bool
	// Notes explain the change to humans (not to be used for decisions during apply).
	Notes []string
}

// Write is one attribute write of a change.
type Write struct {
	Attr  model.Attr
	Reset bool
}

// Refusal is something the plan will not do.
type Refusal struct {
	Address    string
	Deployment string
	Bucket     string
	Reason     string
}

// IndexUpdate is the new content of one deployment's ownership index for the buckets the plan
// considered: an entry to set, or nil to remove the bucket from the index. Buckets not in the
// map are left as they are (they were outside -target).
type IndexUpdate map[string]*IndexEntry

// IndexEntry is one bucket's record in the ownership index.
type IndexEntry struct {
	Address string
	Attrs   model.AttrSet
}

// Summary counts changes as Terraform's "Plan:" line does: adopt counts as a change.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			s.Add++
		case Update, Adopt:
			s.Change++
		case Delete:
			s.Destroy++
		}
	}
	return s
}

// HasChanges reports whether applying the plan would change anything on a server.
func (p *Plan) HasChanges() bool {
	s := p.Summary()
	return s.Add+s.Change+s.Destroy > 0
}

// Deletes returns the number of bucket deletions.
func (p *Plan) Deletes() int { return p.Summary().Destroy }
