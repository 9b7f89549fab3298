package main

import (
	"context"
	"errors"
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

func runPlan(u *ui, args []string) (code int) {
	var (
		f            engineFlags
		out          string
		asJSON       bool
		asMarkdown   bool
		detailedExit bool
		noColor      bool
	)
	fs := newFlagSet("plan", "plan [DIR] [options]", u.stderr)
	f.register(fs)
	fs.StringVar(&out, "out", "", "write the plan to this file (mode 0600), for `apply PLANFILE` and `show`")
	fs.BoolVar(&asJSON, "json", false, "print the plan as one JSON document")
	fs.BoolVar(&asMarkdown, "markdown", false, "print the plan as Markdown, for a pull request comment or a CI job summary")
	fs.BoolVar(&detailedExit, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on an error or a refusal")
	fs.BoolVar(&noColor, "no-color", false, "do not colour the output")
	dir, code, ok := parseDir(u, fs, args)
	if !ok {
		return code
	}
	if asJSON && asMarkdown {
		u.errorf("-json and -markdown cannot be used together")
		return exitError
	}
	if noColor {
		u.color = false
	}
	if out != "" {
		// A plan that fails writes no plan file, and leaves no earlier one at -out either: a
		// CI job must not pick up a plan file of an earlier run as if it were this one's.
		defer func() {
			if code == exitError {
				removeOldPlanFile(u, out)
			}
		}()
	}
	in := newInterrupts()
	defer in.done()
	ctx := in.ctx
	e, outputs, header, ok := preparePlan(ctx, u, dir, &f, out != "")
	if !ok {
		return exitError
	}
	collectConfigGarbage()
	progress := newProgressLine(u)
	e.SetProgress(progress.update)
	snap, err := e.Refresh(ctx)
	progress.clear()
	if err != nil {
		u.errorf("%v", err)
		return exitError
	}
	if !targetsMatch(u, e, snap) {
		return exitError
	}
	tightenHeapForResult()
	p := e.Plan(snap)
	doc := e.Document(p, snap, outputs)
	switch {
	case asJSON:
		if err := render.WriteJSON(u.stdout, doc); err != nil {
			u.errorf("write the JSON plan: %v", err)
			return exitError
		}
	case asMarkdown:
		render.WriteMarkdown(u.stdout, doc)
	default:
		render.WritePlan(u.stdout, doc, render.Style{Color: u.color})
	}
	if len(p.Refusals) > 0 {
		if !asJSON && !asMarkdown {
			u.errorf("the plan has %d refusal(s); nothing can be applied until they are resolved", len(p.Refusals))
		}
		return exitError
	}
	if out != "" {
		if err := writePlanFile(out, header, doc); err != nil {
			u.errorf("write the plan file: %v", err)
			return exitError
		}
		if !asJSON && !asMarkdown {
			fmt.Fprintf(u.stderr, "\nSaved the plan to %s. Apply exactly this plan with:\n  bucketform apply %s\n", out, out)
		}
	}
	if detailedExit && p.HasChanges() {
		return exitChanges
	}
	return exitOK
}

// targetsMatch reports whether every -target selects a bucket, and says which do not.
func targetsMatch(u *ui, e *engine.Engine, snap *engine.Snapshot) bool {
	bad := e.UnmatchedTargets(snap)
	if len(bad) == 0 {
		return true
	}
	u.errorf("-target %s selects nothing: the configuration declares nothing at that address and the stack owns nothing there",
		strings.Join(bad, ", -target "))
	u.hint(`addresses look like KIND.NAME (bucket.data, user.api), or KIND.NAME["KEY"] for one instance of a for_each block`)
	return false
}

// removeOldPlanFile removes the plan file an earlier plan left at path. Anything that is not a
// bucketform plan file is left alone.
func removeOldPlanFile(u *ui, path string) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return
	}
	if _, err := planfile.Read(path); err != nil {
		return
	}
	if err := os.Remove(path); err != nil {
		u.errorf("remove the earlier plan file %s: %v", path, err)
		return
	}
	fmt.Fprintf(u.stderr, "Removed the earlier plan file %s: no plan was saved by this run.\n", path)
}

// preparePlan loads the configuration in dir and builds the engine, the outputs to show and,
// when withHeader is set (-out), the plan file header. The configuration itself is not
// returned: the engine keeps what it needs, and the rest of a large configuration (syntax
// trees, source ranges) would otherwise stay in memory through the refresh.
func preparePlan(ctx context.Context, u *ui, dir string, f *engineFlags, withHeader bool) (*engine.Engine, map[string]plan.OutputDoc, *planfile.File, bool) {
	cfg, ok := loadConfig(u, dir, config.Options{Vars: f.vars.sources})
	if !ok {
		return nil, nil, nil, false
	}
	var header *planfile.File
	if withHeader {
		var err error
		if header, err = planFileHeader(cfg, dir, f.options()); err != nil {
			u.errorf("write the plan file: %v", err)
			return nil, nil, nil, false
		}
	}
	e, ok := newEngine(ctx, u, cfg, f, func(a engine.WaitAttempt) { logWait(u, a) })
	if !ok {
		return nil, nil, nil, false
	}
	return e, planOutputs(cfg), header, true
}

// logWait prints one readiness attempt of -wait on stderr.
func logWait(u *ui, a engine.WaitAttempt) {
	if a.Ready {
		fmt.Fprintf(u.stderr, "minio %q (%s) is ready (attempt %d, %s)\n", a.Deployment, a.Endpoint, a.Attempt, a.Elapsed.Round(1e6))
		return
	}
	next := ""
	if a.Next > 0 {
		next = fmt.Sprintf(" (next attempt in %s)", a.Next.Round(100*time.Millisecond))
	}
	fmt.Fprintf(u.stderr, "waiting for minio %q (%s): attempt %d: %s%s\n", a.Deployment, a.Endpoint, a.Attempt, config.EscapeControls([]byte(a.Err.Error())), next)
}
