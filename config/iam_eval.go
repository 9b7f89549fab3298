package config

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/policy"
)

// evalIAM evaluates every instance of an IAM block and sets the value references see.
func (l *loader) evalIAM(d *iamDecl, ctx *hcl.EvalContext) {
	objType := map[string]cty.Type{
		KindPolicy: policyObjectType, KindUser: userObjectType, KindGroup: groupObjectType, KindServiceAccount: serviceAccountObjectType,
	}[d.kind]
	insts, exp := l.expand(d.kind, d.name, d.attrs["for_each"], ctx)
	objs := make([]cty.Value, len(insts))
	results := make([]*iamInstance, len(insts))
	l.eachInstance(len(insts), false, func(i int) {
		in := &iamInstance{decl: d, addr: insts[i].addr, attrs: AttrRanges{}}
		switch d.kind {
		case KindPolicy:
			objs[i] = l.evalPolicyInstance(d, in, insts[i], exp)
		case KindUser:
			objs[i] = l.evalUserInstance(d, in, insts[i])
		case KindGroup:
			objs[i] = l.evalGroupInstance(d, in, insts[i], exp)
		case KindServiceAccount:
			objs[i] = l.evalServiceAccountInstance(d, in, insts[i])
		}
		results[i] = in
		if exp == single || exp == keyed {
			l.register(in)
		}
	})
	if exp == single || exp == keyed {
		d.instances = results
	}
	d.node.value = instancesValue(exp, objs, insts, objType)
}

// iamValue evaluates an argument of an IAM block and converts it to ty (cty.DynamicPseudoType
// keeps the value's own type). Plans show these arguments, so sensitive values are refused,
// and like every argument outside locals and outputs they may not use presign values.
func (l *loader) iamValue(attr *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type) (cty.Value, state) {
	if attr == nil {
		return cty.NilVal, absent
	}
	v, ok := l.evalExpr(attr.Expr, ctx, useSetting)
	if !ok {
		return cty.DynamicVal, failed
	}
	if marks := l.marksOf(v); marks != nil {
		if marks.Has(markSensitive) {
			l.errorf(attr.Expr.Range(), "Invalid use of a sensitive value",
				"The %s argument derives from a sensitive variable or from a secret read with env(). Plans show every argument of policies, users, groups and service accounts except secret_key, so it cannot hold sensitive values; use a value that is not sensitive.", attr.Name)
			return cty.DynamicVal, failed
		}
		v, _ = v.UnmarkDeep()
	}
	return l.convertArg(attr, v, ty)
}

// secretKey evaluates the secret_key of a user or service account. The value must be sensitive
// — from a sensitive variable, or read with env() — so that it cannot be a literal in a file
// under version control, nor reach a non-sensitive output. No diagnostic ever shows it.
func (l *loader) secretKey(attr *hcl.Attribute, ctx *hcl.EvalContext, addr string) Secret {
	if attr == nil {
		return Secret{}
	}
	v, ok := l.evalExpr(attr.Expr, ctx, useSetting)
	if !ok {
		return Secret{}
	}
	marks := l.marksOf(v)
	if !marks.Has(markSensitive) && !callsEnvFunc(attr.Expr) {
		l.errorf(attr.Expr.Range(), "Secret key is not sensitive",
			"The secret_key of %s is not a sensitive value. Read it from a variable declared with sensitive = true (secret_key = var.NAME), or from the environment (secret_key = env(\"NAME\")): a secret written in the configuration ends up in version control.", addr)
		return Secret{}
	}
	if marks != nil {
		v, _ = v.UnmarkDeep()
	}
	switch {
	case v.IsNull():
		l.errorf(attr.Expr.Range(), "Missing secret key", "The secret_key of %s is null; bucketform never generates a secret. Give it a value.", addr)
		return Secret{}
	case !v.IsKnown():
		return Secret{}
	}
	s, err := convertString(v)
	if err != nil {
		l.errorf(attr.Expr.Range(), "Incorrect attribute value type", "The secret_key of %s must be a string.", addr)
		return Secret{}
	}
	if utf8.RuneCountInString(s) < MinSecretKeyLength {
		l.errorf(attr.Expr.Range(), "Secret key too short",
			"The secret_key of %s has fewer than %d characters, and MinIO refuses such a secret. Use a longer one.", addr, MinSecretKeyLength)
		return Secret{}
	}
	return NewSecret(s)
}

// iamName evaluates the name of a policy or group: the name argument, else each.key, else the
// label. A name argument declares IAMName.
func (l *loader) iamName(in *iamInstance, inst instance, exp expansion) string {
	d := in.decl
	attr := d.attrs["name"]
	if attr != nil {
		in.attrs[IAMName] = attr.Range
	}
	v, st := l.iamValue(attr, inst.ctx, cty.String)
	var name, defaulted string
	switch st {
	case known:
		name, in.identityKnown, in.identityRange = v.AsString(), true, attr.Expr.Range()
	case absent:
		switch exp {
		case single:
			name, in.identityKnown, in.identityRange = d.name, true, d.block.LabelRanges[0]
			defaulted = " The name defaults to the block label; set name = \"...\" to choose another."
		case keyed:
			name, in.identityKnown, in.identityRange = inst.key.AsString(), true, d.attrs["for_each"].Expr.Range()
			defaulted = " The name defaults to the for_each key; change the key, or set name = \"...\"."
		}
	}
	if in.identityKnown {
		if problem := iamNameProblem(d.kind, name); problem != "" {
			l.errorf(in.identityRange, "Invalid "+d.kind+" name", "%s: %s%s", in.addr, problem, defaulted)
			in.identityKnown = false
		}
	}
	return name
}

// identityKeys evaluates the access_key and secret_key of a user or service account; each
// declares its attribute when it is written.
func (l *loader) identityKeys(in *iamInstance, ctx *hcl.EvalContext) (string, Secret) {
	var secret Secret
	if attr := in.decl.attrs["access_key"]; attr != nil {
		in.attrs[IAMAccessKey] = attr.Range
	}
	key := l.accessKey(in, ctx)
	if attr := in.decl.attrs["secret_key"]; attr != nil {
		in.attrs[IAMSecretKey] = attr.Range
		secret = l.secretKey(attr, ctx, in.addr)
	}
	return key, secret
}

// accessKey evaluates the access_key of a user or service account.
func (l *loader) accessKey(in *iamInstance, ctx *hcl.EvalContext) string {
	attr := in.decl.attrs["access_key"]
	v, st := l.iamValue(attr, ctx, cty.String)
	if st != known {
		return ""
	}
	key := v.AsString()
	if problem := accessKeyProblem(key, in.decl.kind == KindServiceAccount); problem != "" {
		l.errorf(attr.Expr.Range(), "Invalid access key", "%s: %s", in.addr, problem)
		return key
	}
	in.identityKnown, in.identityRange = true, attr.Expr.Range()
	return key
}

// iamArg evaluates the argument named a, converted to ty, and declares a when its value is
// unknown, or known and accepted by set (which sets it on the instance, or reports why it
// refuses it).
func (l *loader) iamArg(in *iamInstance, ctx *hcl.EvalContext, a IAMAttr, ty cty.Type, set func(in *iamInstance, attr *hcl.Attribute, v cty.Value) bool) {
	attr := in.decl.attrs[string(a)]
	if v, st := l.iamValue(attr, ctx, ty); st == unknown || st == known && set(in, attr, v) {
		in.attrs[a] = attr.Range
	}
}

// enabled evaluates the enabled argument into dst and declares it.
func (l *loader) enabled(in *iamInstance, ctx *hcl.EvalContext, dst *bool) {
	l.iamArg(in, ctx, IAMEnabled, cty.Bool, func(_ *iamInstance, _ *hcl.Attribute, v cty.Value) bool {
		*dst = v.True()
		return true
	})
}

// refsArg evaluates the list of references named a (policies, members) into dst and declares
// a unless the argument is absent or invalid. It reports whether every reference is known.
func (l *loader) refsArg(in *iamInstance, ctx *hcl.EvalContext, a IAMAttr, rk refKind, dst *[]IAMRef) bool {
	attr := in.decl.attrs[string(a)]
	if attr == nil {
		return false
	}
	refs, allKnown, st := l.iamRefList(attr, ctx, rk, in.decl.deployment, in.addr)
	if st == absent || st == failed {
		return false
	}
	in.attrs[a] = attr.Range
	*dst = refs
	return allKnown && st == known
}

// refKind describes what a list of references may hold: references to blocks of one kind, or
// their names as strings.
type refKind struct {
	kind    string   // KindPolicy, KindUser
	objType cty.Type // the type of a reference to such a block
	nameKey string   // the attribute of that type that holds the identity
	what    string   // "policy", "user": for messages
}

var (
	policyRefs = refKind{kind: KindPolicy, objType: policyObjectType, nameKey: "name", what: "policy"}
	userRefs   = refKind{kind: KindUser, objType: userObjectType, nameKey: "access_key", what: "user"}
)

// iamRef converts one element of a reference argument: a reference to a block of rk's kind, or a
// name. It returns ok false after reporting a problem, and known false when the element is not
// known yet.
func (l *loader) iamRef(v cty.Value, rk refKind, deployment string, attr *hcl.Attribute, from string) (r IAMRef, known, ok bool) {
	rng := attr.Expr.Range()
	ty := v.Type()
	switch {
	case v.IsNull():
		l.errorf(rng, "Invalid "+rk.what+" reference", "%s of %s holds a null element; give %s references or names.", attr.Name, from, rk.what)
		return IAMRef{}, false, false
	case ty.Equals(rk.objType):
		if !v.IsWhollyKnown() {
			return IAMRef{}, false, true
		}
		name, dep := v.GetAttr(rk.nameKey).AsString(), v.GetAttr("minio").AsString()
		target := l.lookup(rk.kind, dep, name)
		if target == nil {
			l.errorf(rng, "Invalid "+rk.what+" reference",
				"%s of %s holds an object that looks like a %s reference but is none. Refer to a %s block, like %s.NAME, or give its name as a string.", attr.Name, from, rk.what, rk.what, rk.kind)
			return IAMRef{}, false, false
		}
		if deployment != "" && dep != deployment {
			l.errorf(rng, "Reference to another deployment",
				"%s of %s refers to %s, which is on minio.%s, but %s is on minio.%s. Identities and policies of one server can only refer to each other.", attr.Name, from, target.addr, dep, from, deployment)
			return IAMRef{}, false, false
		}
		return IAMRef{Name: name, Address: target.addr}, true, true
	case ty.Equals(cty.String) || ty.Equals(cty.Number) || ty.Equals(cty.Bool):
		if !v.IsKnown() {
			return IAMRef{}, false, true
		}
		s, _ := convertString(v)
		var problem string
		if rk.kind == KindUser {
			problem = accessKeyProblem(s, false)
		} else {
			problem = iamNameProblem(rk.what, s)
		}
		if problem != "" {
			l.errorf(rng, "Invalid "+rk.what+" reference", "%s of %s: %s", attr.Name, from, problem)
			return IAMRef{}, false, false
		}
		return IAMRef{Name: s}, true, true
	case ty == cty.DynamicPseudoType:
		return IAMRef{}, false, true
	case ty.IsMapType() || ty.IsObjectType():
		l.errorf(rng, "Invalid "+rk.what+" reference",
			"%s of %s holds a map or object, such as a %s block with for_each, which has one instance per key. Pick one, like %s.NAME[\"KEY\"], or list them all with values(%s.NAME).", attr.Name, from, rk.what, rk.kind, rk.kind)
		return IAMRef{}, false, false
	}
	l.errorf(rng, "Invalid "+rk.what+" reference", "%s of %s takes %s references (%s.NAME) or names; this element is %s.", attr.Name, from, rk.what, rk.kind, ty.FriendlyName())
	return IAMRef{}, false, false
}

// iamRefList evaluates a list of references (policies, members). It returns the references with
// duplicates removed, whether every one is known, and the state of the argument.
func (l *loader) iamRefList(attr *hcl.Attribute, ctx *hcl.EvalContext, rk refKind, deployment, from string) ([]IAMRef, bool, state) {
	v, st := l.iamValue(attr, ctx, cty.DynamicPseudoType)
	if st == absent || st == failed {
		return nil, false, st
	}
	if !v.IsKnown() {
		return nil, false, unknown
	}
	ty := v.Type()
	if !(ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) {
		l.errorf(attr.Expr.Range(), "Invalid "+attr.Name,
			"%s of %s takes a list of %s references or names, like [%s.NAME, \"other\"]; this is %s.", attr.Name, from, rk.what, rk.kind, ty.FriendlyName())
		return nil, false, failed
	}
	refs := []IAMRef{}
	seen := map[string]bool{}
	allKnown, ok := true, true
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		r, k, good := l.iamRef(e, rk, deployment, attr, from)
		allKnown = allKnown && k
		ok = ok && good
		if k && good && !seen[r.Name] {
			seen[r.Name] = true
			refs = append(refs, r)
		}
	}
	if !ok {
		return refs, false, failed
	}
	return refs, allKnown, st
}

// evalPolicyInstance evaluates one instance of a policy block: its name and its statements.
func (l *loader) evalPolicyInstance(d *iamDecl, in *iamInstance, inst instance, exp expansion) cty.Value {
	p := &Policy{Address: in.addr, Deployment: d.deployment, DeclRange: d.block.DefRange, Attrs: in.attrs}
	in.policy = p
	p.Name = l.iamName(in, inst, exp)
	l.policyDocument(in, inst.ctx)
	document := cty.UnknownVal(cty.String)
	if in.docKnown {
		document = cty.StringVal(p.Document.JSON())
	}
	return cty.ObjectVal(map[string]cty.Value{
		"name":     knownString(p.Name, in.identityKnown),
		"minio":    knownString(d.deployment, d.deployment != ""),
		"document": document,
	})
}

// evalUserInstance evaluates one instance of a user block: its keys, status and policies.
func (l *loader) evalUserInstance(d *iamDecl, in *iamInstance, inst instance) cty.Value {
	ctx := inst.ctx
	u := &User{Address: in.addr, Deployment: d.deployment, DeclRange: d.block.DefRange, Attrs: in.attrs}
	in.user = u
	u.AccessKey, u.SecretKey = l.identityKeys(in, ctx)
	l.enabled(in, ctx, &u.Enabled)
	in.policiesKnown = l.refsArg(in, ctx, IAMPolicies, policyRefs, &u.Policies)
	return cty.ObjectVal(map[string]cty.Value{
		"access_key": knownString(u.AccessKey, in.identityKnown),
		"minio":      knownString(d.deployment, d.deployment != ""),
	})
}

// evalGroupInstance evaluates one instance of a group block: its name, members, policies and
// status.
func (l *loader) evalGroupInstance(d *iamDecl, in *iamInstance, inst instance, exp expansion) cty.Value {
	ctx := inst.ctx
	g := &Group{Address: in.addr, Deployment: d.deployment, DeclRange: d.block.DefRange, Attrs: in.attrs}
	in.group = g
	g.Name = l.iamName(in, inst, exp)
	in.membersKnown = l.refsArg(in, ctx, IAMMembers, userRefs, &g.Members)
	in.policiesKnown = l.refsArg(in, ctx, IAMPolicies, policyRefs, &g.Policies)
	l.enabled(in, ctx, &g.Enabled)
	return cty.ObjectVal(map[string]cty.Value{
		"name":  knownString(g.Name, in.identityKnown),
		"minio": knownString(d.deployment, d.deployment != ""),
	})
}

// evalServiceAccountInstance evaluates one instance of a service_account block: its user, keys,
// inline policy, expiry, display name, description and status. Each argument declares its
// attribute as IAMAttr documents.
func (l *loader) evalServiceAccountInstance(d *iamDecl, in *iamInstance, inst instance) cty.Value {
	ctx := inst.ctx
	s := &ServiceAccount{Address: in.addr, Deployment: d.deployment, DeclRange: d.block.DefRange, Attrs: in.attrs}
	in.sa = s
	l.parentUser(in, ctx)
	s.AccessKey, s.SecretKey = l.identityKeys(in, ctx)
	if attr := d.attrs["policy"]; attr != nil {
		s.Attrs[IAMPolicy] = attr.Range
		s.Policy, s.PolicyFrom, in.docKnown = l.inlinePolicy(attr, ctx, in.addr)
	}
	l.iamArg(in, ctx, IAMExpires, cty.String, l.setExpiry)
	l.iamArg(in, ctx, IAMName, cty.String, l.setDisplayName)
	l.iamArg(in, ctx, IAMDescription, cty.String, l.setDescription)
	l.enabled(in, ctx, &s.Enabled)
	return cty.ObjectVal(map[string]cty.Value{
		"access_key": knownString(s.AccessKey, in.identityKnown),
		"minio":      knownString(d.deployment, d.deployment != ""),
		"user":       knownString(s.User.Name, in.parentKnown),
	})
}

// policyDocument evaluates the statements of a policy: its document argument, or its grant and
// statement blocks (decodeIAM reports a policy with both or neither).
func (l *loader) policyDocument(in *iamInstance, ctx *hcl.EvalContext) {
	d, p := in.decl, in.policy
	in.docKnown = true
	if attr := d.attrs["document"]; attr != nil {
		p.Attrs[IAMDocument] = attr.Range
		switch v, st := l.iamValue(attr, ctx, cty.String); st {
		case known:
			doc, err := policy.ParseIdentity(v.AsString())
			switch {
			case err != nil:
				l.errorf(attr.Expr.Range(), "Invalid policy document",
					"The document of %s is not a valid IAM policy: %s. Write it with jsonencode({Version = \"2012-10-17\", Statement = [...]}), or use grant and statement blocks.", in.addr, err.Error())
				in.docKnown = false
			case doc.IsEmpty():
				l.errorf(attr.Expr.Range(), "Empty policy", "The document of %s is empty, and MinIO refuses a policy without statements.", in.addr)
				in.docKnown = false
			case l.serverRefuses(policy.ServerProblem(v.AsString(), doc), attr.Expr.Range(), "The document of "+in.addr):
				in.docKnown = false
			default:
				p.Document = doc
			}
		default:
			in.docKnown = false
		}
		return
	}
	if len(d.parts) == 0 {
		in.docKnown = false
		return
	}
	p.Attrs[IAMDocument] = d.parts[0].block.DefRange
	var stmts []policy.Statement
	for _, part := range d.parts {
		var s []policy.Statement
		var ok bool
		if part.block.Type == "grant" {
			s, ok = l.evalGrant(part, ctx, d.deployment, in.addr)
		} else {
			s, ok = l.evalStatement(part, ctx, in.addr)
		}
		in.docKnown = in.docKnown && ok
		stmts = append(stmts, s...)
	}
	if in.docKnown {
		doc := policy.Document{Version: policyVersion, Statements: stmts}
		if l.serverRefuses(policy.ServerProblem(doc.JSON(), doc), d.parts[0].block.DefRange, "The statements of "+in.addr) {
			in.docKnown = false
			return
		}
		p.Document = doc
	}
}

// serverRefuses reports a policy MinIO would refuse (problem, from policy.ServerProblem) as an
// error at rng, and says whether there was one.
func (l *loader) serverRefuses(problem string, rng hcl.Range, what string) bool {
	if problem == "" {
		return false
	}
	l.errorf(rng, "Policy refused by MinIO", "%s cannot be written to MinIO: %s.", what, problem)
	return true
}

// parentUser evaluates the user of a service account: a user reference or an access key,
// never a service account.
func (l *loader) parentUser(in *iamInstance, ctx *hcl.EvalContext) {
	attr, s := in.decl.attrs["user"], in.sa
	if attr == nil {
		return
	}
	s.Attrs[IAMUser] = attr.Range
	v, st := l.iamValue(attr, ctx, cty.DynamicPseudoType)
	if st != known && st != unknown {
		return
	}
	if v.Type().Equals(serviceAccountObjectType) {
		l.errorf(attr.Expr.Range(), "Invalid user reference",
			"The user of %s is a service account; a service account belongs to a user. Refer to a user block, like user.NAME, or give the user's access key.", in.addr)
	} else if r, k, ok := l.iamRef(v, userRefs, in.decl.deployment, attr, in.addr); ok {
		s.User, in.parentKnown = r, k
	}
}

// setExpiry sets the expiry of a service account: an RFC 3339 time in the future.
func (l *loader) setExpiry(in *iamInstance, attr *hcl.Attribute, v cty.Value) bool {
	t, err := time.Parse(time.RFC3339, v.AsString())
	now := l.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	switch {
	case err != nil:
		l.errorf(attr.Expr.Range(), "Invalid expiry",
			"The expires of %s is %q, which is not an RFC 3339 time. Write it like \"2027-06-30T00:00:00Z\".", in.addr, v.AsString())
		return false
	case !t.After(now):
		l.errorf(attr.Expr.Range(), "Expiry in the past",
			"%s expires at %s, which has passed (it is now %s), and MinIO refuses a service account that is already expired. Set a time in the future, or remove expires.",
			in.addr, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		return false
	case t.After(now.Add(MaxServiceAccountLife)):
		// MinIO writes no expiry further ahead, so the declared one could never be the
		// live one. (The 15-minute lower bound is the plan's to check: it holds only for an
		// expiry that is written, not for one a service account already has.)
		l.errorf(attr.Expr.Range(), "Expiry out of range",
			"%s expires at %s, and MinIO takes only an expiry between 15 minutes and 365 days from now (it is now %s). Set a time in that range, or remove expires.",
			in.addr, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		return false
	}
	in.sa.Expires = t
	return true
}

// setDisplayName sets the display name of a service account, as MinIO restricts it.
func (l *loader) setDisplayName(in *iamInstance, attr *hcl.Attribute, v cty.Value) bool {
	name := v.AsString()
	if n := len(name); n > MaxServiceAccountName {
		l.errorf(attr.Expr.Range(), "Service account name too long",
			"The name of %s is %d bytes long; MinIO allows at most %d.", in.addr, n, MaxServiceAccountName)
		return false
	}
	if name != "" && !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z') {
		l.errorf(attr.Expr.Range(), "Invalid service account name",
			"The name of %s is %q; MinIO wants a name that starts with a letter and holds ASCII letters, digits, underscores and hyphens.", in.addr, name)
		return false
	}
	in.sa.Name = name
	return true
}

// setDescription sets the description of a service account.
func (l *loader) setDescription(in *iamInstance, attr *hcl.Attribute, v cty.Value) bool {
	if n := len(v.AsString()); n > maxServiceAccountDescLen {
		l.errorf(attr.Expr.Range(), "Service account description too long",
			"The description of %s is %d bytes long; MinIO allows at most %d.", in.addr, n, maxServiceAccountDescLen)
		return false
	}
	in.sa.Description = v.AsString()
	return true
}

// inlinePolicy evaluates a service account's policy: a reference to a policy block (its
// document) or a JSON string. It returns the document, the policy block it came from, and
// whether it is known.
func (l *loader) inlinePolicy(attr *hcl.Attribute, ctx *hcl.EvalContext, addr string) (policy.Document, string, bool) {
	v, st := l.iamValue(attr, ctx, cty.DynamicPseudoType)
	if st != known {
		return policy.Document{}, "", false
	}
	rng := attr.Expr.Range()
	var text, from string
	switch ty := v.Type(); {
	case ty.Equals(policyObjectType):
		target := l.lookup(KindPolicy, v.GetAttr("minio").AsString(), v.GetAttr("name").AsString())
		if target == nil {
			l.errorf(rng, "Invalid policy reference",
				"The policy of %s is an object that looks like a policy reference but is none. Refer to a policy block, like policy.NAME, or give the policy as JSON.", addr)
			return policy.Document{}, "", false
		}
		text, from = v.GetAttr("document").AsString(), target.addr
	case ty.Equals(cty.String):
		text = v.AsString()
	case ty.IsMapType() || ty.IsObjectType():
		l.errorf(rng, "Invalid inline policy",
			"The policy of %s is a map or object. Give a policy block reference (policy.NAME, or policy.NAME[\"KEY\"] for a for_each instance) or a JSON document: policy = jsonencode({...}).", addr)
		return policy.Document{}, "", false
	default:
		l.errorf(rng, "Invalid inline policy", "The policy of %s takes a policy block reference or a JSON document; this is %s.", addr, ty.FriendlyName())
		return policy.Document{}, "", false
	}
	doc, err := policy.ParseIdentity(text)
	switch {
	case err != nil:
		l.errorf(rng, "Invalid inline policy",
			"The policy of %s is not a valid IAM policy: %s. Refer to a policy block (policy = policy.NAME), or write it with jsonencode({Version = \"2012-10-17\", Statement = [...]}).", addr, err.Error())
		return policy.Document{}, "", false
	case doc.IsEmpty():
		l.errorf(rng, "Invalid inline policy",
			"The policy of %s is empty. Leave policy out for the rights of its user (an implied policy), or give the statements that narrow them.", addr)
		return policy.Document{}, "", false
	case from == "" && l.serverRefuses(policy.ServerProblem(text, doc), rng, "The policy of "+addr):
		return policy.Document{}, "", false // a policy block's document is checked with the block
	}
	return doc, from, true
}

// quoteHCL renders s as an HCL string literal, with template sequences escaped.
func quoteHCL(s string) string {
	q := fmt.Sprintf("%q", s)
	q = strings.ReplaceAll(q, "${", "$${")
	return strings.ReplaceAll(q, "%{", "%%{")
}
