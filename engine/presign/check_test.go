package presign_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/presign"
)

// proxy starts a reverse proxy in front of the test server; rewrite changes the outgoing
// request after it was pointed at MinIO. It returns the proxy's host:port.
func proxy(t *testing.T, w *world, rewrite func(r *httputil.ProxyRequest)) string {
	t.Helper()
	target, _ := url.Parse(w.srv.URL())
	p := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host // what nginx does with proxy_set_header Host $http_host
		rewrite(r)
	}}
	s := httptest.NewServer(p)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func signingEndpoint(w *world, endpoint string) *config.SigningEndpoint {
	ep := *w.public
	ep.Endpoint = endpoint
	return &ep
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestCheck: output -check's HEAD request proves that a URL reaches MinIO unaltered through
// its signing endpoint, and names the likely cause when it does not: a proxy that rewrites the
// Host header or the path, a host that cannot be reached, another service, a redirect, a
// missing bucket, unknown credentials.
func TestCheck(t *testing.T) {
	w, bucket := newWorld(t)
	httpClient := &http.Client{Timeout: 10 * time.Second}
	keep := func(*httputil.ProxyRequest) {}
	other := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { http.NotFound(rw, r) }))
	t.Cleanup(other.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "https://files.example.com"+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	t.Cleanup(redirect.Close)
	unknownKey := signingEndpoint(w, "localhost:"+w.port)
	unknownKey.Creds = config.Credentials{AccessKey: "nobody", SecretKey: "nobody-secret", Known: true}

	for _, tc := range []struct {
		name   string
		ep     *config.SigningEndpoint
		p      config.Presign
		ok     bool
		code   string
		inMsgs []string
	}{
		{"direct", w.public, config.Presign{Method: "PUT", Key: "runs/1/x"}, true, "NoSuchKey", []string{"signature accepted"}},
		{"POST policy", w.public, config.Presign{Method: "POST", KeyPrefix: "runs/"}, true, "NoSuchKey", []string{"signature accepted"}},
		{"POST with a fixed key", w.public, config.Presign{Method: "POST", Key: "in/report.pdf"}, true, "NoSuchKey", []string{"signature accepted"}},
		{"deployment endpoint", nil, config.Presign{Method: "GET", Key: "k"}, true, "NoSuchKey", []string{"reached MinIO through http://127.0.0.1:"}},
		{"proxy passing the Host header", signingEndpoint(w, proxy(t, w, keep)), config.Presign{Method: "GET", Key: "k"}, true, "NoSuchKey", nil},
		{"proxy rewriting the Host header", signingEndpoint(w, proxy(t, w, func(r *httputil.ProxyRequest) { r.Out.Host = "" })), config.Presign{Method: "GET", Key: "k"},
			false, "SignatureDoesNotMatch", []string{"SignatureDoesNotMatch", "Host header", "proxy_set_header Host $http_host"}},
		{"proxy rewriting the path", signingEndpoint(w, proxy(t, w, func(r *httputil.ProxyRequest) { r.Out.URL.Path = strings.Replace(r.Out.URL.Path, "/k", "/K", 1) })),
			config.Presign{Method: "GET", Key: "k"}, false, "SignatureDoesNotMatch", []string{"rewrites", "path"}},
		{"unreachable host", signingEndpoint(w, closedPort(t)), config.Presign{Method: "GET", Key: "k"}, false, "", []string{"cannot reach http://127.0.0.1:", "connection refused"}},
		{"unresolvable host", signingEndpoint(w, "minio.bucketform-test.invalid:9000"), config.Presign{Method: "GET", Key: "k"}, false, "", []string{"cannot reach http://minio.bucketform-test.invalid:9000", "no such host"}},
		{"another service", signingEndpoint(w, strings.TrimPrefix(other.URL, "http://")), config.Presign{Method: "GET", Key: "k"}, false, "", []string{"not as MinIO"}},
		{"redirect", signingEndpoint(w, strings.TrimPrefix(redirect.URL, "http://")), config.Presign{Method: "PUT", Key: "k"}, false, "", []string{"redirect", "https://files.example.com/"}},
		{"missing bucket", w.public, config.Presign{Method: "GET", Bucket: bucket + "-gone", Key: "k"}, false, "NoSuchBucket", []string{"does not exist", "run apply"}},
		{"unknown access key", unknownKey, config.Presign{Method: "GET", Key: "k"}, false, "InvalidAccessKeyId", []string{"does not know the signing access key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if p.Bucket == "" {
				p.Bucket = bucket
			}
			p.Address, p.Expires = "presign.x", time.Hour
			res := presign.NewSigner().Check(context.Background(), httpClient, request(p, w.dep, tc.ep))
			if res.OK != tc.ok || res.Code != tc.code {
				t.Errorf("OK %v, code %q, want %v %q: %s", res.OK, res.Code, tc.ok, tc.code, res.Message)
			}
			for _, want := range tc.inMsgs {
				if !strings.Contains(res.Message, want) {
					t.Errorf("message %q lacks %q", res.Message, want)
				}
			}
			if res.Address != "presign.x" || strings.Contains(res.Message, "X-Amz-Signature") {
				t.Errorf("result %+v (the message must not carry the URL)", res)
			}
		})
	}
}

// TestCheckWrongRegion: against a server with MINIO_SITE_REGION, URLs signed for another region
// are refused, and Check says to set region on the minio block.
func TestCheckWrongRegion(t *testing.T) {
	srv := miniotest.Start(t, miniotest.WithEnv("MINIO_SITE_REGION=eu-west-1"))
	dep := &config.Deployment{Name: "main", Endpoint: srv.Endpoint, Region: "us-east-1",
		Creds: config.Credentials{AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Known: true}}
	p := config.Presign{Address: "presign.x", Method: "GET", Bucket: "data", Key: "k", Expires: time.Hour}
	res := presign.NewSigner().Check(context.Background(), http.DefaultClient, request(p, dep, nil))
	if res.OK || !strings.Contains(res.Message, `signing region "us-east-1"`) || !strings.Contains(res.Message, "MINIO_SITE_REGION") {
		t.Errorf("wrong region: %+v", res)
	}
	dep.Region = "eu-west-1"
	res = presign.NewSigner().Check(context.Background(), http.DefaultClient, request(p, dep, nil))
	if res.OK || res.Code != "NoSuchBucket" {
		t.Errorf("right region: %+v, want NoSuchBucket (signature accepted)", res)
	}
}

// TestCheckClockSkew: when the server's clock is far from this machine's, MinIO refuses a URL
// as expired (or not yet valid) with AccessDenied; Check names the clocks instead of taking it
// for an identity that may not read. A stand-in server answers as MinIO would.
func TestCheckClockSkew(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		skew   time.Duration
		ok     bool
		want   string
	}{
		{"behind", "GET", -2 * time.Hour, false, "clock differs from this machine's by"},
		{"ahead", "GET", 30 * time.Minute, false, "synchronise the clocks"},
		// In step: a GET URL whose signer may not read is useless; a PUT URL's signer need not.
		{"in step, GET", "GET", 0, false, "may not read data/k, so this GET URL gets 403"},
		{"in step, PUT", "PUT", 0, true, "may not read this key (expected for an upload-only identity)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Server", "MinIO")
				rw.Header().Set("Date", time.Now().Add(tc.skew).UTC().Format(http.TimeFormat))
				rw.Header().Set("X-Minio-Error-Code", "AccessDenied")
				rw.WriteHeader(http.StatusForbidden)
			}))
			defer fake.Close()
			dep := deployment(strings.TrimPrefix(fake.URL, "http://"))
			res := presign.NewSigner().Check(context.Background(), http.DefaultClient,
				request(config.Presign{Address: "presign.x", Method: tc.method, Bucket: "data", Key: "k", Expires: time.Hour}, dep, nil))
			if res.OK != tc.ok || !strings.Contains(res.Message, tc.want) {
				t.Errorf("OK %v, %q; want %v and %q", res.OK, res.Message, tc.ok, tc.want)
			}
		})
	}
}
