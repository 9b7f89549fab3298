package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
)

// ui holds the streams of one run and writes what users read. stdout and stderr go through
// secrets, which replaces every secret of the loaded configuration with "(sensitive)"; only
// what the user asked for by name (output -json, output -raw) goes to rawStdout.
type ui struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	rawStdout io.Writer
	secrets   *redactor
	color     bool // colour the human output (stdout is a terminal and -no-color was not given)
	// stdoutTTY and stderrTTY say whether the streams are terminals.
	stdoutTTY, stderrTTY bool
	// json, when set (apply -json), receives every error and configuration diagnostic instead
	// of stderr, so that stdout stays one JSON object per line.
	json *applyEvents
}

func newUI(stdin io.Reader, stdout, stderr io.Writer) *ui {
	secrets := &redactor{}
	u := &ui{stdin: stdin, rawStdout: stdout, secrets: secrets,
		stdout:    &redactingWriter{w: stdout, r: secrets},
		stderr:    &redactingWriter{w: stderr, r: secrets},
		stdoutTTY: isTerminal(stdout), stderrTTY: isTerminal(stderr)}
	u.color = u.stdoutTTY && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	return u
}

// flush writes what the redacting writers kept back (the start of what may be a secret).
func (u *ui) flush() {
	for _, w := range []io.Writer{u.stdout, u.stderr} {
		if rw, ok := w.(*redactingWriter); ok {
			_ = rw.Flush() // a terminal or a pipe: nothing to do on failure
		}
	}
}

// addSecrets makes the secrets of cfg unprintable on stdout and stderr from now on.
func (u *ui) addSecrets(cfg *config.Config) {
	if cfg != nil {
		u.secrets.add(cfg.Secrets())
	}
}

// errorf prints "Error: <summary>" on stderr (with apply -json: an error line on stdout).
// Control characters are escaped: the message may quote input.
func (u *ui) errorf(format string, args ...any) {
	msg := string(config.EscapeControls([]byte(fmt.Sprintf(format, args...))))
	if u.json != nil {
		u.json.emit(render.DiagnosticEvent{Type: "error", Error: msg})
		return
	}
	fmt.Fprintf(u.stderr, "Error: %s\n", msg)
}

// hint prints an indented explanation under an error.
func (u *ui) hint(text string) {
	if u.json != nil {
		return // a JSON log carries the error line only; stderr stays empty (kubectl logs mixes the two)
	}
	fmt.Fprintf(u.stderr, "\n%s\n", joinLines("  ", string(config.EscapeControls([]byte(text)))))
}

// diagnostics prints configuration diagnostics with file, line and source.
func (u *ui) diagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) {
	if u.json != nil {
		u.json.diagnostics(diags)
		return
	}
	if len(diags) > 0 {
		config.WriteDiagnostics(u.stderr, files, diags)
	}
}

// isTerminal reports whether v is an interactive terminal. /dev/null is a character device
// but no terminal: `apply </dev/null` must refuse instead of prompting.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks for "yes" on stdin; it refuses at once when stdin is not a terminal, so a Job
// without -auto-approve fails instead of hanging.
func (u *ui) confirm(question string) (bool, error) {
	if !isTerminal(u.stdin) {
		return false, fmt.Errorf("apply needs confirmation, and stdin is not a terminal")
	}
	fmt.Fprintf(u.stdout, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter \"yes\" to apply: ", question)
	u.flush()
	line, err := bufio.NewReader(u.stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	fmt.Fprintln(u.stdout)
	return strings.TrimSpace(line) == "yes", nil
}

// progressLine shows "Reading buckets: N of M" or "Applying changes: N of M" on stderr while a
// refresh or an apply runs, once it has taken longer than progressDelay, and only when stderr
// is a terminal: logs, pipes and CI never see it. It is redrawn at most every
// progressInterval. Lines printed while it shows (an apply's line per change) go above it.
type progressLine struct {
	w       io.Writer
	enabled bool // stderr is a terminal
	above   bool // stdout is the terminal too: clear the line before printing on stdout
	now     func() time.Time
	start   time.Time

	mu    sync.Mutex
	last  engine.Progress
	text  string    // the line on the screen, "" when none
	drawn time.Time // when it was drawn
}

// The progress line's timing: shown after progressDelay, redrawn at most every
// progressInterval.
const (
	progressDelay    = 2 * time.Second
	progressInterval = 100 * time.Millisecond
)

func newProgressLine(u *ui) *progressLine {
	return &progressLine{w: u.stderr, enabled: u.stderrTTY, above: u.stdoutTTY, now: time.Now, start: time.Now()}
}

// update is the engine's progress callback.
func (p *progressLine) update(pr engine.Progress) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = pr
	now := p.now()
	if now.Sub(p.start) < progressDelay || (p.text != "" && now.Sub(p.drawn) < progressInterval) {
		return
	}
	p.draw(now)
}

func (p *progressLine) draw(now time.Time) {
	verb := "Reading buckets"
	if p.last.Phase == "apply" {
		verb = "Applying changes"
	}
	p.text = fmt.Sprintf("%s: %d of %d", verb, p.last.Done, p.last.Total)
	p.drawn = now
	fmt.Fprintf(p.w, "\r\x1b[K%s", p.text)
}

// print runs f, which prints a line on stdout, with the progress line cleared first and drawn
// again after when both share the terminal.
func (p *progressLine) print(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.text == "" || !p.above {
		f()
		return
	}
	fmt.Fprint(p.w, "\r\x1b[K")
	f()
	p.draw(p.now())
}

// clear ends the progress line so the next output starts on a fresh line.
func (p *progressLine) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.text != "" {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.text = ""
	}
}
