package config

import (
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "bucketform"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "minio", LabelNames: []string{"name"}},
		{Type: "signing_endpoint", LabelNames: []string{"name"}},
		{Type: "bucket", LabelNames: []string{"name"}},
		{Type: "removed"},
		{Type: "presign", LabelNames: []string{"name"}},
		{Type: KindPolicy, LabelNames: []string{"name"}},
		{Type: KindUser, LabelNames: []string{"name"}},
		{Type: KindGroup, LabelNames: []string{"name"}},
		{Type: KindServiceAccount, LabelNames: []string{"name"}},
		{Type: "output", LabelNames: []string{"name"}},
	},
}

var bucketformSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "stack", Required: true}, {Name: "state_bucket"}},
}

// stackPattern is what a stack name may be: it is stored on the server in tags and object keys.
var stackPattern = regexp.MustCompile(`^[a-z0-9_-]{1,63}$`)

// decodeFile sorts the top-level blocks of one file into declarations.
func (l *loader) decodeFile(f *hcl.File) {
	content, diags := f.Body.Content(rootSchema)
	l.add(diags, f.Body.MissingItemRange())
	for _, b := range content.Blocks {
		switch b.Type {
		case "bucketform":
			l.decodeBucketform(b)
		case "variable":
			l.decodeVariable(b)
		case "locals":
			l.decodeLocals(b)
		case "minio":
			l.decodeMinio(b)
		case "signing_endpoint":
			l.decodeSigner(b)
		case "bucket":
			l.decodeBucket(b)
		case "removed":
			l.decodeRemoved(b)
		case "presign":
			l.decodePresign(b)
		case "output":
			l.decodeOutput(b)
		case KindPolicy, KindUser, KindGroup, KindServiceAccount:
			l.decodeIAM(b)
		}
	}
}

// openBlock starts the decoding of a labelled block (bucket "data" { ... }): it decodes the
// body against schema, checks that the label is an identifier and declares the block's node
// as PREFIX.LABEL (var.NAME for a variable block). It returns a nil node, after reporting why,
// when the label is invalid or the address is already declared; the body's errors are
// reported either way.
func (l *loader) openBlock(b *hcl.Block, schema *hcl.BodySchema, prefix, duplicateSummary string) (string, *hcl.BodyContent, *node) {
	name := b.Labels[0]
	valid := hclsyntax.ValidIdentifier(name)
	if !valid {
		l.errorf(b.LabelRanges[0], "Invalid block name",
			"%q is not a valid %s name. A name starts with a letter or underscore and holds only letters, digits, underscores and dashes.", name, b.Type)
	}
	content, diags := b.Body.Content(schema)
	l.add(diags, b.DefRange)
	if !valid {
		return "", content, nil
	}
	return name, content, l.newNode(prefix+"."+name, b.DefRange, duplicateSummary)
}

func (l *loader) decodeBucketform(b *hcl.Block) {
	if l.stackBlock != nil {
		l.errorf(b.DefRange, "Duplicate bucketform block",
			"A bucketform block was already declared at %s. A configuration has exactly one; merge them.", at(l.stackBlock.DefRange))
		return
	}
	l.stackBlock = b
	content, diags := b.Body.Content(bucketformSchema)
	l.add(diags, b.DefRange)
	if attr := content.Attributes["stack"]; attr != nil {
		if v, st := l.staticValue(attr, cty.String); st == known {
			if s := v.AsString(); stackPattern.MatchString(s) {
				l.cfg.Stack = s
			} else {
				l.errorf(attr.Expr.Range(), "Invalid stack name",
					"The stack name %q must be 1 to 63 characters of lower-case letters, digits, dashes and underscores, like \"platform\" or \"ml-prod\".", s)
			}
		}
	}
	if attr := content.Attributes["state_bucket"]; attr != nil {
		l.errorf(attr.NameRange, "state_bucket is no longer supported",
			"Every stack on a server now keeps its ownership records in the one bucket %q: a stack claims each resource there with a write only one stack can win, "+
				"which makes ownership exclusive only when all stacks claim in the same place. Remove state_bucket. "+
				"If you used it, move your stack's index first: mc mirror ALIAS/OLD-STATE-BUCKET/stacks ALIAS/%s/stacks, then plan.", StateBucket, StateBucket)
	}
}

// localDecl is one local value.
type localDecl struct {
	attr *hcl.Attribute
	node *node
}

func (l *loader) decodeLocals(b *hcl.Block) {
	attrs, diags := b.Body.JustAttributes()
	l.add(diags, b.DefRange)
	for _, attr := range sortedAttributes(attrs) {
		n := l.newNode("local."+attr.Name, attr.Range, "Duplicate local value definition")
		if n == nil {
			continue
		}
		d := &localDecl{attr: attr, node: n}
		n.eval = func(ctx *hcl.EvalContext) {
			if v, ok := l.evalExpr(d.attr.Expr, ctx, useAny); ok {
				n.value = v
			}
			// Only the value is needed from here on: a large local (a map of 10,000 tenants)
			// is a large syntax tree, which the collector can now free.
			d.attr = nil
		}
		l.locals = append(l.locals, d)
	}
}

// buildGraph records the references of every declaration, once all are known.
func (l *loader) buildGraph() {
	for _, d := range l.locals {
		l.refs(d.node, d.attr.Expr, scope{})
	}
	for _, d := range l.minios {
		l.minioGraph(d)
	}
	for _, d := range l.signers {
		l.signerGraph(d)
	}
	for _, d := range l.buckets {
		l.bucketGraph(d)
	}
	for _, d := range l.iam.decls {
		l.iamGraph(d)
	}
	for _, d := range l.removeds {
		l.removedGraph(d)
	}
	for _, d := range l.presigns {
		l.presignGraph(d)
	}
	for _, d := range l.outputs {
		l.refs(d.node, d.value.Expr, scope{})
	}
	l.signingDeps()
}

// signingDeps makes every presign block depend on the minio and signing_endpoint blocks, since
// signing needs them evaluated whichever deployment the bucket turns out to be on. A block
// that itself depends on a presign block is left out: that is an error reported when the block
// is evaluated, and the extra edge would only turn it into a confusing cycle.
func (l *loader) signingDeps() {
	if len(l.presigns) == 0 {
		return
	}
	const (
		unvisited = iota
		visiting
		clean
		tainted
	)
	state := map[*node]int{}
	var reaches func(n *node) bool
	reaches = func(n *node) bool {
		switch state[n] {
		case visiting, clean:
			return false
		case tainted:
			return true
		}
		state[n] = visiting
		result := strings.HasPrefix(n.addr, "presign.")
		for _, d := range n.deps {
			if reaches(d) {
				result = true
			}
		}
		state[n] = clean
		if result {
			state[n] = tainted
		}
		return result
	}
	var settings []*node
	for _, m := range l.minios {
		settings = append(settings, m.node)
	}
	for _, s := range l.signers {
		settings = append(settings, s.node)
	}
	for _, s := range settings {
		if reaches(s) {
			continue
		}
		for _, p := range l.presigns {
			p.node.deps = append(p.node.deps, s)
		}
	}
}

// deploymentRef resolves the minio argument of a block: a static reference like minio.main,
// or the only minio block when the argument is left out. It returns "" after reporting an error.
func (l *loader) deploymentRef(n *node, attr *hcl.Attribute, block *hcl.Block) string {
	if attr == nil {
		switch len(l.minios) {
		case 1:
			if n != nil {
				n.deps = append(n.deps, l.minios[0].node)
			}
			return l.minios[0].name
		case 0:
			l.errorf(block.DefRange, "Missing minio block",
				"A %s block belongs to a MinIO deployment, and there is none. Declare one: minio \"main\" { endpoint = \"minio:9000\" }.", block.Type)
		default:
			l.errorf(block.DefRange, "Missing minio argument",
				"There are several minio blocks (%s), so this %s block must say which one it belongs to, like minio = minio.%s.",
				l.minioNames(), block.Type, l.minios[0].name)
		}
		return ""
	}
	name, ok := l.staticRef(attr, "minio", "minio = minio.main")
	if !ok {
		return ""
	}
	target := l.nodes["minio."+name]
	if target == nil {
		l.undeclared("minio", name, attr.Expr.Range())
		return ""
	}
	if n != nil {
		n.deps = append(n.deps, target)
	}
	return name
}

// staticRef reads an argument that must be a plain reference ROOT.NAME, like provider
// references in Terraform.
func (l *loader) staticRef(attr *hcl.Attribute, root, example string) (string, bool) {
	t, diags := hcl.AbsTraversalForExpr(attr.Expr)
	name, isAttr := traversalStep(t, 1)
	if diags.HasErrors() || len(t) != 2 || t.RootName() != root || !isAttr {
		l.errorf(attr.Expr.Range(), "Invalid "+root+" reference",
			"The %s argument takes a reference to a %s block, written as is: %s.", attr.Name, root, example)
		return "", false
	}
	return name, true
}

func (l *loader) minioNames() string {
	names := make([]string, len(l.minios))
	for i, m := range l.minios {
		names[i] = m.name
	}
	return quotedList(names)
}
