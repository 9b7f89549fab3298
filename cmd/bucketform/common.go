package main

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
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

// signalContext is cancelled by SIGINT or SIGTERM, so an interrupted apply stops starting new
// changes, records what it did in the ownership index and releases its lease.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// planOutputs describes the configuration's outputs for plans: values only when known and
// not sensitive.
func planOutputs(cfg *config.Config) []render.Output {
	var out []render.Output
	for _, o := range cfg.Outputs {
		ro := render.Output{Name: o.Name, Sensitive: o.Sensitive, Known: o.Value.IsWhollyKnown()}
		if ro.Known && !ro.Sensitive {
			ro.Value = ctyJSON(o.Value)
		}
		out = append(out, ro)
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
