package config

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics renders diags for humans, each as
//
//	Error: <summary>
//
//	  on <file> line <N>:
//	  <N>: <the source line>
//
//	<detail>
//
// ("Warning:" for warnings). A diagnostic without a subject has no "on" and source lines; the
// source line is left out when files does not hold the subject's file.
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics) {
	var b bytes.Buffer
	for _, d := range diags {
		severity := "Error"
		if d.Severity == hcl.DiagWarning {
			severity = "Warning"
		}
		fmt.Fprintf(&b, "%s: %s\n\n", severity, d.Summary)
		if d.Subject != nil {
			fmt.Fprintf(&b, "  on %s line %d:\n", d.Subject.Filename, d.Subject.Start.Line)
			if line, ok := sourceLine(files, *d.Subject); ok {
				fmt.Fprintf(&b, "  %d: %s\n", d.Subject.Start.Line, line)
			}
			b.WriteString("\n")
		}
		if d.Detail != "" {
			b.WriteString(d.Detail)
			b.WriteString("\n\n")
		}
	}
	_, _ = w.Write(b.Bytes()) // the caller's writer is a terminal or a buffer: nothing to do on failure
}

// sourceLine returns the line of files[r.Filename] that r starts on, trimmed of trailing space.
func sourceLine(files map[string]*hcl.File, r hcl.Range) (string, bool) {
	f := files[r.Filename]
	if f == nil || r.Start.Line < 1 {
		return "", false
	}
	src := f.Bytes
	start := -1
	if b := r.Start.Byte; (b > 0 || r.Start.Line == 1) && b <= len(src) {
		start = bytes.LastIndexByte(src[:b], '\n') + 1
	} else {
		// The range has no byte offset (or a wrong one): count lines.
		start = 0
		for line := 1; line < r.Start.Line; line++ {
			i := bytes.IndexByte(src[start:], '\n')
			if i < 0 {
				return "", false
			}
			start += i + 1
		}
	}
	end := bytes.IndexByte(src[start:], '\n')
	if end < 0 {
		end = len(src) - start
	}
	return strings.TrimRight(string(src[start:start+end]), " \t\r"), true
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
		if d := levenshtein(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// levenshtein is the edit distance between a and b, counted in bytes.
func levenshtein(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return len(a) + len(b) // names that long are never typos of each other worth a hint
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quotedList renders names as `"a", "b"`.
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
