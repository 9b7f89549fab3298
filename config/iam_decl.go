package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

var policySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "minio"}, {Name: "name"}, {Name: "document"}, {Name: "for_each"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "grant"}, {Type: "statement"}},
}

var grantSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "bucket", Required: true}, {Name: "prefix"}, {Name: "access", Required: true}},
}

var statementSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "effect"}, {Name: "actions", Required: true}, {Name: "resources"}, {Name: "condition"}},
}

var userSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "minio"}, {Name: "access_key", Required: true}, {Name: "secret_key", Required: true},
		{Name: "enabled"}, {Name: "policies"}, {Name: "for_each"},
	},
}

var groupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "minio"}, {Name: "name"}, {Name: "members"}, {Name: "policies"}, {Name: "enabled"}, {Name: "for_each"},
	},
}

var serviceAccountSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "minio"}, {Name: "user", Required: true}, {Name: "access_key", Required: true}, {Name: "secret_key", Required: true},
		{Name: "policy"}, {Name: "expires"}, {Name: "name"}, {Name: "description"}, {Name: "enabled"}, {Name: "for_each"},
	},
}

// The types of references to the IAM blocks (of each instance, for a for_each block). They
// never hold a secret.
var (
	policyObjectType         = cty.Object(map[string]cty.Type{"name": cty.String, "minio": cty.String, "document": cty.String})
	userObjectType           = cty.Object(map[string]cty.Type{"access_key": cty.String, "minio": cty.String})
	groupObjectType          = cty.Object(map[string]cty.Type{"name": cty.String, "minio": cty.String})
	serviceAccountObjectType = cty.Object(map[string]cty.Type{"access_key": cty.String, "minio": cty.String, "user": cty.String})
)

// iamState is what the loader keeps about the IAM blocks.
type iamState struct {
	decls []*iamDecl // in declaration order

	// instances by address, and by kind, deployment and identity (the first one declared):
	// filled as instances are evaluated, under loader.mu.
	byAddr     map[string]*iamInstance
	byIdentity map[string]*iamInstance

	// presigns holds what the least-privilege check needs to know about each presign
	// instance beyond the Presign itself, under loader.mu.
	presigns map[*Presign]presignFacts
}

// presignFacts says which parts of a presign instance are known.
type presignFacts struct {
	bucketKnown, keyKnown, methodKnown bool
}

// iamDecl is a policy, user, group or service_account block.
type iamDecl struct {
	kind       string // KindPolicy, ...
	name       string // the label
	block      *hcl.Block
	attrs      hcl.Attributes
	parts      []*policyPart // a policy's grant and statement blocks, in source order
	node       *node
	deployment string

	instances []*iamInstance // evaluated instances, in key order
}

// policyPart is a grant or statement block of a policy.
type policyPart struct {
	block *hcl.Block
	attrs hcl.Attributes
}

// iamInstance is one evaluated instance of an IAM block, and what the checks that span
// blocks need to know about it. Exactly one of policy, user, group and sa is set.
type iamInstance struct {
	decl   *iamDecl
	addr   string
	policy *Policy
	user   *User
	group  *Group
	sa     *ServiceAccount
	attrs  AttrRanges // the attributes it declares: the Attrs of policy, user, group or sa

	identityKnown bool      // the name or access key is known and valid
	identityRange hcl.Range // where it is written (or defaulted from)
	docKnown      bool      // policy: the document is fully known; service account: the inline policy
	policiesKnown bool      // user, group: the policies list is known
	membersKnown  bool      // group: the members list is known
	parentKnown   bool      // service account: the user is known
}

// identity is the name or access key of the instance.
func (in *iamInstance) identity() string {
	switch {
	case in.policy != nil:
		return in.policy.Name
	case in.user != nil:
		return in.user.AccessKey
	case in.group != nil:
		return in.group.Name
	case in.sa != nil:
		return in.sa.AccessKey
	}
	return ""
}

// identityKey is the key of byIdentity: users and service accounts share one name space,
// the access keys of a deployment.
func identityKey(kind, deployment, name string) string {
	if kind == KindServiceAccount {
		kind = KindUser
	}
	return kind + "\x00" + deployment + "\x00" + name
}

func (l *loader) decodeIAM(b *hcl.Block) {
	schema := map[string]*hcl.BodySchema{
		KindPolicy: policySchema, KindUser: userSchema, KindGroup: groupSchema, KindServiceAccount: serviceAccountSchema,
	}[b.Type]
	name, content, n := l.openBlock(b, schema, b.Type, "Duplicate "+b.Type+" block")
	if n == nil {
		return
	}
	d := &iamDecl{kind: b.Type, name: name, block: b, attrs: content.Attributes, node: n}
	for _, pb := range content.Blocks {
		s := grantSchema
		if pb.Type == "statement" {
			s = statementSchema
		}
		pc, diags := pb.Body.Content(s)
		l.add(diags, pb.DefRange)
		d.parts = append(d.parts, &policyPart{block: pb, attrs: pc.Attributes})
	}
	if d.kind == KindPolicy {
		switch doc := d.attrs["document"]; {
		case doc != nil && len(d.parts) > 0:
			l.errorf(d.parts[0].block.DefRange, "Conflicting document and "+d.parts[0].block.Type,
				"policy.%s sets document (at %s) and also has grant or statement blocks; both declare its statements. Keep only one form.", name, at(doc.Range))
		case doc == nil && len(d.parts) == 0:
			l.errorf(b.DefRange, "Empty policy",
				"policy.%s declares no statements, and MinIO refuses a policy without any. Add grant { bucket = ..., access = [...] } or statement blocks, or document = jsonencode({...}).", name)
		}
	}
	if l.iam.byAddr == nil {
		l.iam.byAddr = map[string]*iamInstance{}
		l.iam.byIdentity = map[string]*iamInstance{}
		l.iam.presigns = map[*Presign]presignFacts{}
	}
	n.eval = func(ctx *hcl.EvalContext) { l.evalIAM(d, ctx) }
	l.iam.decls = append(l.iam.decls, d)
}

// iamGraph records the references of an IAM block. They may name buckets, IAM blocks,
// variables, locals and minio blocks, never a presign, signing_endpoint or output.
func (l *loader) iamGraph(d *iamDecl) {
	d.deployment = l.deploymentRef(d.node, d.attrs["minio"], d.block)
	sc := scope{each: d.attrs["for_each"] != nil, noPresign: true, iam: true}
	for _, attr := range sortedAttributes(d.attrs) {
		switch attr.Name {
		case "minio":
		case "for_each":
			l.refs(d.node, attr.Expr, scope{noPresign: true, iam: true})
		default:
			l.refs(d.node, attr.Expr, sc)
		}
	}
	for _, p := range d.parts {
		for _, attr := range sortedAttributes(p.attrs) {
			l.refs(d.node, attr.Expr, sc)
		}
	}
}

// register records an evaluated instance for the lookups of other blocks and checks.
func (l *loader) register(in *iamInstance) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.iam.byAddr[in.addr] = in
	if in.identityKnown && in.decl.deployment != "" {
		k := identityKey(in.decl.kind, in.decl.deployment, in.identity())
		if _, dup := l.iam.byIdentity[k]; !dup {
			l.iam.byIdentity[k] = in
		}
	}
}

// lookup returns the declared instance of kind with the given identity on a deployment.
func (l *loader) lookup(kind, deployment, name string) *iamInstance {
	l.mu.Lock()
	in := l.iam.byIdentity[identityKey(kind, deployment, name)]
	l.mu.Unlock()
	if in == nil || in.decl.kind != kind {
		return nil
	}
	return in
}

// notePresign records which parts of a presign instance are known, for checkPresignRights.
func (l *loader) notePresign(p *Presign, f presignFacts) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.iam.presigns == nil {
		l.iam.presigns = map[*Presign]presignFacts{}
	}
	l.iam.presigns[p] = f
}

// callsEnvFunc reports whether expr calls env() anywhere in it.
func callsEnvFunc(expr hcl.Expression) bool {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return false
	}
	found := false
	_ = hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && call.Name == "env" {
			found = true
		}
		return nil
	})
	return found
}

// collectIAM puts the evaluated IAM instances into the Config, in declaration order; the
// instances of a for_each block are in key order.
func (l *loader) collectIAM() {
	c := l.cfg
	for _, d := range l.iam.decls {
		for _, in := range d.instances {
			switch {
			case in.policy != nil:
				c.Policies = append(c.Policies, in.policy)
			case in.user != nil:
				c.Users = append(c.Users, in.user)
			case in.group != nil:
				c.Groups = append(c.Groups, in.group)
			case in.sa != nil:
				c.ServiceAccounts = append(c.ServiceAccounts, in.sa)
			}
		}
	}
}
