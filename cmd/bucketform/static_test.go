package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestStaticBinary builds bucketform the way the Makefile and the Dockerfile do
// (CGO_ENABLED=0, -trimpath, version and commit stamped with -ldflags -X) and checks that the
// result is one static executable — no program interpreter, no shared libraries — that runs in
// an empty container image, and that `bucketform version` shows the stamped version, the
// commit and the Go version.
func TestStaticBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the static ELF check is for linux")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "bucketform")
	build := exec.Command(gobin, "build", "-trimpath",
		"-ldflags", "-s -w -X main.version=v9.8.7-test -X main.commit=0123456789ab",
		"-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a program interpreter (PT_INTERP): it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries (DT_NEEDED): %v %v", libs, err)
	}

	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("bucketform version: %v\n%s", err, out)
	}
	for _, want := range []string{"v9.8.7-test", "commit 0123456789ab", runtime.Version()} {
		if !strings.Contains(string(out), want) {
			t.Errorf("bucketform version printed %q, which lacks %q", out, want)
		}
	}
}
