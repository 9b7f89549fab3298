package config

import (
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// header is a bucketform block and one minio block, for configurations under test.
const header = `
bucketform {
  stack = "test"
}

minio "main" {
  endpoint = "minio:9000"
}
`

// loadSource writes files (name → content) into a new directory and loads it. Without a
// LookupEnv, the environment holds only the MinIO credentials.
func loadSource(t *testing.T, files map[string]string, opts Options) (*Config, hcl.Diagnostics, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(dir, name), content)
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = fixtureEnv
	}
	cfg, diags := Load(dir, opts)
	if cfg == nil || cfg.Files == nil {
		t.Fatal("Load returned no Config or no Files")
	}
	return cfg, diags, dir
}

// mustLoad loads src (after header) and fails on any diagnostic.
func mustLoad(t *testing.T, src string, opts Options) *Config {
	t.Helper()
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": header + src}, opts)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %v", diagSummaries(diags))
	}
	return cfg
}

// outputValue returns the value of the output named name.
func outputValue(t *testing.T, cfg *Config, name string) *Output {
	t.Helper()
	for _, o := range cfg.Outputs {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no output %q", name)
	return nil
}
