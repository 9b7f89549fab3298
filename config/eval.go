package config

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/bucketform/bucketform/config/funcs"
)

// valueMark is the type of the cty marks this package puts on values. It is unexported so no
// other package can forge or strip them by accident.
type valueMark string

const (
	// markSensitive is on the values of sensitive variables and on secrets read with env().
	markSensitive valueMark = "sensitive"
	// markPresign is on every value of a presign block: its URL is a bearer credential.
	markPresign valueMark = "presign"
	// markExternal is on values from outside the configuration's text: env(), file(), and
	// variables set in a variable file or the environment. Diagnostics name the expression
	// instead of quoting such a value.
	markExternal valueMark = "external"
)

// marksOf returns the marks of v and of everything in it. When no marked value can reach the
// expression being evaluated (see loader.mayMark) it does not look, since looking walks the
// whole value.
func (l *loader) marksOf(v cty.Value) cty.ValueMarks {
	if !l.mayMark || !funcs.ContainsMarked(v) {
		return nil
	}
	_, marks := v.UnmarkDeep()
	return marks
}

// state says what an evaluated argument holds.
type state int

const (
	absent  state = iota // not written, or null
	failed               // an error was reported, or the expression could not be evaluated
	unknown              // known only later (validate without the environment or a server)
	known                // known, converted and unmarked
)

// use says what an argument is for, which decides the marks its value may carry.
type use int

const (
	// useAny is for locals and outputs: marks flow on.
	useAny use = iota
	// useSetting is for credentials and presign keys: presign values are refused, since they
	// exist only after signing; sensitive values are welcome.
	useSetting
	// useShown is for settings that plans, plan files, logs or outputs show (endpoint,
	// region, stack, a presign's method and expiry, ...): presign and sensitive values are
	// refused.
	useShown
	// useBucket is for bucket arguments, which plans show: presign and sensitive values are
	// refused.
	useBucket
)

// eval evaluates attr (nil when not written) in ctx and converts the value to ty. The value
// returned is unmarked; it is usable when the state is known.
//
// While the instances of a for_each block are evaluated, an argument that does not use each
// is evaluated once for all of them: it has the same value in every instance.
func (l *loader) eval(attr *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type, u use) (cty.Value, state) {
	if attr == nil {
		return cty.NilVal, absent
	}
	if l.invariant != nil && !l.usesEach[attr.Expr] {
		l.mu.Lock()
		c, ok := l.invariant[attr.Expr]
		l.mu.Unlock()
		if ok {
			return c.v, c.st
		}
		// Two instances evaluated concurrently may both get here; both compute the same
		// value, and the diagnostics they report are the same and kept once.
		v, st := l.evalConvert(attr, ctx, ty, u)
		l.mu.Lock()
		l.invariant[attr.Expr] = cached{v, st}
		l.mu.Unlock()
		return v, st
	}
	return l.evalConvert(attr, ctx, ty, u)
}

// cached is the result of eval for an argument of a for_each block that does not use each.
type cached struct {
	v  cty.Value
	st state
}

func (l *loader) evalConvert(attr *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type, u use) (cty.Value, state) {
	v, ok := l.evalExpr(attr.Expr, ctx, u)
	if !ok {
		return cty.DynamicVal, failed
	}
	if l.mayMark && funcs.ContainsMarked(v) {
		v, _ = v.UnmarkDeep()
	}
	return l.convertArg(attr, v, ty)
}

// convertArg converts the unmarked value v of attr to ty (cty.DynamicPseudoType keeps the
// value's own type) and says what it holds.
func (l *loader) convertArg(attr *hcl.Attribute, v cty.Value, ty cty.Type) (cty.Value, state) {
	if v.IsNull() {
		return v, absent
	}
	if ty != cty.DynamicPseudoType && !v.Type().Equals(ty) {
		cv, err := convert.Convert(v, ty)
		if err != nil {
			l.errorf(attr.Expr.Range(), "Incorrect attribute value type",
				"Inappropriate value for attribute %q: %s.", attr.Name, err.Error())
			return cty.DynamicVal, failed
		}
		v = cv
	}
	if !v.IsWhollyKnown() {
		return v, unknown
	}
	return v, known
}

// evalExpr evaluates expr in ctx and checks the marks of the value against u. The value keeps
// its marks. ok is false when an error was reported or the expression was skipped because of
// an invalid reference.
func (l *loader) evalExpr(expr hcl.Expression, ctx *hcl.EvalContext, u use) (cty.Value, bool) {
	if l.bad[expr] {
		return cty.DynamicVal, false
	}
	v, diags := expr.Value(ctx)
	l.add(diags, expr.Range())
	if diags.HasErrors() || !l.checkValue(v, expr.Range()) {
		return cty.DynamicVal, false
	}
	if l.mayMark && funcs.ContainsMarked(v) {
		l.noteMarked(expr.Range(), v)
	}
	if u != useAny && l.mayMark && funcs.ContainsMarked(v) && !l.marksAllowed(v, expr.Range(), u) {
		return cty.DynamicVal, false
	}
	return v, true
}

// marksAllowed reports whether v may be used for u, and reports an error when not.
func (l *loader) marksAllowed(v cty.Value, rng hcl.Range, u use) bool {
	if u == useAny {
		return true
	}
	marks := l.marksOf(v)
	if marks.Has(markPresign) {
		l.errorf(rng, "Invalid reference to a presign block",
			"This value derives from a presign block. Presigned URLs exist only when `bucketform output` signs them, so only locals and outputs may use presign values; remove the reference.")
		return false
	}
	if marks.Has(markSensitive) && u == useBucket {
		l.errorf(rng, "Invalid use of a sensitive value",
			"This value derives from a sensitive variable or from a secret read with env(). Bucket settings are shown in plans, so they cannot hold sensitive values; use a value that is not sensitive.")
		return false
	}
	if marks.Has(markSensitive) && u == useShown {
		l.errorf(rng, "Invalid use of a sensitive value",
			"This value derives from a sensitive variable or from a secret read with env(). This setting is shown in plans, plan files, logs or outputs, so it cannot hold a sensitive value; use a value that is not sensitive (only access_key, secret_key and a presign's key may be sensitive).")
		return false
	}
	return true
}

// staticValue evaluates an argument that may call functions but refer to nothing. Such
// arguments (stack, state_bucket, output descriptions, removed blocks) are shown: sensitive
// values are refused.
func (l *loader) staticValue(attr *hcl.Attribute, ty cty.Type) (cty.Value, state) {
	return l.eval(attr, l.static, ty, useShown)
}

// convertString converts a known, unmarked value to a Go string.
func convertString(v cty.Value) (string, error) {
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", err
	}
	if s.IsNull() || !s.IsKnown() {
		return "", errNotAString
	}
	return s.AsString(), nil
}

var errNotAString = errors.New("value is not a known string")
