package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
)

// Reread reads again exactly what snap holds — the same indexes, buckets and attributes — so a
// saved plan can be checked against the server before it is applied.
func (e *Engine) Reread(ctx context.Context, snap *Snapshot) (*Snapshot, error) {
	now := &Snapshot{Deployments: map[string]*DeploymentSnapshot{}}
	var jobs []readJob
	for name, old := range snap.Deployments {
		dep := e.deployment(name)
		if dep == nil {
			return nil, fmt.Errorf("the plan was made for minio %q, which the configuration no longer declares", name)
		}
		idx, err := dep.store.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("minio %q (%s): %w", dep.name, dep.client.Endpoint(), err)
		}
		ds := &DeploymentSnapshot{Endpoint: dep.client.Endpoint(), Index: idx, Live: map[string]model.Live{}}
		now.Deployments[name] = ds
		for bucket, live := range old.Live {
			attrs := live.State.Attrs
			checkEmpty := live.Emptiness != model.EmptinessUnknown
			jobs = append(jobs, readJob{dep: dep, name: bucket, store: ds,
				want:  func(string) model.AttrSet { return withoutTags(attrs) },
				empty: func(model.Live) bool { return checkEmpty }})
		}
	}
	if err := e.runReads(ctx, jobs); err != nil {
		return nil, err
	}
	// A deployment the configuration declares and the plan does not concern (a minio block
	// added since the plan was made) gets an empty snapshot: the plan changes nothing there.
	for _, dep := range e.deployments {
		if now.Deployments[dep.name] == nil {
			now.Deployments[dep.name] = &DeploymentSnapshot{Endpoint: dep.client.Endpoint(), Live: map[string]model.Live{}}
		}
	}
	now.ReadAt = time.Now().UTC()
	return now, nil
}

func withoutTags(attrs model.AttrSet) model.AttrSet {
	out := model.AttrSet{}
	for a := range attrs {
		if a != model.AttrTags {
			out[a] = true
		}
	}
	return out
}

// Differences lists what differs between two snapshots of the same reads, as sentences for a
// user: empty when the server is as it was.
func Differences(before, after *Snapshot) []string {
	var out []string
	for name, b := range before.Deployments {
		a, ok := after.Deployments[name]
		if !ok {
			out = append(out, fmt.Sprintf("minio %q was not read", name))
			continue
		}
		if !sameIndex(b.Index.Index, a.Index.Index) {
			out = append(out, fmt.Sprintf("minio %q: the stack's ownership index changed (another apply ran?)", name))
		}
		for bucket, lb := range b.Live {
			la := a.Live[bucket]
			if diff := liveDifference(lb, la); diff != "" {
				out = append(out, fmt.Sprintf("minio %q: bucket %s: %s", name, bucket, diff))
			}
		}
	}
	sort.Strings(out)
	return out
}

func liveDifference(b, a model.Live) string {
	switch {
	case b.Exists != a.Exists:
		if a.Exists {
			return "was created"
		}
		return "was deleted"
	case !b.Exists:
		return ""
	case b.Owner != a.Owner:
		return fmt.Sprintf("its owner tag changed from %q to %q", b.Owner, a.Owner)
	case b.Emptiness != a.Emptiness:
		return "objects were written to it or deleted from it"
	}
	var changed []string
	for _, attr := range b.State.Attrs.Sorted() {
		if !plan.EqualAttr(attr, &b.State, &a.State) {
			changed = append(changed, string(attr))
		}
	}
	if len(changed) > 0 {
		return "changed " + strings.Join(changed, ", ")
	}
	return ""
}

func sameIndex(a, b ownership.Index) bool {
	if len(a.Buckets) != len(b.Buckets) {
		return false
	}
	for name, ea := range a.Buckets {
		eb, ok := b.Buckets[name]
		if !ok || ea.Address != eb.Address || !sameAttrs(ea.AttrSet(), eb.AttrSet()) {
			return false
		}
	}
	return true
}
