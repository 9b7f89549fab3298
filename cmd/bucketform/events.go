package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/plan"
)

// applyEvents reports an apply as it happens: as human lines, or with -json as one JSON object
// per line on stdout (types wait, change, refusal, summary, error) for log pipelines.
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

func (ev *applyEvents) emit(obj map[string]any) {
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
		obj := map[string]any{"type": "error", "error": d.Summary}
		if d.Severity == hcl.DiagWarning {
			obj = map[string]any{"type": "warning", "warning": d.Summary}
		}
		if d.Detail != "" {
			obj["detail"] = d.Detail
		}
		if d.Subject != nil {
			obj["file"] = d.Subject.Filename
			obj["line"] = d.Subject.Start.Line
		}
		ev.emit(obj)
	}
}

func (ev *applyEvents) wait(a engine.WaitAttempt) {
	if !ev.json {
		logWait(ev.u, a)
		return
	}
	obj := map[string]any{"type": "wait", "deployment": a.Deployment, "endpoint": a.Endpoint,
		"attempt": a.Attempt, "ready": a.Ready, "elapsed_ms": a.Elapsed.Milliseconds()}
	if a.Err != nil {
		obj["error"] = a.Err.Error()
	}
	if a.Next > 0 {
		obj["next_attempt_ms"] = a.Next.Milliseconds()
	}
	ev.emit(obj)
}

func (ev *applyEvents) lock(ctx context.Context, e *engine.Engine, timeout time.Duration) (func(), <-chan struct{}, bool) {
	unlock, lost, err := e.Lock(ctx, timeout)
	if err != nil {
		ev.fail("%v", err)
		return nil, nil, false
	}
	return unlock, lost, true
}

var pastTense = map[plan.Action]string{plan.Create: "created", plan.Update: "updated", plan.Adopt: "adopted", plan.Delete: "destroyed"}

func (ev *applyEvents) change(r engine.Result) {
	c := r.Change
	if ev.json {
		obj := map[string]any{"type": "change", "address": c.Address, "action": c.Action, "deployment": c.Deployment,
			"bucket": c.Bucket, "status": "ok", "duration_ms": r.Duration.Milliseconds()}
		if r.Err != nil {
			obj["status"] = "error"
			obj["error"] = r.Err.Error()
		}
		ev.emit(obj)
		return
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if r.Err != nil {
		fmt.Fprintf(ev.u.stdout, "%s: %s failed after %s: %v\n", c.Address, c.Action, r.Duration.Round(time.Millisecond), r.Err)
		return
	}
	fmt.Fprintf(ev.u.stdout, "%s: %s after %s\n", c.Address, pastTense[c.Action], r.Duration.Round(time.Millisecond))
}

func (ev *applyEvents) refusal(r plan.Refusal) {
	if ev.json {
		ev.emit(map[string]any{"type": "refusal", "address": r.Address, "deployment": r.Deployment, "bucket": r.Bucket, "reason": r.Reason})
	}
}

func (ev *applyEvents) pending(c plan.Change) {
	if ev.json {
		ev.emit(map[string]any{"type": "change", "address": c.Address, "action": c.Action, "deployment": c.Deployment,
			"bucket": c.Bucket, "status": "pending", "duration_ms": 0})
		return
	}
	fmt.Fprintf(ev.u.stdout, "%s: %s not attempted (an earlier change failed)\n", c.Address, c.Action)
}

func (ev *applyEvents) summary(s plan.Summary, complete bool) {
	if ev.json {
		ev.emit(map[string]any{"type": "summary", "add": s.Add, "change": s.Change, "destroy": s.Destroy, "complete": complete})
		return
	}
	if complete {
		fmt.Fprintln(ev.u.stdout)
		fmt.Fprintln(ev.u.stdout, render.ApplyLine(s))
	}
}
