package engine

import "github.com/bucketform/bucketform/engine/plan"

// UnmatchedTargets returns the -target addresses that select no bucket: none the configuration
// declares and none the stack's ownership index lists in snap. A mistyped target would otherwise
// plan nothing and report "No changes", which a CI drift check would read as "no drift".
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
		if snap == nil || snap.Deployments[dep.name] == nil {
			continue
		}
		for _, entry := range snap.Deployments[dep.name].Index.Index.Buckets {
			if plan.MatchTargets(targets, entry.Address) {
				return true
			}
		}
	}
	return false
}
