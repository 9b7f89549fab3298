package engine

import (
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
)

// UnmatchedTargets returns the -target addresses that select no resource: none the
// configuration declares, none the stack's ownership index lists and none the stack claims in
// snap. A mistyped target would otherwise plan nothing and report "No changes", which a CI drift
// check would read as "no drift".
func (e *Engine) UnmatchedTargets(snap *Snapshot) []string {
	var out []string
	for _, t := range e.opts.Targets {
		if !e.targetMatches(t, snap) {
			out = append(out, t)
		}
	}
	return out
}

func (e *Engine) targetMatches(target string, snap *Snapshot) bool {
	targets := []string{target}
	for _, dep := range e.deployments {
		for _, d := range dep.desired {
			if plan.MatchTargets(targets, d.Address) {
				return true
			}
		}
		ds := snap.Deployments[dep.name]
		if snap == nil || ds == nil {
			continue
		}
		// The addresses the plan selects undeclared resources by (see plan.Diff): the index's,
		// else the claim's, else KIND.ID; never those of declared resources, which go by the
		// configuration's address.
		declared := map[model.Key]bool{}
		for _, d := range dep.desired {
			declared[d.Resource.Key()] = true
		}
		for k, entry := range ds.Index.Index.Entries() {
			if !declared[k] && plan.MatchTargets(targets, entry.Address) {
				return true
			}
		}
		for k, c := range ds.Claims {
			if _, indexed := ds.Index.Index.Get(k); c.Stack != e.stack || declared[k] || indexed {
				continue
			}
			address := c.Address
			if address == "" {
				address = string(k.Kind) + "." + k.ID
			}
			if plan.MatchTargets(targets, address) {
				return true
			}
		}
	}
	return false
}
