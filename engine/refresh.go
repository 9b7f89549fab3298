package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// Refresh reads, on every deployment at once, the stack's ownership index and every claim,
// then each kind's resources that the configuration declares or the stack owns (a resource
// another stack claims is not read: the plan refuses it), at most Parallelism requests at a
// time per server.
func (e *Engine) Refresh(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{Deployments: map[string]*DeploymentSnapshot{}}
	for _, dep := range e.deployments {
		snap.Deployments[dep.name] = &DeploymentSnapshot{Endpoint: dep.client.Endpoint(), Live: map[model.Key]*model.Live{}, Reads: map[model.Kind]string{}}
	}
	g, gctx := errgroup.WithContext(ctx)
	prefetched := e.prefetch(gctx, g)
	for _, dep := range e.deployments {
		ds := snap.Deployments[dep.name]
		g.Go(func() error { return e.readOwnership(gctx, dep, ds) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	reqs := map[string]map[model.Kind][]kind.Request{}
	total := 0
	for _, dep := range e.deployments {
		reqs[dep.name] = e.requests(dep, snap.Deployments[dep.name])
		for _, rs := range reqs[dep.name] {
			total += len(rs)
		}
	}
	var done atomic.Int64
	g, gctx = errgroup.WithContext(ctx)
	for _, dep := range e.deployments {
		ds := snap.Deployments[dep.name]
		g.Go(func() error {
			shared := kind.NewShared()
			for _, k := range e.order {
				rs := reqs[dep.name][k]
				if len(rs) == 0 {
					continue
				}
				env := e.env(dep)
				env.Shared = shared
				env.Prefetched = prefetched[dep.name][k]
				env.Progress = func() { e.progress("refresh", int(done.Add(1)), total) }
				live, err := e.kinds[k].Read(gctx, env, rs)
				if err != nil {
					return fmt.Errorf("minio %q (%s): %w", dep.name, dep.client.Endpoint(), server.Explain(err))
				}
				ds.Reads[k] = env.Read
				if env.ReadNote != "" {
					ds.ReadNotes = append(ds.ReadNotes, env.ReadNote)
				}
				for _, r := range rs {
					l := live[r.ID]
					if l == nil {
						l = &model.Live{}
					}
					if l.State == nil {
						l.State = model.NewResource(k, r.ID)
					}
					ds.Live[model.Key{Kind: k, ID: r.ID}] = l
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return snap, nil
}

// prefetch starts in g, beside the reads of the indexes and claims, what each kind that is a
// kind.Prefetcher can read knowing only how many resources of it are declared (and selected
// by -target) on each server: one export of every bucket when many are declared. What it
// returns, by deployment and kind, is for Read, once g is done.
func (e *Engine) prefetch(ctx context.Context, g *errgroup.Group) map[string]map[model.Kind]any {
	out := map[string]map[model.Kind]any{}
	var mu sync.Mutex
	for _, dep := range e.deployments {
		out[dep.name] = map[model.Kind]any{}
		declared := map[model.Kind]int{}
		for _, d := range dep.desired {
			if plan.MatchTargets(e.opts.Targets, d.Address) {
				declared[d.Resource.Key().Kind]++
			}
		}
		for k, n := range declared {
			p, ok := e.kinds[k].(kind.Prefetcher)
			if !ok {
				continue
			}
			g.Go(func() error {
				v := p.Prefetch(ctx, e.env(dep), n)
				mu.Lock()
				out[dep.name][k] = v
				mu.Unlock()
				return nil
			})
		}
	}
	return out
}

// readOwnership reads a deployment's index and claims, and the address of every claim of the
// stack that the index does not list (an apply interrupted between claiming and recording).
func (e *Engine) readOwnership(ctx context.Context, dep *deployment, ds *DeploymentSnapshot) error {
	wrap := func(err error) error { return fmt.Errorf("minio %q (%s): %w", dep.name, dep.client.Endpoint(), err) }
	// Claims in a state bucket others may write are not evidence of anything: a plan from
	// them could show deleting a bucket the stack never owned. (An identity that may not read
	// the state bucket's policy plans anyway; apply checks again and refuses.) The check, the
	// index and the claims are read at once: none needs another.
	var (
		idx      ownership.Snapshot
		claims   map[model.Key]ownership.Claim
		checkErr error
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { checkErr = dep.store.CheckPrivate(gctx); return nil })
	g.Go(func() (err error) { idx, err = dep.store.Load(gctx); return err })
	g.Go(func() (err error) { claims, err = dep.store.Claims(gctx); return err })
	if err := g.Wait(); err != nil {
		return wrap(err)
	}
	switch {
	case checkErr == nil:
		ds.StateChecked = true
	case !isDenied(checkErr):
		return wrap(checkErr)
	}
	declared := map[model.Key]bool{}
	for _, d := range dep.desired {
		declared[d.Resource.Key()] = true
	}
	for k, c := range claims {
		if _, indexed := idx.Index.Get(k); c.Stack != e.stack || indexed || declared[k] || c.Address != "" {
			continue
		}
		full, found, err := dep.store.ReadClaim(ctx, k)
		if err != nil {
			return wrap(err)
		}
		if found {
			claims[k] = full
		}
	}
	ds.Index, ds.Claims = idx, claims
	return nil
}

// isDenied reports whether err is an AccessDenied answer anywhere in its chain.
func isDenied(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if server.Code(err) == server.CodeAccessDenied {
			return true
		}
	}
	return false
}

func (e *Engine) env(dep *deployment) *kind.Env {
	return &kind.Env{Client: dep.client, Stack: e.stack, Parallelism: e.opts.Parallelism}
}

// requests returns what each kind must read on a deployment, by kind.
func (e *Engine) requests(dep *deployment, ds *DeploymentSnapshot) map[model.Kind][]kind.Request {
	out := map[model.Kind][]kind.Request{}
	declared := map[model.Key]bool{}
	for _, d := range dep.desired {
		key := d.Resource.Key()
		declared[key] = true
		if !plan.MatchTargets(e.opts.Targets, d.Address) {
			continue
		}
		claim, claimed := ds.Claims[key]
		if claimed && claim.Stack != e.stack {
			continue // another stack's: refused, nothing to read
		}
		ie, indexed := ds.Index.Index.Get(key)
		owned := claimed || indexed // without a claim: owned if its mark agrees (read below)
		req := kind.Request{ID: key.ID, Want: d.Resource}
		if e.opts.Destroy {
			req.Deletable, req.Force = owned, d.ForceDestroy
		} else {
			var entry *plan.IndexEntry
			if indexed {
				entry = &plan.IndexEntry{Address: ie.Address, Attrs: ie.Attrs}
			}
			req.Attrs = e.schemas[key.Kind].ReadAttrs(d.Resource, entry, owned)
		}
		out[key.Kind] = append(out[key.Kind], req)
	}
	undeclared := map[model.Key]string{}
	for k, ie := range ds.Index.Index.Entries() {
		undeclared[k] = ie.Address
	}
	for k, c := range ds.Claims {
		if c.Stack == e.stack {
			if _, ok := undeclared[k]; !ok {
				undeclared[k] = c.Address
			}
		}
	}
	for k, address := range undeclared {
		if declared[k] || e.kinds[k.Kind] == nil {
			continue
		}
		if address == "" {
			address = string(k.Kind) + "." + k.ID
		}
		if !plan.MatchTargets(e.opts.Targets, address) {
			continue
		}
		if c, ok := ds.Claims[k]; ok && c.Stack != e.stack {
			continue
		}
		rm := dep.removed[k]
		out[k.Kind] = append(out[k.Kind], kind.Request{ID: k.ID, Deletable: !rm.Keep, Force: rm.ForceDestroy})
	}
	return out
}
