package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bucketform/bucketform/engine"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestProgress(terminal, stdoutTerminal bool) (*progressLine, *bytes.Buffer, *fakeClock) {
	var w bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := &progressLine{w: &w, enabled: terminal, above: stdoutTerminal, now: clock.now, start: clock.now()}
	return p, &w, clock
}

func TestProgressLineWaitsThenShowsNofM(t *testing.T) {
	p, w, clock := newTestProgress(true, true)
	p.update(engine.Progress{Phase: "refresh", Done: 1, Total: 10})
	clock.advance(time.Second)
	p.update(engine.Progress{Phase: "refresh", Done: 2, Total: 10})
	if w.Len() != 0 {
		t.Fatalf("shown before %s: %q", progressDelay, w.String())
	}
	clock.advance(time.Second)
	p.update(engine.Progress{Phase: "refresh", Done: 3, Total: 10})
	if !strings.HasSuffix(w.String(), "Reading buckets: 3 of 10") {
		t.Fatalf("after %s: %q", progressDelay, w.String())
	}
	// Redrawn at most every progressInterval.
	before := w.Len()
	p.update(engine.Progress{Phase: "refresh", Done: 4, Total: 10})
	if w.Len() != before {
		t.Fatalf("redrawn within %s: %q", progressInterval, w.String())
	}
	clock.advance(progressInterval)
	p.update(engine.Progress{Phase: "refresh", Done: 5, Total: 10})
	if !strings.HasSuffix(w.String(), "\r\x1b[KReading buckets: 5 of 10") {
		t.Fatalf("not redrawn after %s: %q", progressInterval, w.String())
	}
	p.clear()
	if !strings.HasSuffix(w.String(), "\r\x1b[K") {
		t.Fatalf("not cleared: %q", w.String())
	}
}

func TestProgressLineStaysBelowPrintedLines(t *testing.T) {
	p, w, clock := newTestProgress(true, true)
	clock.advance(3 * time.Second)
	p.update(engine.Progress{Phase: "apply", Done: 7, Total: 9})
	w.Reset()
	p.print(func() { w.WriteString("bucket.a: created after 10ms\n") })
	if got, want := w.String(), "\r\x1b[Kbucket.a: created after 10ms\n\r\x1b[KApplying changes: 7 of 9"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestProgressLineOnlyOnATerminal(t *testing.T) {
	p, w, clock := newTestProgress(false, false)
	clock.advance(time.Minute)
	p.update(engine.Progress{Phase: "apply", Done: 1, Total: 2})
	p.print(func() {})
	p.clear()
	if w.Len() != 0 {
		t.Fatalf("a progress line without a terminal: %q", w.String())
	}
}
