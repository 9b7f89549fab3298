package plan

import "github.com/bucketform/bucketform/config/model"

// Schema is what a kind of resource tells the plan: its attributes and its rules. The kind's
// server code (reading, writing) lives with the engine; the plan needs only this.
type Schema struct {
	Kind model.Kind
	// IDName is how plans name the identity in a resource's before and after values: "name"
	// for a bucket, "access_key" for a user.
	IDName string
	// Marked says the kind carries an ownership mark for people (a bucket's bucketform-stack
	// tag, read into Live.Tagged): apply writes it again where it is missing.
	Marked bool
	// Order places the kind in apply order: creates and updates of lower orders first (a
	// policy before the users that use it), deletes in reverse.
	Order int
	// Attrs lists the attributes in the order plans show them and apply writes them.
	Attrs []AttrSchema
	// Check returns the refusals and notes for a declared resource that exists and that the
	// stack owns or adopts, given its live state. Nil means none.
	Check func(want *model.Resource, live *model.Live) []Finding
	// CheckCreate returns the refusals for a resource the plan would create (or create again,
	// replacing it), given the rest of the configuration; findings that do not refuse are
	// ignored. Nil means none.
	CheckCreate func(want *model.Resource, env DeleteEnv) []Finding
	// DeleteBlocked returns why an owned resource cannot be deleted (a bucket that holds
	// objects, a user with service accounts of another stack), or nil. declared is set when
	// the resource is still declared (apply -destroy).
	DeleteBlocked func(id string, live *model.Live, force, declared bool, env DeleteEnv) *Finding
	// ReadAlso returns attributes refresh must read besides the declared and previously
	// declared ones, for Check (a bucket's object lock, when versioning is to be suspended).
	ReadAlso func(want *model.Resource) []string
}

// DeleteEnv answers DeleteBlocked's and CheckCreate's questions about other resources.
type DeleteEnv struct {
	// Owned reports whether the stack owns a resource.
	Owned func(model.Key) bool
	// Declared reports whether the configuration declares a resource; Desired returns it.
	Declared func(model.Key) bool
	Desired  func(model.Key) *model.Resource
}

// AttrSchema describes one attribute of a kind.
type AttrSchema struct {
	// Name is the attribute's stable name, recorded in the ownership index.
	Name string
	// ConfigName is how the configuration writes it; "" means Name.
	ConfigName string
	// Present, when set, decides how a change of the attribute is named and shown (a
	// bucket's policy shows as `anonymous` or as `policy`). before or after is nil when absent.
	Present func(before, after model.Value) (name string, b, a model.Value)
	// Reset is the value a reset writes (the server's default). Nil means the attribute
	// cannot be reset: NoReset explains what happens instead.
	Reset   model.Value
	NoReset func(live model.Value) string
	// CreateOnly, when set, makes the attribute one that can only be chosen at creation: a
	// declared value that differs from the live one is refused, with the reason it returns.
	CreateOnly func(live, want model.Value) string
	// Replace makes a change of the attribute replace the resource.
	Replace bool
	// Sensitive attributes show as (sensitive).
	Sensitive bool
}

// Finding is a refusal or a note a kind's rules produce.
type Finding struct {
	// Code names the rule, stable, e.g. "bucket-not-empty".
	Code string
	Text string
	// Refuse makes the finding a refusal; otherwise it is a note.
	Refuse bool
}

// attr returns the schema of attribute name, or nil.
func (s *Schema) attr(name string) *AttrSchema {
	for i := range s.Attrs {
		if s.Attrs[i].Name == name {
			return &s.Attrs[i]
		}
	}
	return nil
}

// present names and shows a change of attribute a.
func (a *AttrSchema) present(before, after model.Value) (string, model.Value, model.Value) {
	if a.Present != nil {
		return a.Present(before, after)
	}
	name := a.ConfigName
	if name == "" {
		name = a.Name
	}
	return name, before, after
}

// ReadAttrs returns the attributes refresh must read for a declared resource: what the
// configuration declares, what the stack declared before (when it owns the resource: owned),
// and what the kind's rules need.
func (s *Schema) ReadAttrs(want *model.Resource, indexed *IndexEntry, owned bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if !seen[a] && s.attr(a) != nil {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range s.Attrs {
		if want.Has(a.Name) {
			add(a.Name)
		}
	}
	if indexed != nil && owned {
		for _, a := range indexed.Attrs {
			add(a)
		}
	}
	if s.ReadAlso != nil {
		for _, a := range s.ReadAlso(want) {
			add(a)
		}
	}
	return out
}
