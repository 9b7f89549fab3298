package bench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/server"
)

// counter is a Counter for a test, stopped when the test ends.
type counter struct{ *Counter }

func (c *counter) start(t *testing.T, target string) string {
	t.Helper()
	cc, err := StartCounter(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Close)
	c.Counter = cc
	return cc.Endpoint()
}

// take returns the requests recorded since the last call, counted by kind.
func (c *counter) take() map[string]int {
	counts, _ := c.Take()
	return counts
}

// exportBucket is an export of bucket metadata (of one bucket or of every bucket).
const exportBucket = "GET admin:export-bucket-metadata"

// listClaims is the listing of every claim (ListObjectsV2 with MinIO's metadata extension).
const listClaims = "GET ?delimiter?encoding-type?fetch-owner?list-type?metadata?prefix " + StateBucket

func byKind(counts map[string]int) map[string]int { return ByKind(counts) }

func sameCounts(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	var diffs []string
	for k, n := range want {
		if got[k] != n {
			diffs = append(diffs, fmt.Sprintf("%s: %d requests, want %d", k, got[k], n))
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: %d unexpected requests", k, n))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Errorf("%s:\n  %s", what, strings.Join(diffs, "\n  "))
	}
}

// TestEngineAsksOnlyWhatItMust counts the requests of an apply creating n fully configured
// buckets and of the plan that follows, on a server that also holds foreign buckets: the
// ownership index and one listing of the claims, then per declared bucket exactly the floor's requests (plus, for the
// apply, the one read that finds the bucket missing); no bucket location, no listing of the
// server's buckets, nothing about a foreign bucket. And the connections are reused: no more are
// opened than requests are ever in flight at once.
func TestEngineAsksOnlyWhatItMust(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	floor, err := NewFloor(srv.Endpoint, miniotest.AccessKey, miniotest.SecretKey, 4)
	if err != nil {
		t.Fatal(err)
	}
	foreign := make([]string, 30)
	for i := range foreign {
		foreign[i] = fmt.Sprintf("foreign-%02d", i)
	}
	if err := floor.MakeBuckets(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	var c counter
	endpoint := c.start(t, srv.Endpoint)
	const n = 12
	const parallelism = 4
	e := newEngine(t, "count", endpoint, Tenants("count", n), parallelism)

	// Apply: the plan's reads, then the writes, with the lease around them.
	unlock, _, err := e.Lock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "lock", byKind(c.take()), map[string]int{
		"PUT object " + StateBucket: 2, // the lease: refused (no state bucket yet), then written
		"PUT bucket " + StateBucket: 1, // the state bucket, on the stack's first apply
	})
	snap, err := e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "refresh before creating", byKind(c.take()), map[string]int{
		"GET ?policy " + StateBucket: 1, // the state bucket has no policy others could write with
		"GET object " + StateBucket:  1, // the ownership index (missing: a new stack)
		listClaims:                   1, // every claim, with its owner, in one listing
		exportBucket:                 n, // the export that finds each bucket missing
	})
	p := e.Plan(snap)
	if s := p.Summary(); s.Add != n {
		t.Fatalf("plan: %+v, want %d to add", s, n)
	}
	if _, err := e.Apply(ctx, p, snap, engine.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	unlock()
	want := createWrites(n)
	want["GET object "+StateBucket] = 2    // the index, read again for the compare-and-swap; the lease, read before it is removed
	want["DELETE object "+StateBucket] = 1 // the lease, released
	sameCounts(t, "apply creating the buckets", byKind(c.take()), want)

	// A plan with no changes: the index, then the floor's four reads per bucket.
	snap, err = e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "refresh with no changes", byKind(c.take()), map[string]int{
		"GET ?policy " + StateBucket: 1,
		"GET object " + StateBucket:  1,
		listClaims:                   1,
		exportBucket:                 n, // every attribute of a bucket in one request
	})
	if p := e.Plan(snap); p.HasChanges() {
		t.Fatalf("the plan after the apply has changes: %+v", p.Summary())
	}

	// When the declared buckets are many (kind.ExportAllFrom), one export of every bucket:
	// a constant number of requests however many buckets are declared.
	old := kind.ExportAllFrom
	kind.ExportAllFrom = n
	t.Cleanup(func() { kind.ExportAllFrom = old })
	snap, err = e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "refresh with no changes, many buckets", byKind(c.take()), map[string]int{
		"GET ?policy " + StateBucket: 1,
		"GET object " + StateBucket:  1,
		listClaims:                   1,
		exportBucket:                 1, // every bucket of the server
	})
	if p := e.Plan(snap); p.HasChanges() || snap.Deployments["main"].Reads[model.KindBucket] != "export" {
		t.Fatalf("the plan from one export: %+v, read %q", p.Summary(), snap.Deployments["main"].Reads)
	}
	// Without reuse every request would open a connection (over 70 here). With it, a few more
	// than the requests in flight may open: the lease's renewal overlaps, and Go's transport
	// returns a connection to its pool just after the answer is read, so a request sent at that
	// moment dials (seen on a loaded machine: 6 for 4 in flight).
	if conns := c.Conns(); conns > 2*parallelism {
		t.Errorf("%d connections opened for %d requests in flight at most: idle connections are not kept for reuse", conns, parallelism)
	}
}

// createWrites are the writes of an apply creating n buckets of the benchmark's configuration
// (the lease aside): 6 per bucket and the index. The write floor makes exactly these.
func createWrites(n int) map[string]int {
	return map[string]int{
		"PUT object " + StateBucket:  n + 1, // each bucket's claim, then the index
		"PUT bucket":                 n,     // MakeBucket
		"PUT ?tagging":               n,     // user tags and the ownership tag
		"PUT ?versioning":            n,
		"PUT ?policy":                n,
		"PUT admin:set-bucket-quota": n,
	}
}

// TestFloorDoesTheSameWork checks that the write floor makes exactly bucketform's writes
// (createWrites, which TestEngineAsksOnlyWhatItMust holds bucketform's apply to) and leaves the
// server as a bucketform apply would: bucketform plans the floor's buckets, with the floor's
// index and claims, as its own, with no changes. And that the read floor reads every attribute
// of every bucket, one request each, with the index and the claims.
func TestFloorDoesTheSameWork(t *testing.T) {
	srv := miniotest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var c counter
	endpoint := c.start(t, srv.Endpoint)
	floor, err := NewFloor(endpoint, miniotest.AccessKey, miniotest.SecretKey, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := floor.EnsureStateBucket(ctx); err != nil {
		t.Fatal(err)
	}
	c.take()
	const n = 10
	tenants := Tenants("floor", n)
	if err := floor.WriteApply(ctx, "floor", tenants); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "write floor", byKind(c.take()), createWrites(n))
	if err := floor.ReadPlan(ctx, "floor", tenants); err != nil {
		t.Fatal(err)
	}
	sameCounts(t, "read floor", byKind(c.take()), map[string]int{
		"GET object " + StateBucket:    1, // the index
		listClaims:                     1,
		"GET ?policy":                  n,
		"GET ?tagging":                 n,
		"GET ?versioning":              n,
		"GET ?object-lock":             n,
		"GET ?lifecycle?withUpdatedAt": n, // minio-go asks for the update time too
		"GET admin:get-bucket-quota":   n,
	})
	e := newEngine(t, "floor", srv.Endpoint, tenants, 4)
	snap, err := e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Plan(snap)
	if p.HasChanges() || len(p.Refusals) > 0 {
		t.Fatalf("bucketform would change the floor's buckets: %+v, refusals %v", p.Summary(), p.Refusals)
	}
	for _, c := range p.Changes {
		if c.Action != "no-op" {
			t.Errorf("%s: %s", c.Address, c.Action)
		}
		if cl := snap.Deployments["main"].Claims[c.Key()]; cl.Stack != "floor" {
			t.Errorf("%s: claimed by %q, want the floor's stack", c.Address, cl.Stack)
		}
	}
	if len(p.Changes) != n {
		t.Errorf("%d changes, want %d no-ops", len(p.Changes), n)
	}
	// The claims hold what bucketform's hold: read them as bucketform does.
	client, err := server.New(server.Target{Endpoint: srv.Endpoint, Region: "us-east-1", AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	store := ownership.NewStore(client, ownership.StateBucket, "floor")
	for _, tn := range tenants {
		cl, found, err := store.ReadClaim(ctx, model.Key{Kind: model.KindBucket, ID: tn.Name})
		if err != nil || !found || cl.Stack != "floor" || cl.Address != tn.Address() || cl.FormatVersion != "1" || cl.ClaimedAt.IsZero() {
			t.Errorf("claim of %s: %+v, found %v, %v", tn.Name, cl, found, err)
		}
	}
}

// TestConfigStylesDeclareTheSameBuckets checks that the for_each and literal configurations
// the benchmark times with validate declare the same buckets.
func TestConfigStylesDeclareTheSameBuckets(t *testing.T) {
	tenants := Tenants("same", 1500)
	var states [2]map[string]string
	for i, style := range []ConfigStyle{ForEach, Literal} {
		dir := t.TempDir()
		if err := WriteConfig(dir, "same", "127.0.0.1:9000", "same", tenants, style); err != nil {
			t.Fatal(err)
		}
		cfg, diags := config.Load(dir, config.Options{Partial: true})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		states[i] = map[string]string{}
		for _, b := range cfg.Buckets {
			s := b.State
			states[i][s.Name] = fmt.Sprintf("%v %s %d %v %s", s.Attrs.Sorted(), s.Versioning, s.Quota, s.Tags, s.Policy.JSON())
		}
	}
	if len(states[0]) != len(tenants) || len(states[1]) != len(tenants) {
		t.Fatalf("%d and %d buckets, want %d", len(states[0]), len(states[1]), len(tenants))
	}
	for name, s := range states[0] {
		if states[1][name] != s {
			t.Errorf("%s: for_each %s, literal %s", name, s, states[1][name])
		}
	}
}

// newEngine writes the benchmark's for_each configuration of tenants for stack (bucket names
// prefixed with the stack) on the MinIO at endpoint, loads it and returns an engine for it.
func newEngine(t *testing.T, stack, endpoint string, tenants []Tenant, parallelism int) *engine.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := WriteConfig(dir, stack, endpoint, stack, tenants, ForEach); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MINIO_ACCESS_KEY", miniotest.AccessKey)
	t.Setenv("MINIO_SECRET_KEY", miniotest.SecretKey)
	cfg, diags := config.Load(dir, config.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	e, err := engine.New(cfg, engine.Options{Parallelism: parallelism})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
