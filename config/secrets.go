package config

import (
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// MinSecretLength is the length from which Secrets reports a secret. Shorter strings are too
// likely to occur in ordinary text for replacing them everywhere to be of use.
const MinSecretLength = 8

// Secrets returns every secret the loaded configuration knows, each of MinSecretLength
// characters or more, so that the caller can keep them out of everything it prints or writes:
// the secret keys of minio and signing_endpoint blocks (MINIO_SECRET_KEY when it is used), the
// values of sensitive variables, and every string that carried the sensitive mark during
// evaluation (secrets read with env(), and whatever was computed from a sensitive value).
// Access keys are identities, not secrets: they are not in it unless they are also secret
// values. It is valid after Load, also when Load reported errors.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s string) {
		if len(s) >= MinSecretLength && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, d := range c.Deployments {
		add(d.Creds.SecretKey)
	}
	for _, se := range c.SigningEndpoints {
		add(se.Creds.SecretKey)
	}
	for _, s := range c.secrets {
		add(s)
	}
	slices.Sort(out)
	return out
}

// addSecret records s as a secret (see Config.Secrets).
func (l *loader) addSecret(s string) {
	if len(s) < MinSecretLength {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secretSet == nil {
		l.secretSet = map[string]bool{}
	}
	if !l.secretSet[s] {
		l.secretSet[s] = true
		l.cfg.secrets = append(l.cfg.secrets, s)
	}
}

// noteMarked records what a marked value v of the expression at r means for diagnostics and for Secrets: its
// strings under a sensitive mark are secrets, and when any part of it is sensitive or came
// from outside the configuration's text (env(), file(), a variable file, the environment),
// diagnostics about the expression must not quote it.
func (l *loader) noteMarked(r hcl.Range, v cty.Value) {
	// A mark on a collection covers everything in it (cty keeps the marks of set elements on
	// the set), so flags pass down.
	type item struct {
		v                   cty.Value
		sensitive, external bool
	}
	var quoted []string
	tainted := false
	stack := []item{{v, false, false}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		v, marks := it.v.Unmark()
		sensitive := it.sensitive || marks.Has(markSensitive)
		external := it.external || marks.Has(markExternal)
		tainted = tainted || sensitive || external
		if !v.IsKnown() || v.IsNull() {
			continue
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			if sensitive {
				l.addSecret(v.AsString())
			}
			if sensitive || external {
				quoted = append(quoted, v.AsString())
			}
		case ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType():
			for e := v.ElementIterator(); e.Next(); {
				k, ev := e.Element()
				if ty.IsMapType() && (sensitive || external) {
					quoted = append(quoted, k.AsString())
				}
				stack = append(stack, item{ev, sensitive, external})
			}
		}
	}
	if !tainted {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tainted == nil {
		l.tainted = map[hcl.Range][]string{}
	}
	// Instances of a for_each block share their expressions: keep a bounded number of values
	// per expression.
	for _, q := range quoted {
		if len(l.tainted[r]) >= 1000 {
			break
		}
		if !slices.Contains(l.tainted[r], q) {
			l.tainted[r] = append(l.tainted[r], q)
		}
	}
	if l.tainted[r] == nil {
		l.tainted[r] = []string{}
	}
}

// scrub rewrites diagnostics about tainted expressions (see noteMarked) so that they name the
// expression instead of quoting its value.
func (l *loader) scrub(diags []*hcl.Diagnostic) {
	if len(l.tainted) == 0 {
		return
	}
	for _, d := range diags {
		if d.Subject == nil {
			continue
		}
		for r, values := range l.tainted {
			if r.Filename != d.Subject.Filename || d.Subject.Start.Byte < r.Start.Byte || d.Subject.End.Byte > r.End.Byte {
				continue
			}
			name := "(the value of " + l.exprText(r) + ")"
			// Longest first, so that a value that contains another is replaced whole.
			values = slices.Clone(values)
			slices.SortFunc(values, func(a, b string) int { return len(b) - len(a) })
			for _, v := range values {
				if v == "" {
					continue
				}
				d.Summary = strings.ReplaceAll(d.Summary, strconv.Quote(v), name)
				d.Detail = strings.ReplaceAll(d.Detail, strconv.Quote(v), name)
				// Unquoted, only in details: summaries are bucketform's own words (a short
				// value like "short" would otherwise rewrite "Secret key too short").
				if len(v) >= 4 {
					d.Detail = strings.ReplaceAll(d.Detail, v, name)
				}
			}
		}
	}
}

// exprText is the source text of the expression at r, on one line and at most 80 characters,
// for details that name an expression: `env("REGION")`.
func (l *loader) exprText(r hcl.Range) string {
	f := l.cfg.Files[r.Filename]
	if f == nil || f.Bytes == nil || r.Start.Byte < 0 || r.End.Byte > len(f.Bytes) || r.Start.Byte >= r.End.Byte {
		return "the expression at " + at(r)
	}
	text := strings.Join(strings.Fields(string(f.Bytes[r.Start.Byte:r.End.Byte])), " ")
	if len(text) > 80 {
		text = text[:77] + "..."
	}
	return text
}

// noteSecretEnv records the environment variables f reads as a secret_key, with env("NAME")
// anywhere in a secret_key argument of any block. It runs on the syntax before anything is
// evaluated, so that env() marks those values sensitive wherever the configuration uses them
// (a tag, an output), whatever their names look like: a secret's variable is a secret.
func (l *loader) noteSecretEnv(f *hcl.File) {
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return
	}
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		attr, ok := n.(*hclsyntax.Attribute)
		if !ok || attr.Name != "secret_key" {
			return nil
		}
		_ = hclsyntax.VisitAll(attr.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
			call, ok := n.(*hclsyntax.FunctionCallExpr)
			if !ok || call.Name != "env" || len(call.Args) == 0 {
				return nil
			}
			if v, diags := call.Args[0].Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				l.mu.Lock()
				if l.secretEnv == nil {
					l.secretEnv = map[string]bool{}
				}
				l.secretEnv[v.AsString()] = true
				l.mu.Unlock()
			}
			return nil
		})
		return nil
	})
}
