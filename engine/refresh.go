package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// readJob reads one bucket of one deployment.
type readJob struct {
	dep   *deployment
	name  string
	want  func(owner string) model.AttrSet
	empty func(live model.Live) bool // whether to check the bucket's emptiness
	store *DeploymentSnapshot
}

// Refresh reads the ownership index of each deployment, then every bucket the configuration
// declares or the stack owns, at most Parallelism requests at a time.
func (e *Engine) Refresh(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{Deployments: map[string]*DeploymentSnapshot{}}
	var jobs []readJob
	for _, dep := range e.deployments {
		idx, err := dep.store.Load(ctx)
		if err != nil {
			return nil, fmt.Errorf("minio %q (%s): %w", dep.name, dep.client.Endpoint(), err)
		}
		ds := &DeploymentSnapshot{Endpoint: dep.client.Endpoint(), Index: idx, Live: map[string]model.Live{}}
		snap.Deployments[dep.name] = ds
		jobs = append(jobs, e.readJobs(dep, ds)...)
	}
	if err := e.runReads(ctx, jobs); err != nil {
		return nil, err
	}
	snap.ReadAt = time.Now().UTC()
	return snap, nil
}

func (e *Engine) readJobs(dep *deployment, ds *DeploymentSnapshot) []readJob {
	var jobs []readJob
	declared := map[string]bool{}
	for _, d := range dep.desired {
		d := d
		declared[d.State.Name] = true
		if !plan.MatchTargets(e.opts.Targets, d.Address) {
			continue
		}
		var entry *plan.IndexEntry
		if ie, ok := ds.Index.Index.Buckets[d.State.Name]; ok {
			entry = &plan.IndexEntry{Address: ie.Address, Attrs: ie.AttrSet()}
		}
		job := readJob{dep: dep, name: d.State.Name, store: ds}
		if e.opts.Destroy {
			job.want = noAttrs
			job.empty = func(live model.Live) bool { return entry != nil && live.Owner == e.stack && !d.ForceDestroy }
		} else {
			job.want = func(owner string) model.AttrSet { return plan.ReadAttrs(e.stack, owner, d.State, entry) }
		}
		jobs = append(jobs, job)
	}
	for name, ie := range ds.Index.Index.Buckets {
		if declared[name] || !plan.MatchTargets(e.opts.Targets, ie.Address) {
			continue
		}
		rm := dep.removed[name]
		jobs = append(jobs, readJob{dep: dep, name: name, store: ds, want: noAttrs,
			empty: func(live model.Live) bool { return live.Owner == e.stack && !rm.ForceDestroy && !rm.Keep }})
	}
	return jobs
}

func noAttrs(string) model.AttrSet { return nil }

func (e *Engine) runReads(ctx context.Context, jobs []readJob) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     atomic.Int64
		wg       sync.WaitGroup
	)
	work := make(chan readJob)
	workers := min(e.opts.Parallelism, len(jobs))
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range work {
				live, err := job.dep.client.ReadBucket(ctx, job.name, job.want)
				if err == nil && live.Exists && job.empty != nil && job.empty(live) {
					var empty bool
					empty, err = job.dep.client.IsEmpty(ctx, job.name)
					live.Emptiness = model.NotEmpty
					if empty {
						live.Emptiness = model.Empty
					}
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("minio %q (%s): %w", job.dep.name, job.dep.client.Endpoint(), server.Explain(err))
					cancel()
				}
				job.store.Live[job.name] = live
				mu.Unlock()
				e.progress("refresh", int(done.Add(1)), len(jobs))
			}
		}()
	}
feed:
	for _, job := range jobs {
		select {
		case work <- job:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (e *Engine) progress(phase string, done, total int) {
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Phase: phase, Done: done, Total: total})
	}
}
