package config

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics renders diags for humans with HCL's diagnostic writer, each as
//
//	Error: <summary>
//
//	  on <file> line <N>:
//	     <N>: <the source lines of the subject>
//
//	<detail>
//
// ("Warning:" for warnings). A diagnostic without a subject has no "on" and source lines.
// The source of a variable file (a .bfvars file, or one files holds without its bytes) is
// never shown, since such files hold secrets; nor are values from the evaluation context.
// Control characters and invalid UTF-8 from the input are escaped (see EscapeControls), so a
// configuration cannot move the cursor or rewrite the terminal's title.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) {
	shown := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		if f != nil && f.Bytes != nil && !isVarFile(name) {
			// Without Nav the writer adds no ", in BLOCK" to the "on FILE line N:" line.
			shown[name] = &hcl.File{Bytes: f.Bytes}
		}
	}
	var b bytes.Buffer
	tw := hcl.NewDiagnosticTextWriter(&b, shown, 0, false)
	for _, d := range diags {
		c := *d
		c.Expression, c.EvalContext = nil, nil // the writer would print the values of variables
		start := b.Len()
		_ = tw.WriteDiagnostic(&c) // writes to a buffer: cannot fail
		if c.Subject != nil && files[c.Subject.Filename] != nil && shown[c.Subject.Filename] == nil {
			text := bytes.Replace(b.Bytes()[start:], []byte(sourceUnavailable), []byte(sourceHidden), 1)
			b.Truncate(start)
			b.Write(text)
		}
	}
	_, _ = w.Write(EscapeControls(b.Bytes())) // the caller's writer is a terminal or a buffer: nothing to do on failure
}

// What HCL's writer says for a file it has no source of, and what is said instead for a
// variable file.
const (
	sourceUnavailable = "  (source code not available)\n"
	sourceHidden      = "  (source not shown: variable files hold secrets)\n"
)

// isVarFile reports whether name is a variable file by its name.
func isVarFile(name string) bool { return strings.HasSuffix(name, ".bfvars") }

// EscapeControls returns b with every control character but newline and tab, every Unicode
// bidirectional control (which can make text read differently than it is) and every byte of
// invalid UTF-8 escaped as Go escapes them (\x1b, \r, \u202e), so that text from input
// cannot act on a terminal.
func EscapeControls(b []byte) []byte {
	clean := true
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if mustEscape(r, size) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, b[i])
		case mustEscape(r, size):
			q := strconv.QuoteRuneToASCII(r)
			out = append(out, q[1:len(q)-1]...)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

func mustEscape(r rune, size int) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r == utf8.RuneError && size == 1:
		return true
	case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c:
		return true
	}
	return false
}

// errorCount is the number of diagnostics recorded so far.
func (l *loader) errorCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.diags)
}

// errorf records an error about rng.
func (l *loader) errorf(rng hcl.Range, summary, detail string, args ...any) {
	l.report(hcl.DiagError, rng, summary, detail, args...)
}

// warnf records a warning about rng.
func (l *loader) warnf(rng hcl.Range, summary, detail string, args ...any) {
	l.report(hcl.DiagWarning, rng, summary, detail, args...)
}

func (l *loader) report(sev hcl.DiagnosticSeverity, rng hcl.Range, summary, detail string, args ...any) {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	r := rng
	l.mu.Lock()
	defer l.mu.Unlock()
	l.diags = append(l.diags, &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: &r})
}

// add records diagnostics produced by HCL or cty. They lose their expression and evaluation
// context, which could carry values (secrets) to a renderer; one without a subject gets
// fallback as its subject.
func (l *loader) add(diags hcl.Diagnostics, fallback hcl.Range) {
	if len(diags) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range diags {
		c := *d
		c.Expression, c.EvalContext = nil, nil
		if c.Subject == nil {
			r := fallback
			c.Subject = &r
		}
		l.diags = append(l.diags, &c)
	}
}

// finishDiagnostics drops repeated diagnostics (a for_each block reports the same problem once
// per instance) and orders the rest by file and position.
func (l *loader) finishDiagnostics() hcl.Diagnostics {
	l.scrub(l.diags)
	fileIndex := map[string]int{}
	for i, name := range l.fileOrder {
		fileIndex[name] = i
	}
	type keyed struct {
		d    *hcl.Diagnostic
		file int
	}
	seen := map[string]bool{}
	var out []keyed
	for _, d := range l.diags {
		k := fmt.Sprintf("%d\x00%s\x00%s", d.Severity, d.Summary, d.Detail)
		file := -1
		if d.Subject != nil {
			k += fmt.Sprintf("\x00%s\x00%d\x00%d", d.Subject.Filename, d.Subject.Start.Byte, d.Subject.End.Byte)
			if i, ok := fileIndex[d.Subject.Filename]; ok {
				file = i
			} else {
				file = len(fileIndex)
			}
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, keyed{d, file})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.file != b.file {
			return a.file < b.file
		}
		if a.file == len(fileIndex) && a.d.Subject.Filename != b.d.Subject.Filename {
			return a.d.Subject.Filename < b.d.Subject.Filename
		}
		if a.d.Subject != nil && b.d.Subject != nil && a.d.Subject.Start.Byte != b.d.Subject.Start.Byte {
			return a.d.Subject.Start.Byte < b.d.Subject.Start.Byte
		}
		// Instances of a for_each block are evaluated concurrently: order what shares a
		// position by its text, so the output is the same on every run.
		if a.d.Summary != b.d.Summary {
			return a.d.Summary < b.d.Summary
		}
		return a.d.Detail < b.d.Detail
	})
	diags := make(hcl.Diagnostics, len(out))
	for i, k := range out {
		diags[i] = k.d
	}
	return diags
}

// at renders where a range starts, for details that point at another place: "main.hcl:12".
func at(r hcl.Range) string {
	return fmt.Sprintf("%s:%d", r.Filename, r.Start.Line)
}

// didYouMean returns ` Did you mean "x"?` for the candidate closest to name, or "".
func didYouMean(name string, candidates []string) string {
	best, bestDist := "", 3 // suggest only close names
	for _, c := range candidates {
		if d := levenshtein.Distance(name, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// quotedList renders names as `"a", "b"`.
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
