package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/plan"
)

// applyEvents reports an apply as it happens: as human lines, or with -json as one JSON object
// per line on stdout (types wait, change, refusal, summary, error, warning) for log pipelines.
type applyEvents struct {
	u    *ui
	json bool
	mu   sync.Mutex
}

// newApplyEvents returns the reporter of an apply. With asJSON it also takes over u's errors
// and diagnostics, so that nothing but JSON lines reaches stdout.
func newApplyEvents(u *ui, asJSON bool) *applyEvents {
	ev := &applyEvents{u: u, json: asJSON}
	if asJSON {
		u.json = ev
	}
	return ev
}

func (ev *applyEvents) emit(obj any) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	b, _ := json.Marshal(obj)
	fmt.Fprintf(ev.u.stdout, "%s\n", b)
}

// fail reports an error and returns the exit code for it.
func (ev *applyEvents) fail(format string, args ...any) int {
	ev.u.errorf("%s", fmt.Sprintf(format, args...))
	return exitError
}

// diagnostics reports configuration errors and warnings as error and warning lines, with the
// file and line they are about.
func (ev *applyEvents) diagnostics(diags hcl.Diagnostics) {
	for _, d := range diags {
		obj := render.DiagnosticEvent{Type: "error", Error: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			obj = render.DiagnosticEvent{Type: "warning", Warning: d.Summary, Detail: d.Detail}
		}
		if d.Subject != nil {
			obj.File, obj.Line = d.Subject.Filename, d.Subject.Start.Line
		}
		ev.emit(obj)
	}
}

// warn reports something the user should know that does not stop the apply.
func (ev *applyEvents) warn(text string) {
	if ev.json {
		ev.emit(render.DiagnosticEvent{Type: "warning", Warning: text})
		return
	}
	fmt.Fprintf(ev.u.stderr, "Warning: %s\n", text)
}

func (ev *applyEvents) wait(a engine.WaitAttempt) {
	if !ev.json {
		logWait(ev.u, a)
		return
	}
	obj := render.WaitEvent{Type: "wait", Deployment: a.Deployment, Endpoint: a.Endpoint,
		Attempt: a.Attempt, Ready: a.Ready, ElapsedMS: a.Elapsed.Milliseconds(), NextAttemptMS: a.Next.Milliseconds()}
	if a.Err != nil {
		obj.Error = a.Err.Error()
	}
	ev.emit(obj)
}

func (ev *applyEvents) lock(ctx context.Context, e *engine.Engine, timeout time.Duration) (func(), <-chan struct{}, bool) {
	unlock, lost, err := e.Lock(ctx, timeout)
	if err != nil {
		ev.fail("%v", err)
		return nil, nil, false
	}
	for _, n := range e.LockNotices() {
		ev.warn(n)
	}
	return unlock, lost, true
}

var pastTense = map[plan.Action]string{plan.Create: "created", plan.Update: "updated", plan.Adopt: "adopted",
	plan.Release: "released", plan.Replace: "replaced", plan.Delete: "destroyed", plan.NoOp: "claimed"}

func (ev *applyEvents) change(r engine.Result) {
	c := r.Change
	if ev.json {
		ev.emit(render.NewChangeEvent(c, string(r.Status), r.Duration.Milliseconds(), r.Err))
		return
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if r.Err != nil {
		fmt.Fprintf(ev.u.stdout, "%s: %s failed after %s: %s\n", c.Address, c.Action, r.Duration.Round(time.Millisecond), config.EscapeControls([]byte(r.Err.Error())))
		return
	}
	fmt.Fprintf(ev.u.stdout, "%s: %s after %s\n", c.Address, pastTense[c.Action], r.Duration.Round(time.Millisecond))
}

func (ev *applyEvents) refusal(r plan.RefusalDoc) {
	if ev.json {
		ev.emit(render.NewRefusalEvent(r))
	}
}

func (ev *applyEvents) notAttempted(c plan.Change, why string) {
	if ev.json {
		ev.emit(render.NewChangeEvent(c, string(engine.NotAttempted), 0, nil))
		return
	}
	fmt.Fprintf(ev.u.stdout, "%s: %s not attempted (%s)\n", c.Address, c.Action, why)
}

func (ev *applyEvents) summary(r *engine.Report, complete bool) {
	s := r.Summary()
	if ev.json {
		ev.emit(render.SummaryEvent{Type: "summary", Add: s.Add, Change: s.Change, Destroy: s.Destroy, Complete: complete,
			Failed: len(r.Failed), NotAttempted: len(r.NotAttempted), Interrupted: r.Stopped, Recorded: r.IndexErr == nil})
		return
	}
	if complete {
		fmt.Fprintln(ev.u.stdout)
		fmt.Fprintln(ev.u.stdout, render.ApplyLine(s))
		return
	}
	fmt.Fprintln(ev.u.stdout)
	fmt.Fprintf(ev.u.stdout, "Apply incomplete: %d added, %d changed, %d destroyed; %d failed, %d not attempted.\n",
		s.Add, s.Change, s.Destroy, len(r.Failed), len(r.NotAttempted))
}
