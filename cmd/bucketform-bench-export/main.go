// Command bucketform-bench-export measures the three ways engine/server can read D declared
// buckets of a MinIO server holding F buckets, to find from which share D/F one export of every
// bucket beats per-bucket requests:
//
//   - all:    one ExportAllBuckets, then Export.Bucket for the D buckets (the parse is lazy);
//   - single: ExportBucket for each of the D buckets, P at a time;
//   - attrs:  ReadBucket reading every attribute (6 requests) for each of the D buckets, P at a time.
//
// It starts its own MinIO (the pinned binary, see engine/miniotest) on loopback, seeds it with
// buckets carrying tags, versioning, policies and quotas, and prints Markdown tables of medians
// and minimums (each repetition runs every way of reading in turn, so that load from other
// processes falls on all of them alike), the crossover share for each parallelism, and the peak
// RSS of a process that exports and parses every bucket. Nothing is asserted: the figures are
// for reading.
//
//	go run ./cmd/bucketform-bench-export                          # F = 1,000 and 10,000
//	go run ./cmd/bucketform-bench-export -f 1000 -reps 3          # a quick run
//
// Measured on 2026-12-01 (2 CPUs AMD EPYC shared with other work, load average 10 to 17,
// loopback, go1.26.8, the pinned MinIO), medians of 5: one export of every bucket took 0.045 s
// at F = 1,000 (1.2 MB zip) and 0.62 s at F = 10,000 (11.7 MB), plus about 0.05 ms per bucket
// parsed. Single-bucket exports cost 0.2 to 0.45 ms per bucket at parallelism 16 or 32 (32 is
// no faster on 2 cores), attribute-by-attribute reads of all six attributes 0.8 to 1.1 ms. The
// one export wins from D/F ≈ 25 % (fitted 21 to 30 %; measured: single exports still faster at
// 30 %, the export clearly faster at 50 %) over single exports, and from D/F ≈ 5 to 10 % over
// attribute reads. Parsing all 10,000 buckets peaked at 66 MiB RSS (12 MiB for the same
// program making one small export), with 19 MiB of live heap while the export is held.
//
// Measured again later that day, once the export was read as it arrives (-f 1000,10000 -reps 3
// -p 32 -attrs-max 1000, load average 5 to 11; docs/benchmarks.md has the table): one export
// 0.046 s at F = 1,000 and 0.80 s at F = 10,000 with the buckets parsed, single exports 0.39 to
// 0.46 ms per bucket, attribute reads 0.96 to 1.1 ms; the one export wins from D/F ≈ 16 %
// (15 to 18 %). Parsing all 10,000 buckets peaked at 37.3 MiB RSS (11.9 MiB for one small
// export), with 7.0 MiB of live heap while the export is held: the archive is no longer kept.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bucketform/bucketform/cmd/internal/bench"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

// childEnv marks a child process that measures the memory of one export (see memChild).
const childEnv = "BUCKETFORM_BENCH_EXPORT_CHILD"

func main() {
	bench.Spawner() // so that the memory children's peak RSS is theirs alone (see there)
	if os.Getenv(childEnv) != "" {
		if err := memChild(); err != nil {
			fmt.Fprintf(os.Stderr, "Error: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "Error: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		fs     = flag.String("f", "1000,10000", "bucket counts F of the server, comma-separated, ascending (buckets are added between steps)")
		shares = flag.String("shares", "0.01,0.03,0.1,0.2,0.3,0.5,1", "declared shares D/F to time, comma-separated")
		pars   = flag.String("p", "16,32", "parallelism values for the per-bucket reads")
		reps   = flag.Int("reps", 5, "repetitions of each measurement, taken in turns with the other ways of reading; tables show medians and minimums")
		attrsN = flag.Int("attrs-max", 3000, "largest D for which the attribute-by-attribute read is timed (0: no limit)")
		seedP  = flag.Int("seed-parallelism", 32, "parallelism of seeding")
	)
	flag.Parse()
	fList, err := ints(*fs)
	if err != nil {
		return fmt.Errorf("-f: %w", err)
	}
	pList, err := ints(*pars)
	if err != nil {
		return fmt.Errorf("-p: %w", err)
	}
	var shareList []float64
	for _, s := range strings.Split(*shares, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || v <= 0 || v > 1 {
			return fmt.Errorf("-shares: %q is not in (0, 1]", s)
		}
		shareList = append(shareList, v)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()

	dir, err := os.MkdirTemp("", "bucketform-bench-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := miniotest.Launch(dir)
	if err != nil {
		return err
	}
	defer srv.Stop()

	fmt.Printf("Machine: %d CPUs (%s), %s; MinIO and this client on the same machine, loopback (%s)\n",
		runtime.NumCPU(), procField("/proc/cpuinfo", "model name"), procField("/proc/meminfo", "MemTotal"), runtime.Version())
	fmt.Printf("Command: %s\n", strings.Join(os.Args, " "))
	fmt.Printf("Medians of %d repetitions; seconds.\n", *reps)

	seeded := 0
	for _, f := range fList {
		if f > seeded {
			fmt.Fprintf(os.Stderr, "seeding buckets %d..%d\n", seeded, f-1)
			start := time.Now()
			if err := seed(ctx, srv.Endpoint, seeded, f, *seedP); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "seeded in %.1fs\n", time.Since(start).Seconds())
			seeded = f
			time.Sleep(time.Second) // let the server's background work after the writes settle
		}
		if err := measure(ctx, srv, f, shareList, pList, *reps, *attrsN); err != nil {
			return err
		}
	}
	return nil
}

// name is the bucket name of seed index i.
func name(i int) string { return fmt.Sprintf("bench-%05d", i) }

// seed creates buckets [from, to) with a mix of attributes: every bucket tagged (ownership and
// a user tag), every second one versioned, every third one with the download policy, every
// fourth one with a quota.
func seed(ctx context.Context, endpoint string, from, to, parallelism int) error {
	c, err := newClient(endpoint, parallelism)
	if err != nil {
		return err
	}
	idx := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		idx = append(idx, i)
	}
	return parallel(ctx, idx, parallelism, func(ctx context.Context, i int) error {
		n := name(i)
		if err := c.MakeBucket(ctx, n, false); err != nil {
			return err
		}
		if err := c.SetTags(ctx, n, map[string]string{model.OwnerTag: "bench", "tenant": strconv.Itoa(i)}); err != nil {
			return err
		}
		if i%2 == 0 {
			if err := c.SetVersioning(ctx, n, model.VersioningEnabled); err != nil {
				return err
			}
		}
		if i%3 == 0 {
			doc, _ := policy.Canned(policy.Download, n)
			if err := c.SetPolicy(ctx, n, doc); err != nil {
				return err
			}
		}
		if i%4 == 0 {
			if err := c.SetQuota(ctx, n, 1<<30); err != nil {
				return err
			}
		}
		return nil
	})
}

func newClient(endpoint string, parallelism int) (*server.Client, error) {
	return server.New(server.Target{Endpoint: endpoint, Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: parallelism})
}

// parallel runs f for each item, n at a time, and returns the first error.
func parallel(ctx context.Context, items []int, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, i := range items {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// declared picks d of the f bucket indexes, spread evenly over the server.
func declared(f, d int) []int {
	out := make([]int, d)
	for k := range d {
		out[k] = k * f / d
	}
	return out
}

// task is one way of reading, timed in turns with the others (see interleave).
type task struct {
	name string
	run  func() error
}

// stat is the median and the minimum of a task's wall times, in seconds.
type stat struct{ median, min float64 }

// interleave runs every task reps times, in turns (task 1, 2, ..., 1, 2, ...), so that load
// from other processes on the machine falls on every task alike, and returns each task's
// median and minimum.
func interleave(reps int, tasks []task) (map[string]stat, error) {
	samples := map[string][]float64{}
	for range reps {
		for _, t := range tasks {
			runtime.GC()
			start := time.Now()
			if err := t.run(); err != nil {
				return nil, fmt.Errorf("%s: %w", t.name, err)
			}
			samples[t.name] = append(samples[t.name], time.Since(start).Seconds())
		}
	}
	out := map[string]stat{}
	for n, xs := range samples {
		sort.Float64s(xs)
		out[n] = stat{median: xs[len(xs)/2], min: xs[0]}
	}
	return out, nil
}

func measure(ctx context.Context, srv *miniotest.Server, f int, shares []float64, pars []int, reps, attrsMax int) error {
	c, err := newClient(srv.Endpoint, 32)
	if err != nil {
		return err
	}
	exp, err := c.ExportAllBuckets(ctx)
	if err != nil {
		return err
	}
	if exp.Len() != f {
		return fmt.Errorf("the export holds %d buckets, want %d", exp.Len(), f)
	}
	size := exp.Size()
	exp = nil
	whole, err := interleave(reps, []task{
		{"index", func() error { _, err := c.ExportAllBuckets(ctx); return err }},
		{"parse", func() error {
			exp, err := c.ExportAllBuckets(ctx)
			if err != nil {
				return err
			}
			for _, n := range exp.Names() {
				if _, err := exp.Bucket(n); err != nil {
					return err
				}
			}
			return nil
		}},
	})
	if err != nil {
		return err
	}
	fmt.Printf("\n## F = %d buckets (export: %.1f MB zip)\n\n", f, float64(size)/1e6)
	fmt.Printf("One export of every bucket: %.3f s (min %.3f) for the request and the index, %.3f s (min %.3f) with every bucket parsed\n\n",
		whole["index"].median, whole["index"].min, whole["parse"].median, whole["parse"].min)

	fmt.Printf("Seconds to read D buckets, median (minimum) of %d runs:\n\n", reps)
	fmt.Printf("| D | D/F | one export + parse D |")
	for _, p := range pars {
		fmt.Printf(" single exports P=%d | attribute reads P=%d |", p, p)
	}
	fmt.Println()
	fmt.Printf("|--:|--:|--:|")
	for range pars {
		fmt.Printf("--:|--:|")
	}
	fmt.Println()
	type point struct {
		d      float64
		byTask map[string]stat
	}
	var points []point
	every := func(string) model.AttrSet { return model.NewAttrSet(model.AllAttrs...) }
	clients := map[int]*server.Client{}
	for _, p := range pars {
		if clients[p], err = newClient(srv.Endpoint, p); err != nil {
			return err
		}
	}
	for _, share := range shares {
		d := int(math.Round(share * float64(f)))
		if d < 1 {
			continue
		}
		names := declared(f, d)
		tasks := []task{{"all", func() error {
			exp, err := c.ExportAllBuckets(ctx)
			if err != nil {
				return err
			}
			for _, i := range names {
				if live, err := exp.Bucket(name(i)); err != nil || !live.Exists {
					return fmt.Errorf("%s in the export: %+v, %v", name(i), live, err)
				}
			}
			return nil
		}}}
		for _, p := range pars {
			pc := clients[p]
			tasks = append(tasks, task{fmt.Sprintf("single%d", p), func() error {
				return parallel(ctx, names, p, func(ctx context.Context, i int) error {
					live, err := pc.ExportBucket(ctx, name(i))
					if err == nil && !live.Exists {
						err = fmt.Errorf("%s reads as missing", name(i))
					}
					return err
				})
			}})
			if attrsMax == 0 || d <= attrsMax {
				tasks = append(tasks, task{fmt.Sprintf("attrs%d", p), func() error {
					return parallel(ctx, names, p, func(ctx context.Context, i int) error {
						_, err := pc.ReadBucket(ctx, name(i), every)
						return err
					})
				}})
			}
		}
		st, err := interleave(reps, tasks)
		if err != nil {
			return err
		}
		cell := func(n string) string {
			if s, ok := st[n]; ok {
				return fmt.Sprintf("%.3f (%.3f)", s.median, s.min)
			}
			return "–"
		}
		fmt.Printf("| %d | %.0f%% | %s |", d, share*100, cell("all"))
		for _, p := range pars {
			fmt.Printf(" %s | %s |", cell(fmt.Sprintf("single%d", p)), cell(fmt.Sprintf("attrs%d", p)))
		}
		fmt.Println()
		points = append(points, point{float64(d), st})
	}

	// Crossover: fit time = a + b·D to each series (least squares, on medians and on minimums)
	// and solve for the D at which the per-bucket path costs as much as the one-export path
	// (whose cost grows with D only by the lazy parse of the D buckets).
	fmt.Println()
	for _, p := range pars {
		for _, which := range []string{"median", "min"} {
			series := func(n string) (xs, ys []float64) {
				for _, pt := range points {
					if s, ok := pt.byTask[n]; ok {
						v := s.median
						if which == "min" {
							v = s.min
						}
						xs, ys = append(xs, pt.d), append(ys, v)
					}
				}
				return xs, ys
			}
			a0, a1 := fit(series("all"))
			s0, s1 := fit(series(fmt.Sprintf("single%d", p)))
			r0, r1 := fit(series(fmt.Sprintf("attrs%d", p)))
			cross := func(b0, b1 float64) string {
				if math.IsNaN(b1) || b1 <= a1 {
					return "n/a"
				}
				d := (a0 - b0) / (b1 - a1)
				return fmt.Sprintf("D ≈ %.0f (%.1f%% of F)", d, 100*d/float64(f))
			}
			fmt.Printf("P=%d, fitted to %ss: one export %.3f s + %.3f ms per declared bucket; single exports %.3f s + %.3f ms/bucket; attribute reads %.3f s + %.3f ms/bucket\n",
				p, which, a0, 1000*a1, s0, 1000*s1, r0, 1000*r1)
			fmt.Printf("  one export of every bucket is faster than single exports from %s, than attribute reads from %s\n",
				cross(s0, s1), cross(r0, r1))
		}
	}

	rss, base, heap, err := memory(ctx, srv.Endpoint)
	if err != nil {
		return err
	}
	fmt.Printf("\nPeak RSS of a process exporting and parsing all %d buckets: %.1f MiB (the same program making one single-bucket export instead: %.1f MiB)\n  %s\n",
		f, float64(rss)/(1<<20), float64(base)/(1<<20), heap)
	return nil
}

// fit returns a, b of the least-squares line y = a + b·x.
func fit(xs, ys []float64) (a, b float64) {
	n := float64(len(xs))
	if n < 2 {
		return math.NaN(), math.NaN()
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx, sy, sxx, sxy = sx+xs[i], sy+ys[i], sxx+xs[i]*xs[i], sxy+xs[i]*ys[i]
	}
	b = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return (sy - b*sx) / n, b
}

// memory runs this program as a child that exports and parses every bucket, and as one that
// makes one single-bucket export, each through bench's spawner so that the kernel's peak RSS
// is the child's own, and returns their peak RSS and what the first child says of its heap.
func memory(ctx context.Context, endpoint string) (all, base int64, heap string, err error) {
	self, err := os.Executable()
	if err != nil {
		return 0, 0, "", err
	}
	runChild := func(mode string) (bench.Proc, error) {
		p, err := bench.RunBucketform(ctx, self, []string{childEnv + "=" + mode, "BUCKETFORM_BENCH_ENDPOINT=" + endpoint})
		if err == nil && p.Exit != 0 {
			err = p.Failure("memory child " + mode)
		}
		return p, err
	}
	p, err := runChild("all")
	if err != nil {
		return 0, 0, "", err
	}
	one, err := runChild("one")
	return p.MaxRSS, one.MaxRSS, strings.TrimSpace(p.Stdout), err
}

// memChild is the child process of memory.
func memChild() error {
	ctx := context.Background()
	c, err := newClient(os.Getenv("BUCKETFORM_BENCH_ENDPOINT"), 1)
	if err != nil {
		return err
	}
	if os.Getenv(childEnv) == "one" {
		_, err := c.ExportBucket(ctx, name(0))
		return err
	}
	exp, err := c.ExportAllBuckets(ctx)
	if err != nil {
		return err
	}
	runtime.GC()
	var indexed runtime.MemStats
	runtime.ReadMemStats(&indexed)
	lives := make([]model.BucketLive, 0, exp.Len())
	for _, n := range exp.Names() {
		live, err := exp.Bucket(n)
		if err != nil {
			return err
		}
		lives = append(lives, live)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("zip %.1f MiB; live Go heap with the export held %.1f MiB, and with every bucket parsed too %.1f MiB (%d buckets); %.1f MiB allocated in total\n",
		float64(exp.Size())/(1<<20), float64(indexed.HeapAlloc)/(1<<20), float64(ms.HeapAlloc)/(1<<20), len(lives), float64(ms.TotalAlloc)/(1<<20))
	runtime.KeepAlive(lives)
	runtime.KeepAlive(exp)
	return nil
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

func procField(path, name string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
