package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

// faultyProxy stands between a client and the shared MinIO and injects faults into the requests
// a test picks: an error answer, a connection closed before the request reaches MinIO, or a
// request that reaches MinIO and whose answer is lost.
type faultyProxy struct {
	t     *testing.T
	proxy *httputil.ReverseProxy
	srv   *httptest.Server

	mu     sync.Mutex
	faults []*fault
}

type fault struct {
	match func(r *http.Request) bool
	times int    // how many matching requests to spoil; -1: all
	kind  string // "answer", "reset", "lose-answer"
	// For "answer": the status and S3 error code to answer with.
	status int
	code   string
	hits   int // matching requests seen, spoiled or not
}

func newFaultyProxy(t *testing.T) *faultyProxy {
	t.Helper()
	target, _ := url.Parse(minioServer.Get(t).URL())
	p := &faultyProxy{t: t, proxy: httputil.NewSingleHostReverseProxy(target)}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultyProxy) add(f *fault) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, f)
	return f
}

func (p *faultyProxy) hits(f *fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return f.hits
}

func (p *faultyProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var spoil *fault
	for _, f := range p.faults {
		if !f.match(r) {
			continue
		}
		f.hits++
		if spoil == nil && f.times != 0 {
			if f.times > 0 {
				f.times--
			}
			spoil = f
		}
	}
	if os.Getenv("FAULTY_PROXY_LOG") != "" {
		p.t.Logf("%s %s spoiled=%v", r.Method, r.URL, spoil != nil)
	}
	p.mu.Unlock()
	switch {
	case spoil == nil:
		p.proxy.ServeHTTP(w, r)
	case spoil.kind == "answer":
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(spoil.status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test</Message></Error>`, spoil.code)
	case spoil.kind == "reset":
		hangUp(w)
	case spoil.kind == "lose-answer":
		p.proxy.ServeHTTP(httptest.NewRecorder(), r) // MinIO does the work; the answer is dropped
		hangUp(w)
	}
}

// hangUp closes the client's connection without an answer, as a server killed mid-request does.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST, not FIN: "connection reset by peer"
	}
	conn.Close()
}

func (p *faultyProxy) client(t *testing.T) *server.Client {
	t.Helper()
	c, err := server.New(server.Target{Endpoint: strings.TrimPrefix(p.srv.URL, "http://"), Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fastRetries makes the retry delays short for the test.
func fastRetries(t *testing.T, attempts int) {
	old := server.Retry
	server.Retry = server.RetryPolicy{Attempts: attempts, First: 5 * time.Millisecond, Max: 20 * time.Millisecond, AttemptTimeout: 30 * time.Second}
	t.Cleanup(func() { server.Retry = old })
}

func query(key string) func(*http.Request) bool {
	return func(r *http.Request) bool { _, ok := r.URL.Query()[key]; return ok }
}

func method(m string, match func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == m && match(r) }
}

func path(prefix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, prefix) }
}

// A server that is starting or overloaded answers 503 (SlowDown, XMinioServerNotInitialized) or
// drops connections; S3 and admin requests alike are retried until it answers.
func TestTransientFailuresAreRetried(t *testing.T) {
	fastRetries(t, 5)
	ctx := context.Background()
	p := newFaultyProxy(t)
	c := p.client(t)
	if err := c.MakeBucket(ctx, "retry-transient", false); err != nil {
		t.Fatal(err)
	}
	slow := p.add(&fault{match: method("GET", query("versioning")), times: 2, kind: "answer", status: 503, code: "SlowDown"})
	notInit := p.add(&fault{match: path("/minio/admin/"), times: 2, kind: "answer", status: 503, code: "XMinioServerNotInitialized"})
	reset := p.add(&fault{match: method("GET", query("policy")), times: 2, kind: "reset"})
	internal := p.add(&fault{match: method("PUT", query("tagging")), times: 1, kind: "answer", status: 500, code: "InternalError"})

	if err := c.SetQuota(ctx, "retry-transient", 1<<30); err != nil {
		t.Fatalf("SetQuota: %v", err)
	}
	if err := c.SetTags(ctx, "retry-transient", map[string]string{"a": "b"}); err != nil {
		t.Fatalf("SetTags: %v", err)
	}
	live, err := c.ReadBucket(ctx, "retry-transient", func(string) model.AttrSet {
		return model.NewAttrSet(model.AttrVersioning, model.AttrQuota, model.AttrPolicy)
	})
	if err != nil {
		t.Fatalf("ReadBucket: %v", err)
	}
	if !live.Exists || live.State.Quota != 1<<30 || live.State.Tags["a"] != "b" {
		t.Fatalf("read back %+v", live)
	}
	for name, f := range map[string]*fault{"SlowDown": slow, "XMinioServerNotInitialized (admin)": notInit, "reset": reset} {
		if got := p.hits(f); got < 3 {
			t.Errorf("%s: %d attempts reached the proxy, want at least 3 (two spoiled, then success)", name, got)
		}
	}
	if got := p.hits(internal); got != 2 {
		t.Errorf("InternalError: %d attempts, want 2", got)
	}
}

// An answer that refuses the request itself is not retried, and the error says which permission
// is missing.
func TestPermanentFailuresAreNotRetried(t *testing.T) {
	fastRetries(t, 5)
	ctx := context.Background()
	p := newFaultyProxy(t)
	c := p.client(t)
	if err := c.MakeBucket(ctx, "retry-permanent", false); err != nil {
		t.Fatal(err)
	}
	denied := p.add(&fault{match: path("/minio/admin/"), times: -1, kind: "answer", status: 403, code: "AccessDenied"})
	invalid := p.add(&fault{match: method("PUT", query("lifecycle")), times: -1, kind: "answer", status: 400, code: "InvalidArgument"})

	err := c.SetQuota(ctx, "retry-permanent", 1<<30)
	if err == nil || p.hits(denied) != 1 {
		t.Fatalf("SetQuota: %v after %d attempts; want AccessDenied after 1", err, p.hits(denied))
	}
	msg := server.Explain(err).Error()
	if !strings.Contains(msg, "the credentials lack admin:SetBucketQuota on retry-permanent") ||
		!strings.Contains(msg, "bucketform-policy.json") {
		t.Errorf("the error does not say what to grant: %s", msg)
	}
	err = c.SetLifecycle(ctx, "retry-permanent", []model.LifecycleRule{{ID: "x", ExpirationDays: 1}})
	if server.Code(err) != "InvalidArgument" || p.hits(invalid) != 1 {
		t.Fatalf("SetLifecycle: %v after %d attempts; want InvalidArgument after 1", err, p.hits(invalid))
	}
}

// Retries are bounded: a server that never comes back fails the request after Retry.Attempts
// attempts, and the error says so.
func TestRetriesAreBounded(t *testing.T) {
	fastRetries(t, 4)
	p := newFaultyProxy(t)
	down := p.add(&fault{match: func(*http.Request) bool { return true }, times: -1, kind: "reset"})
	err := p.client(t).MakeBucket(context.Background(), "retry-bounded", false)
	if err == nil {
		t.Fatal("MakeBucket succeeded against a server that hangs up on every request")
	}
	if got := p.hits(down); got != 4 {
		t.Errorf("%d attempts, want 4", got)
	}
	if !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Errorf("error does not say it gave up: %v", err)
	}
	var re *server.RequestError
	if !errors.As(err, &re) || re.Action != "s3:CreateBucket" {
		t.Errorf("error %v is not a RequestError for s3:CreateBucket", err)
	}
	// A cancelled context stops the retries at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := p.hits(down)
	if err := p.client(t).MakeBucket(ctx, "retry-bounded", false); err == nil || p.hits(down) > before {
		t.Errorf("with a cancelled context: %v after %d more attempts", err, p.hits(down)-before)
	}
}

// Each request is repeated after an attempt that reached the server and whose answer was lost:
// every one of them must converge instead of failing on its own earlier success.
func TestLostAnswersConverge(t *testing.T) {
	fastRetries(t, 5)
	ctx := context.Background()
	p := newFaultyProxy(t)
	c := p.client(t)
	root := minioServer.Get(t).Client(t)

	// MakeBucket: the retry meets BucketAlreadyOwnedByYou.
	p.add(&fault{match: method("PUT", func(r *http.Request) bool { return bucketURL(r, "lost-make") }), times: 1, kind: "lose-answer"})
	if err := c.MakeBucket(ctx, "lost-make", false); err != nil {
		t.Fatalf("MakeBucket with a lost answer: %v", err)
	}
	if ok, _ := root.BucketExists(ctx, "lost-make"); !ok {
		t.Fatal("bucket not created")
	}
	// MakeBucket with object lock.
	p.add(&fault{match: method("PUT", func(r *http.Request) bool { return bucketURL(r, "lost-lock") }), times: 1, kind: "lose-answer"})
	if err := c.MakeBucket(ctx, "lost-lock", true); err != nil {
		t.Fatalf("MakeBucket with object lock and a lost answer: %v", err)
	}
	// Attribute writes and their removals.
	for _, q := range []string{"tagging", "policy", "lifecycle"} {
		p.add(&fault{match: method("PUT", query(q)), times: 1, kind: "lose-answer"})
		p.add(&fault{match: method("DELETE", query(q)), times: 1, kind: "lose-answer"})
	}
	p.add(&fault{match: method("PUT", query("versioning")), times: 1, kind: "lose-answer"})
	p.add(&fault{match: path("/minio/admin/"), times: 1, kind: "lose-answer"})
	var want model.Bucket
	want.Tags = map[string]string{"k": "v"}
	if err := c.SetTags(ctx, "lost-make", want.Tags); err != nil {
		t.Fatalf("SetTags: %v", err)
	}
	if err := c.SetTags(ctx, "lost-make", nil); err != nil {
		t.Fatalf("remove tags: %v", err)
	}
	if err := c.SetLifecycle(ctx, "lost-make", []model.LifecycleRule{{ID: "x", ExpirationDays: 1}}); err != nil {
		t.Fatalf("SetLifecycle: %v", err)
	}
	if err := c.SetLifecycle(ctx, "lost-make", nil); err != nil {
		t.Fatalf("remove lifecycle: %v", err)
	}
	doc, _ := policy.Canned("download", "lost-make")
	if err := c.SetPolicy(ctx, "lost-make", doc); err != nil {
		t.Fatalf("SetPolicy: %v", err)
	}
	if err := c.SetPolicy(ctx, "lost-make", policy.Document{}); err != nil {
		t.Fatalf("remove policy: %v", err)
	}
	if err := c.SetVersioning(ctx, "lost-make", model.VersioningEnabled); err != nil {
		t.Fatalf("SetVersioning: %v", err)
	}
	if err := c.SetQuota(ctx, "lost-make", 1<<20); err != nil {
		t.Fatalf("SetQuota: %v", err)
	}

	// A conditional create of a small object: the retry meets PreconditionFailed from its own
	// write, and must return that write's ETag, not a conflict.
	if err := c.EnsureBucket(ctx, "lost-state"); err != nil {
		t.Fatal(err)
	}
	put := method("PUT", func(r *http.Request) bool { return r.URL.Path == "/lost-state/lease.json" })
	p.add(&fault{match: put, times: 1, kind: "lose-answer"})
	etag, err := c.PutSmall(ctx, "lost-state", "lease.json", []byte(`{"id":"one"}`), "")
	if err != nil {
		t.Fatalf("conditional create with a lost answer: %v", err)
	}
	// The compare-and-swap chain goes on from that ETag, again through a lost answer.
	p.add(&fault{match: put, times: 1, kind: "lose-answer"})
	etag2, err := c.PutSmall(ctx, "lost-state", "lease.json", []byte(`{"id":"two"}`), etag)
	if err != nil {
		t.Fatalf("conditional replace with a lost answer: %v", err)
	}
	if _, err := c.PutSmall(ctx, "lost-state", "lease.json", []byte(`{"id":"three"}`), etag2); err != nil {
		t.Fatalf("conditional replace after it: %v", err)
	}
	// A real conflict is still a conflict, also on a retried attempt.
	p.add(&fault{match: put, times: 1, kind: "reset"})
	if _, err := c.PutSmall(ctx, "lost-state", "lease.json", []byte(`{"id":"four"}`), etag2); !errors.Is(err, server.ErrConflict) {
		t.Fatalf("stale ETag after a reset: %v, want ErrConflict", err)
	}
	p.add(&fault{match: put, times: 1, kind: "reset"})
	if _, err := c.PutSmall(ctx, "lost-state", "lease.json", []byte(`{"id":"five"}`), ""); !errors.Is(err, server.ErrConflict) {
		t.Fatalf("create of an existing object after a reset: %v, want ErrConflict", err)
	}

	// Deletes: the retry finds the object or bucket gone.
	p.add(&fault{match: method("DELETE", path("/lost-state/lease.json")), times: 1, kind: "lose-answer"})
	if err := c.DeleteSmall(ctx, "lost-state", "lease.json"); err != nil {
		t.Fatalf("DeleteSmall with a lost answer: %v", err)
	}
	p.add(&fault{match: method("DELETE", func(r *http.Request) bool { return bucketURL(r, "lost-make") }), times: 1, kind: "lose-answer"})
	if err := c.DeleteBucket(ctx, "lost-make"); err != nil {
		t.Fatalf("DeleteBucket with a lost answer: %v", err)
	}
	if ok, _ := root.BucketExists(ctx, "lost-make"); ok {
		t.Fatal("bucket not deleted")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.faults {
		if f.times != 0 {
			t.Errorf("fault %d (%s) was never injected: the test does not test what it says", i, f.kind)
		}
	}
}

// bucketURL reports whether r addresses the bucket itself (create, delete), path-style.
func bucketURL(r *http.Request, bucket string) bool {
	return strings.TrimSuffix(r.URL.Path, "/") == "/"+bucket && r.URL.RawQuery == ""
}
