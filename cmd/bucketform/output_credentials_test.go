package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// signerOnlyConfig signs every URL as another identity than the minio block's: one signing
// endpoint with keys of its own, one with a declared identity.
const signerOnlyConfig = `bucketform {
  stack = "minter"
}

minio "local" {
  endpoint = "minio.internal:9000"
}

bucket "data" {
  name = "mint-data"
}

policy "minter" {
  grant {
    bucket = bucket.data
    prefix = "in/"
    access = ["read", "write"]
  }
}

user "minter" {
  access_key = "minter-user"
  secret_key = env("MINTER_SECRET")
  policies   = [policy.minter]
}

signing_endpoint "identity" {
  endpoint = "files.example.com"
  secure   = true
  identity = user.minter
}

signing_endpoint "keys" {
  endpoint   = "localhost:9000"
  access_key = "uploader"
  secret_key = env("UPLOADER_SECRET")
}

presign "as_identity" {
  bucket   = bucket.data
  key      = "in/a.txt"
  method   = "PUT"
  expires  = "10m"
  endpoint = signing_endpoint.identity
}

presign "with_keys" {
  bucket   = bucket.data
  key      = "in/b.txt"
  expires  = "10m"
  endpoint = signing_endpoint.keys
}

output "as_identity" {
  value     = presign.as_identity.url
  sensitive = true
}

output "with_keys" {
  value     = presign.with_keys.url
  sensitive = true
}
`

// withoutMinioKeys runs bucketform with MINIO_ACCESS_KEY and MINIO_SECRET_KEY unset.
func withoutMinioKeys(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	for _, name := range []string{"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"} {
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)
	}
	t.Setenv("MINTER_SECRET", "minter-secret-1")
	t.Setenv("UPLOADER_SECRET", "uploader-secret-1")
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// A Job that only mints URLs needs no keys for the minio block when every presign signs as
// another identity; a presign that signs with the minio block's keys still needs them.
func TestOutputNeedsNoMinioKeysWhenEveryPresignSignsAsAnother(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(signerOnlyConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, credential := range map[string]string{"as_identity": "X-Amz-Credential=minter-user%2F", "with_keys": "X-Amz-Credential=uploader%2F"} {
		code, stdout, stderr := withoutMinioKeys(t, "output", "-raw", name, dir)
		if code != exitOK || !strings.Contains(stdout, credential) {
			t.Errorf("output -raw %s: exit %d, want 0 and a URL signed with %s\nstdout: %s\nstderr: %s", name, code, credential, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, "minter-secret-1") || strings.Contains(stdout+stderr, "uploader-secret-1") {
			t.Errorf("output -raw %s prints a secret key", name)
		}
	}

	// One presign more, signed for the deployment's own endpoint with its keys: now they are
	// needed, and the error names the presign that needs them.
	extra := `
presign "as_root" {
  bucket  = bucket.data
  key     = "in/c.txt"
  expires = "10m"
}
`
	if err := os.WriteFile(filepath.Join(dir, "root.hcl"), []byte(extra), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := withoutMinioKeys(t, "output", "-json", dir)
	if code != exitError || !strings.Contains(stderr, "Error: Missing credentials") || !strings.Contains(stderr, "presign.as_root") ||
		strings.Contains(stderr, "presign.as_identity") {
		t.Errorf("output with a presign signed by the minio block's keys: exit %d, want 1 naming presign.as_root only\nstderr: %s", code, stderr)
	}
}
