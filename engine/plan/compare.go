package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Differences lists, as sentences for a user, how the plan now differs from a saved plan:
// empty when they are the same plan. Only what apply would do counts: the changes (action,
// attributes before and after, force_destroy), the refusals, the stack, -destroy and -target;
// notes, output values and how the servers were read do not.
func Differences(saved, now *Document) []string {
	var out []string
	if saved.Stack != now.Stack {
		out = append(out, fmt.Sprintf("the plan was made for stack %q, and the configuration now declares stack %q", saved.Stack, now.Stack))
	}
	if saved.Destroy != now.Destroy || !slices.Equal(saved.Targets, now.Targets) {
		out = append(out, "the plan's -destroy or -target differ")
	}
	if saved.Summary != now.Summary {
		out = append(out, fmt.Sprintf("the plan would add %d, change %d and destroy %d, and now %d, %d and %d",
			saved.Summary.Add, saved.Summary.Change, saved.Summary.Destroy, now.Summary.Add, now.Summary.Change, now.Summary.Destroy))
	}
	// Changes are matched by what they change (deployment, kind and identity on the server),
	// never by address alone: a rename is a create and a delete at one address.
	key := func(c ChangeDoc) string { return c.Deployment + "\x00" + string(c.Kind) + "\x00" + c.ID }
	nowBy := map[string]ChangeDoc{}
	for _, c := range now.Changes {
		nowBy[key(c)] = c
	}
	seen := map[string]bool{}
	for _, s := range saved.Changes {
		seen[key(s)] = true
		n, ok := nowBy[key(s)]
		if !ok {
			if s.Action != NoOp {
				out = append(out, fmt.Sprintf("%s (%s %q): the plan would %s, and now it is not in the plan", s.Address, s.Kind, s.ID, verb(s.Action)))
			}
			continue
		}
		out = append(out, changeDifferences(s, n)...)
	}
	for _, n := range now.Changes {
		if !seen[key(n)] && n.Action != NoOp {
			out = append(out, fmt.Sprintf("%s (%s %q): not in the plan, and now it would %s", n.Address, n.Kind, n.ID, verb(n.Action)))
		}
	}
	for _, r := range now.Refusals {
		out = append(out, fmt.Sprintf("%s: now refused: %s", r.Address, r.Reason))
	}
	if len(saved.Refusals) > 0 {
		out = append(out, "the saved plan has refusals: a plan with refusals is never applied")
	}
	return out
}

func changeDifferences(s, n ChangeDoc) []string {
	if s.Address != n.Address {
		return []string{fmt.Sprintf("%s %q: the plan calls it %s, and now %s", s.Kind, s.ID, s.Address, n.Address)}
	}
	if s.Action != n.Action {
		return []string{fmt.Sprintf("%s %q: the plan would %s, and now it would %s", s.Kind, s.ID, verb(s.Action), verb(n.Action))}
	}
	var out []string
	if s.ForceDestroy != n.ForceDestroy {
		out = append(out, fmt.Sprintf("%s %q: force_destroy changed", s.Kind, s.ID))
	}
	nowAttrs := map[string]AttributeDoc{}
	for _, a := range n.Attributes {
		nowAttrs[a.Attribute] = a
	}
	for _, a := range s.Attributes {
		b, ok := nowAttrs[a.Attribute]
		delete(nowAttrs, a.Attribute)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s %q: %s is no longer part of the change", s.Kind, s.ID, a.Attribute))
		case !sameJSON(a.Before, b.Before) || a.BeforeText != b.BeforeText:
			out = append(out, fmt.Sprintf("%s %q: %s was %s when the plan was made, and is %s now", s.Kind, s.ID, a.Attribute, orNone(a.BeforeText), orNone(b.BeforeText)))
		case !sameJSON(a.After, b.After) || a.AfterText != b.AfterText || a.Changed != b.Changed || a.Reset != b.Reset:
			out = append(out, fmt.Sprintf("%s %q: the plan sets %s to %s, and now to %s", s.Kind, s.ID, a.Attribute, orNone(a.AfterText), orNone(b.AfterText)))
		}
	}
	for _, a := range n.Attributes {
		if _, extra := nowAttrs[a.Attribute]; extra {
			out = append(out, fmt.Sprintf("%s %q: %s is now part of the change", s.Kind, s.ID, a.Attribute))
		}
	}
	return out
}

func verb(a Action) string {
	switch a {
	case NoOp:
		return "leave it as it is"
	case Create, Update, Adopt, Release, Replace, Delete:
		return string(a) + " it"
	}
	return string(a) + " it"
}

func orNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// sameJSON compares two JSON values, one of which may have been read back from a file (its
// numbers float64, its objects maps with sorted keys) and the other computed.
func sameJSON(a, b any) bool {
	x, err1 := canonicalJSON(a)
	y, err2 := canonicalJSON(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func canonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	return json.Marshal(tree)
}
