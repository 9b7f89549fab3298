package presign_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/presign"
)

var minioServer miniotest.Shared

func TestMain(m *testing.M) { os.Exit(minioServer.Run(m)) }

// world is a MinIO server as bucketform sees it: it talks to 127.0.0.1:PORT (the private
// endpoint) and signs for localhost:PORT (the public one) — two different hosts to SigV4.
type world struct {
	srv    *miniotest.Server
	client *minio.Client
	dep    *config.Deployment
	public *config.SigningEndpoint
	port   string
}

var bucketSeq int

func newWorld(t *testing.T) (*world, string) {
	t.Helper()
	srv := minioServer.Get(t)
	port := srv.Endpoint[strings.LastIndexByte(srv.Endpoint, ':')+1:]
	w := &world{
		srv:    srv,
		client: srv.Client(t),
		port:   port,
		dep: &config.Deployment{Name: "main", Endpoint: srv.Endpoint, Region: "us-east-1",
			Creds: config.Credentials{AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Known: true}},
	}
	w.public = &config.SigningEndpoint{Name: "public", Deployment: "main", Endpoint: "localhost:" + port, Region: "us-east-1", Creds: w.dep.Creds}
	bucketSeq++
	bucket := fmt.Sprintf("presign-%s-%d", strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), bucketSeq)
	if len(bucket) > 63 {
		bucket = bucket[len(bucket)-63:]
		bucket = "p" + strings.TrimLeft(bucket[1:], "-")
	}
	if err := w.client.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", bucket, err)
	}
	return w, bucket
}

func (w *world) sign(t *testing.T, p config.Presign, ep *config.SigningEndpoint) config.PresignResult {
	t.Helper()
	return mustSign(t, presign.NewSigner(), request(p, w.dep, ep))
}

// do sends a request and returns its status, MinIO's error code (from the XML body, or from
// X-Minio-Error-Code for a HEAD) and body.
func do(t *testing.T, method, rawURL string, body []byte, header http.Header) (int, string, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	code := resp.Header.Get("X-Minio-Error-Code")
	var e struct{ Code, Message string }
	if xml.Unmarshal(out, &e) == nil && e.Code != "" {
		code = e.Code
	}
	return resp.StatusCode, code, out
}

func expect(t *testing.T, what string, gotStatus int, gotCode string, wantStatus int, wantCode string) {
	t.Helper()
	if gotStatus != wantStatus || gotCode != wantCode {
		t.Errorf("%s: %d %s, want %d %s", what, gotStatus, gotCode, wantStatus, wantCode)
	}
}

// TestPresignedURLsForPublicHost: bucketform talks to 127.0.0.1 and signs for localhost. A PUT
// URL uploads, a GET URL downloads the same bytes, a HEAD URL reads the metadata; the bucket
// needs no anonymous policy (an unsigned request is refused). A tampered URL, a URL used at
// another host, and a PUT URL used for GET are refused.
func TestPresignedURLsForPublicHost(t *testing.T) {
	w, bucket := newWorld(t)
	if pol, err := w.client.GetBucketPolicy(context.Background(), bucket); err != nil || pol != "" {
		t.Fatalf("bucket policy %q, %v; want none", pol, err)
	}
	key := "runs/42/output 1+.tar.gz"
	data := []byte("artifact bytes\x00\x01 that travel through a presigned URL")
	put := w.sign(t, config.Presign{Method: "PUT", Bucket: bucket, Key: key, Expires: time.Hour}, w.public)
	get := w.sign(t, config.Presign{Method: "GET", Bucket: bucket, Key: key, Expires: time.Hour}, w.public)
	head := w.sign(t, config.Presign{Method: "HEAD", Bucket: bucket, Key: key, Expires: time.Hour}, w.public)
	for _, u := range []string{put.URL, get.URL, head.URL} {
		if !strings.HasPrefix(u, "http://localhost:"+w.port+"/") {
			t.Fatalf("URL %s is not for localhost:%s", u, w.port)
		}
	}

	status, code, _ := do(t, "PUT", put.URL, data, nil)
	expect(t, "PUT through the signed URL", status, code, 200, "")
	status, code, body := do(t, "GET", get.URL, nil, nil)
	expect(t, "GET through the signed URL", status, code, 200, "")
	if !bytes.Equal(body, data) {
		t.Errorf("GET returned %q, want %q", body, data)
	}
	status, code, _ = do(t, "HEAD", head.URL, nil, nil)
	expect(t, "HEAD through the signed URL", status, code, 200, "")
	// A URL is not single-use: until it expires, it uploads again (and replaces the object).
	status, code, _ = do(t, "PUT", put.URL, []byte("again"), nil)
	expect(t, "second PUT through the same URL", status, code, 200, "")
	if got, _ := objectBytes(t, w, bucket, key); string(got) != "again" {
		t.Errorf("after the second PUT the object holds %q", got)
	}
	// Content-Type is not signed: the uploader chooses it.
	status, code, _ = do(t, "PUT", put.URL, data, http.Header{"Content-Type": {"text/html"}})
	expect(t, "PUT with a Content-Type of the uploader's choosing", status, code, 200, "")

	// No anonymous policy is needed, and none is in effect.
	status, code, _ = do(t, "GET", "http://localhost:"+w.port+"/"+bucket+"/runs/42/output%201+.tar.gz", nil, nil)
	expect(t, "unsigned GET", status, code, 403, "AccessDenied")

	// SigV4 covers the host: the same URL at 127.0.0.1 is refused.
	status, code, _ = do(t, "GET", strings.Replace(get.URL, "localhost:", "127.0.0.1:", 1), nil, nil)
	expect(t, "GET URL used at 127.0.0.1", status, code, 403, "SignatureDoesNotMatch")
	// Tampered URLs: another key, a longer expiry, another signature.
	status, code, _ = do(t, "GET", strings.Replace(get.URL, "/runs/42/", "/runs/43/", 1), nil, nil)
	expect(t, "GET URL with another key", status, code, 403, "SignatureDoesNotMatch")
	status, code, _ = do(t, "GET", strings.Replace(get.URL, "X-Amz-Expires=3600", "X-Amz-Expires=7200", 1), nil, nil)
	expect(t, "GET URL with a longer expiry", status, code, 403, "SignatureDoesNotMatch")
	sig := get.URL[strings.Index(get.URL, "X-Amz-Signature=")+len("X-Amz-Signature="):][:64]
	flipped := strings.Replace(get.URL, sig, strings.Repeat("0", 64), 1)
	status, code, _ = do(t, "GET", flipped, nil, nil)
	expect(t, "GET URL with another signature", status, code, 403, "SignatureDoesNotMatch")
	// A URL is for one method.
	status, code, _ = do(t, "GET", put.URL, nil, nil)
	expect(t, "PUT URL used for GET", status, code, 403, "SignatureDoesNotMatch")
}

// TestKeysWithAnyCharacter: URLs for keys with characters that need escaping upload and
// download the object of exactly that key.
func TestKeysWithAnyCharacter(t *testing.T) {
	w, bucket := newWorld(t)
	for _, key := range []string{
		"sp ace/plus+sign", "unicode/ü€😀", "q?mark#hash&amp=eq", "percent%25and%", "tilde~_-.", "colon:semi;comma,",
		"(parens)[brackets]{braces}", "$dollar@at!bang*star'quote\"dq", "$%7Bfilename%7D", "/leading-slash", "back\\slash",
	} {
		data := []byte("object " + key)
		put := w.sign(t, config.Presign{Method: "PUT", Bucket: bucket, Key: key, Expires: time.Minute}, w.public)
		status, code, _ := do(t, "PUT", put.URL, data, nil)
		expect(t, "PUT "+key, status, code, 200, "")
		if got, err := objectBytes(t, w, bucket, key); err != nil || !bytes.Equal(got, data) {
			t.Errorf("object %q = %q, %v", key, got, err)
		}
		get := w.sign(t, config.Presign{Method: "GET", Bucket: bucket, Key: key, Expires: time.Minute}, w.public)
		status, code, body := do(t, "GET", get.URL, nil, nil)
		expect(t, "GET "+key, status, code, 200, "")
		if !bytes.Equal(body, data) {
			t.Errorf("GET %q = %q", key, body)
		}
	}
}

// TestExpiredURLIsRefused: a URL signed with expires = 1s works at once and is refused after
// its ExpiresAt has passed.
func TestExpiredURLIsRefused(t *testing.T) {
	w, bucket := newWorld(t)
	if _, err := w.client.PutObject(context.Background(), bucket, "k", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	put := w.sign(t, config.Presign{Method: "PUT", Bucket: bucket, Key: "late", Expires: time.Second}, w.public)
	get := w.sign(t, config.Presign{Method: "GET", Bucket: bucket, Key: "k", Expires: time.Second}, w.public)
	// Wait until both have expired by the server's judgement too (ExpiresAt has 1s resolution).
	time.Sleep(time.Until(get.ExpiresAt.Add(1500 * time.Millisecond)))
	status, code, body := do(t, "GET", get.URL, nil, nil)
	expect(t, "expired GET URL", status, code, 403, "AccessDenied")
	if !strings.Contains(string(body), "expired") {
		t.Errorf("expired GET answered %s", body)
	}
	status, code, _ = do(t, "PUT", put.URL, []byte("y"), nil)
	expect(t, "expired PUT URL", status, code, 403, "AccessDenied")
	if _, err := w.client.StatObject(context.Background(), bucket, "late", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
		t.Errorf("the expired PUT stored an object: %v", err)
	}
}

// TestHeadCarriesErrorCode: MinIO answers a HEAD with an empty body and the error code in
// X-Minio-Error-Code — what Check relies on.
func TestHeadCarriesErrorCode(t *testing.T) {
	w, bucket := newWorld(t)
	for _, tc := range []struct {
		name, bucket, key string
		tamper            bool
		status            int
		code              string
	}{
		{"missing key", bucket, "nothing-here", false, 404, "NoSuchKey"},
		{"missing bucket", bucket + "-gone", "k", false, 404, "NoSuchBucket"},
		{"bad signature", bucket, "k", true, 403, "SignatureDoesNotMatch"},
	} {
		res := w.sign(t, config.Presign{Method: "HEAD", Bucket: tc.bucket, Key: tc.key, Expires: time.Minute}, w.public)
		u := res.URL
		if tc.tamper {
			u = strings.Replace(u, "localhost:", "127.0.0.1:", 1)
		}
		resp, err := http.Head(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("X-Minio-Error-Code") != tc.code || len(body) != 0 {
			t.Errorf("%s: HEAD answered %d, X-Minio-Error-Code %q, %d body bytes; want %d %s and no body",
				tc.name, resp.StatusCode, resp.Header.Get("X-Minio-Error-Code"), len(body), tc.status, tc.code)
		}
	}
}

// postForm sends a browser-style multipart form: the policy's fields (with overrides), then
// the file last, named filename.
func postForm(t *testing.T, res config.PresignResult, override map[string]string, filename string, data []byte) (int, string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields := map[string]string{}
	for k, v := range res.FormFields {
		fields[k] = v
	}
	for k, v := range override {
		fields[k] = v
	}
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return do(t, "POST", res.URL, buf.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}})
}

func objectBytes(t *testing.T, w *world, bucket, key string) ([]byte, error) {
	t.Helper()
	obj, err := w.client.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return io.ReadAll(obj)
}

// TestPostPolicyUpload: a POST policy with key_prefix lets a browser upload a file under the
// prefix with the file's own name (the key field PREFIX${filename} is filled in by the server);
// a key outside the prefix, a file over max_size and another Content-Type are refused. The
// trap: a key field URL-encoded to PREFIX$%7Bfilename%7D is accepted by the prefix condition
// and stores an object literally named so.
func TestPostPolicyUpload(t *testing.T) {
	w, bucket := newWorld(t)
	res := w.sign(t, config.Presign{Method: "POST", Bucket: bucket, KeyPrefix: "runs/7/", MaxSize: 1024,
		ContentType: "application/gzip", Expires: time.Hour}, w.public)
	if !strings.HasPrefix(res.URL, "http://localhost:"+w.port+"/"+bucket) {
		t.Fatalf("POST URL %s", res.URL)
	}
	data := bytes.Repeat([]byte("z"), 1000)

	status, code, body := postForm(t, res, nil, "result file.tar.gz", data)
	expect(t, "POST under the prefix", status, code, 204, "")
	if got, err := objectBytes(t, w, bucket, "runs/7/result file.tar.gz"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("object runs/7/result file.tar.gz: %d bytes, %v (answer %s)", len(got), err, body)
	}

	status, code, _ = postForm(t, res, map[string]string{"key": "elsewhere/${filename}"}, "x.tar.gz", data)
	expect(t, "POST outside the prefix", status, code, 403, "AccessDenied")
	status, code, _ = postForm(t, res, nil, "big.tar.gz", bytes.Repeat([]byte("z"), 1025))
	expect(t, "POST over max_size", status, code, 400, "EntityTooLarge")
	status, code, _ = postForm(t, res, map[string]string{"Content-Type": "text/html"}, "page.html", data)
	expect(t, "POST with another Content-Type", status, code, 403, "AccessDenied")
	status, code, _ = postForm(t, res, map[string]string{"x-amz-date": "20200101T000000Z"}, "x.tar.gz", data)
	expect(t, "POST with a tampered field", status, code, 403, "AccessDenied")

	// The trap: URL-encoding the key field.
	status, code, _ = postForm(t, res, map[string]string{"key": "runs/7/$%7Bfilename%7D"}, "named.tar.gz", data)
	expect(t, "POST with an URL-encoded key field", status, code, 204, "")
	if _, err := w.client.StatObject(context.Background(), bucket, "runs/7/$%7Bfilename%7D", minio.StatObjectOptions{}); err != nil {
		t.Errorf("an URL-encoded ${filename} should store runs/7/$%%7Bfilename%%7D literally: %v", err)
	}
	if _, err := w.client.StatObject(context.Background(), bucket, "runs/7/named.tar.gz", minio.StatObjectOptions{}); err == nil {
		t.Errorf("an URL-encoded ${filename} was substituted")
	}

	// Why Sign refuses ${filename} in a fixed POST key: MinIO replaces it before it checks the
	// policy, so an exact key condition never matches (a policy built here with minio-go).
	pp := minio.NewPostPolicy()
	pp.SetBucket(bucket)
	pp.SetKey("runs/7/${filename}")
	pp.SetExpires(time.Now().Add(time.Hour))
	fixedURL, fixedFields, err := w.client.PresignedPostPolicy(context.Background(), pp)
	if err != nil {
		t.Fatal(err)
	}
	status, code, _ = postForm(t, config.PresignResult{URL: fixedURL.String(), FormFields: fixedFields}, nil, "fixed.tar.gz", data)
	expect(t, "POST with ${filename} in a fixed key", status, code, 403, "AccessDenied")

	// The POST signature does not cover the host: the form also works at 127.0.0.1.
	direct := res
	direct.URL = strings.Replace(res.URL, "localhost:", "127.0.0.1:", 1)
	status, code, _ = postForm(t, direct, nil, "direct.tar.gz", data)
	expect(t, "POST form sent to another host", status, code, 204, "")
}

// restrictedUser creates a user whose only right is s3:PutObject under BUCKET/runs/.
func restrictedUser(t *testing.T, w *world, bucket string) config.Credentials {
	t.Helper()
	user := "uploader-" + fmt.Sprint(bucketSeq)
	creds := config.Credentials{AccessKey: user, SecretKey: user + "-secret-key", Known: true}
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::%s/runs/*"]}]}`, bucket)
	w.srv.AddUser(t, creds.AccessKey, creds.SecretKey, "put-runs-"+bucket, []byte(doc))
	return creds
}

// TestRestrictedSigningIdentity: URLs signed by a least-privilege identity (a signing endpoint
// with its own access_key / secret_key) work inside what it may do and are refused outside it,
// with the bucket's anonymous policy none; disabling the identity revokes every URL it signed.
func TestRestrictedSigningIdentity(t *testing.T) {
	w, bucket := newWorld(t)
	ctx := context.Background()
	creds := restrictedUser(t, w, bucket)
	ep := *w.public
	ep.Creds = creds
	if pol, err := w.client.GetBucketPolicy(ctx, bucket); err != nil || pol != "" {
		t.Fatalf("bucket policy %q, %v; want none", pol, err)
	}

	inside := w.sign(t, config.Presign{Method: "PUT", Bucket: bucket, Key: "runs/1/out.bin", Expires: time.Hour}, &ep)
	if !strings.Contains(inside.URL, "X-Amz-Credential="+creds.AccessKey+"%2F") {
		t.Fatalf("URL not signed by %s: %s", creds.AccessKey, inside.URL)
	}
	outside := w.sign(t, config.Presign{Method: "PUT", Bucket: bucket, Key: "other/out.bin", Expires: time.Hour}, &ep)
	read := w.sign(t, config.Presign{Method: "GET", Bucket: bucket, Key: "runs/1/out.bin", Expires: time.Hour}, &ep)
	form := w.sign(t, config.Presign{Method: "POST", Bucket: bucket, KeyPrefix: "runs/2/", Expires: time.Hour}, &ep)
	formOutside := w.sign(t, config.Presign{Method: "POST", Bucket: bucket, KeyPrefix: "other/", Expires: time.Hour}, &ep)

	status, code, _ := do(t, "PUT", inside.URL, []byte("inside"), nil)
	expect(t, "restricted PUT inside runs/", status, code, 200, "")
	status, code, _ = do(t, "PUT", outside.URL, []byte("outside"), nil)
	expect(t, "restricted PUT outside runs/", status, code, 403, "AccessDenied")
	status, code, _ = do(t, "GET", read.URL, nil, nil)
	expect(t, "restricted GET", status, code, 403, "AccessDenied")
	status, code, _ = postForm(t, form, nil, "f.txt", []byte("form"))
	expect(t, "restricted POST inside runs/", status, code, 204, "")
	status, code, _ = postForm(t, formOutside, nil, "f.txt", []byte("form"))
	expect(t, "restricted POST outside runs/", status, code, 403, "AccessDenied")
	if got, err := objectBytes(t, w, bucket, "runs/2/f.txt"); err != nil || string(got) != "form" {
		t.Errorf("runs/2/f.txt = %q, %v", got, err)
	}

	// Check proves the host and path while the identity may not read: OK, and says so.
	res := presign.NewSigner().Check(ctx, http.DefaultClient, request(config.Presign{Method: "PUT", Bucket: bucket, Key: "runs/3/x", Expires: time.Hour}, w.dep, &ep))
	if !res.OK || res.Code != "AccessDenied" || !strings.Contains(res.Message, "may not read") {
		t.Errorf("Check with an upload-only identity: %+v", res)
	}

	// Disabling the identity revokes what it signed.
	if err := w.srv.Admin(t).SetUserStatus(ctx, creds.AccessKey, madmin.AccountDisabled); err != nil {
		t.Fatal(err)
	}
	again := w.sign(t, config.Presign{Method: "PUT", Bucket: bucket, Key: "runs/1/again.bin", Expires: time.Hour}, &ep)
	status, _, _ = do(t, "PUT", again.URL, []byte("again"), nil)
	if status != 403 {
		t.Errorf("PUT signed by a disabled identity: %d, want 403", status)
	}
}

// TestAnonymousModes records what each `anonymous` mode lets anyone do without a signature,
// with the policy documents bucketform writes: upload lets anyone write and delete (and read
// nothing); presigned URLs need none of them.
func TestAnonymousModes(t *testing.T) {
	w, bucket := newWorld(t)
	ctx := context.Background()
	base := "http://127.0.0.1:" + w.port + "/" + bucket
	type access struct{ get, list, put, del int }
	for _, tc := range []struct {
		mode string
		want access
	}{
		{"none", access{403, 403, 403, 403}},
		{"download", access{200, 200, 403, 403}},
		{"upload", access{403, 403, 200, 204}},
		{"public", access{200, 200, 200, 204}},
	} {
		doc, ok := policy.Canned(tc.mode, bucket)
		if !ok {
			t.Fatalf("no canned policy %s", tc.mode)
		}
		text := ""
		if !doc.IsEmpty() {
			text = doc.JSON()
		}
		if err := w.client.SetBucketPolicy(ctx, bucket, text); err != nil {
			t.Fatalf("%s: %v", tc.mode, err)
		}
		if _, err := w.client.PutObject(ctx, bucket, "victim", strings.NewReader("data"), 4, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		var got access
		got.get, _, _ = do(t, "GET", base+"/victim", nil, nil)
		got.list, _, _ = do(t, "GET", base+"/?list-type=2", nil, nil)
		got.put, _, _ = do(t, "PUT", base+"/anon-"+tc.mode, []byte("anonymous"), nil)
		got.del, _, _ = do(t, "DELETE", base+"/victim", nil, nil)
		if got != tc.want {
			t.Errorf("anonymous = %q: unsigned GET, LIST, PUT, DELETE answered %+v, want %+v", tc.mode, got, tc.want)
		}
	}
}
