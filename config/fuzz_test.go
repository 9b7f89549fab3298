package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config/funcs"
)

// FuzzLoad loads arbitrary bytes as main.hcl, in partial and full mode and with a signer, and
// checks that Load never panics, crashes or hangs, always returns a Config with its files, and
// gives every diagnostic a subject. What follows a line "---" in the input is a variable file
// given with -var-file, and the directory also holds a named pipe "fifo", a link "zero" to
// /dev/zero and a "policy.json", so that mutations reach file() and the limits on input.
func FuzzLoad(f *testing.F) {
	// Smaller value limits make inputs that reach them cheap, so the fuzzer spends its time
	// on many inputs instead of building 16 MiB strings.
	saved := valueLimits
	valueLimits = funcs.Limits{Bytes: 64 << 10, Elements: 10_000, Depth: 64}
	f.Cleanup(func() { valueLimits = saved })
	for _, seed := range limitSeeds() {
		f.Add([]byte(seed))
	}
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
		main, vars, hasVars := bytes.Cut(src, []byte("\n---\n"))
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), main, 0o600); err != nil {
			t.Fatal(err)
		}
		var sources []VarSource
		if hasVars {
			if err := os.WriteFile(filepath.Join(dir, "vars.bfvars"), vars, 0o600); err != nil {
				t.Fatal(err)
			}
			sources = []VarSource{{File: filepath.Join(dir, "vars.bfvars")}, {Assignment: "v=" + string(vars)}}
		}
		if err := os.WriteFile(filepath.Join(dir, "policy.json"), []byte(`{"a":[1,{"b":"c"}]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero")); err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{
			{Partial: true, LookupEnv: noEnv, Vars: sources},
			{LookupEnv: fixtureEnv, Vars: sources},
			{LookupEnv: fixtureEnv, Presign: signer, Now: time.Unix(1e9, 0), Vars: sources},
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

// limitSeeds are inputs at the limits on input: nesting, operator chains, numbers, values that
// double, functions that amplify, file() of a pipe or a device, and variable files.
func limitSeeds() []string {
	var doubling strings.Builder
	doubling.WriteString("locals {\n  l0 = \"xxxxxxxxxxxxxxxx\"\n")
	for i := 1; i <= 24; i++ {
		fmt.Fprintf(&doubling, "  l%d = \"${local.l%d}${local.l%d}\"\n", i, i-1, i-1)
	}
	doubling.WriteString("}\n")
	return []string{
		"locals {\n  x = " + strings.Repeat("(", MaxNesting+1) + "1" + strings.Repeat(")", MaxNesting+1) + "\n}\n",
		"locals {\n  x = " + strings.Repeat("[", MaxNesting+1) + "\n}\n",
		"locals {\n  x = " + strings.Repeat(`"${`, MaxNesting/2+1) + "1" + strings.Repeat(`}"`, MaxNesting/2+1) + "\n}\n",
		"locals {\n  x = 1" + strings.Repeat("+1", MaxChain) + "\n}\n",
		"locals {\n  x = " + strings.Repeat("!", MaxChain+1) + "true\n}\n",
		"locals {\n  x = \"${1e1001}\"\n  y = 1e900 * 1e900\n}\n",
		doubling.String(),
		"locals {\n  s = join(\"\", [for i in range(100) : \"xxxxxxxxxxxxxxxx\"])\n  x = replace(local.s, \"x\", local.s)\n  y = format(\"%999999999d\", 1)\n}\n",
		"locals {\n  x = jsondecode(join(\"\", [for i in range(300) : \"[\"]))\n  y = setproduct(range(1000), range(1000), range(10))\n}\n",
		"locals {\n  a = file(\"fifo\")\n  b = file(\"zero\")\n  c = jsondecode(file(\"policy.json\"))\n}\n",
		"variable \"v\" {\n  default = \"x\"\n}\nvariable \"w\" {\n  type = list(string)\n  default = []\n}\n\n---\nv = \"secret-in-a-var-file\"\nw = [\"a\", \"b\"]\nundeclared = 1\n",
		"variable \"v\" {\n  type = any\n}\n\n---\nv = " + strings.Repeat("[", MaxNesting+1) + "\n",
	}
}
