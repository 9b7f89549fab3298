package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bucketform/bucketform/cmd/internal/schematest"
	"github.com/bucketform/bucketform/engine/miniotest"
)

var updateScripts = flag.Bool("update-scripts", false, "rewrite the files that cmp compares in testdata/script (review the diff)")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"bucketform": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script: each one behaviour of the CLI,
// against a real MinIO the script starts with `minio start`.
func TestScripts(t *testing.T) {
	miniotest.Binary(t, "minio") // skip (or fail under CI) when MinIO is not installed
	miniotest.Binary(t, "mc")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Cmds:                scriptCommands(),
		RequireExplicitExec: false,
		UpdateScripts:       *updateScripts,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			env.Setenv("BUCKETFORM_MINIO", mustFind("minio"))
			env.Setenv("BUCKETFORM_MC", mustFind("mc"))
			examples, err := filepath.Abs("../../examples")
			if err != nil {
				return err
			}
			env.Setenv("EXAMPLES", examples)
			return nil
		},
	})
}

func mustFind(name string) string {
	p, err := miniotest.FindBinary(name)
	if err != nil {
		return ""
	}
	return p
}

// schemas compiles docs/schema once for all scripts.
var schemas = func() func(ts *testscript.TestScript) *schematest.Schemas {
	var once sync.Once
	var s *schematest.Schemas
	return func(ts *testscript.TestScript) *schematest.Schemas {
		once.Do(func() { s = schematest.Load(tbOf{ts}) })
		return s
	}
}()

// tbOf adapts a script to the testing.TB methods schematest.Load uses.
type tbOf struct{ ts *testscript.TestScript }

func (t tbOf) Helper()                           {}
func (t tbOf) Fatal(args ...any)                 { t.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (t tbOf) Fatalf(format string, args ...any) { t.ts.Fatalf(format, args...) }

// servers holds the MinIO started by each script, keyed by its work directory.
var servers sync.Map

func server(ts *testscript.TestScript) *miniotest.Server {
	s, ok := servers.Load(ts.Getenv("WORK"))
	if !ok {
		ts.Fatalf("no MinIO running: use `minio start` first")
	}
	return s.(*miniotest.Server)
}

func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// minio start [NAME=VALUE...] | start-later SECONDS | stop | kill | restart
		"minio": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) == 0 {
				ts.Fatalf("usage: minio start|start-later|stop|kill|restart")
			}
			work := ts.Getenv("WORK")
			switch args[0] {
			case "start", "start-later":
				dir := filepath.Join(work, ".minio-data")
				var opts []miniotest.Option
				delay := time.Duration(0)
				rest := args[1:]
				if args[0] == "start-later" {
					if len(rest) == 0 {
						ts.Fatalf("usage: minio start-later SECONDS")
					}
					d, err := time.ParseDuration(rest[0] + "s")
					ts.Check(err)
					delay, rest = d, rest[1:]
				}
				if len(rest) > 0 {
					opts = append(opts, miniotest.WithEnv(rest...))
				}
				srv, err := miniotest.Prepare(dir, opts...)
				ts.Check(err)
				servers.Store(work, srv)
				ts.Defer(srv.Stop)
				ts.Setenv("MINIO_ENDPOINT", srv.Endpoint)
				ts.Setenv("MINIO_PORT", srv.Endpoint[strings.LastIndex(srv.Endpoint, ":")+1:])
				ts.Setenv("MINIO_ACCESS_KEY", miniotest.AccessKey)
				ts.Setenv("MINIO_SECRET_KEY", miniotest.SecretKey)
				if delay == 0 {
					ts.Check(srv.Start())
					return
				}
				go func() {
					time.Sleep(delay)
					_ = srv.Start()
				}()
			case "stop":
				server(ts).Stop()
			case "kill":
				server(ts).Kill()
			case "restart":
				ts.Check(server(ts).Restart())
			default:
				ts.Fatalf("unknown minio subcommand %q", args[0])
			}
		},
		// mc ARGS...: the pinned mc client, with the alias "local" for the script's MinIO.
		"mc": func(ts *testscript.TestScript, neg bool, args []string) {
			srv := server(ts)
			args = append([]string{"--no-color", "--config-dir", filepath.Join(ts.Getenv("WORK"), ".mc")}, args...)
			ts.Setenv("MC_HOST_local", "http://"+miniotest.AccessKey+":"+miniotest.SecretKey+"@"+srv.Endpoint)
			err := ts.Exec(mustFind("mc"), args...)
			if neg != (err != nil) {
				ts.Fatalf("mc %s: %v (negated: %v)", strings.Join(args, " "), err, neg)
			}
		},
		// buckets: print the names of every bucket on the server, one per line, sorted.
		"buckets": func(ts *testscript.TestScript, neg bool, args []string) {
			srv := server(ts)
			c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(miniotest.AccessKey, miniotest.SecretKey, ""), Region: "us-east-1"})
			ts.Check(err)
			list, err := c.ListBuckets(context.Background())
			ts.Check(err)
			var names []string
			for _, b := range list {
				names = append(names, b.Name)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintln(ts.Stdout(), n)
			}
		},
		// signalled SIGNAL N PREFIX ARGS...: run bucketform ARGS, send it SIGNAL (TERM or INT)
		// once at least N buckets named PREFIX* exist on the server, and wait for it; its
		// output becomes stdout and stderr, and it must exit non-zero (unless negated... never).
		"signalled": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) < 3 {
				ts.Fatalf("usage: signalled TERM|INT N PREFIX ARGS...")
			}
			sig := map[string]syscall.Signal{"TERM": syscall.SIGTERM, "INT": syscall.SIGINT}[args[0]]
			if sig == 0 {
				ts.Fatalf("unknown signal %s", args[0])
			}
			want, err := strconv.Atoi(args[1])
			ts.Check(err)
			bin, err := exec.LookPath("bucketform")
			ts.Check(err)
			cmd := exec.Command(bin, args[3:]...)
			cmd.Dir = ts.MkAbs(".")
			cmd.Env = append(os.Environ(), "MINIO_ENDPOINT="+ts.Getenv("MINIO_ENDPOINT"), "MINIO_ACCESS_KEY="+ts.Getenv("MINIO_ACCESS_KEY"),
				"MINIO_SECRET_KEY="+ts.Getenv("MINIO_SECRET_KEY"), "NO_COLOR=1")
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			ts.Check(cmd.Start())
			srv := server(ts)
			c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(miniotest.AccessKey, miniotest.SecretKey, ""), Region: "us-east-1"})
			ts.Check(err)
			deadline := time.Now().Add(time.Minute)
			for {
				list, err := c.ListBuckets(context.Background())
				ts.Check(err)
				n := 0
				for _, b := range list {
					if strings.HasPrefix(b.Name, args[2]) {
						n++
					}
				}
				if n >= want {
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					ts.Fatalf("%d buckets %s* after a minute, want %d", n, args[2], want)
				}
				time.Sleep(20 * time.Millisecond)
			}
			ts.Check(cmd.Process.Signal(sig))
			err = cmd.Wait()
			fmt.Fprint(ts.Stdout(), stdout.String())
			fmt.Fprint(ts.Stderr(), stderr.String())
			if (err == nil) != neg {
				ts.Fatalf("bucketform exited %v after SIGTERM; want a non-zero exit", err)
			}
		},
		// schema NAME FILE: FILE is valid against docs/schema/NAME.schema.json (plan, planfile,
		// validate), or, for apply-events, each of its lines is.
		"schema": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: schema plan|planfile|validate|apply-events FILE")
			}
			data, err := os.ReadFile(ts.MkAbs(args[1]))
			ts.Check(err)
			s := schemas(ts)
			name := args[0] + ".schema.json"
			if args[0] == "apply-events" {
				err = s.CheckLines(name, data)
			} else {
				err = s.Check(name, data)
			}
			if (err != nil) != neg {
				ts.Fatalf("%s against %s: %v", args[1], name, err)
			}
		},
		// exits CODE PROGRAM ARGS...: run PROGRAM and require exactly this exit code.
		"exits": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) < 2 {
				ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
			}
			want, err := strconv.Atoi(args[0])
			ts.Check(err)
			err = ts.Exec(args[1], args[2:]...)
			got := 0
			var exitErr *exec.ExitError
			switch {
			case errors.As(err, &exitErr):
				got = exitErr.ExitCode()
			case err != nil:
				ts.Fatalf("%s: %v", args[1], err)
			}
			if got != want {
				ts.Fatalf("%s exited %d, want %d", args[1], got, want)
			}
		},
		// mode PERM FILE: FILE's permission bits are exactly PERM (octal, e.g. 0600).
		"mode": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: mode PERM FILE")
			}
			want, err := strconv.ParseUint(args[0], 8, 32)
			ts.Check(err)
			info, err := os.Stat(ts.MkAbs(args[1]))
			ts.Check(err)
			if got := uint64(info.Mode().Perm()); (got == want) == neg {
				ts.Fatalf("%s has mode %#o, want %s%#o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
			}
		},
		// synced [DIR]: a plan of DIR finds nothing to do (exit 0 with -detailed-exitcode).
		"synced": func(ts *testscript.TestScript, neg bool, args []string) {
			dir := "."
			if len(args) > 0 {
				dir = args[0]
			}
			err := ts.Exec("bucketform", "plan", "-detailed-exitcode", "-no-color", dir)
			if neg != (err != nil) {
				ts.Fatalf("plan of %s: synced=%v, want %v", dir, err == nil, !neg)
			}
		},
	}
}
