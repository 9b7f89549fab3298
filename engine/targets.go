package engine

import "github.com/bucketform/bucketform/engine/plan"

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
		for _, entry := range ds.Index.Index.Entries() {
			if plan.MatchTargets(targets, entry.Address) {
				return true
			}
		}
		for k, c := range ds.Claims {
			if c.Stack == e.stack && (plan.MatchTargets(targets, c.Address) || plan.MatchTargets(targets, string(k.Kind)+"."+k.ID)) {
				return true
			}
		}
	}
	return false
}
