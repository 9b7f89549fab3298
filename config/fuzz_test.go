package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad loads arbitrary bytes as main.hcl, in partial and full mode and with a signer, and
// checks that Load never panics, always returns a Config with its files, and gives every
// diagnostic a subject.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"../testdata/valid/*/*.hcl", "../testdata/invalid/*/*.hcl"} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	signer := func(req PresignRequest) (PresignResult, error) {
		return PresignResult{URL: "https://signed.example/" + req.Presign.Key, ExpiresAt: req.Now.Add(req.Presign.Expires),
			FormFields: map[string]string{"key": req.Presign.KeyPrefix}}, nil
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{
			{Partial: true, LookupEnv: noEnv},
			{LookupEnv: fixtureEnv},
			{LookupEnv: fixtureEnv, Presign: signer, Now: time.Unix(1e9, 0)},
		} {
			cfg, diags := Load(dir, opts)
			if cfg == nil || cfg.Files == nil {
				t.Fatal("Load returned no Config or no Files")
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic %q has no subject", d.Summary)
				}
			}
			WriteDiagnostics(io.Discard, cfg.Files, diags)
		}
	})
}
