package config

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// signerIdentityGraph reads the identity argument of a signing_endpoint: a plain reference to
// a user or service_account block (user.NAME, or user.NAME["KEY"] for a for_each instance).
// The signing endpoint then depends on that block.
func (l *loader) signerIdentityGraph(d *signerDecl) {
	attr := d.attrs["identity"]
	if attr == nil {
		return
	}
	for _, other := range []string{"access_key", "secret_key"} {
		if a := d.attrs[other]; a != nil {
			l.errorf(a.NameRange, "Conflicting identity and "+other,
				"signing_endpoint.%s signs as the identity it names (at %s), with that identity's keys, so it takes no %s of its own. Keep either identity, or access_key and secret_key.",
				d.name, at(attr.Range), other)
			return
		}
	}
	rng := attr.Expr.Range()
	t, diags := hcl.AbsTraversalForExpr(attr.Expr)
	root := t.RootName()
	name, isAttr := traversalStep(t, 1)
	var key string
	keyOK := true
	if len(t) == 3 {
		keyOK = false
		if ix, isIndex := t[2].(hcl.TraverseIndex); isIndex && ix.Key.Type() == cty.String && ix.Key.IsKnown() && !ix.Key.IsNull() {
			key, keyOK = ix.Key.AsString(), true
		}
	}
	if diags.HasErrors() || (root != KindUser && root != KindServiceAccount) || !isAttr || len(t) < 2 || len(t) > 3 || !keyOK {
		l.errorf(rng, "Invalid identity reference",
			"identity takes a reference to a user or service_account block, written as is: identity = service_account.signer, or user.NAME[\"KEY\"] for an instance of a block with for_each.")
		return
	}
	target := l.nodes[root+"."+name]
	if target == nil {
		l.undeclared(root, name, rng)
		return
	}
	d.node.deps = append(d.node.deps, target)
	d.identity = root + "." + name
	if len(t) == 3 {
		d.identity += "[" + strconv.Quote(key) + "]"
	}
}

// signerIdentity resolves the identity of a signing endpoint, once the identity's block is
// evaluated, into the credentials it signs with.
func (l *loader) signerIdentity(d *signerDecl, se *SigningEndpoint) Credentials {
	if d.identity == "" {
		return Credentials{}
	}
	attr := d.attrs["identity"]
	rng := attr.Expr.Range()
	in := l.iam.byAddr[d.identity]
	if in == nil {
		base, _, indexed := strings.Cut(d.identity, "[")
		var decl *iamDecl
		for _, x := range l.iam.decls {
			if x.kind+"."+x.name == base {
				decl = x
			}
		}
		switch {
		case decl == nil:
			// The block did not evaluate (a cycle, or an error reported there).
		case decl.attrs["for_each"] == nil && indexed:
			l.errorf(rng, "Invalid identity reference", "%s has no for_each, so it has no instances by key; write identity = %s.", base, base)
		case decl.attrs["for_each"] != nil && !indexed:
			l.errorf(rng, "Invalid identity reference",
				"%s has for_each, so it is one identity per key. Pick one, like identity = %s[\"KEY\"].", base, base)
		case decl.instances != nil || decl.attrs["for_each"] == nil:
			var keys []string
			for _, x := range decl.instances {
				keys = append(keys, strings.TrimPrefix(x.addr, base))
			}
			l.errorf(rng, "Reference to undeclared instance",
				"%s has no instance %s (its instances: %s). Use one of its for_each keys.", base, strings.TrimPrefix(d.identity, base), strings.Join(keys, ", "))
		}
		return Credentials{}
	}
	se.Identity = in.addr
	if in.decl.deployment != "" && se.Deployment != "" && in.decl.deployment != se.Deployment {
		l.errorf(rng, "Identity of another deployment",
			"signing_endpoint.%s belongs to minio.%s, but %s is an identity of minio.%s. A URL is signed by an identity of the server that serves it; use an identity of minio.%s.",
			d.name, se.Deployment, in.addr, in.decl.deployment, se.Deployment)
		return Credentials{}
	}
	var accessKey string
	var secret Secret
	disabled := ""
	switch {
	case in.user != nil:
		accessKey, secret = in.user.AccessKey, in.user.SecretKey
		if in.user.Attrs.Has(IAMEnabled) && !in.user.Enabled {
			disabled = in.addr + " sets enabled = false"
		}
	case in.sa != nil:
		accessKey, secret = in.sa.AccessKey, in.sa.SecretKey
		if in.sa.Attrs.Has(IAMEnabled) && !in.sa.Enabled {
			disabled = in.addr + " sets enabled = false"
		} else if parent := l.lookup(KindUser, in.decl.deployment, in.sa.User.Name); parent != nil && parent.user.Attrs.Has(IAMEnabled) && !parent.user.Enabled {
			disabled = "its user " + parent.addr + " sets enabled = false"
		}
	}
	if disabled != "" {
		l.errorf(rng, "Signing identity is disabled",
			"signing_endpoint.%s signs as %s, but %s: MinIO refuses every request signed by a disabled identity (InvalidAccessKeyId), so every URL signed here would fail. Enable the identity, or sign as another one.",
			d.name, in.addr, disabled)
		return Credentials{}
	}
	if !in.identityKnown || !secret.Known() {
		return Credentials{}
	}
	return Credentials{AccessKey: accessKey, SecretKey: secret.Value(), Known: true}
}
