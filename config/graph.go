package config

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// node is one referenceable thing (var.x, local.y, minio.z, signing_endpoint.p, bucket.b,
// presign.u, output.o, policy.p, user.u, group.g, service_account.s) in the dependency graph. Its value is what references to it see.
type node struct {
	addr  string    // "local.prefix"
	rng   hcl.Range // where it is declared, for cycle diagnostics
	seq   int       // declaration order
	deps  []*node
	refs  []hcl.Traversal // the valid references of its expressions, to build its context
	eval  func(ctx *hcl.EvalContext)
	value cty.Value

	// marks is set when the node's own value is marked (a sensitive variable or output, a
	// presign block). callsEnv is set when one of its expressions calls env(), which marks
	// secrets. mayMark, computed before the node is evaluated, says whether a marked value can
	// reach its expressions: through callsEnv or a dependency that marks or may be marked.
	marks, callsEnv, mayMark bool

	// Tarjan's strongly connected components.
	index, low       int
	visited, onStack bool
}

// refRoots are the first names a reference may start with, besides each.
var refRoots = []string{"var", "local", "minio", "signing_endpoint", "bucket", "presign", "output",
	KindPolicy, KindUser, KindGroup, KindServiceAccount}

// newNode registers a node for addr, declared at rng. It returns nil, after reporting the
// duplicate, when addr was declared before.
func (l *loader) newNode(addr string, rng hcl.Range, duplicateSummary string) *node {
	if prev := l.nodes[addr]; prev != nil {
		l.errorf(rng, duplicateSummary, "%s was already declared at %s. Names must be unique per block type; rename or remove one of them.", addr, at(prev.rng))
		return nil
	}
	n := &node{addr: addr, rng: rng, seq: len(l.order), value: cty.DynamicVal}
	l.nodes[addr] = n
	l.order = append(l.order, n)
	return n
}

// scope says which references an expression may make.
type scope struct {
	each      bool // each.key and each.value (a block with for_each)
	noPresign bool // presign blocks may not be referred to
	iam       bool // an IAM block: presign, signing_endpoint and output blocks may not be referred to
}

// refs checks the references of expr, made from node n, and records them as dependencies of n.
// An expression with an invalid reference is never evaluated, so it reports nothing more.
func (l *loader) refs(n *node, expr hcl.Expression, sc scope) {
	if expr == nil {
		return
	}
	ok := true
	for _, t := range expr.Variables() {
		if !l.ref(n, t, sc) {
			ok = false
		}
		if t.RootName() == "each" {
			l.usesEach[expr] = true
		}
	}
	if !n.callsEnv {
		n.callsEnv = l.callsEnv(expr)
	}
	if !ok {
		l.bad[expr] = true
	}
}

// callsEnv reports whether expr may call env() or file(), which mark their values: whether its
// source text holds "env" or "file". That is quick and errs only on the safe side.
func (l *loader) callsEnv(expr hcl.Expression) bool {
	r := expr.Range()
	f := l.cfg.Files[r.Filename]
	if f == nil || r.Start.Byte < 0 || r.End.Byte > len(f.Bytes) || r.Start.Byte > r.End.Byte {
		return true
	}
	src := f.Bytes[r.Start.Byte:r.End.Byte]
	return bytes.Contains(src, []byte("env")) || bytes.Contains(src, []byte("file"))
}

func (l *loader) ref(n *node, t hcl.Traversal, sc scope) bool {
	root := t.RootName()
	rng := t.SourceRange()
	if root == "each" {
		if !sc.each {
			l.errorf(rng, `Invalid "each" reference`,
				"each.key and each.value exist only in a block that sets for_each, and not in the for_each argument itself.")
			return false
		}
		if len(t) < 2 {
			l.errorf(rng, `Invalid "each" reference`, "Use each.key or each.value.")
			return false
		}
		if a, isAttr := t[1].(hcl.TraverseAttr); !isAttr || (a.Name != "key" && a.Name != "value") {
			l.errorf(rng, `Invalid "each" reference`, "Only each.key and each.value exist; use one of them.")
			return false
		}
		return true
	}
	known := false
	for _, r := range refRoots {
		if r == root {
			known = true
		}
	}
	if !known && root == "filename" {
		l.errorf(rng, "Invalid reference",
			"${filename} in a string is an HCL template reference. For the file name a browser fills in on a POST upload, write $${filename} — or better, set key_prefix and leave the name out: the form's key field is the prefix followed by ${filename}.")
		return false
	}
	if !known {
		l.errorf(rng, "Invalid reference",
			"%q is not something a reference can start with. References look like var.NAME, local.NAME, minio.NAME, signing_endpoint.NAME, bucket.NAME, presign.NAME, output.NAME, policy.NAME, user.NAME, group.NAME, service_account.NAME or each.key.%s",
			root, didYouMean(root, append([]string{"each"}, refRoots...)))
		return false
	}
	var name string
	if len(t) >= 2 {
		if a, isAttr := t[1].(hcl.TraverseAttr); isAttr {
			name = a.Name
		}
	}
	if name == "" {
		l.errorf(rng, "Invalid reference", "A reference to a %s names it, like %s.NAME.", root, root)
		return false
	}
	target := l.nodes[root+"."+name]
	if target == nil {
		l.undeclared(root, name, rng)
		return false
	}
	if sc.iam && (root == "presign" || root == "signing_endpoint" || root == "output") {
		l.errorf(rng, "Invalid reference from an IAM block",
			"Policies, users, groups and service accounts may refer to buckets, other policies and identities, variables and locals, never to %s block: references run presign → signing_endpoint → identity → policy → bucket, never back. Remove the reference.", map[string]string{"presign": "a presign", "signing_endpoint": "a signing_endpoint", "output": "an output"}[root])
		return false
	}
	if root == "presign" && sc.noPresign {
		l.errorf(rng, "Invalid reference to a presign block",
			"Presigned URLs exist only when `bucketform output` signs them, so only locals and outputs may refer to presign blocks; remove the reference.")
		return false
	}
	n.deps = append(n.deps, target)
	n.refs = append(n.refs, t)
	return true
}

// undeclared reports a reference to something not declared, with the closest declared name.
func (l *loader) undeclared(root, name string, rng hcl.Range) {
	var names []string
	for addr := range l.nodes {
		if rest, ok := strings.CutPrefix(addr, root+"."); ok {
			names = append(names, rest)
		}
	}
	sort.Strings(names)
	hint := didYouMean(name, names)
	switch root {
	case "var":
		l.errorf(rng, "Reference to undeclared input variable",
			"There is no variable %q. Declare it with a variable %q block, or fix the name.%s", name, name, hint)
	case "local":
		l.errorf(rng, "Reference to undeclared local value",
			"There is no local value %q in any locals block. Define it in a locals block, or fix the name.%s", name, hint)
	case "output":
		l.errorf(rng, "Reference to undeclared output value",
			"There is no output %q. Declare it with an output %q block, or fix the name.%s", name, name, hint)
	default:
		declared := "none is declared"
		if len(names) > 0 {
			declared = "declared: " + strings.Join(names, ", ")
		}
		l.errorf(rng, fmt.Sprintf("Reference to undeclared %s block", root),
			"There is no %s %q block (%s). Declare it, or fix the name.%s", root, name, declared, hint)
	}
}

// contextFor builds the evaluation context of node n from the references it makes: each
// namespace holds only the values n refers to, so building it costs what n refers to, never
// the size of the whole configuration.
func (l *loader) contextFor(n *node) *hcl.EvalContext {
	var ns map[string]map[string]cty.Value
	for _, t := range n.refs {
		root := t.RootName()
		if root == "each" {
			continue
		}
		name := t[1].(hcl.TraverseAttr).Name
		if ns == nil {
			ns = map[string]map[string]cty.Value{}
		}
		if ns[root] == nil {
			ns[root] = map[string]cty.Value{}
		}
		ns[root][name] = l.nodes[root+"."+name].value
	}
	if ns == nil {
		return l.static
	}
	vars := make(map[string]cty.Value, len(ns))
	for root, vals := range ns {
		vars[root] = cty.ObjectVal(vals)
	}
	return &hcl.EvalContext{Variables: vars, Functions: l.funcs}
}

// evaluate evaluates every node after the nodes it depends on. A cycle is reported once,
// naming every node in it; its nodes and whatever depends on them stay unknown.
func (l *loader) evaluate() {
	defer func() { l.mayMark = true }()
	for _, scc := range l.components() {
		if len(scc) == 1 && !dependsOn(scc[0], scc[0]) {
			n := scc[0]
			if n.eval == nil {
				continue
			}
			n.mayMark = n.callsEnv
			for _, d := range n.deps {
				n.mayMark = n.mayMark || d.marks || d.mayMark
			}
			l.mayMark = n.mayMark
			n.eval(l.contextFor(n))
			continue
		}
		sort.Slice(scc, func(i, j int) bool { return scc[i].seq < scc[j].seq })
		addrs := make([]string, len(scc))
		for i, n := range scc {
			addrs[i] = n.addr
			n.value = cty.DynamicVal
			n.mayMark = true
		}
		detail := "%s refers to itself. A value cannot depend on itself; remove the reference."
		if len(scc) > 1 {
			detail = "These refer to each other in a cycle: %s. A value cannot depend on itself; remove one of the references."
		}
		l.errorf(scc[0].rng, "Cycle in references", detail, strings.Join(addrs, ", "))
	}
}

func dependsOn(n, target *node) bool {
	for _, d := range n.deps {
		if d == target {
			return true
		}
	}
	return false
}

// components returns the strongly connected components of the graph (Tarjan's algorithm),
// each after the components it depends on.
func (l *loader) components() [][]*node {
	var (
		index int
		stack []*node
		out   [][]*node
		visit func(v *node)
	)
	visit = func(v *node) {
		v.index, v.low, v.visited = index, index, true
		index++
		stack = append(stack, v)
		v.onStack = true
		for _, w := range v.deps {
			if !w.visited {
				visit(w)
				v.low = min(v.low, w.low)
			} else if w.onStack {
				v.low = min(v.low, w.index)
			}
		}
		if v.low == v.index {
			var scc []*node
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				w.onStack = false
				scc = append(scc, w)
				if w == v {
					break
				}
			}
			out = append(out, scc)
		}
	}
	for _, n := range l.order {
		if !n.visited {
			visit(n)
		}
	}
	return out
}
