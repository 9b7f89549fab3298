package presign_test

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine/presign"
)

// Test-only keys: the deployment's (root) and a least-privilege signing identity's.
var (
	rootCreds   = config.Credentials{AccessKey: "root-key", SecretKey: "root-secret-key", Known: true}
	uploadCreds = config.Credentials{AccessKey: "uploader", SecretKey: "uploader-secret", Known: true}
)

// deployment is a minio block that talks to an address nothing listens on: signing must not
// need it.
func deployment(endpoint string) *config.Deployment {
	return &config.Deployment{Name: "main", Endpoint: endpoint, Region: "us-east-1", Creds: rootCreds}
}

func request(p config.Presign, dep *config.Deployment, ep *config.SigningEndpoint) config.PresignRequest {
	if p.Address == "" {
		p.Address = "presign.test"
	}
	if p.Bucket == "" {
		p.Bucket = "data"
	}
	if p.Deployment == "" {
		p.Deployment = dep.Name
	}
	return config.PresignRequest{Presign: &p, Deployment: dep, Endpoint: ep, Now: time.Now()}
}

// countingListener accepts TCP connections on 127.0.0.1 and counts them, to prove that
// signing for its address opens none.
func countingListener(t *testing.T) (addr string, accepted *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = new(atomic.Int64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), accepted
}

func mustSign(t *testing.T, s *presign.Signer, req config.PresignRequest) config.PresignResult {
	t.Helper()
	res, err := s.Sign(req)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return res
}

func parseURL(t *testing.T, raw string) (*url.URL, url.Values) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return u, u.Query()
}

// TestSignForPublicHost: a URL is signed for the signing endpoint's host and scheme, with the
// deployment's region in its credential scope, the expiry asked for, and an ExpiresAt that is
// exactly X-Amz-Date + X-Amz-Expires and brackets the clock at signing time.
func TestSignForPublicHost(t *testing.T) {
	private, accepted := countingListener(t)
	dep := deployment(private)
	dep.Region = "eu-central-1"
	ep := &config.SigningEndpoint{Name: "public", Deployment: "main", Endpoint: "localhost:9000", Region: "eu-central-1", Creds: rootCreds}
	s := presign.NewSigner()
	for _, method := range []string{"GET", "PUT", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			before := time.Now().UTC().Truncate(time.Second)
			res := mustSign(t, s, request(config.Presign{Method: method, Key: "runs/42/out put+.tar.gz", Expires: 90 * time.Minute}, dep, ep))
			after := time.Now().UTC()
			u, q := parseURL(t, res.URL)
			if u.Scheme != "http" || u.Host != "localhost:9000" {
				t.Errorf("URL %s://%s, want http://localhost:9000", u.Scheme, u.Host)
			}
			if u.Path != "/data/runs/42/out put+.tar.gz" {
				t.Errorf("path %q, want /data/runs/42/out put+.tar.gz", u.Path)
			}
			if got, want := q.Get("X-Amz-Expires"), "5400"; got != want {
				t.Errorf("X-Amz-Expires = %s, want %s", got, want)
			}
			cred := strings.Split(q.Get("X-Amz-Credential"), "/")
			if len(cred) != 5 || cred[0] != "root-key" || cred[2] != "eu-central-1" || cred[3] != "s3" {
				t.Errorf("X-Amz-Credential = %q, want root-key/DATE/eu-central-1/s3/aws4_request", q.Get("X-Amz-Credential"))
			}
			date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
			if err != nil {
				t.Fatalf("X-Amz-Date: %v", err)
			}
			if !res.ExpiresAt.Equal(date.Add(90 * time.Minute)) {
				t.Errorf("ExpiresAt %s, want X-Amz-Date %s + 90m", res.ExpiresAt, date)
			}
			if res.ExpiresAt.Before(before.Add(90*time.Minute)) || res.ExpiresAt.After(after.Add(90*time.Minute)) {
				t.Errorf("ExpiresAt %s is not signing time + 90m (signed between %s and %s)", res.ExpiresAt, before, after)
			}
			if res.ExpiresAt.Location() != time.UTC {
				t.Errorf("ExpiresAt %s is not UTC", res.ExpiresAt)
			}
			if len(res.FormFields) != 0 {
				t.Errorf("%s has form fields %v", method, res.FormFields)
			}
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("signing opened %d connections to the deployment", n)
	}
}

// TestSignMakesNoNetworkCall: signing works for hosts that cannot be reached — a listener
// that counts connections, a closed port, a name that does not resolve — and never opens a
// connection, neither to the deployment nor to the signing endpoint, for any method.
func TestSignMakesNoNetworkCall(t *testing.T) {
	listening, accepted := countingListener(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, host := range []string{listening, closed, "bucketform-unresolvable.invalid:9000"} {
		dep := deployment(host)
		for _, ep := range []*config.SigningEndpoint{nil, {Name: "public", Deployment: "main", Endpoint: host, Creds: rootCreds}} {
			for _, p := range []config.Presign{
				{Method: "GET", Key: "k", Expires: time.Hour},
				{Method: "PUT", Key: "k", Expires: time.Hour},
				{Method: "HEAD", Key: "k", Expires: time.Hour},
				{Method: "POST", KeyPrefix: "up/", MaxSize: 10, Expires: time.Hour},
			} {
				res := mustSign(t, presign.NewSigner(), request(p, dep, ep))
				if u, _ := parseURL(t, res.URL); u.Host != host {
					t.Errorf("%s signed for %s, want %s", p.Method, u.Host, host)
				}
			}
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("signing opened %d connections", n)
	}
}

// TestSignDefaultsToDeploymentEndpoint: without a signing endpoint, URLs are for the minio
// block's own host and scheme.
func TestSignDefaultsToDeploymentEndpoint(t *testing.T) {
	dep := deployment("minio.internal:9000")
	dep.Secure = true
	res := mustSign(t, presign.NewSigner(), request(config.Presign{Method: "GET", Key: "a/b", Expires: time.Minute}, dep, nil))
	if u, _ := parseURL(t, res.URL); u.String()[:len("https://minio.internal:9000/data/a/b?")] != "https://minio.internal:9000/data/a/b?" {
		t.Errorf("URL %s, want https://minio.internal:9000/data/a/b?...", res.URL)
	}
}

// TestSignDefaultPortsAreDropped: minio-go drops :80 for http and :443 for https from the URL
// and from the signed Host, as browsers and curl send the Host header without them.
func TestSignDefaultPortsAreDropped(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		secure   bool
		want     string
	}{
		{"files.example.com:443", true, "https://files.example.com/data/k"},
		{"files.example.com:80", false, "http://files.example.com/data/k"},
		{"files.example.com:8443", true, "https://files.example.com:8443/data/k"},
	} {
		ep := &config.SigningEndpoint{Name: "public", Deployment: "main", Endpoint: tc.endpoint, Secure: tc.secure, Creds: rootCreds}
		res := mustSign(t, presign.NewSigner(), request(config.Presign{Method: "GET", Key: "k", Expires: time.Minute}, deployment("minio:9000"), ep))
		if got := strings.SplitN(res.URL, "?", 2)[0]; got != tc.want {
			t.Errorf("%s (secure %v): URL %s, want %s", tc.endpoint, tc.secure, got, tc.want)
		}
	}
}

// TestSigningIdentity: a signing endpoint with credentials of its own signs as that identity;
// one without signs as the minio block's.
func TestSigningIdentity(t *testing.T) {
	dep := deployment("minio:9000")
	s := presign.NewSigner()
	for _, tc := range []struct {
		creds config.Credentials
		want  string
	}{{uploadCreds, "uploader/"}, {rootCreds, "root-key/"}, {config.Credentials{}, "root-key/"}} {
		ep := &config.SigningEndpoint{Name: "public", Deployment: "main", Endpoint: "localhost:9000", Creds: tc.creds}
		for _, p := range []config.Presign{{Method: "PUT", Key: "k", Expires: time.Minute}, {Method: "POST", KeyPrefix: "p/", Expires: time.Minute}} {
			res := mustSign(t, s, request(p, dep, ep))
			cred := res.FormFields["x-amz-credential"]
			if p.Method != "POST" {
				_, q := parseURL(t, res.URL)
				cred = q.Get("X-Amz-Credential")
			}
			if !strings.HasPrefix(cred, tc.want) {
				t.Errorf("%s with %v: credential %q, want %s...", p.Method, tc.creds, cred, tc.want)
			}
		}
	}
}

type postPolicy struct {
	Expiration string
	Conditions []json.RawMessage
}

func decodePolicy(t *testing.T, fields map[string]string) (postPolicy, []string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(fields["policy"])
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	var p postPolicy
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("policy %s: %v", raw, err)
	}
	var conds []string
	for _, c := range p.Conditions {
		var v []any
		if err := json.Unmarshal(c, &v); err != nil {
			t.Fatalf("condition %s: %v", c, err)
		}
		b, _ := json.Marshal(v)
		conds = append(conds, string(b))
	}
	return p, conds
}

func hasCondition(conds []string, want string) bool {
	for _, c := range conds {
		if c == want {
			return true
		}
	}
	return false
}

// TestSignPostPolicy: a POST with key_prefix gives the URL of the bucket on the signing host
// and form fields whose key is PREFIX${filename} (literally: never URL-encoded) under a
// starts-with condition on the prefix, with max_size as a content-length-range, content_type
// as an exact condition, the signing region in the credential, and a policy expiration equal
// to ExpiresAt.
func TestSignPostPolicy(t *testing.T) {
	ep := &config.SigningEndpoint{Name: "public", Deployment: "main", Endpoint: "files.example.com", Secure: true, Creds: uploadCreds}
	dep := deployment("minio:9000")
	dep.Region = "eu-west-3"
	before := time.Now().UTC().Truncate(time.Second)
	res := mustSign(t, presign.NewSigner(), request(config.Presign{
		Method: "POST", KeyPrefix: "runs/7/", MaxSize: 1 << 20, ContentType: "application/gzip", Expires: 24 * time.Hour,
	}, dep, ep))
	after := time.Now().UTC()
	if res.URL != "https://files.example.com/data/" {
		t.Errorf("URL %s, want https://files.example.com/data/", res.URL)
	}
	f := res.FormFields
	if f["key"] != "runs/7/${filename}" {
		t.Errorf("key field %q, want runs/7/${filename}", f["key"])
	}
	if f["Content-Type"] != "application/gzip" || f["x-amz-algorithm"] != "AWS4-HMAC-SHA256" || f["x-amz-signature"] == "" {
		t.Errorf("form fields %v", f)
	}
	if cred := strings.Split(f["x-amz-credential"], "/"); len(cred) != 5 || cred[0] != "uploader" || cred[2] != "eu-west-3" {
		t.Errorf("x-amz-credential %q", f["x-amz-credential"])
	}
	pol, conds := decodePolicy(t, f)
	for _, want := range []string{
		`["starts-with","$key","runs/7/"]`,
		`["eq","$bucket","data"]`,
		`["content-length-range",0,1048576]`,
		`["eq","$Content-Type","application/gzip"]`,
		`["eq","$x-amz-credential","` + f["x-amz-credential"] + `"]`,
	} {
		if !hasCondition(conds, want) {
			t.Errorf("policy lacks %s; conditions: %s", want, conds)
		}
	}
	exp, err := time.Parse("2006-01-02T15:04:05.000Z", pol.Expiration)
	if err != nil {
		t.Fatalf("expiration %q: %v", pol.Expiration, err)
	}
	if !exp.Equal(res.ExpiresAt) {
		t.Errorf("policy expires %s, ExpiresAt %s", exp, res.ExpiresAt)
	}
	if res.ExpiresAt.Before(before.Add(24*time.Hour)) || res.ExpiresAt.After(after.Add(24*time.Hour)) {
		t.Errorf("ExpiresAt %s is not signing time + 24h", res.ExpiresAt)
	}
	// The form fields travel as JSON (output -json): ${filename} stays as it is.
	b, _ := json.Marshal(f)
	if !strings.Contains(string(b), `"runs/7/${filename}"`) || strings.Contains(string(b), "%7B") {
		t.Errorf("JSON form fields %s", b)
	}
}

// TestSignPostFixedKey: a POST with a fixed key has an exact key condition and no size limit
// unless max_size is set.
func TestSignPostFixedKey(t *testing.T) {
	res := mustSign(t, presign.NewSigner(), request(config.Presign{Method: "POST", Key: "in/report.pdf", Expires: time.Hour}, deployment("minio:9000"), nil))
	if res.FormFields["key"] != "in/report.pdf" {
		t.Errorf("key %q", res.FormFields["key"])
	}
	_, conds := decodePolicy(t, res.FormFields)
	if !hasCondition(conds, `["eq","$key","in/report.pdf"]`) {
		t.Errorf("conditions %s", conds)
	}
	for _, c := range conds {
		if strings.Contains(c, "content-length-range") || strings.Contains(c, "starts-with") {
			t.Errorf("unexpected condition %s", c)
		}
	}
}

// TestSignRefuses: what cannot be signed is an error naming the problem, never a URL that
// would fail later.
func TestSignRefuses(t *testing.T) {
	dep := deployment("minio:9000")
	for _, tc := range []struct {
		name string
		p    config.Presign
		dep  *config.Deployment
		want string
	}{
		{"expiry zero", config.Presign{Method: "GET", Key: "k"}, dep, "from 1s to 7d"},
		{"expiry over 7d", config.Presign{Method: "GET", Key: "k", Expires: presign.MaxExpiry + time.Second}, dep, "from 1s to 7d"},
		{"expiry fraction", config.Presign{Method: "GET", Key: "k", Expires: 1500 * time.Millisecond}, dep, "whole number of seconds"},
		{"method", config.Presign{Method: "DELETE", Key: "k", Expires: time.Hour}, dep, `method "DELETE" cannot be presigned`},
		{"filename in a PUT key", config.Presign{Method: "PUT", Key: "up/${filename}", Expires: time.Hour}, dep, "only a POST form upload replaces"},
		{"filename in a fixed POST key", config.Presign{Method: "POST", Key: "up/${filename}", Expires: time.Hour}, dep, `Use key_prefix = "up/" instead`},
		{"filename in key_prefix", config.Presign{Method: "POST", KeyPrefix: "up/${filename}", Expires: time.Hour}, dep, "leave it out"},
		{"quote in a POST prefix", config.Presign{Method: "POST", KeyPrefix: `up/"x`, Expires: time.Hour}, dep, "POST policy cannot carry"},
		{"backslash in content type", config.Presign{Method: "POST", Key: "k", ContentType: `a\b`, Expires: time.Hour}, dep, "POST policy cannot carry"},
		{"double slash", config.Presign{Method: "PUT", Key: "a//b", Expires: time.Hour}, dep, `empty path segment`},
		{"dot segment", config.Presign{Method: "GET", Key: "a/../b", Expires: time.Hour}, dep, `has a ".." path segment`},
		{"dot key", config.Presign{Method: "GET", Key: ".", Expires: time.Hour}, dep, `has a "." path segment`},
		{"NUL", config.Presign{Method: "GET", Key: "a\x00b", Expires: time.Hour}, dep, `NUL`},
		{"double slash in a prefix", config.Presign{Method: "POST", KeyPrefix: "up//", Expires: time.Hour}, dep, `empty path segment`},
		{"dot segment in a prefix", config.Presign{Method: "POST", KeyPrefix: "up/./", Expires: time.Hour}, dep, `"." path segment`},
		{"no credentials", config.Presign{Method: "GET", Key: "k", Expires: time.Hour}, &config.Deployment{Name: "main", Endpoint: "minio:9000"}, "no credentials to sign with"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := presign.NewSigner().Sign(request(tc.p, tc.dep, nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Sign = %+v, %v; want an error with %q", res, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), rootCreds.SecretKey) {
				t.Errorf("error reveals the secret key: %v", err)
			}
		})
	}
	// Keys MinIO accepts: a trailing slash, a leading slash, a prefix ending in "." (the file
	// name completes the segment), dots inside a segment.
	for _, p := range []config.Presign{
		{Method: "PUT", Key: "dir/", Expires: time.Hour}, {Method: "PUT", Key: "/lead", Expires: time.Hour},
		{Method: "POST", KeyPrefix: "up/.", Expires: time.Hour}, {Method: "POST", KeyPrefix: "", Expires: time.Hour},
		{Method: "GET", Key: "a/.hidden/..b/c..", Expires: time.Hour},
	} {
		mustSign(t, presign.NewSigner(), request(p, dep, nil))
	}
	// The maximum itself is allowed: 7d is inclusive.
	mustSign(t, presign.NewSigner(), request(config.Presign{Method: "GET", Key: "k", Expires: presign.MaxExpiry}, dep, nil))
	mustSign(t, presign.NewSigner(), request(config.Presign{Method: "GET", Key: "k", Expires: time.Second}, dep, nil))
}

// TestSignConcurrently: one Signer serves many goroutines (output -check signs in parallel).
func TestSignConcurrently(t *testing.T) {
	s := presign.NewSigner()
	dep := deployment("minio:9000")
	var wg sync.WaitGroup
	urls := make([]string, 64)
	for i := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ep := &config.SigningEndpoint{Name: "public", Deployment: "main", Endpoint: "host" + string(rune('a'+i%4)) + ":9000", Creds: rootCreds}
			res, err := s.Sign(request(config.Presign{Method: "GET", Key: "k", Expires: time.Hour}, dep, ep))
			if err != nil {
				t.Error(err)
				return
			}
			urls[i] = res.URL
		}()
	}
	wg.Wait()
	for i, u := range urls {
		if want := "http://host" + string(rune('a'+i%4)) + ":9000/"; !strings.HasPrefix(u, want) {
			t.Errorf("URL %d = %s, want %s...", i, u, want)
		}
	}
}
