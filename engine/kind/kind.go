// Package kind holds the kinds of resources bucketform manages, one file each: what a kind is
// to the plan (its plan.Schema: attributes, comparisons, resets, refusal rules) and how it is
// read from and written to a server. The engine, the plan, the ownership index and claims, the
// renderers and the CLI work on any kind through this interface, without naming one; adding a
// kind is writing one more file here and registering it in All.
package kind

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// Kind is one kind of resource.
type Kind interface {
	// Schema describes the kind to the plan.
	Schema() *plan.Schema
	// Read reads the live state of the requested resources of one server, as few requests as
	// the server allows, at most env.Parallelism at a time. A resource that does not exist
	// reads as Live{Exists: false}.
	Read(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error)
	// Create creates the resource with the attributes of c.After. It returns ErrExists, having
	// changed nothing, when the resource turns out to exist already (created by someone else
	// since the plan was made). created reports whether the resource exists after a failure,
	// so that the engine knows whether the claim stands.
	Create(ctx context.Context, env *Env, c *plan.Change) (created bool, err error)
	// Update writes the changed attributes of c (c.Changed), in the kind's order.
	Update(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error
	// Mark writes the ownership mark people see (a bucket's bucketform-stack tag) on a
	// resource the stack has just claimed, keeping what c does not change; Unmark removes it
	// (release). Kinds without a mark do nothing.
	Mark(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error
	Unmark(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error
	// Delete deletes the resource (with c.ForceDestroy, a bucket's objects first).
	Delete(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error
}

// Prefetcher is a Kind that can start reading before the stack's index and claims are read,
// knowing only how many resources of the kind the configuration declares on the server:
// Refresh calls Prefetch beside those reads and gives what it returns to Read as
// Env.Prefetched (Read must not depend on it: nil when nothing was prefetched).
type Prefetcher interface {
	Prefetch(ctx context.Context, env *Env, declared int) any
}

// Paced is implemented by kinds whose requests the server answers one at a time however many
// are sent (madmin-go encrypts the answers of service-account and user requests with a key it
// derives with argon2id, and the server does the same for what it receives, one message at a
// time per process): more requests in flight than MaxInFlight only wait longer, until they time
// out. The engine sends at most that many at once for the kind.
type Paced interface {
	MaxInFlight() int
}

// InFlight returns how many requests of kind k the engine may have in flight, given its
// parallelism.
func InFlight(k Kind, parallelism int) int {
	if p, ok := k.(Paced); ok && p.MaxInFlight() < parallelism {
		return max(p.MaxInFlight(), 1)
	}
	return parallelism
}

// ErrExists is returned by Create when the resource exists already.
var ErrExists = errors.New("created by someone else during this apply: run plan again")

// ErrNoRoomForMark is Mark's answer when the resource has no room for the ownership mark (a
// bucket with the 50 tags the server allows, set by hand). The claim is the ownership, so a
// stack that holds it can go on without the mark.
var ErrNoRoomForMark = errors.New("no room for the ownership mark")

// Request asks Read for one resource.
type Request struct {
	ID string
	// Attrs are the attributes to read.
	Attrs []string
	// Want is the desired resource, when the configuration declares it (a declared secret is
	// checked against the server with it).
	Want *model.Resource
	// Deletable is set when the plan may delete the resource: Read then also learns what
	// the kind's DeleteBlocked needs (a bucket's emptiness, a user's service accounts).
	// Force is its force_destroy.
	Deletable, Force bool
}

// Env is what a kind's code gets to talk to one server.
type Env struct {
	Client *server.Client
	// Stack is the stack the engine runs for.
	Stack string
	// Parallelism bounds the requests in flight.
	Parallelism int
	// Progress, when set, is called once per resource read.
	Progress func()
	// Shared holds what the kinds of one refresh of this server read once for all of them
	// (the IAM lists); nil starts an empty one.
	Shared *Shared
	// Prefetched is what the kind's Prefetch returned in this refresh (Prefetcher), if anything.
	Prefetched any
	// Read is set by Read to say how it read (e.g. "export", "attributes"), for the plan;
	// ReadNote, when the kind had to read in a slower way than it could, says why.
	Read, ReadNote string
}

// Each calls f(ctx, i) for i in [0, n), at most Parallelism at once, and returns the first
// error; the others are cancelled.
func (e *Env) Each(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(e.Parallelism, 1))
	for i := 0; i < n; i++ {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error { return f(ctx, i) })
	}
	return g.Wait()
}

// done reports one resource read.
func (e *Env) done() {
	if e.Progress != nil {
		e.Progress()
	}
}

// All returns the kinds bucketform manages, in apply order.
func All() []Kind {
	return []Kind{Bucket{}, Policy{}, User{}, Group{}, ServiceAccount{}}
}

// Schemas returns the schemas of kinds, by kind.
func Schemas(kinds []Kind) map[model.Kind]*plan.Schema {
	out := make(map[model.Kind]*plan.Schema, len(kinds))
	for _, k := range kinds {
		out[k.Schema().Kind] = k.Schema()
	}
	return out
}
