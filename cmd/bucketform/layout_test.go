package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestLayoutDependencyRules checks the import rules the layout promises, with `go list -deps`
// over every package of the tree: the configuration (config/...) imports neither the engine nor
// the CLI, and the engine (engine/...) does not import the CLI (cmd/...). Test files are left
// out: a test may wire packages together.
func TestLayoutDependencyRules(t *testing.T) {
	const module = "github.com/bucketform/bucketform/"
	rules := []struct {
		from      string
		forbidden []string
	}{
		{"config", []string{"engine", "cmd"}},
		{"engine", []string{"cmd"}},
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	for _, r := range rules {
		pkgs := goList(t, gobin, "../../"+r.from+"/...")
		for _, pkg := range pkgs {
			for _, dep := range goList(t, gobin, "-deps", pkg) {
				for _, f := range r.forbidden {
					if dep == module+f || strings.HasPrefix(dep, module+f+"/") {
						t.Errorf("%s imports %s (directly or not): %s/... must not depend on %s/...", pkg, dep, r.from, f)
					}
				}
			}
		}
		if len(pkgs) == 0 {
			t.Errorf("go list found no package under %s/", r.from)
		}
	}
}

func goList(t *testing.T, gobin string, args ...string) []string {
	t.Helper()
	out, err := exec.Command(gobin, append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}
