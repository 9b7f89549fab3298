package main

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/plan"
)

// loadConfig loads the configuration in dir and prints its diagnostics. ok is false when it has
// errors.
func loadConfig(u *ui, dir string, opts config.Options) (*config.Config, bool) {
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		u.errorf("%s is not a directory", dir)
		u.hint("give the directory that holds the *.hcl files (default: the current directory)")
		return nil, false
	}
	cfg, diags := config.Load(dir, opts)
	u.addSecrets(cfg) // before anything of the configuration is printed
	u.diagnostics(cfg.Files, diags)
	if diags.HasErrors() {
		return nil, false
	}
	if len(cfg.Deployments) == 0 && (len(cfg.Buckets) > 0 || len(cfg.Presigns) > 0) {
		u.errorf("no minio block in %s", dir)
		return nil, false
	}
	return cfg, true
}

// interrupts turns SIGINT and SIGTERM into a graceful stop. Until graceful is called (while
// reading and planning), a signal cancels ctx at once. Once an apply has started, the first
// signal closes stop: no new change starts, the changes in flight finish and are recorded and
// the lease is released (a Kubernetes Job sent SIGTERM); a second signal cancels ctx, aborting
// the changes in flight too (they are still recorded as failed).
type interrupts struct {
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{}

	mu       sync.Mutex
	graceful bool
	stopped  bool
}

func newInterrupts() *interrupts {
	ctx, cancel := context.WithCancel(context.Background())
	in := &interrupts{ctx: ctx, cancel: cancel, stop: make(chan struct{})}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		for {
			select {
			case <-sigs:
			case <-ctx.Done():
				return
			}
			in.mu.Lock()
			if in.graceful && !in.stopped {
				in.stopped = true
				close(in.stop)
			} else {
				cancel()
			}
			in.mu.Unlock()
		}
	}()
	return in
}

// gracefully makes the next signal stop the apply instead of cancelling it.
func (in *interrupts) gracefully() {
	in.mu.Lock()
	in.graceful = true
	in.mu.Unlock()
}

// done releases the signal handler.
func (in *interrupts) done() { in.cancel() }

// planOutputs describes the configuration's outputs for plans: values only when known and
// not sensitive.
func planOutputs(cfg *config.Config) map[string]plan.OutputDoc {
	out := map[string]plan.OutputDoc{}
	for _, o := range cfg.Outputs {
		od := plan.OutputDoc{Sensitive: o.Sensitive, Known: o.Value.IsWhollyKnown()}
		if od.Known && !od.Sensitive {
			od.Value = ctyJSON(o.Value)
		}
		out[o.Name] = od
	}
	return out
}

// ctyJSON renders a cty value as JSON; null for a null value.
func ctyJSON(v cty.Value) json.RawMessage {
	if v.IsNull() {
		return json.RawMessage("null")
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// newEngine builds the engine and, with -wait, waits for every server to be ready.
func newEngine(ctx context.Context, u *ui, cfg *config.Config, f *engineFlags, onWait func(engine.WaitAttempt)) (*engine.Engine, bool) {
	opts := f.options()
	e, err := engine.New(cfg, opts)
	if err != nil {
		u.errorf("%v", err)
		return nil, false
	}
	if f.wait > 0 {
		if err := e.Wait(ctx, f.wait, onWait); err != nil {
			u.errorf("%v", err)
			return nil, false
		}
	}
	return e, true
}

// collectConfigGarbage runs the garbage collector once the engine is built and the
// configuration dropped, before the servers are read. Without it the heap may grow to twice
// its size at the end of loading (the collector's goal after its last run during loading)
// before the next collection: for 10,000 buckets, some 50 MiB more resident memory, against a
// collection that takes milliseconds.
func collectConfigGarbage() { runtime.GC() }

// resultGCPercent is the collector's goal, in percent of the live heap, once the servers are read.
const resultGCPercent = 50

// tightenHeapForResult runs the garbage collector once the servers are read, and lowers its
// goal for the rest of the command from twice the live heap to one and a half times it, unless
// GOGC says otherwise. What follows (the diff, the plan's document, its rendering) builds what
// the command keeps until it exits, so with the default goal most of the peak is headroom the
// process never gives back: in 8 plans of 10,000 buckets, its peak resident memory was
// 122.4 MiB on average (130.6 the largest) with the default goal and 106.0 MiB (110.0) with
// this one, for 4% more CPU time (docs/benchmarks.md, "What the figures mean").
func tightenHeapForResult() {
	if os.Getenv("GOGC") != "" { // empty is the runtime's default too
		return
	}
	runtime.GC()
	debug.SetGCPercent(resultGCPercent)
}
