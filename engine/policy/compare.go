package policy

import (
	"encoding/json"
	"sort"
	"strings"
)

// Grant is one atomic permission of a policy: a statement reduced to a single principal, a
// single action and a single resource. A policy is semantically its set of grants.
type Grant struct {
	Effect    string
	Principal string // "AWS:*"; prefixed with "not " for NotPrincipal
	Action    string // one action, or "not [a b]" for a NotAction list
	Resource  string // one ARN, or "not [a b]" for a NotResource list
	Condition string // canonical JSON of the condition block, "" for none
}

// String renders the grant for plans, e.g. `Allow AWS:* s3:GetObject on arn:aws:s3:::b/*`.
func (g Grant) String() string {
	s := g.Effect + " " + g.Principal + " " + g.Action + " on " + g.Resource
	if g.Condition != "" {
		s += " if " + g.Condition
	}
	return s
}

// Grants returns the sorted, de-duplicated set of grants of d.
func (d Document) Grants() []Grant {
	seen := map[Grant]bool{}
	var out []Grant
	for _, st := range d.Statements {
		cond := ""
		if len(st.Condition) > 0 {
			b, _ := json.Marshal(st.Condition) // maps marshal with sorted keys
			cond = string(b)
		}
		principals := expandPrincipal(st.Principal, "")
		if st.NotPrincipal != nil {
			principals = expandPrincipal(st.NotPrincipal, "not ")
		}
		actions := st.Action
		if len(st.NotAction) > 0 {
			actions = []string{"not [" + strings.Join(st.NotAction, " ") + "]"}
		}
		resources := st.Resource
		if len(st.NotResource) > 0 {
			resources = []string{"not [" + strings.Join(st.NotResource, " ") + "]"}
		}
		for _, p := range principals {
			for _, a := range actions {
				for _, r := range resources {
					g := Grant{Effect: st.Effect, Principal: p, Action: a, Resource: r, Condition: cond}
					if !seen[g] {
						seen[g] = true
						out = append(out, g)
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func expandPrincipal(p Principal, prefix string) []string {
	var out []string
	for typ, vals := range p {
		for _, v := range vals {
			out = append(out, prefix+typ+":"+v)
		}
	}
	sort.Strings(out)
	return out
}

// Equal reports whether a and b grant exactly the same permissions: same Version and Id, and
// the same set of grants, however the statements are split, ordered or spelled.
func Equal(a, b Document) bool {
	if a.IsEmpty() || b.IsEmpty() {
		return a.IsEmpty() == b.IsEmpty()
	}
	if a.Version != b.Version || a.ID != b.ID {
		return false
	}
	ga, gb := a.Grants(), b.Grants()
	if len(ga) != len(gb) {
		return false
	}
	for i := range ga {
		if ga[i] != gb[i] {
			return false
		}
	}
	return true
}

// Diff returns the grants only in before (removed) and only in after (added).
func Diff(before, after Document) (removed, added []Grant) {
	inBefore := map[Grant]bool{}
	for _, g := range before.Grants() {
		inBefore[g] = true
	}
	inAfter := map[Grant]bool{}
	for _, g := range after.Grants() {
		inAfter[g] = true
		if !inBefore[g] {
			added = append(added, g)
		}
	}
	for _, g := range before.Grants() {
		if !inAfter[g] {
			removed = append(removed, g)
		}
	}
	return removed, added
}
