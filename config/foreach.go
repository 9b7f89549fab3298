package config

import (
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/funcs"
)

// instance is one instance of a bucket or presign block.
type instance struct {
	addr string           // bucket.data, or bucket.tenant["acme"]
	key  cty.Value        // each.key; cty.NilVal without for_each
	ctx  *hcl.EvalContext // the block's context, plus each for a for_each instance
}

// expansion says how a block expanded.
type expansion int

const (
	single      expansion = iota // no for_each: one instance
	keyed                        // for_each with known keys: one instance per key, maybe none
	unknownKeys                  // for_each not known yet (validate): one instance to check, with unknown each.*
	broken                       // for_each is invalid: an error was reported
)

// expand evaluates the for_each argument of a block (nil when there is none) and returns its
// instances. for_each takes a map or a set of strings; each.key is the key (the string for a
// set) and each.value the element.
func (l *loader) expand(kind, name string, attr *hcl.Attribute, ctx *hcl.EvalContext) ([]instance, expansion) {
	base := kind + "." + name
	if attr == nil {
		return []instance{{addr: base, ctx: ctx}}, single
	}
	if keys, ok := l.tosetKeys(attr.Expr, ctx); ok {
		insts := make([]instance, len(keys))
		for i, k := range keys {
			key := cty.StringVal(k)
			each := cty.ObjectVal(map[string]cty.Value{"key": key, "value": key})
			insts[i] = instance{addr: base + "[" + strconv.Quote(k) + "]", key: key, ctx: withEach(ctx, each)}
		}
		return insts, keyed
	}
	v, ok := l.evalExpr(attr.Expr, ctx, useAny)
	if !ok {
		return nil, broken
	}
	rng := attr.Expr.Range()
	marks := l.marksOf(v)
	if marks.Has(markPresign) {
		l.marksAllowed(v, rng, useSetting) // reports the presign error
		return nil, broken
	}
	if marks.Has(markSensitive) {
		l.errorf(rng, "Invalid for_each argument",
			"for_each cannot use sensitive values: its keys become addresses that plans show. Use a value that is not sensitive.")
		return nil, broken
	}
	if marks != nil {
		v, _ = v.UnmarkDeep()
	}
	ty := v.Type()
	switch {
	case v.IsNull():
		l.errorf(rng, "Invalid for_each argument", "for_each is null; give it a map, or a set of strings.")
		return nil, broken
	case ty.IsListType() || ty.IsTupleType():
		l.errorf(rng, "Invalid for_each argument",
			"for_each takes a map or a set of strings, not a list, whose keys would be positions that shift when an element is added. Convert the list with toset(...), like for_each = toset([\"a\", \"b\"]).")
		return nil, broken
	case ty.IsSetType() && !ty.ElementType().Equals(cty.String) && !ty.ElementType().Equals(cty.DynamicPseudoType):
		l.errorf(rng, "Invalid for_each argument",
			"for_each takes a set of strings, and this is a set of %s. Convert the elements to strings, or use a map.", ty.ElementType().FriendlyName())
		return nil, broken
	case !(ty.IsSetType() || ty.IsMapType() || ty.IsObjectType() || ty == cty.DynamicPseudoType):
		l.errorf(rng, "Invalid for_each argument", "for_each takes a map or a set of strings, and this is %s.", ty.FriendlyName())
		return nil, broken
	case !v.IsKnown():
		return unknownInstance(base, ctx), unknownKeys
	}
	// One pass over the elements: iterating a set sorts it, which is slow for large sets.
	insts := make([]instance, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, elem := it.Element()
		if ty.IsSetType() {
			switch {
			case !elem.IsKnown():
				return unknownInstance(base, ctx), unknownKeys
			case elem.IsNull():
				l.errorf(rng, "Invalid for_each argument", "for_each holds a null element; every element of the set must be a string.")
				return nil, broken
			}
			k = elem
		}
		each := cty.ObjectVal(map[string]cty.Value{"key": k, "value": elem})
		insts = append(insts, instance{addr: base + "[" + strconv.Quote(k.AsString()) + "]", key: k, ctx: withEach(ctx, each)})
	}
	return insts, keyed
}

// tosetKeys is a shortcut for the most common for_each, toset(LIST) of known strings: it
// returns the distinct strings of LIST in order, as iterating the set would, without building
// and sorting a cty set, which is slow for large sets. ok is false whenever the expression is
// anything else (another call, a list holding something but known strings, a marked or
// failing argument); then the caller evaluates it the ordinary way.
func (l *loader) tosetKeys(expr hcl.Expression, ctx *hcl.EvalContext) ([]string, bool) {
	call, isCall := expr.(*hclsyntax.FunctionCallExpr)
	if !isCall || call.Name != "toset" || len(call.Args) != 1 || call.ExpandFinal || l.bad[expr] {
		return nil, false
	}
	v, diags := call.Args[0].Value(ctx)
	if diags.HasErrors() || funcs.ContainsMarked(v) || !v.IsKnown() || v.IsNull() || funcs.Measure(v, valueLimits) != nil {
		return nil, false // the general path reports what is wrong
	}
	ty := v.Type()
	if !(ty.IsTupleType() || ty.IsListType()) {
		return nil, false
	}
	keys := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.Type() != cty.String || !e.IsKnown() || e.IsNull() {
			return nil, false
		}
		keys = append(keys, e.AsString())
	}
	sort.Strings(keys)
	return slices.Compact(keys), true
}

// minParallel is the number of instances from which a for_each block is evaluated on several
// goroutines.
const minParallel = 256

// eachInstance calls eval for 0..n-1. Many instances are spread over the processors: an
// instance reads only the values it refers to, which nothing changes while the block is
// evaluated, and everything it reports goes through the loader's lock. When signing is on,
// instances are evaluated in order, since Options.Presign need not be safe for concurrent use.
func (l *loader) eachInstance(n int, signs bool, eval func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minParallel)
	if workers < 2 || signs {
		for i := range n {
			eval(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				eval(i)
			}
		})
	}
	wg.Wait()
}

// unknownInstance is the one instance of a block whose for_each keys are not known yet: its
// arguments are checked with unknown each.key and each.value.
func unknownInstance(base string, ctx *hcl.EvalContext) []instance {
	each := cty.ObjectVal(map[string]cty.Value{"key": cty.UnknownVal(cty.String), "value": cty.DynamicVal})
	return []instance{{addr: base + "[*]", key: cty.UnknownVal(cty.String), ctx: withEach(ctx, each)}}
}

func withEach(ctx *hcl.EvalContext, each cty.Value) *hcl.EvalContext {
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{"each": each}
	return child
}

// instancesValue is the value references see for a block: the object of its only instance, or
// a map of the instances' objects keyed by each.key, or unknown.
func instancesValue(exp expansion, objs []cty.Value, insts []instance, objType cty.Type) cty.Value {
	switch exp {
	case single:
		return objs[0]
	case keyed:
		if len(objs) == 0 {
			return cty.MapValEmpty(objType)
		}
		m := make(map[string]cty.Value, len(objs))
		for i, in := range insts {
			m[in.key.AsString()] = objs[i]
		}
		return cty.MapVal(m)
	}
	return cty.DynamicVal
}
