package config

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// rendered renders diags as users see them.
func rendered(cfg *Config, diags hcl.Diagnostics) string {
	var out bytes.Buffer
	WriteDiagnostics(&out, cfg.Files, diags)
	return out.String()
}

func TestDiagnosticsNeverEchoExternalOrSensitiveValues(t *testing.T) {
	const secret = "s3cr3t-Never-Shown-42"
	env := func(name string) (string, bool) {
		switch name {
		case EnvAccessKey:
			return "fixture-access", true
		case EnvSecretKey, "APP_TOKEN":
			return secret, true
		case "REGION":
			return "bad " + secret, true
		}
		return "", false
	}
	for name, tc := range map[string]struct {
		files   map[string]string
		vars    []string // variable files among files
		summary string   // an error (or warning) that must be reported
		names   string   // what the detail names instead of the value ("" = nothing required)
	}{
		"undeclared variable in a var file": {
			files: map[string]string{"main.hcl": header, "prod.bfvars": "admin_password = \"" + secret + "\"\n"},
			vars:  []string{"prod.bfvars"}, summary: "Value for undeclared variable",
		},
		"syntax error in a var file": {
			files: map[string]string{"main.hcl": header, "prod.bfvars": "password = \"" + secret + "\" oops\n"},
			vars:  []string{"prod.bfvars"}, summary: "Missing newline after argument",
		},
		"endpoint from a secret": {
			files:   map[string]string{"main.hcl": "bucketform {\n  stack = \"t\"\n}\nminio \"m\" {\n  endpoint = env(\"MINIO_SECRET_KEY\")\n}\n"},
			summary: "Invalid use of a sensitive value",
		},
		"stack from a secret": {
			files:   map[string]string{"main.hcl": "bucketform {\n  stack = env(\"MINIO_SECRET_KEY\")\n}\nminio \"m\" {\n  endpoint = \"minio:9000\"\n}\n"},
			summary: "Invalid use of a sensitive value",
		},
		"region from a secret is refused": {
			files:   map[string]string{"main.hcl": header[:strings.LastIndex(header, "}")] + "  region = env(\"APP_TOKEN\")\n}\n"},
			summary: "Invalid use of a sensitive value",
		},
		"expires from a secret": {
			files:   map[string]string{"main.hcl": header + "bucket \"b\" {}\npresign \"p\" {\n  bucket = bucket.b\n  key = \"k\"\n  expires = env(\"MINIO_SECRET_KEY\")\n}\n"},
			summary: "Invalid use of a sensitive value",
		},
		"region from the environment": {
			files:   map[string]string{"main.hcl": header[:strings.LastIndex(header, "}")] + "  region = env(\"REGION\")\n}\n"},
			summary: "Invalid region", names: `env("REGION")`,
		},
		"bucket name from a file": {
			files:   map[string]string{"main.hcl": header + "bucket \"b\" {\n  name = file(\"environ\")\n}\n", "environ": "HOME=/root\nMINIO_SECRET_KEY=" + secret + "\n"},
			summary: "Invalid bucket name", names: `file("environ")`,
		},
		"bucket name from /proc/self/environ": {
			files:   map[string]string{"main.hcl": header + "bucket \"b\" {\n  name = file(\"/proc/self/environ\")\n}\n"},
			summary: "Invalid bucket name", names: `file("/proc/self/environ")`,
		},
		"anonymous from a var file": {
			files:   map[string]string{"main.hcl": header + "variable \"mode\" {}\nbucket \"bb-data\" {\n  anonymous = var.mode\n}\n", "prod.bfvars": "mode = \"" + secret + "\"\n"},
			vars:    []string{"prod.bfvars"},
			summary: "Invalid anonymous value", names: "var.mode",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for n, content := range tc.files {
				writeFile(t, filepath.Join(dir, n), content)
			}
			var vars []VarSource
			for _, v := range tc.vars {
				vars = append(vars, VarSource{File: filepath.Join(dir, v)})
			}
			cfg, diags := Load(dir, Options{LookupEnv: env, Vars: vars})
			out := rendered(cfg, diags)
			if !strings.Contains(out, tc.summary) {
				t.Fatalf("no %q diagnostic:\n%s", tc.summary, out)
			}
			if strings.Contains(out, secret) {
				t.Errorf("a diagnostic shows the secret:\n%s", out)
			}
			if tc.names != "" && !strings.Contains(out, "(the value of "+tc.names+")") {
				t.Errorf("the detail does not name %s instead of the value:\n%s", tc.names, out)
			}
			if strings.Contains(name, "proc") {
				if home := os.Getenv("HOME"); len(home) > 3 && strings.Contains(out, "HOME="+home) {
					t.Errorf("a diagnostic shows the environment:\n%s", out)
				}
			}
		})
	}
}

func TestSecretsNamesEverySecretOfTheConfiguration(t *testing.T) {
	src := `
bucketform {
  stack = "t"
}
variable "db_password" {
  sensitive = true
  default   = "sensitive-default-value"
}
variable "short" {
  sensitive = true
  default   = "short"
}
minio "main" {
  endpoint = "minio:9000"
}
minio "other" {
  endpoint   = "other:9000"
  access_key = "other-access-key"
  secret_key = "literal-secret-key"
}
signing_endpoint "public" {
  minio      = minio.main
  endpoint   = "files.example.com"
  access_key = "uploader-access"
  secret_key = env("UPLOADER_SECRET_KEY")
}
locals {
  derived = "${var.db_password}-derived"
  token   = env("API_TOKEN")
}
output "o" {
  value     = [local.derived, local.token]
  sensitive = true
}
`
	env := func(name string) (string, bool) {
		switch name {
		case EnvAccessKey:
			return "env-access-key", true
		case EnvSecretKey:
			return "env-minio-secret", true
		case "UPLOADER_SECRET_KEY":
			return "uploader-secret-value", true
		case "API_TOKEN":
			return "api-token-value", true
		}
		return "", false
	}
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{LookupEnv: env})
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %v", diags)
	}
	got := cfg.Secrets()
	want := []string{"api-token-value", "env-minio-secret", "literal-secret-key", "sensitive-default-value",
		"sensitive-default-value-derived", "uploader-secret-value"}
	if !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q\nwant        %q", got, want)
	}
	for _, s := range got {
		if strings.Contains(s, "access") || s == "short" {
			t.Errorf("Secrets() holds %q, which is no secret of 8 characters or more", s)
		}
	}
}
