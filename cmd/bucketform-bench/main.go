// Command bucketform-bench measures bucketform's plan and apply at N buckets against the
// request floor (see package cmd/internal/bench), on a MinIO server it starts itself, and prints
// Markdown tables: N, plan seconds, read floor seconds, ratio, apply seconds, write floor
// seconds, ratio, peak RSS of plan and apply; then, from one more run of each through a
// counting proxy, the figures that do not depend on the machine's load: requests, bytes read,
// CPU time with the server's, writes per bucket. docs/benchmarks.md explains them.
//
//	go run ./cmd/bucketform-bench                       # the full table (make bench)
//	go run ./cmd/bucketform-bench -n 100,1000 -foreign 0 -validate-n 0   # a quick run
//	go run ./cmd/bucketform-bench -sweep 4,8,16,32,64 -n 1000             # find the best parallelism
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/bucketform/bucketform/cmd/internal/bench"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/miniotest"
)

func main() {
	bench.Spawner() // measure bucketform's peak RSS exactly (see there)
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		bin         = flag.String("bin", "", "bucketform binary to measure (default: build ./cmd/bucketform into a temporary directory)")
		ns          = flag.String("n", "100,1000,10000", "bucket counts to measure, comma-separated")
		foreign     = flag.Int("foreign", 10000, "foreign buckets to seed before measuring -foreign-n again (0: skip)")
		foreignNs   = flag.String("foreign-n", "100,1000,10000", "bucket counts to measure again on the server with foreign buckets")
		pairN       = flag.Int("pair-n", 100, "with -foreign: bucket count of plans measured in alternation on the server with foreign buckets and on a second, empty one (0: skip)")
		reps        = flag.Int("reps", 0, "repetitions of each measurement; the table shows medians (0: 4 below 10,000 buckets, 2 from there on; keep it even)")
		parallelism = flag.Int("parallelism", 0, "bucketform's -parallelism (0: its default)")
		floorPar    = flag.Int("floor-parallelism", bench.FloorParallelism, "the floor client's parallelism")
		validateN   = flag.Int("validate-n", 10000, "buckets in the configurations timed with `bucketform validate` (0: skip)")
		sweep       = flag.String("sweep", "", "instead of the table, measure the first -n at these parallelism values (bucketform and floor alike), e.g. 4,8,16,32,64")
		count       = flag.Bool("count", true, "after each row's timed runs, count the requests of one more apply and plan, and of the floors, through a proxy")
	)
	flag.Parse()
	nList, err := ints(*ns)
	if err != nil {
		return fmt.Errorf("-n: %w", err)
	}
	fnList, err := ints(*foreignNs)
	if err != nil {
		return fmt.Errorf("-foreign-n: %w", err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()

	tmp, err := os.MkdirTemp("", "bucketform-bench-bin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *bin == "" {
		root, err := bench.ModuleRoot()
		if err != nil {
			return err
		}
		if *bin, err = bench.BuildBucketform(ctx, root, tmp); err != nil {
			return err
		}
	}
	version, _ := exec.Command(*bin, "version").Output()

	b, err := bench.Start(ctx, bench.Options{
		Bin: *bin, Ns: nList, Foreign: *foreign, ForeignNs: fnList, PairN: *pairN, Reps: *reps,
		Parallelism: *parallelism, FloorParallelism: *floorPar, ValidateN: *validateN, Count: *count && *sweep == "", Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	defer b.Close()

	enginePar := strconv.Itoa(*parallelism)
	if *parallelism == 0 {
		enginePar = fmt.Sprintf("%d (default)", engine.DefaultParallelism)
	}
	fmt.Printf("Machine: %d CPUs (%s), %s memory; %s\n", runtime.NumCPU(), cpuModel(), memTotal(), runtime.Version())
	fmt.Printf("bucketform: %s (%s); MinIO %s at %s on loopback\n", strings.TrimSpace(string(version)), *bin, minioVersion(), b.Endpoint())
	fmt.Printf("Command: %s\n", strings.Join(os.Args, " "))
	fmt.Printf("Load average at the start: %s\n", bench.LoadAverage())
	defer func() { fmt.Printf("\nLoad average at the end: %s\n", bench.LoadAverage()) }()
	if *sweep != "" {
		values, err := ints(*sweep)
		if err != nil {
			return fmt.Errorf("-sweep: %w", err)
		}
		if len(nList) == 0 {
			return errors.New("-sweep needs a bucket count in -n")
		}
		rows, err := b.Sweep(ctx, nList[0], values)
		fmt.Println()
		bench.WriteSweep(os.Stdout, nList[0], rows)
		return err
	}
	fmt.Printf("Parallelism: bucketform %s, floor %d; medians of the repetitions\n\n", enginePar, *floorPar)
	rep, err := b.Run(ctx)
	if rep != nil {
		bench.WriteTable(os.Stdout, rep)
		fmt.Println("\nRaw figures (seconds, per repetition):")
		bench.WriteRaw(os.Stdout, rep)
	}
	return err
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func cpuModel() string {
	return procField("/proc/cpuinfo", "model name")
}

func memTotal() string {
	v := procField("/proc/meminfo", "MemTotal")
	if kb, err := strconv.Atoi(strings.TrimSuffix(v, " kB")); err == nil {
		return fmt.Sprintf("%d MiB", kb/1024)
	}
	return v
}

func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// minioVersion returns the pinned version scripts/install-tools.sh recorded next to the binary.
func minioVersion() string {
	bin, err := miniotest.FindBinary("minio")
	if err != nil {
		return "(not found)"
	}
	v, err := os.ReadFile(filepath.Join(filepath.Dir(bin), ".minio.version"))
	if err != nil {
		return "(" + bin + ")"
	}
	return strings.TrimSpace(string(v))
}
