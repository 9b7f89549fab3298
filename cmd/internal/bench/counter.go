package bench

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Counter is a reverse proxy in front of MinIO that records every request made through it, as
// "METHOD what bucket": what is the S3 subresource (?policy, ?tagging ...), "object" or
// "bucket", or the admin API call; and the bytes of the answers' bodies. Counts do not depend
// on the machine's load, so they say what timings cannot: how many requests a plan or an apply
// makes, and how many bytes it reads.
type Counter struct {
	mu    sync.Mutex
	reqs  []string
	bytes int64
	conns int // connections opened to the proxy
	srv   *httptest.Server
}

// StartCounter starts a counting proxy to the MinIO at target (host:port) and returns it; its
// Endpoint is the host:port to send requests to. Close stops it.
func StartCounter(target string) (*Counter, error) {
	u, err := url.Parse("http://" + target)
	if err != nil {
		return nil, err
	}
	c := &Counter{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // SigV4 signs the Host header: keep the one the client signed
	}}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		proxy.ServeHTTP(cw, r)
		c.mu.Lock()
		c.reqs = append(c.reqs, classify(r))
		c.bytes += cw.n
		c.mu.Unlock()
	}))
	c.srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			c.mu.Lock()
			c.conns++
			c.mu.Unlock()
		}
	}
	c.srv.Start()
	return c, nil
}

// Endpoint returns the proxy's host:port.
func (c *Counter) Endpoint() string { return strings.TrimPrefix(c.srv.URL, "http://") }

// Close stops the proxy.
func (c *Counter) Close() { c.srv.Close() }

// Take returns the requests recorded since the last call, counted by kind, and the bytes of
// their answers' bodies.
func (c *Counter) Take() (map[string]int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, r := range c.reqs {
		out[r]++
	}
	n := c.bytes
	c.reqs, c.bytes = nil, 0
	return out, n
}

// Conns returns the number of connections opened to the proxy so far.
func (c *Counter) Conns() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conns
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Flush lets the proxy flush streamed answers.
func (w *countingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
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

// ByKind sums counts over buckets: "GET ?policy b-1" and "GET ?policy b-2" are both
// "GET ?policy". The state bucket is kept by name.
func ByKind(counts map[string]int) map[string]int {
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

// IsWrite reports whether a counted request (a key of Take's counts) changes the server.
func IsWrite(req string) bool {
	method, _, _ := strings.Cut(req, " ")
	return method != http.MethodGet && method != http.MethodHead
}
