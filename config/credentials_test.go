package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// envWith is fixtureEnv with name set to value.
func envWith(name, value string) func(string) (string, bool) {
	return func(n string) (string, bool) {
		if n == name {
			return value, true
		}
		return fixtureEnv(n)
	}
}

// errorAt returns the error with summary at line of main.hcl, or nil.
func errorAt(diags hcl.Diagnostics, summary string, line int) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Summary == summary && d.Subject != nil &&
			filepath.Base(d.Subject.Filename) == "main.hcl" && d.Subject.Start.Line == line {
			return d
		}
	}
	return nil
}

func TestEmptySecretKeyIsALocatedError(t *testing.T) {
	// An empty MINIO_SECRET_KEY used to reach the server and come back as "lacks s3:GetObject".
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": header}, Options{LookupEnv: envWith(EnvSecretKey, "")})
	d := errorAt(diags, "Empty credential", 6) // minio "main" {
	if d == nil || !strings.Contains(d.Detail, "MINIO_SECRET_KEY") || !strings.Contains(d.Detail, "empty") {
		t.Fatalf("want an Empty credential error naming MINIO_SECRET_KEY at the minio block, got %v", diags)
	}
	// validate needs no secrets: an empty one there is as good as none.
	if _, diags, _ := loadSource(t, map[string]string{"main.hcl": header}, Options{Partial: true, LookupEnv: envWith(EnvSecretKey, "")}); diags.HasErrors() {
		t.Errorf("validate with an empty MINIO_SECRET_KEY: %v", diags)
	}
	for _, attr := range []string{"access_key", "secret_key"} {
		src := "bucketform {\n  stack = \"t\"\n}\nminio \"main\" {\n  endpoint = \"minio:9000\"\n  " + attr + " = env(\"EMPTY_VAR\")\n}\n"
		_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{LookupEnv: envWith("EMPTY_VAR", "")})
		if d := errorAt(diags, "Empty credential", 6); d == nil || !strings.Contains(d.Detail, attr+" of minio.main is empty") {
			t.Errorf("%s = \"\": want a located Empty credential error, got %v", attr, diags)
		}
	}
}

func TestCAFileIsCheckedByValidate(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "not-pem.txt"), "hello\n")
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o700); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(filepath.Join("..", "testdata", "valid", "multi-deployment", "certs", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ca.pem"), string(pem))
	for path, want := range map[string]string{
		"missing.pem": "no such file or directory",
		"not-pem.txt": "holds no PEM certificate",
		"adir":        "a directory",
		"ca.pem":      "",
	} {
		src := "bucketform {\n  stack = \"t\"\n}\nminio \"main\" {\n  endpoint = \"minio:9000\"\n  ca_file = \"" + filepath.Join(dir, path) + "\"\n}\n"
		cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{Partial: true, LookupEnv: noEnv})
		d := errorAt(diags, "Invalid ca_file", 6)
		switch {
		case want == "" && (diags.HasErrors() || cfg.Deployments[0].CAFile != filepath.Join(dir, path)):
			t.Errorf("%s: %v, deployments %v", path, diags, cfg.Deployments)
		case want != "" && (d == nil || !strings.Contains(d.Detail, want)):
			t.Errorf("%s: want a located Invalid ca_file error saying %q, got %v", path, want, diags)
		}
	}
}
