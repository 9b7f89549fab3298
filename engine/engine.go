// Package engine converges MinIO servers to a configuration: it reads what each server holds
// (refresh), asks package plan what to change, and applies the plan, concurrently with bounded
// parallelism and never with a request whose answer it already has.
//
// A plan or apply reads, per deployment, the stack's ownership index (one request), then for
// each declared or owned bucket its tags and the attributes the configuration declares or
// declared before. It never lists the server's buckets.
package engine

import (
	"fmt"
	"sort"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// DefaultParallelism is the number of requests in flight per command when -parallelism is not
// given. Measured on a 2-core machine against MinIO on loopback (the README's benchmark): a plan of
// 1,000 buckets is fastest from 24 to 32 requests in flight, slower below 16 and no faster
// beyond; writes are as fast from 8 up to 64. The server's capacity sets the best value, not
// this machine's CPUs, so it does not grow with them; the HTTP transport keeps an idle
// connection for each request in flight (server.Target.Parallelism).
const DefaultParallelism = 32

// Options control a plan or an apply.
type Options struct {
	// Parallelism bounds the requests in flight; 0 means DefaultParallelism.
	Parallelism int
	// Targets limits the plan to these addresses (-target).
	Targets []string
	// Destroy plans the deletion of everything the stack owns (-destroy).
	Destroy bool
	// Progress, when set, is called as buckets are read and changes applied.
	Progress func(Progress)
}

// Progress reports how far a long refresh or apply has come.
type Progress struct {
	Phase string // "refresh" or "apply"
	Done  int
	Total int
}

// Engine plans and applies one configuration.
type Engine struct {
	stack       string
	opts        Options
	deployments []*deployment // sorted by name
}

type deployment struct {
	name    string
	client  *server.Client
	store   *ownership.Store
	desired []plan.Desired
	removed map[string]plan.Removed
}

// New prepares an engine for cfg. It does no I/O.
func New(cfg *config.Config, opts Options) (*Engine, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	e := &Engine{stack: cfg.Stack, opts: opts}
	byName := map[string]*deployment{}
	for _, d := range cfg.Deployments {
		if !d.Creds.Known {
			return nil, fmt.Errorf("minio %q has no credentials: set access_key and secret_key, or MINIO_ACCESS_KEY and MINIO_SECRET_KEY", d.Name)
		}
		c, err := server.New(server.Target{
			Endpoint: d.Endpoint, Secure: d.Secure, Region: d.Region,
			AccessKey: d.Creds.AccessKey, SecretKey: d.Creds.SecretKey,
			CAFile: d.CAFile, Insecure: d.Insecure, Parallelism: opts.Parallelism,
		})
		if err != nil {
			return nil, fmt.Errorf("minio %q: %w", d.Name, err)
		}
		dep := &deployment{name: d.Name, client: c, store: ownership.NewStore(c, cfg.StateBucket, cfg.Stack), removed: map[string]plan.Removed{}}
		byName[d.Name] = dep
		e.deployments = append(e.deployments, dep)
	}
	sort.Slice(e.deployments, func(i, j int) bool { return e.deployments[i].name < e.deployments[j].name })
	for _, b := range cfg.Buckets {
		dep, ok := byName[b.Deployment]
		if !ok {
			return nil, fmt.Errorf("%s: unknown minio %q", b.Address, b.Deployment)
		}
		dep.desired = append(dep.desired, plan.Desired{Address: b.Address, State: b.State, ForceDestroy: b.ForceDestroy})
	}
	for _, r := range cfg.Removed {
		if dep, ok := byName[r.Deployment]; ok {
			dep.removed[r.Bucket] = plan.Removed{ForceDestroy: r.ForceDestroy, Keep: r.Keep}
		}
	}
	return e, nil
}

// Snapshot is what a refresh read from the servers.
type Snapshot struct {
	// Deployments holds one entry per minio block, by name.
	Deployments map[string]*DeploymentSnapshot
	// ReadAt is when the refresh finished.
	ReadAt time.Time
}

// DeploymentSnapshot is what one server holds.
type DeploymentSnapshot struct {
	Endpoint string
	Index    ownership.Snapshot
	// Live holds every bucket read, by name.
	Live map[string]model.Live
}

// Plan computes the plan from a snapshot. It does no I/O.
func (e *Engine) Plan(snap *Snapshot) *plan.Plan {
	var inputs []plan.Input
	for _, dep := range e.deployments {
		ds := snap.Deployments[dep.name]
		inputs = append(inputs, plan.Input{
			Deployment: dep.name,
			Stack:      e.stack,
			Desired:    dep.desired,
			Index:      indexEntries(ds.Index.Index),
			Live:       ds.Live,
			Removed:    dep.removed,
			Destroy:    e.opts.Destroy,
			Targets:    e.opts.Targets,
		})
	}
	p := plan.Diff(e.stack, e.opts.Destroy, inputs)
	p.Targets = append([]string(nil), e.opts.Targets...)
	return p
}

func indexEntries(idx ownership.Index) map[string]plan.IndexEntry {
	out := make(map[string]plan.IndexEntry, len(idx.Buckets))
	for name, e := range idx.Buckets {
		out[name] = plan.IndexEntry{Address: e.Address, Attrs: e.AttrSet()}
	}
	return out
}

func (e *Engine) deployment(name string) *deployment {
	for _, d := range e.deployments {
		if d.name == name {
			return d
		}
	}
	return nil
}

// SetProgress sets the progress callback after New.
func (e *Engine) SetProgress(f func(Progress)) { e.opts.Progress = f }

// Stack returns the stack the engine plans for.
func (e *Engine) Stack() string { return e.stack }

// Endpoints returns each deployment's host[:port], by minio block name.
func (e *Engine) Endpoints() map[string]string {
	out := map[string]string{}
	for _, d := range e.deployments {
		out[d.name] = d.client.Endpoint()
	}
	return out
}
