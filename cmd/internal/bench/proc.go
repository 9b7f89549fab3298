package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Proc is the outcome of one bucketform process.
type Proc struct {
	Wall   time.Duration // from start to exit
	CPU    time.Duration // user + system
	MaxRSS int64         // peak resident set size of the process, in bytes
	Exit   int
	Stdout string
	Stderr string
}

// RunBucketform runs the bucketform binary bin with args and env added to this process's
// environment, and measures it: wall time, CPU time and peak RSS come from the child's own
// rusage, so they are bucketform's alone (not the MinIO server's, not this harness's). When the
// program called Spawner, bucketform is started through a spawner (see there).
func RunBucketform(ctx context.Context, bin string, env []string, args ...string) (Proc, error) {
	env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	if spawnerReady {
		return runSpawned(ctx, bin, env, args)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	p := Proc{Wall: time.Since(start), Stdout: stdout.String(), Stderr: stderr.String()}
	if cmd.ProcessState == nil {
		return p, fmt.Errorf("run %s: %w", bin, err)
	}
	p.Exit, p.CPU, p.MaxRSS = usage(cmd.ProcessState)
	return p, nil
}

func usage(ps *os.ProcessState) (exit int, cpu time.Duration, maxRSS int64) {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		maxRSS = int64(ru.Maxrss) * 1024 // KiB on Linux
	}
	return ps.ExitCode(), ps.UserTime() + ps.SystemTime(), maxRSS
}

// spawnerEnv marks a process started as a spawner.
const spawnerEnv = "BUCKETFORM_BENCH_SPAWNER"

// spawnerReady is set when the program called Spawner, so its executable can act as one.
var spawnerReady bool

// spawnReport is what a spawner reports on file descriptor 3.
type spawnReport struct {
	WallNS, CPUNS, MaxRSS int64
	Exit                  int
	Err                   string
}

// Spawner, called first thing in main, makes the program able to measure bucketform's peak
// RSS exactly: when RunBucketform started it as a spawner, it runs one bucketform process,
// reports its rusage and exits; otherwise it returns at once.
//
// Linux reports as a child's peak RSS (ru_maxrss) the larger of its own peak and the RSS its
// parent had when it started it: the high-water mark survives the exec. A harness that seeded
// 10,000 buckets holds tens of MiB, so bucketform measured as its direct child could show the
// harness's RSS. A freshly started spawner holds a few MiB, less than any bucketform process.
func Spawner() {
	if os.Getenv(spawnerEnv) == "" {
		spawnerReady = true
		return
	}
	report := os.NewFile(3, "report")
	var rep spawnReport
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, spawnerEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // the harness gave up
	start := time.Now()
	err := cmd.Run()
	rep.WallNS = int64(time.Since(start))
	if cmd.ProcessState == nil {
		rep.Err = fmt.Sprintf("run %s: %v", os.Args[1], err)
	} else {
		var cpu time.Duration
		rep.Exit, cpu, rep.MaxRSS = usage(cmd.ProcessState)
		rep.CPUNS = int64(cpu)
	}
	_ = json.NewEncoder(report).Encode(rep)
	os.Exit(0)
}

func runSpawned(ctx context.Context, bin string, env, args []string) (Proc, error) {
	self, err := os.Executable()
	if err != nil {
		return Proc{}, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return Proc{}, err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, self, append([]string{bin}, args...)...)
	cmd.Env = append(env, spawnerEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		return Proc{}, fmt.Errorf("start the spawner: %w", err)
	}
	var rep spawnReport
	decErr := json.NewDecoder(r).Decode(&rep)
	waitErr := cmd.Wait()
	p := Proc{Wall: time.Duration(rep.WallNS), CPU: time.Duration(rep.CPUNS), MaxRSS: rep.MaxRSS, Exit: rep.Exit,
		Stdout: stdout.String(), Stderr: stderr.String()}
	switch {
	case decErr != nil:
		return p, fmt.Errorf("the spawner of %s reported nothing (%v, %v): %s", bin, decErr, waitErr, stderr.String())
	case rep.Err != "":
		return p, errors.New(rep.Err)
	}
	return p, nil
}

// Failure describes a process that did not do what was expected.
func (p Proc) Failure(what string) error {
	tail := func(s string) string {
		s = strings.TrimSpace(s)
		if len(s) > 2000 {
			s = "..." + s[len(s)-2000:]
		}
		return s
	}
	return fmt.Errorf("%s exited %d\nstdout:\n%s\nstderr:\n%s", what, p.Exit, tail(p.Stdout), tail(p.Stderr))
}

// BuildBucketform builds cmd/bucketform of the module at root into dir, as `make build` does.
func BuildBucketform(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "bucketform")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/bucketform")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/bucketform: %w\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot returns the directory of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
