package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/engine/miniotest"
)

const formConfig = `bucketform {
  stack = "form"
}

minio "local" {
  endpoint = env("MINIO_ENDPOINT")
}

signing_endpoint "public" {
  endpoint = env("PUBLIC_ENDPOINT")
}

bucket "uploads" {
  name      = "form-uploads"
  anonymous = "none"
}

presign "upload_form" {
  for_each   = toset(["alice", "bob"])
  bucket     = bucket.uploads
  key_prefix = "users/${each.key}/"
  method     = "POST"
  max_size   = "1KiB"
  expires    = "10m"
  endpoint   = signing_endpoint.public
}

output "forms" {
  value = { for user, p in presign.upload_form : user => {
    url         = p.url
    form_fields = p.form_fields
    expires_at  = p.expires_at
  } }
  sensitive = true
}
`

// browserPost posts a multipart form as a browser's <form enctype="multipart/form-data"> does:
// the fields as they came from `output -json`, then the file, named filename, last.
func browserPost(t *testing.T, url string, fields map[string]string, filename string, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
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
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct{ Code string }
	_ = xml.Unmarshal(raw, &e)
	return resp.StatusCode, e.Code
}

// TestOutputFormUploadsLikeABrowser: the url and form_fields that `bucketform output -json`
// prints for a POST presign (one per for_each key) let a browser-style multipart form upload a
// file under the prefix with its own name; outside the prefix, or over max_size, it is refused.
func TestOutputFormUploadsLikeABrowser(t *testing.T) {
	srv := miniotest.Start(t)
	port := srv.Endpoint[strings.LastIndexByte(srv.Endpoint, ':')+1:]
	t.Setenv("MINIO_ENDPOINT", srv.Endpoint)
	t.Setenv("PUBLIC_ENDPOINT", "localhost:"+port)
	t.Setenv("MINIO_ACCESS_KEY", miniotest.AccessKey)
	t.Setenv("MINIO_SECRET_KEY", miniotest.SecretKey)
	t.Setenv("NO_COLOR", "1")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(formConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"apply", "-auto-approve", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("apply exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"output", "-json", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("output exit %d\n%s", code, stderr.String())
	}
	var out map[string]struct {
		Sensitive bool
		Value     map[string]struct {
			URL        string            `json:"url"`
			FormFields map[string]string `json:"form_fields"`
			ExpiresAt  string            `json:"expires_at"`
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("output -json: %v\n%s", err, stdout.String())
	}
	forms := out["forms"]
	if !forms.Sensitive || len(forms.Value) != 2 {
		t.Fatalf("forms = %+v", forms)
	}
	alice := forms.Value["alice"]
	if alice.URL != "http://localhost:"+port+"/form-uploads/" || alice.FormFields["key"] != "users/alice/${filename}" {
		t.Fatalf("alice's form: %+v", alice)
	}

	if bob := forms.Value["bob"]; bob.ExpiresAt != alice.ExpiresAt {
		t.Errorf("one output run signs every URL at the same second: expires_at %s and %s", alice.ExpiresAt, bob.ExpiresAt)
	}

	data := []byte("a small report")
	if status, code := browserPost(t, alice.URL, alice.FormFields, "report 2026.txt", data); status != 204 {
		t.Errorf("upload under the prefix: %d %s, want 204", status, code)
	}
	obj, err := srv.Client(t).GetObject(context.Background(), "form-uploads", "users/alice/report 2026.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("users/alice/report 2026.txt = %q, %v", got, err)
	}

	outside := map[string]string{}
	for k, v := range alice.FormFields {
		outside[k] = v
	}
	outside["key"] = "users/bob/${filename}"
	if status, code := browserPost(t, alice.URL, outside, "x.txt", data); status != 403 || code != "AccessDenied" {
		t.Errorf("alice's form used for bob's prefix: %d %s, want 403 AccessDenied", status, code)
	}
	if status, code := browserPost(t, alice.URL, alice.FormFields, "big.bin", bytes.Repeat([]byte("x"), 1025)); status != 400 || code != "EntityTooLarge" {
		t.Errorf("upload over max_size: %d %s, want 400 EntityTooLarge", status, code)
	}
	if status, code := browserPost(t, alice.URL, alice.FormFields, "exact.bin", bytes.Repeat([]byte("x"), 1024)); status != 204 {
		t.Errorf("upload of exactly max_size: %d %s, want 204", status, code)
	}
}
