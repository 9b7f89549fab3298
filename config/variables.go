package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/bucketform/bucketform/config/funcs"
)

// VarEnvPrefix is the prefix of the environment variables that set input variables:
// BUCKETFORM_VAR_region sets var.region.
const VarEnvPrefix = "BUCKETFORM_VAR_"

// variable is a variable block and the value it ends up with.
type variable struct {
	name        string
	block       *hcl.Block
	node        *node
	ty          cty.Type
	defaults    *typeexpr.Defaults
	literal     bool // a -var or environment value is the raw string (no type, or a primitive type)
	sensitive   bool
	validations []*validation

	// raw is the value from the source with the highest precedence so far (default, then
	// environment, then -var-file and -var in order); rawRange is where it came from.
	raw      cty.Value
	rawRange hcl.Range
	rawFrom  string // where raw came from, for details: "its default", "-var", ...
	hasRaw   bool
	// rawExternal says that raw came from a variable file or the environment, not from the
	// configuration or the command line: diagnostics do not quote it.
	rawExternal bool
}

// validation is a validation block of a variable.
type validation struct {
	condition hcl.Expression
	message   hcl.Expression
	ok        bool // the condition refers to the variable and to nothing else
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message", Required: true},
	},
}

func (l *loader) decodeVariable(b *hcl.Block) {
	name, content, n := l.openBlock(b, variableSchema, "var", "Duplicate variable declaration")
	if n == nil {
		return
	}
	v := &variable{name: name, block: b, node: n, ty: cty.DynamicPseudoType, literal: true}
	defer func() { n.marks, n.mayMark = v.sensitive, v.sensitive }()
	l.vars = append(l.vars, v)

	if attr := content.Attributes["type"]; attr != nil {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(attr.Expr)
		l.add(diags, attr.Expr.Range())
		if !diags.HasErrors() {
			v.ty, v.defaults = ty, defaults
			v.literal = ty.IsPrimitiveType()
		}
	}
	if attr := content.Attributes["sensitive"]; attr != nil {
		if val, st := l.literalValue(attr, cty.Bool); st == known {
			v.sensitive = val.True()
		}
	}
	if attr := content.Attributes["description"]; attr != nil {
		l.literalValue(attr, cty.String)
	}
	if attr := content.Attributes["default"]; attr != nil {
		val, diags := attr.Expr.Value(nil)
		l.add(diags, attr.Expr.Range())
		if !diags.HasErrors() {
			if _, err := v.convert(val); err != nil {
				l.errorf(attr.Expr.Range(), "Invalid default value for variable",
					"The default of var.%s does not match its type %s: %s. Change the default or the type.",
					name, typeexpr.TypeString(v.ty), err.Error())
				// Unknown from here on, so that no "required variable" error follows.
				v.raw, v.rawRange, v.hasRaw = cty.DynamicVal, attr.Expr.Range(), true
			} else {
				v.raw, v.rawRange, v.hasRaw = val, attr.Expr.Range(), true
			}
			v.rawFrom = "its default at " + at(attr.Expr.Range())
		}
	}
	for _, vb := range content.Blocks {
		v.validations = append(v.validations, l.decodeValidation(v, vb))
	}
}

// literalValue evaluates an argument that may hold only a literal value (no references, no
// function calls).
func (l *loader) literalValue(attr *hcl.Attribute, ty cty.Type) (cty.Value, state) {
	val, diags := attr.Expr.Value(nil)
	l.add(diags, attr.Expr.Range())
	if diags.HasErrors() {
		return cty.DynamicVal, failed
	}
	if val.IsNull() {
		return val, absent
	}
	cv, err := convert.Convert(val, ty)
	if err != nil {
		l.errorf(attr.Expr.Range(), "Incorrect attribute value type",
			"Inappropriate value for attribute %q: %s.", attr.Name, err.Error())
		return cty.DynamicVal, failed
	}
	return cv, known
}

func (l *loader) decodeValidation(v *variable, b *hcl.Block) *validation {
	content, diags := b.Body.Content(validationSchema)
	l.add(diags, b.DefRange)
	val := &validation{}
	cond, msg := content.Attributes["condition"], content.Attributes["error_message"]
	if cond == nil || msg == nil {
		return val
	}
	val.condition, val.message = cond.Expr, msg.Expr
	val.ok = l.validationRefs(v, cond.Expr, true) && l.validationRefs(v, msg.Expr, false)
	return val
}

// validationRefs checks that expr refers only to the variable it validates, and, when
// required, that it does refer to it.
func (l *loader) validationRefs(v *variable, expr hcl.Expression, required bool) bool {
	ok, self := true, false
	for _, t := range expr.Variables() {
		if a, isAttr := traversalStep(t, 1); t.RootName() == "var" && isAttr && a == v.name {
			self = true
			continue
		}
		l.errorf(t.SourceRange(), "Invalid reference in variable validation",
			"A validation rule of var.%s can refer only to var.%s, the value it checks.", v.name, v.name)
		ok = false
	}
	if ok && required && !self {
		l.errorf(expr.Range(), "Invalid variable validation condition",
			"The condition must refer to var.%s, the value it checks; as written it is always the same.", v.name)
		ok = false
	}
	return ok
}

// traversalStep returns the attribute name of step i of t.
func traversalStep(t hcl.Traversal, i int) (string, bool) {
	if len(t) <= i {
		return "", false
	}
	a, ok := t[i].(hcl.TraverseAttr)
	return a.Name, ok
}

// convert applies the optional-attribute defaults of the type and converts val to it.
func (v *variable) convert(val cty.Value) (cty.Value, error) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	return convert.Convert(val, v.ty)
}

// assignVariables gives every variable its value: the default, then BUCKETFORM_VAR_<name>, then
// opts.Vars in command-line order, later winning. Then it checks the types and runs the
// validation rules.
func (l *loader) assignVariables() {
	byName := map[string]*variable{}
	for _, v := range l.vars {
		byName[v.name] = v
	}
	for _, v := range l.vars {
		if s, ok := l.env(VarEnvPrefix + v.name); ok {
			l.setFromString(v, s, "the environment variable "+VarEnvPrefix+v.name)
		}
	}
	for _, src := range l.opts.Vars {
		if src.File != "" {
			l.readVarFile(src.File, byName)
			continue
		}
		name, value, ok := strings.Cut(src.Assignment, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			l.errorf(pseudoRange("<-var option>", ""), "Invalid -var option",
				"The -var option takes NAME=VALUE, like -var region=eu-west-1.")
			continue
		}
		v := byName[name]
		if v == nil {
			l.errorf(pseudoRange(valueFile(name), ""), "Value for undeclared variable",
				"-var sets %q, which is not declared. Declare it with a variable %q block, or fix the name.%s",
				name, name, didYouMean(name, sortedNames(byName)))
			continue
		}
		l.setFromString(v, value, "-var "+name)
	}
	for _, v := range l.vars {
		l.finishVariable(v)
	}
	for _, v := range l.vars {
		l.validateVariable(v)
	}
}

func sortedNames(byName map[string]*variable) []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// valueFile is the pseudo file name of a value given on the command line or in the environment.
func valueFile(name string) string { return fmt.Sprintf("<value for var.%s>", name) }

// pseudoRange is the range of a value that has no file: line 1 of a pseudo file.
func pseudoRange(file, src string) hcl.Range {
	end := hcl.Pos{Line: 1, Column: 1 + len(src), Byte: len(src)}
	return hcl.Range{Filename: file, Start: hcl.InitialPos, End: end}
}

// setFromString sets v from a -var or environment value: the raw string for an untyped or
// primitive-typed variable, otherwise an HCL expression (Terraform's rule).
func (l *loader) setFromString(v *variable, s, from string) {
	file := valueFile(v.name)
	if len(s) > MaxFileBytes {
		l.errorf(pseudoRange(file, ""), "Value too large",
			"The value of var.%s from %s is larger than %s. Put a value that large in a file and read it with file(). %s",
			v.name, from, funcs.SizeText(MaxFileBytes), limitsText)
		return
	}
	if !v.sensitive && !strings.HasPrefix(from, "the environment") {
		// Let diagnostics show a -var value, as they show a line of a file. (A value from the
		// environment may be a secret whose variable is not declared sensitive.)
		l.addFile(file, &hcl.File{Body: hcl.EmptyBody(), Bytes: []byte(s)})
	}
	external := strings.HasPrefix(from, "the environment")
	if v.literal {
		v.raw, v.rawRange, v.rawFrom, v.hasRaw, v.rawExternal = cty.StringVal(s), pseudoRange(file, s), from, true, external
		return
	}
	if diags := CheckSource([]byte(s), file, true); diags.HasErrors() {
		l.add(diags, pseudoRange(file, s))
		return
	}
	expr, diags := hclsyntax.ParseExpression([]byte(s), file, hcl.InitialPos)
	l.add(diags, pseudoRange(file, s))
	if diags.HasErrors() {
		return
	}
	val, diags := expr.Value(nil)
	l.add(diags, pseudoRange(file, s))
	if diags.HasErrors() {
		return
	}
	v.raw, v.rawRange, v.rawFrom, v.hasRaw, v.rawExternal = val, expr.Range(), from, true, external
}

// readVarFile reads a .bfvars file: NAME = VALUE lines, values being literal HCL.
func (l *loader) readVarFile(path string, byName map[string]*variable) {
	start := hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos}
	src, err := l.files.read(path)
	if err != nil {
		l.errorf(start, "Failed to read variable file",
			"Could not read the -var-file %s: %s.%s", path, errText(err), readHint(err))
		return
	}
	// Variable files hold secrets: their source is never kept for diagnostics to show.
	l.addFile(path, &hcl.File{Body: hcl.EmptyBody()})
	if diags := CheckSource(src, path, false); diags.HasErrors() {
		l.add(diags, start)
		return
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	l.add(diags, start)
	if diags.HasErrors() {
		return
	}
	attrs, diags := f.Body.JustAttributes()
	l.add(diags, start)
	for _, attr := range sortedAttributes(attrs) {
		v := byName[attr.Name]
		if v == nil {
			l.warnf(attr.NameRange, "Value for undeclared variable",
				"%s sets %q, which is not declared as a variable, so it is ignored. Declare it with a variable %q block, or remove the line.%s",
				path, attr.Name, attr.Name, didYouMean(attr.Name, sortedNames(byName)))
			continue
		}
		val, diags := attr.Expr.Value(nil)
		l.add(diags, attr.Expr.Range())
		if diags.HasErrors() {
			continue
		}
		v.raw, v.rawRange, v.rawFrom, v.hasRaw, v.rawExternal = val, attr.Expr.Range(), at(attr.Expr.Range()), true, true
	}
}

// finishVariable converts the final value of v to its type and marks it when sensitive.
func (l *loader) finishVariable(v *variable) {
	var val cty.Value
	switch {
	case !v.hasRaw && l.opts.Partial:
		val = cty.UnknownVal(v.ty)
	case !v.hasRaw:
		l.errorf(v.block.DefRange, "No value for required variable",
			"var.%s has no default and was given no value. Set it with -var %s=VALUE, in a -var-file, or with the environment variable %s%s; or give the variable a default.",
			v.name, v.name, VarEnvPrefix, v.name)
		val = cty.UnknownVal(v.ty)
	default:
		cv, err := v.convert(v.raw)
		if err != nil {
			l.errorf(v.rawRange, "Invalid value for input variable",
				"The value of var.%s from %s does not match its type %s: %s. Give a value of that type.",
				v.name, v.rawFrom, typeexpr.TypeString(v.ty), err.Error())
			cv = cty.UnknownVal(v.ty)
		}
		val = cv
		if !l.checkValue(val, v.rawRange) {
			val = cty.UnknownVal(v.ty)
		}
	}
	if v.rawExternal {
		val = val.Mark(markExternal)
		v.node.marks, v.node.mayMark = true, true
	}
	if v.sensitive {
		val = val.Mark(markSensitive)
	}
	if v.rawExternal || v.sensitive {
		l.noteMarked(v.rawRange, val)
	}
	v.node.value = val
}

// validateVariable runs the validation rules of v on its value.
func (l *loader) validateVariable(v *variable) {
	val := v.node.value
	if !val.IsWhollyKnown() {
		return
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: val})},
		Functions: l.funcs,
	}
	for _, rule := range v.validations {
		if !rule.ok {
			continue
		}
		res, diags := rule.condition.Value(ctx)
		l.add(diags, rule.condition.Range())
		if diags.HasErrors() {
			continue
		}
		res, _ = res.UnmarkDeep()
		if !res.IsKnown() {
			continue
		}
		if res.IsNull() || res.Type() != cty.Bool {
			l.errorf(rule.condition.Range(), "Invalid variable validation result",
				"The condition of a validation rule must be true or false; write a comparison or a function like can(...).")
			continue
		}
		if res.True() {
			continue
		}
		l.errorf(rule.condition.Range(), "Invalid value for variable", "%s\n\nThe value of var.%s checked here comes from %s.",
			l.validationMessage(v, rule, ctx), v.name, v.rawFrom)
	}
}

// validationMessage evaluates the error_message of a failed rule. A message that fails, or
// that would show a sensitive value, is replaced by a neutral one.
func (l *loader) validationMessage(v *variable, rule *validation, ctx *hcl.EvalContext) string {
	neutral := fmt.Sprintf("var.%s does not satisfy this validation rule. Give it a value that does.", v.name)
	msg, diags := rule.message.Value(ctx)
	if diags.HasErrors() || msg.ContainsMarked() || !msg.IsKnown() || msg.IsNull() {
		return neutral
	}
	msg, err := convert.Convert(msg, cty.String)
	if err != nil || strings.TrimSpace(msg.AsString()) == "" {
		return neutral
	}
	return msg.AsString()
}

// sortedAttributes returns attrs in source order.
func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Range.Filename != out[j].Range.Filename {
			return out[i].Range.Filename < out[j].Range.Filename
		}
		return out[i].Range.Start.Byte < out[j].Range.Start.Byte
	})
	return out
}
