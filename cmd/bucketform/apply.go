package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/planfile"
)

func runApply(u *ui, args []string) int {
	var (
		f            engineFlags
		autoApprove  bool
		allowDestroy bool
		asJSON       bool
		noColor      bool
		lockTimeout  time.Duration
	)
	fs := newFlagSet("apply", "apply [DIR | PLANFILE] [options]", u.stderr)
	f.register(fs)
	fs.BoolVar(&autoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.BoolVar(&allowDestroy, "allow-destroy", false, "with -auto-approve: allow the apply to delete buckets")
	fs.BoolVar(&asJSON, "json", false, "stream one JSON object per line (requires -auto-approve)")
	fs.BoolVar(&noColor, "no-color", false, "do not colour the output")
	fs.DurationVar(&lockTimeout, "lock-timeout", 0, "wait up to this long for another apply of the stack to finish")
	target, code, ok := parseDir(u, fs, args)
	if !ok {
		return code
	}
	if noColor || asJSON {
		u.color = false
	}
	ev := newApplyEvents(u, asJSON)
	if asJSON && !autoApprove {
		return ev.fail("apply -json needs -auto-approve: a JSON log has no one to answer a prompt")
	}
	info, statErr := os.Stat(target)
	savedPlan := statErr == nil && !info.IsDir()
	if !autoApprove && !savedPlan && !isTerminal(u.stdin) {
		// Refuse before waiting for or reading the server: a Job or CI step without
		// -auto-approve fails at once, the same way whether or not there are changes.
		return ev.fail("apply needs confirmation, and stdin is not a terminal\n\n" +
			"  Run apply with -auto-approve (a Job, CI), or from a terminal to answer the prompt.")
	}
	in := newInterrupts()
	defer in.done()

	var run *applyRun
	if savedPlan {
		run, code = fromSavedPlan(in.ctx, u, ev, target, &f, lockTimeout)
	} else {
		run, code = fromConfig(in.ctx, u, ev, target, &f, lockTimeout)
	}
	if run == nil {
		return code
	}
	defer run.unlock()
	ctx, e, p, doc, snap, saved := run.ctx, run.engine, run.plan, run.doc, run.snap, savedPlan

	if !asJSON && !saved {
		render.WritePlan(u.stdout, doc, render.Style{Color: u.color})
	}
	if len(doc.Refusals) > 0 {
		for _, r := range doc.Refusals {
			ev.refusal(r)
		}
		return ev.fail("the plan has %d refusal(s); nothing was applied", len(doc.Refusals))
	}
	if p.Deletes() > 0 && autoApprove && !allowDestroy {
		return ev.fail("this apply would delete %d resource(s), and -auto-approve was given without -allow-destroy; nothing was applied\n\n"+
			"  A Job whose configuration arrived empty must not wipe the server. Review the deletions with\n"+
			"  `bucketform plan`, then apply with -allow-destroy (or without -auto-approve, at a terminal).", p.Deletes())
	}
	if p.HasChanges() && !autoApprove && !saved {
		yes, err := u.confirm("Do you want to perform these actions?\n  bucketform will perform the actions described above.")
		if err != nil {
			return ev.fail("%v\n\n  Run apply with -auto-approve (a Job, CI), or from a terminal to answer the prompt.", err)
		}
		if !yes {
			u.errorf("apply cancelled")
			return exitError
		}
	}
	in.gracefully()
	progress := newProgressLine(u)
	e.SetProgress(progress.update)
	report, err := e.Apply(ctx, p, snap, engine.ApplyOptions{Stop: in.stop, OnChange: func(r engine.Result) {
		progress.print(func() { ev.change(r) })
	}})
	progress.clear()
	if err != nil {
		why := "an earlier change failed"
		if report.Stopped {
			why = "the apply was interrupted"
		}
		for _, c := range report.NotAttempted {
			ev.notAttempted(c, why)
		}
		ev.summary(report, false)
		recorded := "What was applied is recorded; run apply again to converge the rest."
		if report.IndexErr != nil {
			recorded = "The ownership index could not be updated; the claims still record what this stack owns, and the next apply records it again."
		}
		if report.Stopped {
			return ev.fail("apply interrupted: %v\n\n  %s", err, recorded)
		}
		return ev.fail("apply failed: %v\n\n  %s", err, recorded)
	}
	ev.summary(report, true)
	if !asJSON {
		fmt.Fprintln(u.stdout)
		render.WriteOutputs(u.stdout, doc.Outputs)
	}
	return exitOK
}

// applyRun is what an apply has read before it shows and applies the plan: the engine, the
// held lease and the plan with the refresh it was made from.
type applyRun struct {
	ctx     context.Context // cancelled when the lease is lost
	engine  *engine.Engine
	unlock  func()
	plan    *plan.Plan
	doc     *plan.Document
	snap    *engine.Snapshot
	outputs map[string]plan.OutputDoc
}

// fromConfig plans the configuration in dir under the stack's lease. It returns nil and the
// exit code when it cannot.
func fromConfig(ctx context.Context, u *ui, ev *applyEvents, dir string, f *engineFlags, lockTimeout time.Duration) (*applyRun, int) {
	cfg, ok := loadConfig(u, dir, config.Options{Vars: f.vars.sources})
	if !ok {
		return nil, exitError
	}
	run, ok := startRun(ctx, u, ev, cfg, f, lockTimeout)
	if !ok {
		return nil, exitError
	}
	if !run.refresh(u) {
		return nil, exitError
	}
	return run, exitOK
}

// refresh reads the servers and plans, under the lease.
func (run *applyRun) refresh(u *ui) bool {
	progress := newProgressLine(u)
	run.engine.SetProgress(progress.update)
	snap, err := run.engine.Refresh(run.ctx)
	progress.clear()
	if err != nil {
		run.unlock()
		u.errorf("%v", err)
		return false
	}
	if !targetsMatch(u, run.engine, snap) {
		run.unlock()
		return false
	}
	tightenHeapForResult()
	run.snap, run.plan = snap, run.engine.Plan(snap)
	run.doc = run.engine.Document(run.plan, snap, run.outputs)
	return true
}

// fromSavedPlan reads the plan file at path and plans again, under the stack's lease, from the
// configuration the file names and the live servers: nothing in the file is trusted. The plan is
// applied only if it is the same plan; otherwise it is stale. It returns nil and the exit code
// when the plan cannot be applied.
func fromSavedPlan(ctx context.Context, u *ui, ev *applyEvents, path string, f *engineFlags, lockTimeout time.Duration) (*applyRun, int) {
	if len(f.targets) > 0 || f.destroy {
		return nil, ev.fail("-target and -destroy cannot be used with a saved plan: they were fixed when the plan was made")
	}
	pf, err := planfile.Read(path)
	if err != nil {
		return nil, ev.fail("%v", err)
	}
	f.targets, f.destroy = pf.Targets, pf.Destroy
	if info, err := os.Stat(pf.Dir); err != nil || !info.IsDir() {
		return nil, ev.fail("the plan %s was made from the configuration in %s, which is not a directory here\n\n"+
			"  apply plans again from that configuration (and reads the credentials of its minio blocks there):\n"+
			"  apply the plan from a checkout at the same path (CI: the same job layout), or make a new plan here.", path, pf.Dir)
	}
	cfg, ok := loadConfig(u, pf.Dir, config.Options{Vars: f.vars.sources})
	if !ok {
		return nil, exitError
	}
	if msg := planMismatch(pf, cfg); msg != "" {
		return nil, ev.fail("%s", msg)
	}
	run, ok := startRun(ctx, u, ev, cfg, f, lockTimeout)
	if !ok {
		return nil, exitError
	}
	if !run.refresh(u) {
		return nil, exitError
	}
	if diffs := plan.Differences(pf.Plan, run.doc); len(diffs) > 0 {
		run.unlock()
		return nil, ev.fail("the saved plan %s is stale: planning again from %s and the live servers gives a different plan, so nothing was applied\n\n%s\n\n  Make a new plan and review it: bucketform plan -out %s",
			path, pf.Dir, joinLines("  - ", strings.Join(diffs, "\n")), path)
	}
	return run, exitOK
}

// startRun builds the engine for cfg, waits for the servers (-wait) and takes the stack's
// lease. cfg is not kept: the engine holds what it needs, and the rest of a large
// configuration need not stay in memory through refresh and apply.
func startRun(ctx context.Context, u *ui, ev *applyEvents, cfg *config.Config, f *engineFlags, lockTimeout time.Duration) (*applyRun, bool) {
	outputs := planOutputs(cfg)
	e, ok := newEngine(ctx, u, cfg, f, ev.wait)
	if !ok {
		return nil, false
	}
	unlock, lost, ok := ev.lock(ctx, e, lockTimeout)
	if !ok {
		return nil, false
	}
	collectConfigGarbage()
	return &applyRun{ctx: cancelOn(ctx, lost), engine: e, unlock: unlock, outputs: outputs}, true
}

// planMismatch says why a saved plan cannot be applied with cfg, or "".
func planMismatch(pf *planfile.File, cfg *config.Config) string {
	if cfg.Stack != pf.Stack {
		return fmt.Sprintf("the plan was made for stack %q, but %s now declares stack %q", pf.Stack, pf.Dir, cfg.Stack)
	}
	for name, d := range pf.Deployments {
		found := false
		for _, cd := range cfg.Deployments {
			if cd.Name == name {
				found = true
				if cd.Endpoint != d.Endpoint || cd.Secure != d.Secure || cd.Region != d.Region {
					return fmt.Sprintf("the plan was made against minio %q at %s, but the configuration now points it at %s",
						name, deploymentString(d.Endpoint, d.Secure, d.Region), deploymentString(cd.Endpoint, cd.Secure, cd.Region))
				}
			}
		}
		if !found {
			return fmt.Sprintf("the plan was made against minio %q, which %s no longer declares", name, pf.Dir)
		}
	}
	return ""
}

// deploymentString describes a deployment's endpoint for a message.
func deploymentString(endpoint string, secure bool, region string) string {
	scheme := "http"
	if secure {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s (region %s)", scheme, endpoint, region)
}

// cancelOn returns a context cancelled when lost is closed (the lease was lost).
func cancelOn(ctx context.Context, lost <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-lost:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx
}
