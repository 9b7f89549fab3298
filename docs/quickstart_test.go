package docs

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// quickstartCommands returns the commands of the README's quickstart: every sh block between
// the <!-- quickstart --> and <!-- /quickstart --> markers, joined in order.
func quickstartCommands(t *testing.T) string {
	t.Helper()
	readme := readFile(t, "README.md")
	_, rest, ok := strings.Cut(readme, "<!-- quickstart -->\n")
	section, _, ok2 := strings.Cut(rest, "<!-- /quickstart -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- quickstart --> ... <!-- /quickstart --> section")
	}
	blocks, _ := fences("README.md", section)
	var script strings.Builder
	for _, b := range blocks {
		if b.lang == "sh" {
			script.WriteString(b.body)
		}
	}
	if script.Len() == 0 {
		t.Fatal("the README's quickstart section has no sh blocks")
	}
	return script.String()
}

// TestReadmeQuickstart runs the README's quickstart commands exactly as written, with
// `bash -e -o pipefail`, from a directory laid out like a clone after `make tools build`
// (bin/bucketform, .tools/bin/minio and mc, examples/quickstart). It runs them in a network
// namespace of its own (unshare -n, loopback up), so that the MinIO they start on
// 127.0.0.1:9000 meets no other server, and checks that what the README says will appear
// does.
func TestReadmeQuickstart(t *testing.T) {
	script := quickstartCommands(t)
	minio := miniotest.Binary(t, "minio")
	mc := miniotest.Binary(t, "mc")
	_, errCurl := exec.LookPath("curl")
	need(t, errCurl == nil, "curl not found")
	unshare, errUnshare := exec.LookPath("unshare")
	ip, errIP := lookSbin("ip")
	need(t, os.Geteuid() == 0 && errUnshare == nil && errIP == nil,
		"the quickstart runs in a network namespace of its own, which needs root, unshare and ip (uid %d, %v, %v)", os.Geteuid(), errUnshare, errIP)
	bin := bucketform(t)

	clone := t.TempDir()
	for _, dir := range []string{"bin", ".tools/bin", "examples/quickstart", "home", "tmp"} {
		if err := os.MkdirAll(filepath.Join(clone, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, bin, filepath.Join(clone, "bin", "bucketform"), 0o755)
	for name, path := range map[string]string{"minio": minio, "mc": mc} {
		if err := os.Symlink(path, filepath.Join(clone, ".tools", "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	example, err := filepath.Glob(filepath.Join(root, "examples", "quickstart", "*"))
	if err != nil || len(example) == 0 {
		t.Fatalf("examples/quickstart: %v", err)
	}
	for _, f := range example {
		copyFile(t, f, filepath.Join(clone, "examples", "quickstart", filepath.Base(f)), 0o644)
	}
	if err := os.WriteFile(filepath.Join(clone, "quickstart.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, unshare, "--net", "sh", "-c", `"$IP" link set lo up && exec bash -e -o pipefail quickstart.sh`)
	cmd.Dir = clone
	cmd.Env = []string{
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME=" + filepath.Join(clone, "home"),
		"TMPDIR=" + filepath.Join(clone, "tmp"),
		"IP=" + ip,
		"NO_COLOR=1",
	}
	// Its own process group, so that a MinIO it left running when a step failed is stopped.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	t.Logf("the quickstart took %s", time.Since(began).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("the README's quickstart failed: %v\n--- commands:\n%s\n--- output:\n%s", err, script, out.String())
	}

	// What the README says the steps print.
	for _, want := range []string{
		`Plan: 2 to add, 0 to change, 0 to destroy\.`,
		`Apply complete! Resources: 2 added, 0 changed, 0 destroyed\.`,
		`(?m)^http://localhost:9000/quickstart-uploads/hello\.txt\?X-Amz-`,
		`(?m)^hello through a presigned URL$`,
		`<Code>SignatureDoesNotMatch</Code>`,
		`~ anonymous\s+= "public" -> "none"`,
		`(?m)^exit code 2$`,
		`No changes\. The live server matches the configuration\.`,
		`(?m)^exit code 0$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("the quickstart's output lacks %s\n--- output:\n%s", want, out.String())
		}
	}
}

// lookSbin finds a program on PATH or in the sbin directories, which a non-root PATH lacks.
func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, nil
		}
	}
	return exec.LookPath(name)
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// TestMakeQuickstart runs scripts/quickstart.sh, the script behind `make quickstart`, from a
// directory laid out like a clone after `make tools build`: it must end by uploading a file
// through the presigned PUT URL it printed and reading it back through the GET URL.
func TestMakeQuickstart(t *testing.T) {
	minio := miniotest.Binary(t, "minio")
	_, errCurl := exec.LookPath("curl")
	need(t, errCurl == nil, "curl not found")
	bin := bucketform(t)
	clone := t.TempDir()
	for _, dir := range []string{"bin", ".tools/bin", "examples/quickstart", "scripts", "tmp"} {
		if err := os.MkdirAll(filepath.Join(clone, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, bin, filepath.Join(clone, "bin", "bucketform"), 0o755)
	if err := os.Symlink(minio, filepath.Join(clone, ".tools", "bin", "minio")); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(root, "scripts", "quickstart.sh"), filepath.Join(clone, "scripts", "quickstart.sh"), 0o755)
	copyFile(t, filepath.Join(root, "examples", "quickstart", "main.hcl"), filepath.Join(clone, "examples", "quickstart", "main.hcl"), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(clone, "scripts", "quickstart.sh"))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + clone, "TMPDIR=" + filepath.Join(clone, "tmp"), "NO_COLOR=1"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		t.Fatalf("scripts/quickstart.sh: %v\n%s", err, out)
	}
	for _, want := range []string{
		`Apply complete! Resources: 2 added`,
		`No changes\. The live server matches the configuration\.`,
		`(?m)^http://localhost:[0-9]+/quickstart-uploads/hello\.txt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&`,
		`(?m)^HTTP 200$`,
		`(?m)^hello from make quickstart, `,
		`done: the uploaded file came back through the download URL`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("make quickstart's output lacks %s\n%s", want, out)
		}
	}
}
