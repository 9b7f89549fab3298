package docs

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// recipeEdits are the only changes TestNginxRecipe makes to the recipe of reverse-proxy.md: the
// test machine has no files.example.com, no /etc/nginx/tls and no port 443 or host minio of
// its own. Each must occur exactly once in the recipe.
var recipeEdits = []struct{ from, to string }{
	{"listen 443 ssl;", "listen 127.0.0.1:{{PORT}} ssl;"},
	{"/etc/nginx/tls/files.example.com.crt", "{{CERT}}"},
	{"/etc/nginx/tls/files.example.com.key", "{{KEY}}"},
	{"http://minio:9000", "http://{{MINIO}}"},
}

const nginxConfig = `bucketform {
  stack = "nginx"
}

minio "local" {
  endpoint = env("MINIO_ENDPOINT")
}

signing_endpoint "proxy" {
  endpoint = env("PROXY_ENDPOINT")
  secure   = true
}

signing_endpoint "direct" {
  endpoint = env("MINIO_ENDPOINT")
}

bucket "uploads" {
  name      = "nginx-uploads"
  anonymous = "none"
}

presign "put" {
  bucket   = bucket.uploads
  key      = "runs/1/output.tar.gz"
  method   = "PUT"
  expires  = "15m"
  endpoint = signing_endpoint.proxy
}

presign "get" {
  bucket   = bucket.uploads
  key      = "runs/1/output.tar.gz"
  expires  = "15m"
  endpoint = signing_endpoint.proxy
}

presign "form" {
  bucket     = bucket.uploads
  key_prefix = "forms/"
  method     = "POST"
  max_size   = "1MiB"
  expires    = "15m"
  endpoint   = signing_endpoint.proxy
}

presign "stream" {
  bucket   = bucket.uploads
  key      = "runs/1/streamed.tar.gz"
  method   = "PUT"
  expires  = "15m"
  endpoint = signing_endpoint.proxy
}

presign "stream_direct" {
  bucket   = bucket.uploads
  key      = "runs/1/streamed-direct.tar.gz"
  method   = "PUT"
  expires  = "15m"
  endpoint = signing_endpoint.direct
}

output "urls" {
  value = {
    put           = presign.put.url
    get           = presign.get.url
    stream        = presign.stream.url
    stream_direct = presign.stream_direct.url
  }
  sensitive = true
}

output "form" {
  value     = { url = presign.form.url, fields = presign.form.form_fields }
  sensitive = true
}
`

// TestNginxRecipe runs the nginx recipe of reverse-proxy.md, as written but for recipeEdits,
// with nginx from the system's packages and TLS from a throw-away CA, in front of a real MinIO.
// URLs signed for the proxy's host (localhost:PORT, over https) must work for a PUT, a GET, a
// browser-style POST form upload with a non-ASCII file name and a streamed (chunked) PUT; a
// streamed PUT straight at MinIO must get 411 MissingContentLength; and output -check must
// accept every URL.
func TestNginxRecipe(t *testing.T) {
	nginx, err := lookSbin("nginx")
	need(t, err == nil, "nginx not found: scripts/install-tools.sh installs it with apt-get where it can (%v)", err)
	bin := bucketform(t)
	srv := miniotest.Start(t)
	dir := t.TempDir()

	// The recipe, from the documentation.
	var recipes []fence
	blocks, _ := fences("docs/reverse-proxy.md", readFile(t, "docs/reverse-proxy.md"))
	for _, b := range blocks {
		if b.lang == "nginx" {
			recipes = append(recipes, b)
		}
	}
	if len(recipes) != 1 {
		t.Fatalf("docs/reverse-proxy.md has %d nginx blocks, want 1", len(recipes))
	}
	recipe := recipes[0].body
	if !strings.HasPrefix(strings.TrimSpace(recipe), "server {") {
		t.Fatalf("%s: the recipe is not a complete server { } block:\n%s", recipes[0], recipe)
	}
	port := miniotest.FreePort(t)
	certFile, keyFile, caFile := throwAwayTLS(t, dir)
	for _, e := range recipeEdits {
		if n := strings.Count(recipe, e.from); n != 1 {
			t.Fatalf("%s: %q occurs %d times in the recipe, want once (the test changes exactly it)", recipes[0], e.from, n)
		}
		to := strings.NewReplacer("{{PORT}}", strconv.Itoa(port), "{{CERT}}", certFile, "{{KEY}}", keyFile, "{{MINIO}}", srv.Endpoint).Replace(e.to)
		recipe = strings.Replace(recipe, e.from, to, 1)
	}
	writeFile(t, filepath.Join(dir, "recipe.conf"), recipe)
	for _, sub := range []string{"body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		if err := os.MkdirAll(filepath.Join(dir, "tmp", sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "nginx.conf")
	writeFile(t, conf, fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events {}
http {
  access_log %[1]s/access.log;
  client_body_temp_path %[1]s/tmp/body;
  proxy_temp_path %[1]s/tmp/proxy;
  fastcgi_temp_path %[1]s/tmp/fastcgi;
  uwsgi_temp_path %[1]s/tmp/uwsgi;
  scgi_temp_path %[1]s/tmp/scgi;
  include %[1]s/recipe.conf;
}
`, dir))
	args := []string{"-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf}
	if out, err := exec.Command(nginx, append([]string{"-t"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t refuses the recipe: %v\n%s\n--- recipe:\n%s", err, out, recipe)
	}
	proxy := exec.Command(nginx, args...)
	var proxyOut bytes.Buffer
	proxy.Stdout, proxy.Stderr = &proxyOut, &proxyOut
	if err := proxy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = proxy.Process.Kill()
		_ = proxy.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", proxyOut.String(), log)
		}
	})
	waitForPort(t, port)

	// bucketform applies through MinIO's own address and signs for the proxy's.
	cfgDir := filepath.Join(dir, "cfg")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(cfgDir, "main.hcl"), nginxConfig)
	env := append(srv.CredentialsEnv(), "MINIO_ENDPOINT="+srv.Endpoint, "PROXY_ENDPOINT=localhost:"+strconv.Itoa(port))
	if code, out := run(t, cfgDir, env, bin, "apply", "-auto-approve", "-no-color"); code != 0 {
		t.Fatalf("apply exited %d:\n%s", code, out)
	}
	code, out := runStdout(t, cfgDir, env, bin, "output", "-json")
	if code != 0 {
		t.Fatalf("output -json exited %d:\n%s", code, out)
	}
	var outputs struct {
		URLs struct {
			Value struct {
				Put, Get, Stream string
				StreamDirect     string `json:"stream_direct"`
			} `json:"value"`
		} `json:"urls"`
		Form struct {
			Value struct {
				URL    string            `json:"url"`
				Fields map[string]string `json:"fields"`
			} `json:"value"`
		} `json:"form"`
	}
	if err := json.Unmarshal([]byte(out), &outputs); err != nil {
		t.Fatalf("output -json: %v\n%s", err, out)
	}
	urls := outputs.URLs.Value
	wantPrefix := fmt.Sprintf("https://localhost:%d/nginx-uploads/", port)
	if !strings.HasPrefix(urls.Put, wantPrefix) {
		t.Fatalf("the PUT URL %s is not signed for the proxy (%s)", urls.Put, wantPrefix)
	}

	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(caFile)
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	s3 := srv.Client(t)

	// PUT through nginx, then GET the same bytes back.
	payload := bytes.Repeat([]byte("an artifact through nginx\n"), 40000) // about 1 MB: over nginx's default body limit
	status, body := send(t, client, http.MethodPut, urls.Put, bytes.NewReader(payload), int64(len(payload)), "")
	if status != http.StatusOK {
		t.Fatalf("presigned PUT through nginx: %d %s", status, body)
	}
	status, body = send(t, client, http.MethodGet, urls.Get, nil, 0, "")
	if status != http.StatusOK || !bytes.Equal([]byte(body), payload) {
		t.Fatalf("presigned GET through nginx: %d, %d bytes (want %d)", status, len(body), len(payload))
	}

	// A browser-style form upload, with a file name that is not ASCII (as a page with
	// <meta charset="utf-8"> sends it).
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for k, v := range outputs.Form.Value.Fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "résumé ü.pdf")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte("%PDF-1.4 not really a PDF\n"))
	_ = mw.Close()
	status, body = send(t, client, http.MethodPost, outputs.Form.Value.URL, &form, int64(form.Len()), mw.FormDataContentType())
	if status != http.StatusNoContent {
		t.Fatalf("POST form upload through nginx: %d %s", status, body)
	}
	if _, err := s3.StatObject(context.Background(), "nginx-uploads", "forms/résumé ü.pdf", minio.StatObjectOptions{}); err != nil {
		t.Fatalf("the form upload is not at forms/résumé ü.pdf: %v", err)
	}

	// A streamed upload (Transfer-Encoding: chunked, no Content-Length), as tar … | curl -T -:
	// through nginx it works; straight at MinIO it gets 411 MissingContentLength.
	status, body = send(t, client, http.MethodPut, urls.Stream, io.MultiReader(bytes.NewReader(payload)), -1, "")
	if status != http.StatusOK {
		t.Fatalf("streamed PUT through nginx: %d %s", status, body)
	}
	got, err := s3.GetObject(context.Background(), "nginx-uploads", "runs/1/streamed.tar.gz", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := io.ReadAll(got); err != nil || !bytes.Equal(data, payload) {
		t.Fatalf("the streamed upload through nginx stored %d bytes (%v), want %d", len(data), err, len(payload))
	}
	status, body = send(t, client, http.MethodPut, urls.StreamDirect, io.MultiReader(bytes.NewReader(payload)), -1, "")
	if status != http.StatusLengthRequired || !strings.Contains(body, "MissingContentLength") {
		t.Fatalf("streamed PUT straight at MinIO: %d %s; want 411 MissingContentLength (docs/presign.md says so)", status, body)
	}

	// output -check, trusting the throw-away CA, accepts every URL through the proxy.
	code, out = run(t, cfgDir, append(env, "SSL_CERT_FILE="+caFile), bin, "output", "-check")
	if code != 0 {
		t.Fatalf("output -check exited %d:\n%s", code, out)
	}
	for _, name := range []string{"put", "get", "form", "stream"} {
		want := fmt.Sprintf("ok   presign.%s: reached MinIO through https://localhost:%d; signature accepted", name, port)
		if !strings.Contains(out, want) {
			t.Errorf("output -check does not say %q:\n%s", want, out)
		}
	}
}

// send makes one request and returns the status and the body. size -1 sends the body chunked.
func send(t *testing.T, c *http.Client, method, url string, body io.Reader, size int64, contentType string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, strings.SplitN(url, "?", 2)[0], err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// runStdout is run with stdout alone.
func runStdout(t *testing.T, dir string, env []string, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), stdout.String() + stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String()
}

// throwAwayTLS makes a CA and a certificate for localhost and 127.0.0.1 signed by it, in dir.
func throwAwayTLS(t *testing.T, dir string) (certFile, keyFile, caFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bucketform docs test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, caFile = filepath.Join(dir, "localhost.crt"), filepath.Join(dir, "localhost.key"), filepath.Join(dir, "ca.pem")
	writeFile(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})))
	writeFile(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	writeFile(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})))
	return certFile, keyFile, caFile
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitForPort waits until something accepts connections on 127.0.0.1:port.
func waitForPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on 127.0.0.1:%d after 15s: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
