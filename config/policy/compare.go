package policy

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
)

// Grant is one atomic permission of a policy: a statement reduced to a single principal, a
// single action and a single resource. A policy is semantically its set of grants.
type Grant struct {
	Effect    string
	Principal string // "AWS:*"; prefixed with "not " for NotPrincipal; "" in an identity policy
	Action    string // one action, or "not [a b]" for a NotAction list
	Resource  string // one ARN, or "not [a b]" for a NotResource list
	Condition string // canonical JSON of the condition block, "" for none
}

// String renders the grant for plans, e.g. `Allow AWS:* s3:GetObject on arn:aws:s3:::b/*`, or
// `Allow s3:GetObject on arn:aws:s3:::b/*` for a grant of an identity policy.
func (g Grant) String() string {
	s := g.Effect + " "
	if g.Principal != "" {
		s += g.Principal + " "
	}
	s += g.Action
	if g.Resource != "" {
		s += " on " + g.Resource
	}
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
		if st.Principal == nil && st.NotPrincipal == nil {
			principals = []string{""} // an identity policy: the identity it is attached to
		}
		actions := st.Action
		if len(st.NotAction) > 0 {
			actions = []string{"not [" + strings.Join(st.NotAction, " ") + "]"}
		}
		resources := st.Resource
		if len(st.NotResource) > 0 {
			resources = []string{"not [" + strings.Join(st.NotResource, " ") + "]"}
		}
		if len(resources) == 0 {
			resources = []string{""} // an admin statement of an identity policy takes no resource
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
	keys := make([]string, len(out))
	for i, g := range out {
		keys[i] = g.String()
	}
	sort.Sort(byKey{out, keys})
	return out
}

// byKey sorts grants by their String, computed once per grant.
type byKey struct {
	grants []Grant
	keys   []string
}

func (b byKey) Len() int           { return len(b.grants) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.grants[i], b.grants[j] = b.grants[j], b.grants[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
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
	if sameStatements(a.Statements, b.Statements) {
		// The same statements field by field grant the same: the common case of a live policy
		// that is the one bucketform wrote, decided without building the grant sets.
		return true
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

// sameStatements reports whether a and b hold the same statements in the same order, every
// field equal (lists are sorted sets in a parsed Document, so equal sets are equal lists).
func sameStatements(a, b []Statement) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Sid != y.Sid || x.Effect != y.Effect ||
			!samePrincipal(x.Principal, y.Principal) || !samePrincipal(x.NotPrincipal, y.NotPrincipal) ||
			!slices.Equal(x.Action, y.Action) || !slices.Equal(x.NotAction, y.NotAction) ||
			!slices.Equal(x.Resource, y.Resource) || !slices.Equal(x.NotResource, y.NotResource) ||
			!sameCondition(x.Condition, y.Condition) {
			return false
		}
	}
	return true
}

func samePrincipal(a, b Principal) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

func sameCondition(a, b map[string]map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for op, keys := range a {
		other, ok := b[op]
		if !ok || len(other) != len(keys) {
			return false
		}
		for k, v := range keys {
			w, ok := other[k]
			if !ok || !slices.Equal(v, w) {
				return false
			}
		}
	}
	return true
}
