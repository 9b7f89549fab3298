package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// Result is the outcome of one applied change.
type Result struct {
	Change   plan.Change
	Err      error
	Duration time.Duration
}

// Report separates what an apply did from what failed and what it never attempted.
type Report struct {
	Applied []Result
	Failed  []Result
	// Pending are changes not attempted because an earlier step failed (deletes wait for every
	// create and update to succeed, so a rename never loses the old bucket first).
	Pending []plan.Change
}

// Summary counts the applied changes the way a plan counts them.
func (r *Report) Summary() plan.Summary {
	p := plan.Plan{}
	for _, res := range r.Applied {
		p.Changes = append(p.Changes, res.Change)
	}
	return p.Summary()
}

// ErrRefused is returned by Apply for a plan with refusals.
var ErrRefused = errors.New("the plan has refusals; nothing was applied")

// Lock takes the stack's lease on every deployment, in name order so that two applies cannot
// deadlock, waiting up to wait for each. The returned lost channel is closed if a lease is lost;
// unlock releases all of them.
func (e *Engine) Lock(ctx context.Context, wait time.Duration) (unlock func(), lost <-chan struct{}, err error) {
	var leases []*ownership.Lease
	release := func() {
		for _, l := range leases {
			_ = l.Release(context.Background())
		}
	}
	anyLost := make(chan struct{})
	var once sync.Once
	for _, dep := range e.deployments {
		l, err := dep.store.Acquire(ctx, "apply", wait)
		if err != nil {
			release()
			return nil, nil, fmt.Errorf("minio %q: %w", dep.name, err)
		}
		leases = append(leases, l)
		go func() {
			select {
			case <-l.Lost():
				once.Do(func() { close(anyLost) })
			case <-ctx.Done():
			}
		}()
	}
	return release, anyLost, nil
}

// ForceUnlock removes the stack's lease on every deployment and says what each held.
func (e *Engine) ForceUnlock(ctx context.Context) ([]string, error) {
	var msgs []string
	for _, dep := range e.deployments {
		info, found, err := dep.store.ForceUnlock(ctx)
		if err != nil {
			return msgs, fmt.Errorf("minio %q: %w", dep.name, server.Explain(err))
		}
		if found {
			msgs = append(msgs, fmt.Sprintf("minio %q: removed the lease held by %s (%s since %s)", dep.name, info.Holder, info.Operation, info.AcquiredAt.Format(time.RFC3339)))
		} else {
			msgs = append(msgs, fmt.Sprintf("minio %q: stack %q was not locked", dep.name, e.stack))
		}
	}
	return msgs, nil
}

// Apply executes p: creates, adoptions and updates first, in parallel, then deletes; then it
// records ownership in each deployment's index. onChange, when set, is called as each change
// completes. snap is the refresh the plan was made from. The caller must hold the lock.
func (e *Engine) Apply(ctx context.Context, p *plan.Plan, snap *Snapshot, onChange func(Result)) (*Report, error) {
	if len(p.Refusals) > 0 {
		return nil, ErrRefused
	}
	var first, deletes []plan.Change
	for _, c := range p.Changes {
		switch c.Action {
		case plan.NoOp:
		case plan.Delete:
			deletes = append(deletes, c)
		default:
			first = append(first, c)
		}
	}
	total := len(first) + len(deletes)
	var done atomic.Int64
	report := &Report{}
	var mu sync.Mutex
	run := func(changes []plan.Change) {
		e.parallel(ctx, len(changes), func(i int) {
			c := changes[i]
			start := time.Now()
			err := e.applyChange(ctx, c)
			res := Result{Change: c, Err: err, Duration: time.Since(start)}
			mu.Lock()
			if err != nil {
				report.Failed = append(report.Failed, res)
			} else {
				report.Applied = append(report.Applied, res)
			}
			mu.Unlock()
			if onChange != nil {
				onChange(res)
			}
			e.progress("apply", int(done.Add(1)), total)
		})
	}
	run(first)
	if len(report.Failed) == 0 && ctx.Err() == nil {
		run(deletes)
	} else {
		report.Pending = deletes
	}
	indexErr := e.writeIndex(ctx, p, snap, report)
	var err error
	if len(report.Failed) > 0 {
		err = fmt.Errorf("%d of %d changes failed", len(report.Failed), total)
	}
	return report, errors.Join(err, indexErr, ctx.Err())
}

// parallel runs f(0..n-1) with at most Parallelism at once, stopping early if ctx ends.
func (e *Engine) parallel(ctx context.Context, n int, f func(i int)) {
	sem := make(chan struct{}, e.opts.Parallelism)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}(i)
	}
	wg.Wait()
}

func (e *Engine) applyChange(ctx context.Context, c plan.Change) error {
	dep := e.deployment(c.Deployment)
	if dep == nil {
		return fmt.Errorf("the plan names minio %q, which the configuration does not declare", c.Deployment)
	}
	cl := dep.client
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.Action == plan.Delete {
		if c.ForceDestroy {
			if err := cl.EmptyBucket(ctx, c.Bucket); err != nil {
				return fmt.Errorf("empty bucket %s: %w", c.Bucket, server.Explain(err))
			}
		}
		if err := cl.DeleteBucket(ctx, c.Bucket); err != nil {
			if server.Code(err) == server.CodeBucketNotEmpty {
				return fmt.Errorf("delete bucket %s: it holds objects (written since the plan was made?); nothing was deleted", c.Bucket)
			}
			return fmt.Errorf("delete bucket %s: %w", c.Bucket, server.Explain(err))
		}
		return nil
	}
	if c.Release {
		if err := cl.SetTags(ctx, c.Bucket, c.KeepTags); err != nil {
			return fmt.Errorf("remove the ownership tag of bucket %s: %w", c.Bucket, server.Explain(err))
		}
		return nil
	}
	if c.Action == plan.Create {
		if err := cl.MakeBucket(ctx, c.Bucket, c.ObjectLock); err != nil {
			if server.Code(err) == server.CodeBucketExistsForeign {
				return fmt.Errorf("create bucket %s: the name is taken by another account on this server", c.Bucket)
			}
			return fmt.Errorf("create bucket %s: %w", c.Bucket, server.Explain(err))
		}
	}
	writesTags := false
	for _, w := range c.Writes {
		if w.Attr == model.AttrTags {
			writesTags = true
		}
	}
	if c.WriteOwnerTag && !writesTags {
		if err := cl.SetTags(ctx, c.Bucket, e.withOwner(c.KeepTags)); err != nil {
			return fmt.Errorf("tag bucket %s as owned by stack %s: %w", c.Bucket, e.stack, server.Explain(err))
		}
	}
	for _, w := range c.Writes {
		if err := e.write(ctx, cl, c, w.Attr); err != nil {
			return fmt.Errorf("set %s of bucket %s: %w", w.Attr, c.Bucket, server.Explain(err))
		}
	}
	return nil
}

func (e *Engine) write(ctx context.Context, cl *server.Client, c plan.Change, a model.Attr) error {
	b := c.After
	switch a {
	case model.AttrTags:
		return cl.SetTags(ctx, c.Bucket, e.withOwner(b.Tags))
	case model.AttrPolicy:
		return cl.SetPolicy(ctx, c.Bucket, b.Policy)
	case model.AttrVersioning:
		return cl.SetVersioning(ctx, c.Bucket, b.Versioning)
	case model.AttrQuota:
		return cl.SetQuota(ctx, c.Bucket, b.Quota)
	case model.AttrLifecycle:
		return cl.SetLifecycle(ctx, c.Bucket, b.Lifecycle)
	}
	return fmt.Errorf("attribute %s cannot be written", a)
}

func (e *Engine) withOwner(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags)+1)
	for k, v := range tags {
		out[k] = v
	}
	out[model.OwnerTag] = e.stack
	return out
}

// writeIndex records the plan's index updates. A change that failed keeps the union of the
// attributes it had and wanted, so a later apply still resets what it must; a failed delete
// keeps its entry.
func (e *Engine) writeIndex(ctx context.Context, p *plan.Plan, snap *Snapshot, report *Report) error {
	failed := map[string]bool{}
	for _, r := range report.Failed {
		failed[r.Change.Deployment+"/"+r.Change.Bucket] = true
	}
	for _, c := range report.Pending {
		failed[c.Deployment+"/"+c.Bucket] = true
	}
	var errs []error
	for _, dep := range e.deployments {
		updates := p.Index[dep.name]
		old := snap.Deployments[dep.name].Index.Index.Buckets
		if !indexChanges(updates, old) {
			continue
		}
		err := dep.store.Update(context.WithoutCancel(ctx), func(idx *ownership.Index) {
			for name, upd := range updates {
				cur := idx.Buckets[name]
				switch {
				case failed[dep.name+"/"+name] && upd == nil:
					// a failed delete: keep the record
				case failed[dep.name+"/"+name]:
					idx.Buckets[name] = ownership.NewEntry(upd.Address, upd.Attrs.Union(cur.AttrSet()))
				case upd == nil:
					delete(idx.Buckets, name)
				default:
					idx.Buckets[name] = ownership.NewEntry(upd.Address, upd.Attrs)
				}
			}
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("minio %q: %w", dep.name, err))
		}
	}
	return errors.Join(errs...)
}

// indexChanges reports whether applying updates to old changes anything.
func indexChanges(updates plan.IndexUpdate, old map[string]ownership.Entry) bool {
	for name, upd := range updates {
		cur, had := old[name]
		if upd == nil {
			if had {
				return true
			}
			continue
		}
		if !had || cur.Address != upd.Address || !sameAttrs(cur.AttrSet(), upd.Attrs) {
			return true
		}
	}
	return false
}

func sameAttrs(a, b model.AttrSet) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
