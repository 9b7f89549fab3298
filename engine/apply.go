package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// Status is how a change of an apply ended.
type Status string

// The outcomes of a change. Every change of a plan ends as exactly one of them.
const (
	Applied      Status = "ok"
	Failed       Status = "error"
	NotAttempted Status = "not-attempted"
)

// Result is the outcome of one change.
type Result struct {
	Change   plan.Change
	Status   Status
	Err      error
	Duration time.Duration
	// owned records, for a failed change, whether the stack owns the resource afterwards (its
	// claim stands), so the index keeps what it manages.
	owned bool
}

// Report separates what an apply did from what failed and what it never attempted.
type Report struct {
	Applied []Result
	Failed  []Result
	// NotAttempted are changes not started: an earlier step failed (deletes wait for every
	// create and update to succeed, so a rename never loses the old resource first), or the
	// apply was stopped.
	NotAttempted []plan.Change
	// Stopped is set when the apply was asked to stop before it was done.
	Stopped bool
	// IndexErr is the failure to record the applied changes in an ownership index, if any:
	// the claims still say what the stack owns, and the next plan repairs the index.
	IndexErr error
}

// Summary counts the applied changes the way a plan counts them.
func (r *Report) Summary() plan.Summary {
	var s plan.Summary
	for _, res := range r.Applied {
		s.Count(res.Change.Action)
	}
	return s
}

// ErrRefused is returned by Apply for a plan with refusals.
var ErrRefused = errors.New("the plan has refusals; nothing was applied")

// ApplyOptions control an apply.
type ApplyOptions struct {
	// Stop, when closed, stops the apply from starting more changes; the changes in flight
	// finish and are recorded. (Cancelling the context of Apply aborts those too.)
	Stop <-chan struct{}
	// OnChange, when set, is called as each change ends.
	OnChange func(Result)
}

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
		if r := l.Replaced(); r != "" {
			e.mu.Lock()
			e.lockNotices = append(e.lockNotices, fmt.Sprintf("minio %q: %s", dep.name, r))
			e.mu.Unlock()
		}
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

// LockNotices says, after Lock, whose leases it took over and why (an earlier apply died, or
// someone wrote the lease by hand): the CLI shows them as warnings.
func (e *Engine) LockNotices() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.lockNotices...)
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

// checkStateBuckets checks, on every deployment whose refresh in snap could not, that the state
// bucket has no policy others could use to forge its records. Apply checks it first and
// applies nothing otherwise.
func (e *Engine) checkStateBuckets(ctx context.Context, snap *Snapshot) error {
	for _, dep := range e.deployments {
		if ds := snap.Deployments[dep.name]; ds != nil && ds.StateChecked {
			continue
		}
		if err := dep.store.CheckPrivate(ctx); err != nil {
			return fmt.Errorf("minio %q (%s): %w", dep.name, dep.client.Endpoint(), err)
		}
	}
	return nil
}

// Apply executes p, made from snap, under the stack's lease (the caller holds it). Changes
// run kind by kind in apply order (policies before the users that use them), each kind's in
// parallel; deletes follow in reverse order, and only when every other change succeeded.
// Before a resource is created or adopted, the stack claims it: of two stacks racing for a
// name only one wins, and the loser's change fails having changed nothing. Destructive changes
// check the claim again right before they act.
//
// Each change ends applied, failed or not attempted, and the ownership index records exactly
// what was applied (and, for a failed change on a resource the stack owns, what it manages),
// never what was only planned.
func (e *Engine) Apply(ctx context.Context, p *plan.Plan, snap *Snapshot, opts ApplyOptions) (*Report, error) {
	if len(p.Refusals) > 0 {
		return nil, ErrRefused
	}
	if err := e.checkStateBuckets(ctx, snap); err != nil {
		return &Report{NotAttempted: p.Changes}, err
	}
	report := &Report{}
	var work, deletes []plan.Change
	for _, c := range p.Changes {
		switch {
		case c.Action == plan.Delete:
			deletes = append(deletes, c)
		case c.Action != plan.NoOp || e.needsClaim(snap, c) || e.needsMark(snap, c):
			work = append(work, c)
		}
	}
	total := len(work) + len(deletes)
	var done atomic.Int64
	var mu sync.Mutex
	results := map[string]*Result{} // by deployment/kind/id
	resultKey := func(c plan.Change) string { return c.Deployment + "/" + c.Key().String() }
	stopped := func() bool {
		select {
		case <-opts.Stop:
			return true
		default:
			return ctx.Err() != nil
		}
	}
	run := func(changes []plan.Change) {
		g := new(errgroup.Group)
		limit := e.opts.Parallelism
		for _, c := range changes {
			limit = min(limit, kind.InFlight(e.kinds[c.Kind], e.opts.Parallelism))
		}
		g.SetLimit(limit)
		for _, c := range changes {
			if stopped() {
				mu.Lock()
				report.NotAttempted = append(report.NotAttempted, c)
				mu.Unlock()
				continue
			}
			g.Go(func() error {
				start := time.Now()
				owned, err := e.applyChange(ctx, snap, c)
				res := Result{Change: c, Status: Applied, Err: err, Duration: time.Since(start), owned: owned}
				if err != nil {
					res.Status = Failed
				}
				mu.Lock()
				results[resultKey(c)] = &res
				if err != nil {
					report.Failed = append(report.Failed, res)
				} else {
					report.Applied = append(report.Applied, res)
				}
				mu.Unlock()
				if opts.OnChange != nil {
					opts.OnChange(res)
				}
				e.progress("apply", int(done.Add(1)), total)
				return nil
			})
		}
		_ = g.Wait()
	}
	for _, group := range e.byOrder(work, false) {
		run(group)
	}
	if len(report.Failed) == 0 {
		for _, group := range e.byOrder(deletes, true) {
			run(group)
		}
	} else {
		report.NotAttempted = append(report.NotAttempted, deletes...)
	}
	report.Stopped = stopped()
	report.IndexErr = e.record(ctx, p, snap, results)
	e.mu.Lock()
	report.IndexErr = errors.Join(append([]error{report.IndexErr}, e.bookErrs...)...)
	e.bookErrs = nil
	e.mu.Unlock()

	var errs []error
	if len(report.Failed) > 0 {
		errs = append(errs, fmt.Errorf("%d of %d changes failed", len(report.Failed), total))
	}
	if report.Stopped && len(report.NotAttempted) > 0 {
		errs = append(errs, fmt.Errorf("stopped before %d of %d changes were attempted", len(report.NotAttempted), total))
	} else if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	if report.IndexErr != nil {
		errs = append(errs, report.IndexErr)
	}
	return report, errors.Join(errs...)
}

// byOrder groups changes by their kind's apply order, ascending (descending for deletes).
func (e *Engine) byOrder(changes []plan.Change, reverse bool) [][]plan.Change {
	byOrder := map[int][]plan.Change{}
	var orders []int
	for _, c := range changes {
		o := e.schemas[c.Kind].Order
		if _, ok := byOrder[o]; !ok {
			orders = append(orders, o)
		}
		byOrder[o] = append(byOrder[o], c)
	}
	slices.Sort(orders)
	if reverse {
		slices.Reverse(orders)
	}
	out := make([][]plan.Change, 0, len(orders))
	for _, o := range orders {
		out = append(out, byOrder[o])
	}
	return out
}

// claimedByStack reports whether snap holds the stack's claim of c's resource.
func (e *Engine) claimedByStack(snap *Snapshot, c plan.Change) bool {
	ds := snap.Deployments[c.Deployment]
	cl, ok := ds.Claims[c.Key()]
	return ok && cl.Stack == e.stack
}

// needsClaim reports whether a no-op change is of a resource the stack owns without a claim
// (recorded by a bucketform before claims): apply claims it.
func (e *Engine) needsClaim(snap *Snapshot, c plan.Change) bool {
	ds := snap.Deployments[c.Deployment]
	live := ds.Live[c.Key()]
	return c.Action == plan.NoOp && !e.claimedByStack(snap, c) && live != nil && live.Exists
}

// needsMark reports whether an existing resource of a kind with an ownership mark lacks the
// stack's (an apply was interrupted between creating a bucket and tagging it): apply writes it.
func (e *Engine) needsMark(snap *Snapshot, c plan.Change) bool {
	live, s := snap.Deployments[c.Deployment].Live[c.Key()], e.schemas[c.Kind]
	return s != nil && s.Marked && live != nil && live.Exists && live.Tagged != e.stack
}

// applyChange applies one change. owned reports, when it fails, whether the stack owns the
// resource afterwards.
func (e *Engine) applyChange(ctx context.Context, snap *Snapshot, c plan.Change) (owned bool, err error) {
	dep := e.deployment(c.Deployment)
	k := e.kinds[c.Kind]
	if dep == nil || k == nil {
		return false, fmt.Errorf("the plan names minio %q or kind %q, which the configuration does not declare", c.Deployment, c.Kind)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	key, env := c.Key(), e.env(dep)
	live := snap.Deployments[c.Deployment].Live[key]
	if live == nil {
		live = &model.Live{State: model.NewResource(c.Kind, c.ID)}
	}
	claimed := e.claimedByStack(snap, c)
	// Bookkeeping after a change has happened on the server (removing a claim, cleaning up
	// one whose outcome is unknown) must not be cut short by a stop or a lost lease: it gets
	// a context of its own.
	book := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	}
	claim := func() error {
		if claimed {
			return nil
		}
		// The claim is written with the bookkeeping context: a claim PUT cancelled in flight
		// may still land on the server after its removal was tried, and leave a claim of
		// nothing. With its outcome known, an apply cancelled meanwhile removes it at once.
		cctx, ccancel := book()
		defer ccancel()
		err := dep.store.Claim(cctx, key, c.Address)
		if err == nil && ctx.Err() != nil {
			return errors.Join(ctx.Err(), dep.store.Unclaim(cctx, key))
		}
		var lost *ownership.ClaimedError
		if errors.As(err, &lost) && lost.Own {
			// The stack's own claim of the access key as the other kind: stale when that
			// resource is gone (deleted by hand), and then dropped, as record would drop it.
			alias := model.Key{Kind: model.Kind(lost.Kind), ID: key.ID}
			if l := snap.Deployments[c.Deployment].Live[alias]; l != nil && !l.Exists {
				if uerr := dep.store.Unclaim(cctx, alias); uerr != nil {
					return errors.Join(err, uerr)
				}
				err = dep.store.Claim(cctx, key, c.Address)
			}
		}
		if err != nil && !errors.As(err, &lost) {
			// The outcome is unknown (the answer was lost or cancelled): remove the claim if
			// it was written, so nothing is claimed that was not created or adopted.
			bctx, cancel := book()
			defer cancel()
			if uerr := dep.store.Unclaim(bctx, key); uerr != nil {
				err = errors.Join(err, uerr)
			}
		}
		return err
	}
	unclaim := func() error {
		bctx, cancel := book()
		defer cancel()
		return dep.store.Unclaim(bctx, key)
	}
	// stillOwned checks the claim right before a destructive change: the plan was computed
	// from a refresh under the lease, and this is the last look before acting.
	stillOwned := func() error {
		if !claimed {
			return nil // owned without a claim (before claims): the plan checked its mark and index
		}
		ok, err := dep.store.Owns(ctx, key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s is no longer claimed by stack %q (its claim changed since the plan was made): nothing was done; run plan again", key, e.stack)
		}
		return nil
	}

	switch c.Action {
	case plan.Create:
		if err := claim(); err != nil {
			return false, err
		}
		created, err := k.Create(ctx, env, &c)
		if err != nil && !created {
			if uerr := unclaim(); uerr != nil {
				err = errors.Join(err, uerr)
			}
			return false, err
		}
		return created, err
	case plan.Adopt:
		if err := claim(); err != nil {
			return false, err
		}
		if err := k.Mark(ctx, env, &c, live); err != nil {
			return true, err
		}
		return true, k.Update(ctx, env, &c, live)
	case plan.Update, plan.NoOp:
		if err := claim(); err != nil {
			return false, err
		}
		if !claimed || e.needsMark(snap, c) {
			// A claimed resource is owned without its mark: one that has no room for it
			// stays as it is.
			if err := k.Mark(ctx, env, &c, live); err != nil && !(claimed && errors.Is(err, kind.ErrNoRoomForMark)) {
				return true, err
			}
		}
		if c.Action == plan.NoOp {
			return true, nil
		}
		return true, k.Update(ctx, env, &c, live)
	case plan.Release:
		if err := stillOwned(); err != nil {
			return true, err
		}
		if err := k.Unmark(ctx, env, &c, live); err != nil {
			return true, err
		}
		return false, e.bookkeeping(dep, unclaim())
	case plan.Delete:
		if err := stillOwned(); err != nil {
			return true, err
		}
		if err := k.Delete(ctx, env, &c, live); err != nil {
			return true, err
		}
		return false, e.bookkeeping(dep, unclaim())
	case plan.Replace:
		if err := stillOwned(); err != nil {
			return true, err
		}
		if err := claim(); err != nil {
			return false, err
		}
		if err := k.Delete(ctx, env, &c, live); err != nil {
			return true, err
		}
		created, err := k.Create(ctx, env, &c)
		return created, err
	}
	return false, fmt.Errorf("unknown action %q", c.Action)
}

// bookkeeping keeps the failure to remove a claim of a resource that is gone (deleted or
// released) out of the change's outcome: the change happened. The claim left behind names a
// resource that no longer exists or is no longer the stack's, and the next apply removes it.
func (e *Engine) bookkeeping(dep *deployment, err error) error {
	if err != nil {
		e.mu.Lock()
		e.bookErrs = append(e.bookErrs, fmt.Errorf("minio %q: %w", dep.name, err))
		e.mu.Unlock()
	}
	return nil
}

// record writes, per deployment, what the apply did into the stack's index: an allow-list of
// what was applied. A change that failed on a resource the stack owns keeps the union of the
// attributes it had and wanted, so a later apply still resets what it must; a change that was
// not attempted leaves its entry as it was. Records the plan found stale (a resource that is
// gone or another stack's) are dropped, with the stack's claim of a resource that is gone.
// Indexes of the first version are rewritten in the current one.
func (e *Engine) record(ctx context.Context, p *plan.Plan, snap *Snapshot, results map[string]*Result) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var errs []error
	for _, dep := range e.deployments {
		ds := snap.Deployments[dep.name]
		changed := map[model.Key]bool{}
		for _, c := range p.Changes {
			if c.Deployment == dep.name {
				changed[c.Key()] = true
			}
		}
		set := map[model.Key]ownership.Entry{}
		union := map[model.Key]ownership.Entry{}
		var forget []model.Key
		for key, upd := range p.Index[dep.name] {
			if !changed[key] {
				if upd == nil {
					forget = append(forget, key) // a stale record: nothing to apply
					if cl, ok := ds.Claims[key]; ok && cl.Stack == e.stack {
						if l := ds.Live[key]; l == nil || !l.Exists {
							if err := dep.store.Unclaim(ctx, key); err != nil {
								errs = append(errs, fmt.Errorf("minio %q: %w", dep.name, err))
							}
						}
					}
				}
				continue
			}
			res := results[dep.name+"/"+key.String()]
			switch {
			case res == nil:
				// A no-op needs nothing applied; anything else was not attempted.
				if c := changeOf(p, dep.name, key); c != nil && c.Action == plan.NoOp && upd != nil && e.claimedByStack(snap, *c) {
					set[key] = ownership.Entry{Address: upd.Address, Attrs: upd.Attrs}
				}
			case res.Status == Applied && upd == nil:
				forget = append(forget, key)
			case res.Status == Applied:
				set[key] = ownership.Entry{Address: upd.Address, Attrs: upd.Attrs}
			case res.owned && upd != nil:
				// Which of the change's writes took effect, and on which servers of a cluster,
				// is unknown: the next apply writes them again.
				var unsettled []string
				for _, a := range res.Change.Changed() {
					unsettled = append(unsettled, a.Attr)
				}
				union[key] = ownership.Entry{Address: upd.Address, Attrs: upd.Attrs, Unsettled: unsettled}
			}
		}
		if len(set)+len(union)+len(forget) == 0 && ds.Index.Version != "1" {
			continue
		}
		if !indexChanges(ds.Index.Index, set, union, forget) && ds.Index.Version != "1" {
			continue
		}
		err := dep.store.Update(ctx, func(idx *ownership.Index) {
			for k, en := range set {
				idx.Set(k, en)
			}
			for k, en := range union {
				if cur, ok := idx.Get(k); ok {
					en.Attrs = unionAttrs(cur.Attrs, en.Attrs)
					en.Unsettled = unionAttrs(cur.Unsettled, en.Unsettled)
				}
				idx.Set(k, en)
			}
			for _, k := range forget {
				idx.Delete(k)
			}
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("minio %q: %w", dep.name, err))
		}
	}
	return errors.Join(errs...)
}

func changeOf(p *plan.Plan, deployment string, key model.Key) *plan.Change {
	for i := range p.Changes {
		if p.Changes[i].Deployment == deployment && p.Changes[i].Key() == key {
			return &p.Changes[i]
		}
	}
	return nil
}

func unionAttrs(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// indexChanges reports whether recording set, union and forget changes idx.
func indexChanges(idx ownership.Index, set, union map[model.Key]ownership.Entry, forget []model.Key) bool {
	for k, en := range set {
		cur, ok := idx.Get(k)
		if !ok || cur.Address != en.Address || !slices.Equal(unionAttrs(nil, cur.Attrs), unionAttrs(nil, en.Attrs)) || len(cur.Unsettled) > 0 {
			return true
		}
	}
	for k, en := range union {
		cur, ok := idx.Get(k)
		if !ok || cur.Address != en.Address || !slices.Equal(unionAttrs(cur.Attrs, en.Attrs), unionAttrs(nil, cur.Attrs)) ||
			!slices.Equal(unionAttrs(cur.Unsettled, en.Unsettled), unionAttrs(nil, cur.Unsettled)) {
			return true
		}
	}
	for _, k := range forget {
		if _, ok := idx.Get(k); ok {
			return true
		}
	}
	return false
}
