package config

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// fixtureSecret is the secret key the fixtures' environment provides; no diagnostic may show it.
const fixtureSecret = "fixture-secret-never-printed"

func fixtureEnv(name string) (string, bool) {
	switch name {
	case EnvAccessKey:
		return "fixture-access", true
	case EnvSecretKey:
		return fixtureSecret, true
	}
	return "", false
}

// annotations returns the "file:line: summary" set that the # ERROR: comments of a case ask for.
func annotations(t *testing.T, dir string) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			parts := strings.Split(sc.Text(), "# ERROR: ")
			for _, summary := range parts[1:] {
				want[key(e.Name(), line, strings.TrimSpace(summary))] = true
			}
		}
		f.Close()
	}
	return want
}

func key(file string, line int, summary string) string {
	return filepath.Base(file) + ":" + itoa(line) + ": " + summary
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// checkDiagnosticShape checks the promises every diagnostic keeps: a subject, a one-line
// summary, a detail, and no secret in the rendered text.
func checkDiagnosticShape(t *testing.T, files map[string]*hcl.File, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Subject == nil {
			t.Errorf("diagnostic %q has no subject", d.Summary)
		}
		if d.Summary == "" || strings.Contains(d.Summary, "\n") {
			t.Errorf("diagnostic summary %q is not one line", d.Summary)
		}
		if d.Detail == "" {
			t.Errorf("diagnostic %q has no detail", d.Summary)
		}
	}
	var out bytes.Buffer
	WriteDiagnostics(&out, files, diags)
	if strings.Contains(out.String(), fixtureSecret) {
		t.Errorf("a diagnostic shows the secret key:\n%s", out.String())
	}
}

func TestInvalidConfigs(t *testing.T) {
	root := filepath.Join("..", "testdata", "invalid")
	cases, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d invalid cases under %s; want at least 30", len(cases), root)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			dir := filepath.Join(root, c.Name())
			want := annotations(t, dir)
			if len(want) == 0 {
				t.Fatalf("%s has no # ERROR: annotation", dir)
			}
			varFiles, _ := filepath.Glob(filepath.Join(dir, "*.bfvars"))
			sort.Strings(varFiles)
			var vars []VarSource
			for _, f := range varFiles {
				vars = append(vars, VarSource{File: f})
			}
			cfg, diags := Load(dir, Options{Vars: vars, LookupEnv: fixtureEnv})
			if cfg == nil || cfg.Files == nil {
				t.Fatal("Load returned no Config or no Files")
			}
			got := map[string]bool{}
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				if d.Subject == nil {
					got[key("?", 0, d.Summary)] = true
					continue
				}
				got[key(d.Subject.Filename, d.Subject.Start.Line, d.Summary)] = true
			}
			if !equalSets(got, want) {
				var out bytes.Buffer
				WriteDiagnostics(&out, cfg.Files, diags)
				t.Errorf("errors differ from the annotations\n got: %s\nwant: %s\n\n%s", sortedKeys(got), sortedKeys(want), out.String())
			}
			checkDiagnosticShape(t, cfg.Files, diags)
		})
	}
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
