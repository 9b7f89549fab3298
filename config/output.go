package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"}},
}

// outputDecl is an output block.
type outputDecl struct {
	value *hcl.Attribute
	node  *node
	out   *Output
}

func (l *loader) decodeOutput(b *hcl.Block) {
	name, content, n := l.openBlock(b, outputSchema, "output", "Duplicate output definition")
	if n == nil {
		return
	}
	o := &Output{Name: name, DeclRange: b.DefRange, Value: cty.DynamicVal}
	if v, st := l.staticValue(content.Attributes["description"], cty.String); st == known {
		o.Description = v.AsString()
	}
	if v, st := l.staticValue(content.Attributes["sensitive"], cty.Bool); st == known {
		o.Sensitive = v.True()
	}
	d := &outputDecl{value: content.Attributes["value"], node: n, out: o}
	n.marks = o.Sensitive
	if d.value == nil {
		d.value = &hcl.Attribute{Name: "value", Expr: hcl.StaticExpr(cty.DynamicVal, b.DefRange), Range: b.DefRange, NameRange: b.DefRange}
		l.bad[d.value.Expr] = true
	}
	n.eval = func(ctx *hcl.EvalContext) { l.evalOutput(d, ctx) }
	l.outputs = append(l.outputs, d)
}

// evalOutput evaluates an output. A value derived from a presign block or a sensitive value
// requires sensitive = true, like Terraform; the Output keeps the value unmarked.
func (l *loader) evalOutput(d *outputDecl, ctx *hcl.EvalContext) {
	v, ok := l.evalExpr(d.value.Expr, ctx, useAny)
	if !ok {
		return
	}
	marks := l.marksOf(v)
	if (marks.Has(markSensitive) || marks.Has(markPresign)) && !d.out.Sensitive {
		from := "a sensitive value (a sensitive variable, or a secret read with env())"
		if marks.Has(markPresign) {
			from = "a presign block, whose URLs are credentials"
		}
		l.errorf(d.value.Expr.Range(), "Output refers to sensitive values",
			"The value of output.%s derives from %s. Add sensitive = true to the output block; bucketform output then shows it only on request (-json or -raw).",
			d.out.Name, from)
	}
	d.out.Value = v
	if marks != nil {
		d.out.Value, _ = v.UnmarkDeep()
	}
	if d.out.Sensitive {
		v = v.Mark(markSensitive)
	}
	d.node.value = v
}
