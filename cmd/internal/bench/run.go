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
	// PairN, with Foreign, is the bucket count of a plan measured on the server with the
	// foreign buckets and on a second, empty server, in alternation (MeasurePair); 0 skips it.
	PairN int
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
	// Count makes, after the timed repetitions of each row, one more apply and plan of
	// bucketform and of the floor through a counting proxy (Counter), for the figures that do
	// not depend on the machine's load: requests and bytes.
	Count bool
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
	// The MinIO server's CPU time during each measurement, in the same order: what the work
	// costs the server, which a timing on a loaded machine hides.
	PlanServerCPU, ReadFloorServerCPU, ApplyServerCPU, WriteFloorServerCPU []time.Duration
	// Counts are the requests of one counted run of each (Options.Count); nil when not counted.
	Counts *Counts
	// Load is the machine's load average when the row started and when it ended.
	Load [2]string
}

// Counts are the requests of one apply and one plan of bucketform and of the floor, counted
// through a proxy.
type Counts struct {
	Plan, ReadFloor, Apply, WriteFloor Count
}

// Count is what one run asked of the server: requests by kind (ByKind) and the bytes of the
// answers' bodies.
type Count struct {
	Requests map[string]int
	Bytes    int64
}

// Total returns the number of requests.
func (c Count) Total() int {
	n := 0
	for _, k := range c.Requests {
		n += k
	}
	return n
}

// Writes returns the number of requests that change the server.
func (c Count) Writes() int {
	n := 0
	for req, k := range c.Requests {
		if IsWrite(req) {
			n += k
		}
	}
	return n
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
	Pair     *PairRow
	Validate []ValidateRow
}

// PairRow compares plans of N buckets, and the read floor, on the server holding Foreign
// buckets and on an empty one, measured in alternation so that both see the same load.
type PairRow struct {
	N, Foreign            int
	Empty, Full           []Proc
	EmptyFloor, FullFloor []time.Duration
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
		if b.opts.PairN > 0 {
			pr, err := b.MeasurePair(ctx, b.opts.PairN)
			if err != nil {
				return rep, err
			}
			rep.Pair = pr
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
	row := Row{N: n, Load: [2]string{LoadAverage()}}
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
			s0 := b.serverCPU()
			p, err := RunBucketform(ctx, b.opts.Bin, b.env, append(append([]string{"apply", "-auto-approve"}, pflag...), dir)...)
			if err != nil {
				return err
			}
			if p.Exit != 0 || !strings.Contains(p.Stdout, fmt.Sprintf("Apply complete! Resources: %d added, 0 changed, 0 destroyed.", n)) {
				return p.Failure("bucketform apply")
			}
			row.Apply = append(row.Apply, p)
			row.ApplyServerCPU = append(row.ApplyServerCPU, b.serverCPU()-s0)
			b.logf("  N=%d rep %d: apply %.3fs (cpu %.3fs, rss %.1f MiB)\n", n, r, p.Wall.Seconds(), p.CPU.Seconds(), mib(p.MaxRSS))
			return nil
		}
		floorWrite := func() error {
			s0 := b.serverCPU()
			start, cpu := time.Now(), selfCPU()
			if err := b.floor.WriteApply(ctx, fStack, fTenants); err != nil {
				return fmt.Errorf("write floor: %w", err)
			}
			d, c := time.Since(start), selfCPU()-cpu
			row.WriteFloor = append(row.WriteFloor, d)
			row.WriteFloorCPU = append(row.WriteFloorCPU, c)
			row.WriteFloorServerCPU = append(row.WriteFloorServerCPU, b.serverCPU()-s0)
			b.logf("  N=%d rep %d: write floor %.3fs (cpu %.3fs)\n", n, r, d.Seconds(), c.Seconds())
			settle()
			return b.remove(ctx, fStack, fTenants)
		}
		enginePlan := func() error {
			s0 := b.serverCPU()
			p, err := RunBucketform(ctx, b.opts.Bin, b.env, append(append([]string{"plan", "-detailed-exitcode"}, pflag...), dir)...)
			if err != nil {
				return err
			}
			if p.Exit != 0 {
				return p.Failure("bucketform plan -detailed-exitcode (expected no changes)")
			}
			row.Plan = append(row.Plan, p)
			row.PlanServerCPU = append(row.PlanServerCPU, b.serverCPU()-s0)
			b.logf("  N=%d rep %d: plan %.3fs (cpu %.3fs, rss %.1f MiB)\n", n, r, p.Wall.Seconds(), p.CPU.Seconds(), mib(p.MaxRSS))
			return nil
		}
		floorRead := func() error {
			s0 := b.serverCPU()
			start, cpu := time.Now(), selfCPU()
			if err := b.floor.ReadPlan(ctx, eStack, eTenants); err != nil {
				return fmt.Errorf("read floor: %w", err)
			}
			d, c := time.Since(start), selfCPU()-cpu
			row.ReadFloor = append(row.ReadFloor, d)
			row.ReadFloorCPU = append(row.ReadFloorCPU, c)
			row.ReadFloorServerCPU = append(row.ReadFloorServerCPU, b.serverCPU()-s0)
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
	if b.opts.Count {
		counts, err := b.count(ctx, n, pflag)
		if err != nil {
			return row, err
		}
		row.Counts = counts
	}
	row.Load[1] = LoadAverage()
	return row, nil
}

// count makes one apply and one plan of n buckets with bucketform, and the write and read
// floors of n other buckets, each through a counting proxy, and removes the buckets.
func (b *Bench) count(ctx context.Context, n int, pflag []string) (*Counts, error) {
	c, err := StartCounter(b.srv.Endpoint)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	floor, err := NewFloor(c.Endpoint(), miniotest.AccessKey, miniotest.SecretKey, b.floor.Parallelism)
	if err != nil {
		return nil, err
	}
	b.serial++
	eStack, fStack := fmt.Sprintf("e%d", b.serial), fmt.Sprintf("f%d", b.serial)
	eTenants, fTenants := Tenants(eStack, n), Tenants(fStack, n)
	dir := filepath.Join(b.tmp, "config-"+eStack)
	if err := WriteConfig(dir, eStack, c.Endpoint(), eStack, eTenants, ForEach); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	take := func() Count {
		reqs, bytes := c.Take()
		return Count{Requests: ByKind(reqs), Bytes: bytes}
	}
	var counts Counts
	c.Take()
	p, err := RunBucketform(ctx, b.opts.Bin, b.env, append(append([]string{"apply", "-auto-approve"}, pflag...), dir)...)
	if err != nil {
		return nil, err
	}
	if p.Exit != 0 {
		return nil, p.Failure("bucketform apply (counted)")
	}
	counts.Apply = take()
	settle()
	p, err = RunBucketform(ctx, b.opts.Bin, b.env, append(append([]string{"plan", "-detailed-exitcode"}, pflag...), dir)...)
	if err != nil {
		return nil, err
	}
	if p.Exit != 0 {
		return nil, p.Failure("bucketform plan -detailed-exitcode (counted, expected no changes)")
	}
	counts.Plan = take()
	if err := floor.ReadPlan(ctx, eStack, eTenants); err != nil {
		return nil, fmt.Errorf("read floor (counted): %w", err)
	}
	counts.ReadFloor = take()
	if err := b.remove(ctx, eStack, eTenants); err != nil {
		return nil, err
	}
	settle()
	c.Take()
	if err := floor.WriteApply(ctx, fStack, fTenants); err != nil {
		return nil, fmt.Errorf("write floor (counted): %w", err)
	}
	counts.WriteFloor = take()
	settle()
	if err := b.remove(ctx, fStack, fTenants); err != nil {
		return nil, err
	}
	b.logf("  N=%d counted: plan %d requests (%d bytes), read floor %d (%d bytes); apply %d writes of %d requests, write floor %d of %d\n",
		n, counts.Plan.Total(), counts.Plan.Bytes, counts.ReadFloor.Total(), counts.ReadFloor.Bytes,
		counts.Apply.Writes(), counts.Apply.Total(), counts.WriteFloor.Writes(), counts.WriteFloor.Total())
	return &counts, nil
}

// LoadAverage returns the 1, 5 and 15 minute load averages of the machine.
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// serverCPU returns the CPU time the MinIO server has used so far (user and system, in clock
// ticks of 10 ms), 0 when it cannot be read.
func (b *Bench) serverCPU() time.Duration {
	return ProcessCPU(b.srv.Pid())
}

// ProcessCPU returns the CPU time process pid has used (user and system, all threads, from
// /proc/PID/stat, in clock ticks of 10 ms); 0 when it cannot be read.
func ProcessCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from its end.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// MeasurePair applies a configuration of n buckets to this server (which holds the foreign
// buckets) and to a second, empty server started for it, then measures plans with no changes
// and read floors on both in alternation, Reps*PlanPairs times each, and removes the buckets
// and the second server.
func (b *Bench) MeasurePair(ctx context.Context, n int) (*PairRow, error) {
	empty, err := miniotest.Launch(filepath.Join(b.tmp, "minio-empty"))
	if err != nil {
		return nil, err
	}
	defer empty.Stop()
	emptyFloor, err := NewFloor(empty.Endpoint, miniotest.AccessKey, miniotest.SecretKey, b.floor.Parallelism)
	if err == nil {
		err = emptyFloor.EnsureStateBucket(ctx)
	}
	if err != nil {
		return nil, err
	}
	b.serial++
	stack := fmt.Sprintf("p%d", b.serial)
	tenants := Tenants(stack, n)
	pr := &PairRow{N: n, Foreign: b.opts.Foreign}
	type side struct {
		dir   string
		floor *Floor
		plans *[]Proc
		reads *[]time.Duration
	}
	sides := []side{{filepath.Join(b.tmp, "pair-empty"), emptyFloor, &pr.Empty, &pr.EmptyFloor},
		{filepath.Join(b.tmp, "pair-full"), b.floor, &pr.Full, &pr.FullFloor}}
	for i, endpoint := range []string{empty.Endpoint, b.srv.Endpoint} {
		if err := WriteConfig(sides[i].dir, stack, endpoint, stack, tenants, ForEach); err != nil {
			return nil, err
		}
		defer os.RemoveAll(sides[i].dir)
		p, err := RunBucketform(ctx, b.opts.Bin, b.env, "apply", "-auto-approve", sides[i].dir)
		if err != nil {
			return nil, err
		}
		if p.Exit != 0 {
			return nil, p.Failure("bucketform apply (pair)")
		}
	}
	settle()
	reps := b.opts.Reps
	if reps <= 0 {
		reps = 4
	}
	for r := 0; r < reps*PlanPairs; r++ {
		order := sides
		if r%2 == 1 {
			order = []side{sides[1], sides[0]}
		}
		for _, sd := range order {
			p, err := RunBucketform(ctx, b.opts.Bin, b.env, "plan", "-detailed-exitcode", sd.dir)
			if err != nil {
				return nil, err
			}
			if p.Exit != 0 {
				return nil, p.Failure("bucketform plan -detailed-exitcode (pair, expected no changes)")
			}
			*sd.plans = append(*sd.plans, p)
			settle()
		}
		for _, sd := range order {
			start := time.Now()
			if err := sd.floor.ReadPlan(ctx, stack, tenants); err != nil {
				return nil, fmt.Errorf("read floor (pair): %w", err)
			}
			*sd.reads = append(*sd.reads, time.Since(start))
			settle()
		}
		b.logf("  pair N=%d rep %d: plan %.3fs empty, %.3fs with %d foreign; read floor %.3fs, %.3fs\n", n, r,
			pr.Empty[r].Wall.Seconds(), pr.Full[r].Wall.Seconds(), b.opts.Foreign, pr.EmptyFloor[r].Seconds(), pr.FullFloor[r].Seconds())
	}
	for _, sd := range sides {
		if err := sd.floor.RemoveBuckets(ctx, stack, tenants); err != nil {
			return nil, fmt.Errorf("clean up %s: %w", stack, err)
		}
	}
	return pr, nil
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
