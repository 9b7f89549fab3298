// Package plan decides what to do: it compares the desired state of a configuration with what
// a server holds, the claims that say which stack owns what, and the stack's ownership index,
// and returns a Plan of changes and refusals. It does no I/O, so every rule of ownership and
// every attribute comparison is unit-tested here.
//
// The plan works on resources of any kind. What a kind brings is its Schema: its attributes
// (how each is named in the configuration, what a reset writes, whether changing it replaces
// the resource or is refused) and its rules (what blocks a delete). Nothing here names a kind.
//
// A Plan is computed once and then shown and applied: Document turns it into the versioned
// document that every view renders (human, Markdown, JSON) and that plan files store; apply
// uses the Plan itself.
package plan

import (
	"github.com/bucketform/bucketform/config/model"
)

// Action is what a change does to a resource. The values are the names used in JSON plans.
type Action string

// The actions.
const (
	NoOp   Action = "no-op"
	Create Action = "create"
	Update Action = "update"
	// Adopt takes ownership of an existing resource no stack owns, and converges it.
	Adopt Action = "adopt"
	// Release gives a resource up from the stack without deleting it (a removed block with
	// destroy = false; Terraform calls it forget).
	Release Action = "release"
	// Replace deletes the resource and creates it again, for a change the server cannot make
	// in place.
	Replace Action = "replace"
	Delete  Action = "delete"
)

// Actions lists every action, in the order plans explain them.
var Actions = []Action{Create, Update, Adopt, Release, Replace, Delete, NoOp}

// Symbol returns the marker plans show for the action, as Terraform does.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update, Adopt:
		return "~"
	case Release:
		return "."
	case Replace:
		return "-/+"
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
	// Changes holds one entry per resource considered, no-ops included, sorted by address.
	Changes []Change
	// Refusals lists everything that will not be done. A plan with refusals is not applied.
	Refusals []Refusal
	// Index holds, per deployment, what the ownership index should say after a complete
	// apply of the resources the plan considered: an entry to set, or nil to forget one.
	// Apply writes only what it applied (see engine).
	Index map[string]IndexUpdate
}

// Change is the change of one resource.
//
//	action   Before                               After
//	create   nil                                  the declared attributes
//	update   live values of concerned attributes  their values after the change (the
//	                                              default for a reset)
//	adopt    as update
//	no-op    as update (Before equals After)
//	replace  live values of concerned attributes  the declared attributes
//	release  the live resource as read            the same
//	delete   the live resource as read            nil
//
// Concerned attributes are those the configuration declares and, for a resource the stack
// owns, those it declared before.
type Change struct {
	Kind       model.Kind
	Address    string
	Deployment string
	ID         string
	Action     Action
	Before     *model.Resource
	After      *model.Resource
	// Attrs lists every concerned attribute, in the kind's order, computed once here: its
	// name as the configuration writes it, before and after, and whether it changes.
	Attrs []AttrChange
	// ForceDestroy is set on a delete that removes the bucket's objects first.
	ForceDestroy bool
	// Notes explain the change to humans (not to be used for decisions during apply).
	Notes []Note
	// Range is the configuration block the change comes from, when there is one.
	Range *Range
}

// Key returns the key of the changed resource.
func (c *Change) Key() model.Key { return model.Key{Kind: c.Kind, ID: c.ID} }

// Changed returns the attributes that change.
func (c *Change) Changed() []AttrChange {
	var out []AttrChange
	for _, a := range c.Attrs {
		if a.Changed {
			out = append(out, a)
		}
	}
	return out
}

// AttrChange is one attribute of a change.
type AttrChange struct {
	// Attr is the attribute's stable name (the ownership index records it).
	Attr string
	// Name is the attribute as the configuration names it (`anonymous` or `policy` for a
	// bucket's policy, never both).
	Name string
	// Before and After are the values as plans show them; nil when absent.
	Before, After model.Value
	// Changed is set when apply writes the attribute; never on a delete, where the whole
	// resource goes, nor on a release.
	Changed bool
	// Reset is set when the attribute is no longer declared and goes back to the server's
	// default.
	Reset bool
	// Sensitive is set for secrets: plans show (sensitive) and never the value.
	Sensitive bool
	// ForcesReplacement is set on a changed attribute that cannot be changed in place.
	ForcesReplacement bool
}

// Note is an explanation of a change or of the plan, with a stable code.
type Note struct {
	Code string
	Text string
}

// Refusal is something the plan will not do.
type Refusal struct {
	Kind       model.Kind
	Address    string
	Deployment string
	ID         string
	// Code names the rule, e.g. "owned-by-other-stack"; stable, for scripts.
	Code   string
	Reason string
	// Range is the configuration block that caused the refusal, when there is one.
	Range *Range
}

// Range is a source range of the configuration: a file (relative to the configuration
// directory) and the lines and columns of a block.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Pos is a position in a file: line and column, from 1.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// IndexUpdate is what the plan would record in one deployment's ownership index: an entry to
// set, or nil to forget the resource. Resources not in the map are left as they are (they were
// outside -target).
type IndexUpdate map[model.Key]*IndexEntry

// IndexEntry is one resource's record in a stack's ownership index: the address it had and the
// attributes the stack declared.
type IndexEntry struct {
	Address string
	Attrs   []string
	// Unsettled are attributes whose last write failed part way: they are written again.
	Unsettled []string
}

// Summary counts changes as Terraform's "Plan:" line does: adopt and release count as a
// change, replace once as an add and once as a destroy.
type Summary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// Count adds one change of action a to s.
func (s *Summary) Count(a Action) {
	switch a {
	case Create:
		s.Add++
	case Update, Adopt, Release:
		s.Change++
	case Replace:
		s.Add++
		s.Destroy++
	case Delete:
		s.Destroy++
	}
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		s.Count(c.Action)
	}
	return s
}

// HasChanges reports whether applying the plan would change anything on a server.
func (p *Plan) HasChanges() bool {
	s := p.Summary()
	return s.Add+s.Change+s.Destroy > 0
}

// Deletes returns the number of resources the plan deletes, replacements included.
func (p *Plan) Deletes() int { return p.Summary().Destroy }
