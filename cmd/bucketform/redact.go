package main

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// redacted is what a secret is replaced with.
const redacted = "(sensitive)"

// redactor replaces every secret of the loaded configuration with "(sensitive)": the last line
// of defence that keeps secrets out of terminals, logs and plan files whatever printed them. It
// also replaces the forms a secret takes when quoted for Go (%q) or JSON. It is safe for
// concurrent use; secrets can be added while it is in use (once the configuration is loaded).
type redactor struct {
	mu       sync.RWMutex
	secrets  []string // every form of every secret, longest first
	replacer *strings.Replacer
}

// add adds secrets (each of config.MinSecretLength characters or more) to those replaced.
func (r *redactor) add(secrets []string) {
	if len(secrets) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		for _, form := range secretForms(s) {
			if !slices.Contains(r.secrets, form) {
				r.secrets = append(r.secrets, form)
			}
		}
	}
	// Longest first, so that a secret that contains another is replaced whole.
	slices.SortFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, redacted)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// secretForms returns s and the forms it takes inside a Go-quoted or JSON string.
func secretForms(s string) []string {
	forms := []string{s}
	q := strconv.Quote(s)
	forms = append(forms, q[1:len(q)-1])
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(s) == nil {
			j := strings.TrimSuffix(b.String(), "\n")
			forms = append(forms, j[1:len(j)-1])
		}
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// redact returns b with every secret replaced.
func (r *redactor) redact(b []byte) []byte {
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil {
		return b
	}
	return []byte(rep.Replace(string(b)))
}

// partialSuffix returns the length of the longest end of b that begins some secret without
// being all of it: those bytes must wait for the next write, which may complete the secret.
func (r *redactor) partialSuffix(b []byte) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	longest := 0
	for _, s := range r.secrets {
		for n := min(len(s)-1, len(b)); n > longest; n-- {
			if bytes.HasSuffix(b, []byte(s[:n])) {
				longest = n
				break
			}
		}
	}
	return longest
}

// redactingWriter writes to w through a redactor. A write that ends with what may be the start
// of a secret keeps that end back until the next write or Flush, so that a secret split across
// two writes is replaced too.
type redactingWriter struct {
	w       io.Writer
	r       *redactor
	mu      sync.Mutex
	pending []byte
}

// Write implements io.Writer.
func (rw *redactingWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	buf := append(rw.pending, p...)
	rw.pending = nil
	out := rw.r.redact(buf)
	if keep := rw.r.partialSuffix(out); keep > 0 {
		rw.pending = append([]byte(nil), out[len(out)-keep:]...)
		out = out[:len(out)-keep]
	}
	if len(out) > 0 {
		if _, err := rw.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes what is kept back.
func (rw *redactingWriter) Flush() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.pending) == 0 {
		return nil
	}
	_, err := rw.w.Write(rw.pending)
	rw.pending = nil
	return err
}
