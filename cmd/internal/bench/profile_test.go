package bench

import (
	"context"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
)

// TestProfilePlan makes, in this process, what `bucketform plan DIR` makes (load the
// configuration, refresh, diff, render), so that go test's profiles show where a plan's time
// and memory go, and prints how long each phase took. It runs only when
// BUCKETFORM_BENCH_PROFILE_DIR names a configuration whose server is up (the credentials come
// from MINIO_ACCESS_KEY and MINIO_SECRET_KEY, as for bucketform), e.g. a configuration the
// benchmark applied:
//
//	BUCKETFORM_BENCH_PROFILE_DIR=DIR BUCKETFORM_BENCH_PROFILE_REPS=5 go test -run TestProfilePlan \
//	    -cpuprofile cpu.out -memprofile mem.out -memprofilerate 4096 ./cmd/internal/bench
func TestProfilePlan(t *testing.T) {
	dir := os.Getenv("BUCKETFORM_BENCH_PROFILE_DIR")
	if dir == "" {
		t.Skip("BUCKETFORM_BENCH_PROFILE_DIR is not set")
	}
	reps, _ := strconv.Atoi(os.Getenv("BUCKETFORM_BENCH_PROFILE_REPS"))
	ctx := context.Background()
	var phase atomic.Value
	phase.Store("start")
	peaks := map[string]uint64{}
	var mu sync.Mutex
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Microsecond):
			}
			metrics.Read(sample)
			h := sample[0].Value.Uint64() + sample[1].Value.Uint64()
			mu.Lock()
			ph := phase.Load().(string)
			peaks[ph] = max(peaks[ph], h)
			mu.Unlock()
		}
	}()
	for r := 0; r < max(reps, 1); r++ {
		t0 := time.Now()
		phase.Store("load")
		cfg, diags := config.Load(dir, config.Options{})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		e, err := engine.New(cfg, engine.Options{Parallelism: engine.DefaultParallelism})
		if err != nil {
			t.Fatal(err)
		}
		cfg = nil
		runtime.GC() // as the CLI does before refreshing
		t1 := time.Now()
		phase.Store("refresh")
		snap, err := e.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t2 := time.Now()
		phase.Store("diff")
		p := e.Plan(snap)
		t3 := time.Now()
		doc := e.Document(p, snap, nil)
		render.WritePlan(io.Discard, doc, render.Style{})
		t4 := time.Now()
		if path := os.Getenv("BUCKETFORM_BENCH_PROFILE_HEAP"); path != "" {
			// What a plan holds once it has rendered (snapshot, plan and document alive).
			runtime.GC()
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				t.Fatal(err)
			}
			f.Close()
			runtime.KeepAlive(doc)
			runtime.KeepAlive(snap)
		}
		phase.Store("end")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.Logf("load %.3fs, refresh %.3fs, diff %.3fs, render %.3fs; %d changes, has changes %v; heap in use %.1f MiB, total allocated %.1f MiB",
			t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds(), t4.Sub(t3).Seconds(), len(p.Changes), p.HasChanges(),
			float64(ms.HeapInuse)/(1<<20), float64(ms.TotalAlloc)/(1<<20))
	}
	mu.Lock()
	t.Logf("peak heap (objects and unused spans) by phase, MiB: load %.1f, refresh %.1f, diff and render %.1f",
		float64(peaks["load"])/(1<<20), float64(peaks["refresh"])/(1<<20), float64(peaks["diff"])/(1<<20))
	mu.Unlock()
}

// TestProfileApply makes, in this process, what `bucketform apply -auto-approve DIR` makes on
// a configuration whose buckets do not exist yet (lease, refresh, diff, apply), prints how long
// each phase took, and then deletes the buckets again, so that go test's profiles show where an
// apply's time goes. It runs only when BUCKETFORM_BENCH_PROFILE_APPLY names such a
// configuration (written by WriteConfig: the stack is its bucket prefix):
//
//	BUCKETFORM_BENCH_PROFILE_APPLY=DIR go test -run TestProfileApply -cpuprofile cpu.out ./cmd/internal/bench
func TestProfileApply(t *testing.T) {
	dir := os.Getenv("BUCKETFORM_BENCH_PROFILE_APPLY")
	if dir == "" {
		t.Skip("BUCKETFORM_BENCH_PROFILE_APPLY is not set")
	}
	ctx := context.Background()
	t0 := time.Now()
	cfg, diags := config.Load(dir, config.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	e, err := engine.New(cfg, engine.Options{Parallelism: engine.DefaultParallelism})
	if err != nil {
		t.Fatal(err)
	}
	unlock, _, err := e.Lock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	snap, err := e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Plan(snap)
	t2 := time.Now()
	var durations []time.Duration
	var mu sync.Mutex
	report, err := e.Apply(ctx, p, snap, engine.ApplyOptions{OnChange: func(r engine.Result) {
		mu.Lock()
		durations = append(durations, r.Duration)
		mu.Unlock()
	}})
	t3 := time.Now()
	unlock()
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	for _, d := range durations {
		sum += d
	}
	t.Logf("load and lock %.3fs, refresh and diff %.3fs, apply %.3fs (%d changes, mean %.1f ms each), unlock %.3fs",
		t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds(), len(report.Applied),
		float64(sum.Microseconds())/1000/float64(max(len(durations), 1)), time.Since(t3).Seconds())
}
