package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/miniotest"
)

// counter is a reverse proxy in front of MinIO that records every request bucketform makes, as
// "METHOD what": what is the S3 subresource (?policy, ?tagging ...), "object" or "bucket", or
// the admin API call, followed by the bucket.
type counter struct {
	mu    sync.Mutex
	reqs  []string
	conns int // connections opened to the proxy
}

func (c *counter) start(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse("http://" + target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // SigV4 signs the Host header: keep the one the client signed
	}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.reqs = append(c.reqs, classify(r))
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			c.mu.Lock()
			c.conns++
			c.mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// take returns the requests recorded since the last call, counted by kind.
func (c *counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, r := range c.reqs {
		out[r]++
	}
	c.reqs = nil
	return out
}

func classify(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/minio/admin/") {
		return r.Method + " admin:" + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] + " " + r.URL.Query().Get("bucket")
	}
	if strings.HasPrefix(r.URL.Path, "/minio/health/") {
		return r.Method + " health"
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	what := "bucket"
	if key != "" {
		what = "object"
	}
	var sub []string
	for k := range r.URL.Query() {
		sub = append(sub, "?"+k)
	}
	sort.Strings(sub)
	if len(sub) > 0 {
		what = strings.Join(sub, "")
	}
	return r.Method + " " + what + " " + bucket
}

// exportBucket is an export of bucket metadata (of one bucket or of every bucket).
const exportBucket = "GET admin:export-bucket-metadata"

// listClaims is the listing of every claim (ListObjectsV2 with MinIO's metadata extension).
const listClaims = "GET ?delimiter?encoding-type?fetch-owner?list-type?metadata?prefix " + StateBucket

// byKind sums counts over buckets: "GET ?policy b-1" and "GET ?policy b-2" are both
// "GET ?policy". The state bucket is kept by name.
func byKind(counts map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range counts {
		i := strings.LastIndex(k, " ")
		if k[i+1:] != StateBucket {
			k = k[:i]
		}
		out[k] += n
	}
	return out
}

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
	sameCounts(t, "apply creating the buckets", byKind(c.take()), map[string]int{
		"PUT object " + StateBucket:    n + 1, // each bucket's claim, then the index
		"PUT bucket":                   n,     // MakeBucket
		"PUT ?tagging":                 n,     // user tags and the ownership tag
		"PUT ?versioning":              n,
		"PUT ?policy":                  n,
		"PUT admin:set-bucket-quota":   n,
		"GET object " + StateBucket:    2, // the index, read again for the compare-and-swap; the lease, read before it is removed
		"DELETE object " + StateBucket: 1, // the lease, released
	})

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
	c.mu.Lock()
	defer c.mu.Unlock()
	// Without reuse every request would open a connection (over 70 here). With it, a few more
	// than the requests in flight may open: the lease's renewal overlaps, and Go's transport
	// returns a connection to its pool just after the answer is read, so a request sent at that
	// moment dials (seen on a loaded machine: 6 for 4 in flight).
	if c.conns > 2*parallelism {
		t.Errorf("%d connections opened for %d requests in flight at most: idle connections are not kept for reuse", c.conns, parallelism)
	}
}

// TestFloorDoesTheSameWork checks that the write floor leaves the server exactly as a
// bucketform apply would: bucketform plans the floor's buckets, with the floor's index, as its
// own, with no changes. And the read floor reads them.
func TestFloorDoesTheSameWork(t *testing.T) {
	srv := miniotest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	floor, err := NewFloor(srv.Endpoint, miniotest.AccessKey, miniotest.SecretKey, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := floor.EnsureStateBucket(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 10
	tenants := Tenants("floor", n)
	if err := floor.WriteApply(ctx, "floor", tenants); err != nil {
		t.Fatal(err)
	}
	if err := floor.ReadPlan(ctx, "floor", tenants); err != nil {
		t.Fatal(err)
	}
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
	}
	if len(p.Changes) != n {
		t.Errorf("%d changes, want %d no-ops", len(p.Changes), n)
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
