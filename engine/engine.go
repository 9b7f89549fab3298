// Package engine converges MinIO servers to a configuration: it reads what each server holds
// (refresh), asks package plan what to change, and applies the plan, concurrently with bounded
// parallelism and never with a request whose answer it already has. It prints nothing: the CLI
// renders what it returns.
//
// A plan or apply reads, per deployment, the stack's ownership index (one request) and every
// claim (one listing per thousand claims), then, through each kind (package kind), the
// resources the configuration declares or the stack owns. It never lists the server's buckets.
package engine

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// DefaultParallelism is the number of requests in flight per server when -parallelism is not
// given. Measured on a 2-core machine against MinIO on loopback (docs/benchmarks.md): a plan of
// 1,000 buckets is fastest from 24 to 32 requests in flight, slower below 16 and no faster
// beyond; writes are as fast from 8 up to 64. The server's capacity sets the best value, not
// this machine's CPUs, so it does not grow with them; the HTTP transport keeps an idle
// connection for each request in flight (server.Target.Parallelism).
const DefaultParallelism = 32

// Options control a plan or an apply.
type Options struct {
	// Parallelism bounds the requests in flight per server; 0 means DefaultParallelism.
	Parallelism int
	// Targets limits the plan to these addresses (-target).
	Targets []string
	// Destroy plans the deletion of everything the stack owns (-destroy).
	Destroy bool
	// Progress, when set, is called as resources are read and changes applied.
	Progress func(Progress)
	// Kinds replaces the kinds of resources the engine knows (tests add a kind of their own);
	// nil means kind.All().
	Kinds []kind.Kind
	// StateBucket replaces ownership.StateBucket (tests only).
	StateBucket string
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
	kinds       map[model.Kind]kind.Kind
	order       []model.Kind // kinds in apply order
	schemas     map[model.Kind]*plan.Schema
	deployments []*deployment // sorted by name

	mu          sync.Mutex
	bookErrs    []error  // claims an apply could not remove (see bookkeeping)
	lockNotices []string // leases Lock took over
}

type deployment struct {
	name    string
	client  *server.Client
	store   *ownership.Store
	desired []plan.Desired
	removed map[model.Key]plan.Removed
}

// New prepares an engine for cfg. It does no I/O.
func New(cfg *config.Config, opts Options) (*Engine, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.StateBucket == "" {
		opts.StateBucket = ownership.StateBucket
	}
	kinds := opts.Kinds
	if kinds == nil {
		kinds = kind.All()
	}
	e := &Engine{stack: cfg.Stack, opts: opts, kinds: map[model.Kind]kind.Kind{}, schemas: kind.Schemas(kinds)}
	for _, k := range kinds {
		e.kinds[k.Schema().Kind] = k
		e.order = append(e.order, k.Schema().Kind)
	}
	slices.SortStableFunc(e.order, func(a, b model.Kind) int { return e.schemas[a].Order - e.schemas[b].Order })

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
		dep := &deployment{name: d.Name, client: c, store: ownership.NewStore(c, opts.StateBucket, cfg.Stack), removed: map[model.Key]plan.Removed{}}
		byName[d.Name] = dep
		e.deployments = append(e.deployments, dep)
	}
	slices.SortFunc(e.deployments, func(a, b *deployment) int { return strings.Compare(a.name, b.name) })
	for _, b := range cfg.Buckets {
		dep, ok := byName[b.Deployment]
		if !ok {
			return nil, fmt.Errorf("%s: unknown minio %q", b.Address, b.Deployment)
		}
		dep.desired = append(dep.desired, plan.Desired{Address: b.Address, Resource: b.State.Resource(),
			ForceDestroy: b.ForceDestroy, Range: sourceRange(cfg.Dir, b.DeclRange)})
	}
	for name, ds := range desiredIAM(cfg) {
		dep, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("%s: unknown minio %q", ds[0].Address, name)
		}
		dep.desired = append(dep.desired, ds...)
	}
	for _, r := range cfg.Removed {
		if dep, ok := byName[r.Deployment]; ok {
			key := model.Key{Kind: model.Kind(r.Kind), ID: r.Name}
			if r.Kind == "" {
				key = model.Key{Kind: model.KindBucket, ID: r.Bucket}
			}
			dep.removed[key] = plan.Removed{ForceDestroy: r.ForceDestroy, Keep: r.Keep, Range: sourceRange(cfg.Dir, r.DeclRange)}
		}
	}
	return e, nil
}

// AddDesired declares resources of any kind on a deployment, next to those of the
// configuration (tests of kinds the language does not have yet).
func (e *Engine) AddDesired(deployment string, ds ...plan.Desired) error {
	dep := e.deployment(deployment)
	if dep == nil {
		return fmt.Errorf("no minio %q", deployment)
	}
	dep.desired = append(dep.desired, ds...)
	return nil
}

// sourceRange converts a configuration range, with its file relative to dir.
func sourceRange(dir string, r hcl.Range) *plan.Range {
	if r.Filename == "" {
		return nil
	}
	name := r.Filename
	if rel, err := filepath.Rel(dir, name); err == nil && !strings.HasPrefix(rel, "..") {
		name = rel
	}
	return &plan.Range{Filename: name, Start: plan.Pos{Line: r.Start.Line, Column: r.Start.Column}, End: plan.Pos{Line: r.End.Line, Column: r.End.Column}}
}

// Snapshot is what a refresh read from the servers.
type Snapshot struct {
	// Deployments holds one entry per minio block, by name.
	Deployments map[string]*DeploymentSnapshot
}

// DeploymentSnapshot is what one server holds.
type DeploymentSnapshot struct {
	Endpoint string
	Index    ownership.Snapshot
	// Claims holds every claim on the server.
	Claims map[model.Key]ownership.Claim
	// Live holds every resource read, by key.
	Live map[model.Key]*model.Live
	// Reads says, per kind, how its resources were read ("attributes", "export", ...);
	// ReadNotes why a kind read in a slower way than it could.
	Reads     map[model.Kind]string
	ReadNotes []string
}

// Plan computes the plan from a snapshot. It does no I/O.
func (e *Engine) Plan(snap *Snapshot) *plan.Plan {
	var inputs []plan.Input
	for _, dep := range e.deployments {
		ds := snap.Deployments[dep.name]
		inputs = append(inputs, plan.Input{
			Deployment: dep.name,
			Schemas:    e.schemas,
			Desired:    dep.desired,
			Index:      indexEntries(ds.Index.Index),
			Claims:     planClaims(ds.Claims),
			Live:       ds.Live,
			Removed:    dep.removed,
		})
	}
	return plan.Diff(e.stack, e.opts.Destroy, e.opts.Targets, inputs)
}

// Document derives the plan document of p, made from snap.
func (e *Engine) Document(p *plan.Plan, snap *Snapshot, outputs map[string]plan.OutputDoc) *plan.Document {
	deps := map[string]plan.DeploymentDoc{}
	for _, dep := range e.deployments {
		dd := plan.DeploymentDoc{Endpoint: dep.client.Endpoint()}
		if ds := snap.Deployments[dep.name]; ds != nil {
			dd.Read = ds.Reads[model.KindBucket]
		}
		deps[dep.name] = dd
	}
	var notes []plan.NoteDoc
	for _, dep := range e.deployments {
		if ds := snap.Deployments[dep.name]; ds != nil {
			for _, n := range ds.ReadNotes {
				notes = append(notes, plan.NoteDoc{Code: "slow-read", Text: fmt.Sprintf("minio %q: %s", dep.name, n)})
			}
		}
	}
	if len(e.opts.Targets) > 0 {
		notes = append(notes, plan.NoteDoc{Code: "targets", Text: fmt.Sprintf(
			"-target limits this plan to %s. Other resources were not read, so it does not show whether they drifted.", strings.Join(e.opts.Targets, ", "))})
	}
	return p.Document(plan.DocumentInput{Schemas: e.schemas, Deployments: deps, Outputs: outputs, Notes: notes})
}

func indexEntries(idx ownership.Index) map[model.Key]plan.IndexEntry {
	out := map[model.Key]plan.IndexEntry{}
	for k, e := range idx.Entries() {
		out[k] = plan.IndexEntry{Address: e.Address, Attrs: e.Attrs, Unsettled: e.Unsettled}
	}
	return out
}

func planClaims(claims map[model.Key]ownership.Claim) map[model.Key]plan.Claim {
	out := make(map[model.Key]plan.Claim, len(claims))
	for k, c := range claims {
		out[k] = plan.Claim{Stack: c.Stack, Address: c.Address}
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

func (e *Engine) progress(phase string, done, total int) {
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Phase: phase, Done: done, Total: total})
	}
}
