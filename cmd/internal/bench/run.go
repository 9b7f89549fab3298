package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// Options say what to measure.
type Options struct {
	// Bin is the bucketform binary to measure.
	Bin string
	// Ns are the bucket counts of the main table.
	Ns []int
	// Foreign is the number of foreign buckets (neither declared nor owned) seeded before the
	// rows of ForeignNs are measured again; 0 skips them.
	Foreign   int
	ForeignNs []int
	// Reps is the number of measurements of each figure; the table shows the median. 0 means
	// 4 below 10,000 buckets and 2 from there on (an apply of 10,000 buckets takes minutes): an
	// even number, so that bucketform and the floor go first equally often.
	Reps int
	// Parallelism is passed to bucketform as -parallelism; 0 measures its default.
	Parallelism int
	// FloorParallelism is the floor client's parallelism.
	FloorParallelism int
	// ValidateN is the bucket count of the validate measurement; 0 skips it.
	ValidateN int
	// Log receives progress and the raw figures of every measurement.
	Log io.Writer
}

// Row is the measurement of one bucket count.
type Row struct {
	N, Foreign int
	Plan       []Proc          // bucketform plan, no changes
	ReadFloor  []time.Duration // the read floor
	Apply      []Proc          // bucketform apply, creating N buckets
	WriteFloor []time.Duration // the write floor
	// ReadFloorCPU and WriteFloorCPU are the CPU times of the floor (of this process, which
	// does nothing else meanwhile), to compare with bucketform's.
	ReadFloorCPU, WriteFloorCPU []time.Duration
}

// ValidateRow is the measurement of `bucketform validate` of one configuration.
type ValidateRow struct {
	Style ConfigStyle
	N     int
	Runs  []Proc
}

// Report is everything a run measured.
type Report struct {
	Rows     []Row
	Validate []ValidateRow
}

// Bench is a benchmark run: one MinIO server, one floor client, a bucketform binary.
type Bench struct {
	opts   Options
	srv    *miniotest.Server
	floor  *Floor
	tmp    string
	env    []string
	serial int
}

// Start starts a MinIO server (via engine/miniotest, in a temporary directory) and prepares the
// floor client. Close stops the server and removes its data.
func Start(ctx context.Context, opts Options) (*Bench, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	tmp, err := os.MkdirTemp("", "bucketform-bench-")
	if err != nil {
		return nil, err
	}
	srv, err := miniotest.Launch(filepath.Join(tmp, "minio"))
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	b := &Bench{opts: opts, srv: srv, tmp: tmp, env: srv.CredentialsEnv()}
	b.floor, err = NewFloor(srv.Endpoint, miniotest.AccessKey, miniotest.SecretKey, opts.FloorParallelism)
	if err == nil {
		err = b.floor.EnsureStateBucket(ctx)
	}
	if err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Close stops the server and removes every file of the run.
func (b *Bench) Close() {
	b.srv.Stop()
	os.RemoveAll(b.tmp)
}

// Endpoint returns the MinIO server's host:port.
func (b *Bench) Endpoint() string { return b.srv.Endpoint }

func (b *Bench) logf(format string, args ...any) { fmt.Fprintf(b.opts.Log, format, args...) }

// Run measures every row of the options, then validate.
func (b *Bench) Run(ctx context.Context) (*Report, error) {
	rep := &Report{}
	for _, n := range b.opts.Ns {
		row, err := b.Measure(ctx, n, b.opts.Parallelism, b.opts.FloorParallelism)
		if err != nil {
			return rep, err
		}
		rep.Rows = append(rep.Rows, row)
	}
	if b.opts.Foreign > 0 && len(b.opts.ForeignNs) > 0 {
		if err := b.SeedForeign(ctx, b.opts.Foreign); err != nil {
			return rep, err
		}
		for _, n := range b.opts.ForeignNs {
			row, err := b.Measure(ctx, n, b.opts.Parallelism, b.opts.FloorParallelism)
			if err != nil {
				return rep, err
			}
			row.Foreign = b.opts.Foreign
			rep.Rows = append(rep.Rows, row)
		}
	}
	if b.opts.ValidateN > 0 {
		for _, style := range []ConfigStyle{ForEach, Literal} {
			vr, err := b.MeasureValidate(ctx, b.opts.ValidateN, style)
			if err != nil {
				return rep, err
			}
			rep.Validate = append(rep.Validate, vr)
		}
	}
	return rep, nil
}

// SeedForeign creates n empty buckets that no configuration declares and no stack owns.
func (b *Bench) SeedForeign(ctx context.Context, n int) error {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("foreign-%05d", i)
	}
	start := time.Now()
	if err := b.floor.MakeBuckets(ctx, names); err != nil {
		return fmt.Errorf("seed foreign buckets: %w", err)
	}
	count, err := b.floor.CountBuckets(ctx)
	if err != nil {
		return err
	}
	b.logf("seeded %d foreign buckets in %.1fs; the server holds %d buckets\n", n, time.Since(start).Seconds(), count)
	return nil
}

// Measure measures one row, Reps times: an apply creating n buckets with bucketform and the
// write floor creating n other buckets, each on the same server (the other's buckets are
// deleted first, not measured); and PlanPairs times a plan with no changes of bucketform's
// buckets and the read floor reading the same buckets. Which of bucketform and the floor goes first alternates from
// one repetition to the next, so neither always runs on a warmer (or busier) server; an even
// number of repetitions cancels the order exactly. parallelism 0 leaves bucketform at its
// default.
func (b *Bench) Measure(ctx context.Context, n, parallelism, floorParallelism int) (Row, error) {
	row := Row{N: n}
	b.floor.Parallelism = floorParallelism
	var pflag []string
	if parallelism > 0 {
		pflag = []string{"-parallelism", strconv.Itoa(parallelism)}
	}
	reps := b.opts.Reps
	if reps <= 0 {
		reps = 4
		if n >= 10000 {
			reps = 2
		}
	}
	for r := 0; r < reps; r++ {
		b.serial++
		eStack, fStack := fmt.Sprintf("e%d", b.serial), fmt.Sprintf("f%d", b.serial)
		eTenants, fTenants := Tenants(eStack, n), Tenants(fStack, n)
		dir := filepath.Join(b.tmp, "config-"+eStack)
		if err := WriteConfig(dir, eStack, b.srv.Endpoint, eStack, eTenants, ForEach); err != nil {
			return row, err
		}
		engineApply := func() error {
			p, err := RunBucketform(ctx, b.opts.Bin, b.env, append(append([]string{"apply", "-auto-approve"}, pflag...), dir)...)
			if err != nil {
				return err
			}
			if p.Exit != 0 || !strings.Contains(p.Stdout, fmt.Sprintf("Apply complete! Resources: %d added, 0 changed, 0 destroyed.", n)) {
				return p.Failure("bucketform apply")
			}
			row.Apply = append(row.Apply, p)
			b.logf("  N=%d rep %d: apply %.3fs (cpu %.3fs, rss %.1f MiB)\n", n, r, p.Wall.Seconds(), p.CPU.Seconds(), mib(p.MaxRSS))
			return nil
		}
		floorWrite := func() error {
			start, cpu := time.Now(), selfCPU()
			if err := b.floor.WriteApply(ctx, fStack, fTenants); err != nil {
				return fmt.Errorf("write floor: %w", err)
			}
			d, c := time.Since(start), selfCPU()-cpu
			row.WriteFloor = append(row.WriteFloor, d)
			row.WriteFloorCPU = append(row.WriteFloorCPU, c)
			b.logf("  N=%d rep %d: write floor %.3fs (cpu %.3fs)\n", n, r, d.Seconds(), c.Seconds())
			settle()
			return b.remove(ctx, fStack, fTenants)
		}
		enginePlan := func() error {
			p, err := RunBucketform(ctx, b.opts.Bin, b.env, append(append([]string{"plan", "-detailed-exitcode"}, pflag...), dir)...)
			if err != nil {
				return err
			}
			if p.Exit != 0 {
				return p.Failure("bucketform plan -detailed-exitcode (expected no changes)")
			}
			row.Plan = append(row.Plan, p)
			b.logf("  N=%d rep %d: plan %.3fs (cpu %.3fs, rss %.1f MiB)\n", n, r, p.Wall.Seconds(), p.CPU.Seconds(), mib(p.MaxRSS))
			return nil
		}
		floorRead := func() error {
			start, cpu := time.Now(), selfCPU()
			if err := b.floor.ReadPlan(ctx, eStack, eTenants); err != nil {
				return fmt.Errorf("read floor: %w", err)
			}
			d, c := time.Since(start), selfCPU()-cpu
			row.ReadFloor = append(row.ReadFloor, d)
			row.ReadFloorCPU = append(row.ReadFloorCPU, c)
			b.logf("  N=%d rep %d: read floor %.3fs (cpu %.3fs)\n", n, r, d.Seconds(), c.Seconds())
			return nil
		}
		// bucketform's apply and plan, and the floor's read of the same buckets, then its
		// buckets deleted.
		engineSide := func() error {
			if err := engineApply(); err != nil {
				return err
			}
			settle()
			for i := 0; i < PlanPairs; i++ {
				first, second := enginePlan, floorRead
				if (r+i)%2 == 1 {
					first, second = second, first
				}
				if err := first(); err != nil {
					return err
				}
				settle()
				if err := second(); err != nil {
					return err
				}
				settle()
			}
			return b.remove(ctx, eStack, eTenants)
		}
		first, second := engineSide, floorWrite
		if r%2 == 1 {
			first, second = second, first
		}
		if err := first(); err != nil {
			return row, err
		}
		settle()
		if err := second(); err != nil {
			return row, err
		}
		settle()
		os.RemoveAll(dir)
	}
	return row, nil
}

// remove deletes a stack's buckets and index (not measured).
func (b *Bench) remove(ctx context.Context, stack string, tenants []Tenant) error {
	if err := b.floor.RemoveBuckets(ctx, stack, tenants); err != nil {
		return fmt.Errorf("clean up %s: %w", stack, err)
	}
	return nil
}

// PlanPairs is the number of plans (and read floors) measured after each apply: a plan is cheap
// next to an apply, and more of them make its median steadier.
const PlanPairs = 3

// settle lets the server finish what a measurement left behind (closing connections, writing
// metadata) before the next one starts. The same pause separates every measurement.
func settle() { time.Sleep(500 * time.Millisecond) }

// MeasureValidate runs `bucketform validate` Reps times, each a cold process, on a generated
// configuration of n buckets.
func (b *Bench) MeasureValidate(ctx context.Context, n int, style ConfigStyle) (ValidateRow, error) {
	vr := ValidateRow{Style: style, N: n}
	dir := filepath.Join(b.tmp, "validate-"+style.String())
	if err := WriteConfig(dir, "validate", b.srv.Endpoint, "v", Tenants("v", n), style); err != nil {
		return vr, err
	}
	defer os.RemoveAll(dir)
	reps := b.opts.Reps
	if reps <= 0 {
		reps = 5
	}
	for r := 0; r < reps; r++ {
		p, err := RunBucketform(ctx, b.opts.Bin, nil, "validate", dir)
		if err != nil {
			return vr, err
		}
		if p.Exit != 0 {
			return vr, p.Failure("bucketform validate")
		}
		vr.Runs = append(vr.Runs, p)
		b.logf("  validate %s N=%d rep %d: %.3fs (rss %.1f MiB)\n", style, n, r, p.Wall.Seconds(), mib(p.MaxRSS))
	}
	return vr, nil
}

// SweepRow is one parallelism value of a sweep.
type SweepRow struct {
	Parallelism int
	Row
}

// Sweep measures one bucket count at several parallelism values, bucketform and the floor
// alike, to find the best of each.
func (b *Bench) Sweep(ctx context.Context, n int, values []int) ([]SweepRow, error) {
	var out []SweepRow
	for _, p := range values {
		b.logf("parallelism %d\n", p)
		row, err := b.Measure(ctx, n, p, p)
		if err != nil {
			return out, err
		}
		out = append(out, SweepRow{Parallelism: p, Row: row})
	}
	return out, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func walls(ps []Proc) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = p.Wall
	}
	return out
}

func peakRSS(ps ...[]Proc) int64 {
	var m int64
	for _, list := range ps {
		for _, p := range list {
			m = max(m, p.MaxRSS)
		}
	}
	return m
}

// selfCPU returns the CPU time this process has used (user and system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
