package ownership_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/server"
)

// faultProxy stands between bucketform and the shared MinIO and spoils the requests a rule
// matches: "reset" hangs up before the request reaches MinIO, "lose-answer" lets MinIO do the
// work and then hangs up instead of answering (a reset connection, a server killed right after
// the write). Hanging up sends a TCP RST.
type faultProxy struct {
	srv   *httptest.Server
	proxy *httputil.ReverseProxy

	mu    sync.Mutex
	rules []*faultRule
}

type faultRule struct {
	match func(*http.Request) bool
	kind  string // "reset" or "lose-answer"
	hits  int
}

func newFaultProxy(t *testing.T) *faultProxy {
	t.Helper()
	target, _ := url.Parse(minioServer.Get(t).URL())
	p := &faultProxy{proxy: httputil.NewSingleHostReverseProxy(target)}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) add(kind string, match func(*http.Request) bool) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &faultRule{match: match, kind: kind}
	p.rules = append(p.rules, r)
	return r
}

func (p *faultProxy) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

func (p *faultProxy) hits(r *faultRule) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return r.hits
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var spoil *faultRule
	for _, rule := range p.rules {
		if rule.match(r) {
			rule.hits++
			spoil = rule
			break
		}
	}
	p.mu.Unlock()
	switch {
	case spoil == nil:
		p.proxy.ServeHTTP(w, r)
	case spoil.kind == "lose-answer":
		p.proxy.ServeHTTP(httptest.NewRecorder(), r)
		reset(w)
	default:
		reset(w)
	}
}

func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// store returns a store that talks to MinIO through the proxy.
func (p *faultProxy) store(t *testing.T, stateBucket, stack string) *ownership.Store {
	t.Helper()
	c, err := server.New(server.Target{Endpoint: strings.TrimPrefix(p.srv.URL, "http://"), Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	return ownership.NewStore(c, stateBucket, stack)
}

func leaseRequest(m, stateBucket string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == m && strings.HasSuffix(r.URL.Path, "/"+stateBucket+"/stacks/alpha/lease.json")
	}
}

// quickRetries makes the retry delays short for the test.
func quickRetries(t *testing.T) {
	old := server.Retry
	server.Retry = server.RetryPolicy{Attempts: 3, First: 5 * time.Millisecond, Max: 20 * time.Millisecond,
		AttemptTimeout: 10 * time.Second, Timeouts: 2, Budget: 30 * time.Second, ResponseTimeout: time.Minute}
	t.Cleanup(func() { server.Retry = old })
}

// leaseOnServer reads the lease object directly from MinIO; found is false when there is none.
func leaseOnServer(t *testing.T, stateBucket string) (info ownership.LeaseInfo, found bool) {
	t.Helper()
	obj, err := minioServer.Get(t).Client(t).GetObject(context.Background(), stateBucket, "stacks/alpha/lease.json", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return info, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatalf("lease on the server is not JSON: %v: %s", err, data)
	}
	return info, true
}

// writeLease writes a lease object by hand, as someone with write access to the state bucket
// could.
func writeLease(t *testing.T, stateBucket, text string) {
	t.Helper()
	ctx := context.Background()
	mc := minioServer.Get(t).Client(t)
	makeBucket(t, stateBucket)
	if _, err := mc.PutObject(ctx, stateBucket, "stacks/alpha/lease.json", bytes.NewReader([]byte(text)), int64(len(text)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func makeBucket(t *testing.T, name string) {
	t.Helper()
	err := minioServer.Get(t).Client(t).MakeBucket(context.Background(), name, minio.MakeBucketOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != server.CodeBucketExists {
		t.Fatal(err)
	}
}

// Under write faults the lease write reaches MinIO and every answer is lost: Acquire fails.
// It must not leave its lease behind, which would lock the stack for a LeaseTTL in the name of
// an apply that never ran.
func TestFailedAcquireRemovesItsLease(t *testing.T) {
	quickRetries(t)
	const bucket = "state-lease-lost"
	makeBucket(t, bucket)
	p := newFaultProxy(t)
	put := p.add("lose-answer", leaseRequest("PUT", bucket))
	_, err := p.store(t, bucket, "alpha").Acquire(context.Background(), "apply", 0)
	if err == nil {
		t.Fatal("Acquire succeeded although every answer to the lease write was lost")
	}
	if p.hits(put) == 0 {
		t.Fatal("the lease write never reached the proxy: the test does not test what it says")
	}
	if !strings.Contains(err.Error(), "take the lease") {
		t.Errorf("the error does not say what failed: %v", err)
	}
	if info, found := leaseOnServer(t, bucket); found {
		t.Fatalf("the failed acquisition left its lease behind: %+v", info)
	}
	// The stack is not locked: the next apply takes the lease at once.
	p.clear()
	l, err := p.store(t, bucket, "alpha").Acquire(context.Background(), "apply", 0)
	if err != nil {
		t.Fatalf("the next Acquire: %v", err)
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The same when the failed write is the takeover of an expired lease.
func TestFailedTakeoverRemovesItsLease(t *testing.T) {
	quickRetries(t)
	const bucket = "state-lease-takeover"
	past := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	writeLease(t, bucket, fmt.Sprintf(`{"id":"dead","holder":"gone@elsewhere","operation":"apply","acquired_at":%q,"expires_at":%q}`,
		past.Format(time.RFC3339), past.Add(time.Minute).Format(time.RFC3339)))
	p := newFaultProxy(t)
	takeover := p.add("lose-answer", func(r *http.Request) bool {
		return leaseRequest("PUT", bucket)(r) && r.Header.Get("If-Match") != ""
	})
	_, err := p.store(t, bucket, "alpha").Acquire(context.Background(), "apply", 0)
	if err == nil || p.hits(takeover) == 0 {
		t.Fatalf("Acquire = %v after %d takeover writes; want a failure after at least one", err, p.hits(takeover))
	}
	if !strings.Contains(err.Error(), "take over the lease") || !strings.Contains(err.Error(), "it expired at") {
		t.Errorf("the error does not say what failed: %v", err)
	}
	if info, found := leaseOnServer(t, bucket); found {
		t.Fatalf("the failed takeover left its lease behind: %+v", info)
	}
}

// A failed acquisition never deletes another holder's lease: here the takeover of an expired
// lease never reaches MinIO, and the expired lease must still be there afterwards.
func TestFailedAcquireKeepsAnothersLease(t *testing.T) {
	quickRetries(t)
	const bucket = "state-lease-other"
	past := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	writeLease(t, bucket, fmt.Sprintf(`{"id":"other","holder":"gone@elsewhere","operation":"apply","acquired_at":%q,"expires_at":%q}`,
		past.Format(time.RFC3339), past.Add(time.Minute).Format(time.RFC3339)))
	p := newFaultProxy(t)
	takeover := p.add("reset", func(r *http.Request) bool {
		return leaseRequest("PUT", bucket)(r) && r.Header.Get("If-Match") != ""
	})
	if _, err := p.store(t, bucket, "alpha").Acquire(context.Background(), "apply", 0); err == nil || p.hits(takeover) == 0 {
		t.Fatalf("Acquire = %v after %d takeover writes; want a failure", err, p.hits(takeover))
	}
	info, found := leaseOnServer(t, bucket)
	if !found || info.ID != "other" {
		t.Fatalf("another holder's lease was deleted or replaced: %+v (found %v)", info, found)
	}
}

// When the clean-up cannot read the lease back either, the error says that a lease may be
// left behind, until when, and how to remove it.
func TestFailedCleanUpSaysSo(t *testing.T) {
	quickRetries(t)
	const bucket = "state-lease-cleanup"
	makeBucket(t, bucket)
	p := newFaultProxy(t)
	p.add("lose-answer", leaseRequest("PUT", bucket))
	p.add("reset", leaseRequest("GET", bucket))
	_, err := p.store(t, bucket, "alpha").Acquire(context.Background(), "apply", 0)
	if err == nil {
		t.Fatal("Acquire succeeded")
	}
	for _, want := range []string{"may have left its lease state-lease-cleanup/stacks/alpha/lease.json behind", "it expires within 1m0s", "force-unlock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}

// A lease whose expiry lies absurdly far ahead (written by hand, e.g. 2099) would lock the stack
// forever: it is treated as expired, taken over, and the new lease says so.
func TestAbsurdLeaseExpiryIsTreatedAsExpired(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	for i, tc := range []struct {
		name, lease string
		locked      bool
		replaced    []string
	}{
		{"expires in 2099", fmt.Sprintf(`{"id":"forged","holder":"mallory","operation":"apply","acquired_at":%q,"expires_at":"2099-01-01T00:00:00Z"}`, ts(0)),
			false, []string{"held by mallory", "its expiry 2099-01-01T00:00:00Z is", "from now, more than 3 lease TTLs (3m0s), so it is treated as expired"}},
		{"expires long after it was written", fmt.Sprintf(`{"id":"forged","holder":"mallory","operation":"apply","acquired_at":%q,"renewed_at":%q,"expires_at":%q}`, ts(-time.Hour), ts(-time.Hour), ts(2*time.Minute)),
			false, []string{"after it was written", "more than 3 lease TTLs"}},
		{"renewed a moment ago by a long apply", fmt.Sprintf(`{"id":"live","holder":"busy","operation":"apply","acquired_at":%q,"renewed_at":%q,"expires_at":%q}`, ts(-time.Hour), ts(-10*time.Second), ts(50*time.Second)),
			true, nil},
		{"held by a bucketform that writes no renewed_at", fmt.Sprintf(`{"id":"old","holder":"older","operation":"apply","acquired_at":%q,"expires_at":%q}`, ts(-time.Hour), ts(50*time.Second)),
			true, nil},
		{"unreadable", `not json`, false, []string{"its content is not a lease"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bucket := fmt.Sprintf("state-absurd-%d", i)
			writeLease(t, bucket, tc.lease)
			l, err := store(t, bucket, "alpha").Acquire(ctx, "apply", 0)
			var locked *ownership.LockedError
			if tc.locked {
				if !errors.As(err, &locked) {
					t.Fatalf("Acquire = %v, want a LockedError: the lease is valid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Acquire: %v (the lease must be treated as expired)", err)
			}
			defer l.Release(ctx)
			for _, want := range tc.replaced {
				if !strings.Contains(l.Replaced(), want) {
					t.Errorf("Replaced() does not say %q: %q", want, l.Replaced())
				}
			}
			if info, found := leaseOnServer(t, bucket); !found || info.ID == "forged" || info.RenewedAt.IsZero() {
				t.Errorf("the lease on the server is %+v (found %v), want the new one", info, found)
			}
		})
	}
}

// A lease taken when the stack was free replaced nothing.
func TestFreshLeaseReplacedNothing(t *testing.T) {
	l, err := store(t, "state-lease-fresh", "alpha").Acquire(context.Background(), "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(context.Background())
	if l.Replaced() != "" {
		t.Errorf("Replaced() = %q for a free stack", l.Replaced())
	}
}
