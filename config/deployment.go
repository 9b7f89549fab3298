package config

import (
	"crypto/x509"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// The environment variables read when a minio block sets no credentials.
const (
	EnvAccessKey = "MINIO_ACCESS_KEY"
	EnvSecretKey = "MINIO_SECRET_KEY"
)

var minioSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "endpoint", Required: true}, {Name: "secure"},
		{Name: "access_key"}, {Name: "secret_key"},
		{Name: "region"}, {Name: "ca_file"}, {Name: "insecure_skip_verify"},
	},
}

var signerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "minio"}, {Name: "endpoint", Required: true}, {Name: "secure"},
		{Name: "access_key"}, {Name: "secret_key"}, {Name: "identity"},
	},
}

// minioDecl is a minio block.
type minioDecl struct {
	name  string
	block *hcl.Block
	attrs hcl.Attributes
	node  *node
}

// signerDecl is a signing_endpoint block.
type signerDecl struct {
	name       string
	block      *hcl.Block
	attrs      hcl.Attributes
	node       *node
	deployment string
	identity   string // the address of the identity it signs as; "" when none or invalid
}

func (l *loader) decodeMinio(b *hcl.Block) {
	name, content, n := l.openBlock(b, minioSchema, "minio", "Duplicate minio block")
	if n == nil {
		return
	}
	d := &minioDecl{name: name, block: b, attrs: content.Attributes, node: n}
	n.eval = func(ctx *hcl.EvalContext) { l.evalMinio(d, ctx) }
	l.minios = append(l.minios, d)
}

func (l *loader) decodeSigner(b *hcl.Block) {
	name, content, n := l.openBlock(b, signerSchema, "signing_endpoint", "Duplicate signing_endpoint block")
	if n == nil {
		return
	}
	d := &signerDecl{name: name, block: b, attrs: content.Attributes, node: n}
	n.eval = func(ctx *hcl.EvalContext) { l.evalSigner(d, ctx) }
	l.signers = append(l.signers, d)
}

func (l *loader) minioGraph(d *minioDecl) {
	for _, attr := range sortedAttributes(d.attrs) {
		l.refs(d.node, attr.Expr, scope{noPresign: true})
	}
}

func (l *loader) signerGraph(d *signerDecl) {
	d.deployment = l.deploymentRef(d.node, d.attrs["minio"], d.block)
	for _, attr := range sortedAttributes(d.attrs) {
		if attr.Name != "minio" && attr.Name != "identity" {
			l.refs(d.node, attr.Expr, scope{noPresign: true})
		}
	}
	l.signerIdentityGraph(d)
}

// endpointSettings evaluates endpoint and secure, which minio and signing_endpoint share.
func (l *loader) endpointSettings(attrs hcl.Attributes, ctx *hcl.EvalContext) (endpoint string, secure bool, ok bool) {
	ep, epState := l.eval(attrs["endpoint"], ctx, cty.String, useShown)
	sec, secState := l.eval(attrs["secure"], ctx, cty.Bool, useShown)
	ok = epState == known && secState != failed && secState != unknown
	var scheme string
	if epState == known {
		host, sch, problem := parseEndpoint(ep.AsString())
		if problem != "" {
			l.errorf(attrs["endpoint"].Expr.Range(), "Invalid endpoint", "%s", problem)
			return "", false, false
		}
		endpoint, scheme = host, sch
	}
	switch {
	case scheme == "https":
		secure = true
		if secState == known && !sec.True() {
			l.errorf(attrs["secure"].Expr.Range(), "Conflicting endpoint scheme",
				"The endpoint starts with https://, which means secure = true, but secure is false. Remove secure, or write the endpoint without https://.")
			ok = false
		}
	case scheme == "http":
		if secState == known && sec.True() {
			l.errorf(attrs["secure"].Expr.Range(), "Conflicting endpoint scheme",
				"The endpoint starts with http://, but secure = true asks for https. Write https:// in the endpoint, or remove secure.")
			ok = false
		}
	case secState == known:
		secure = sec.True()
	}
	return endpoint, secure, ok
}

func (l *loader) evalMinio(d *minioDecl, ctx *hcl.EvalContext) {
	dep := &Deployment{Name: d.name, Region: DefaultRegion, DeclRange: d.block.DefRange}
	endpoint, secure, epOK := l.endpointSettings(d.attrs, ctx)
	dep.Endpoint, dep.Secure = endpoint, secure

	regionKnown := true
	switch v, st := l.eval(d.attrs["region"], ctx, cty.String, useShown); st {
	case known:
		r := v.AsString()
		if r == "" || strings.ContainsAny(r, " \t\r\n/") {
			l.errorf(d.attrs["region"].Expr.Range(), "Invalid region",
				"The region %q is not a region name. Write a name like \"us-east-1\" (the default), matching the server's MINIO_SITE_REGION if it has one.", r)
		} else {
			dep.Region = r
		}
	case failed, unknown:
		regionKnown = false
	}
	if v, st := l.eval(d.attrs["ca_file"], ctx, cty.String, useShown); st == known && v.AsString() != "" {
		p := v.AsString()
		if !filepath.IsAbs(p) {
			p = filepath.Join(l.dir, p)
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if l.checkCAFile(p, d.attrs["ca_file"].Expr.Range()) {
			dep.CAFile = p
		}
	}
	if v, st := l.eval(d.attrs["insecure_skip_verify"], ctx, cty.Bool, useShown); st == known {
		dep.Insecure = v.True()
	}
	dep.Creds = l.credentials(d.attrs, ctx, "minio."+d.name, d.block.DefRange, nil)
	l.deployments[d.name] = dep
	d.node.value = cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal(d.name),
		"endpoint": knownString(endpoint, epOK),
		"secure":   knownBool(secure, epOK),
		"region":   knownString(dep.Region, regionKnown),
	})
}

func (l *loader) evalSigner(d *signerDecl, ctx *hcl.EvalContext) {
	se := &SigningEndpoint{Name: d.name, Deployment: d.deployment, DeclRange: d.block.DefRange}
	endpoint, secure, epOK := l.endpointSettings(d.attrs, ctx)
	se.Endpoint, se.Secure = endpoint, secure
	dep := l.deployments[d.deployment]
	regionKnown := dep != nil
	if dep != nil {
		se.Region = dep.Region
	}
	if d.attrs["identity"] != nil {
		se.Creds = l.signerIdentity(d, se)
	} else {
		se.Creds = l.credentials(d.attrs, ctx, "signing_endpoint."+d.name, d.block.DefRange, dep)
	}
	if d.deployment != "" {
		l.signing[d.name] = se
	}
	d.node.value = cty.ObjectVal(map[string]cty.Value{
		"name":     cty.StringVal(d.name),
		"minio":    knownString(d.deployment, d.deployment != ""),
		"endpoint": knownString(endpoint, epOK),
		"secure":   knownBool(secure, epOK),
		"region":   knownString(se.Region, regionKnown),
	})
}

// credentials evaluates access_key and secret_key. For a minio block (inherit nil) an unset key
// is read from MINIO_ACCESS_KEY / MINIO_SECRET_KEY; a signing_endpoint sets both or neither,
// and neither means the keys of its deployment (inherit). No value of a key ever reaches a
// diagnostic.
func (l *loader) credentials(attrs hcl.Attributes, ctx *hcl.EvalContext, addr string, rng hcl.Range, inherit *Deployment) Credentials {
	ak, akState := l.eval(attrs["access_key"], ctx, cty.String, useSetting)
	sk, skState := l.eval(attrs["secret_key"], ctx, cty.String, useSetting)
	if strings.HasPrefix(addr, "signing_endpoint.") {
		switch {
		case akState == failed || skState == failed:
			return Credentials{}
		case akState == absent && skState == absent:
			if inherit == nil {
				return Credentials{}
			}
			return inherit.Creds
		case akState == absent || skState == absent:
			l.errorf(rng, "Incomplete credentials",
				"%s sets only one of access_key and secret_key. Set both to sign as another identity, or neither to sign with the keys of its minio block.", addr)
			return Credentials{}
		}
	}
	var creds Credentials
	var missing []string
	resolve := func(attr string, v cty.Value, st state, env string) (string, bool) {
		switch st {
		case known:
			if v.AsString() == "" {
				l.errorf(attrs[attr].Expr.Range(), "Empty credential",
					"%s of %s is empty. The server would refuse every request, with an error that does not say why; set it to the %s, for example %s = env(%q).",
					attr, addr, strings.ReplaceAll(attr, "_", " "), attr, env)
				return "", false
			}
			if attr == "secret_key" {
				l.addSecret(v.AsString())
			}
			return v.AsString(), true
		case absent:
			s, ok := l.env(env)
			switch {
			case ok && s == "" && !l.opts.Partial:
				l.errorf(rng, "Empty credential",
					"%s sets no %s, and the environment variable %s that it defaults to is set but empty. The server would refuse every request, with an error that does not say why; give %s a value, or set %s in the block.",
					addr, attr, env, env, attr)
				return "", false
			case ok && s != "":
				if attr == "secret_key" {
					l.addSecret(s)
				}
				return s, true
			}
			missing = append(missing, env)
		}
		return "", false
	}
	akOK, skOK := false, false
	creds.AccessKey, akOK = resolve("access_key", ak, akState, EnvAccessKey)
	creds.SecretKey, skOK = resolve("secret_key", sk, skState, EnvSecretKey)
	creds.Known = akOK && skOK
	if len(missing) > 0 && !l.opts.Partial {
		detail := fmt.Sprintf("%s has no %s. Set access_key and secret_key in the block (for example secret_key = env(\"MY_SECRET\")), or set the environment variables %s.",
			addr, strings.ToLower(strings.Join(keyNames(missing), " and ")), strings.Join(missing, " and "))
		if inherit == nil && l.opts.Presign != nil {
			// Signing (bucketform output) needs a minio block's keys only for what it signs
			// with them: checkSigningCredentials reports them then.
			l.deferCredentials(addr, rng, detail)
		} else {
			l.errorf(rng, "Missing credentials", "%s", detail)
		}
	}
	if !creds.Known {
		creds = Credentials{}
	}
	return creds
}

// checkCAFile reports at rng when path is not a regular file holding a PEM certificate, and
// says whether it is one. validate checks it, so that a wrong path fails there, located,
// instead of at the first connection.
func (l *loader) checkCAFile(path string, rng hcl.Range) bool {
	pem, err := l.files.read(path)
	if err != nil {
		l.errorf(rng, "Invalid ca_file", "Could not read the CA file %s: %s.%s Give the path of a PEM file with the certificate of the CA that signed the server's certificate; a relative path is taken from the configuration directory.",
			path, errText(err), readHint(err))
		return false
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		l.errorf(rng, "Invalid ca_file", "The CA file %s holds no PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----). Give the certificate of the CA that signed the server's certificate.", path)
		return false
	}
	return true
}

func keyNames(envs []string) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		if e == EnvAccessKey {
			out[i] = "access key"
		} else {
			out[i] = "secret key"
		}
	}
	return out
}

func knownString(s string, ok bool) cty.Value {
	if !ok {
		return cty.UnknownVal(cty.String)
	}
	return cty.StringVal(s)
}

func knownBool(b bool, ok bool) cty.Value {
	if !ok {
		return cty.UnknownVal(cty.Bool)
	}
	return cty.BoolVal(b)
}

// checkDeploymentsDistinct refuses two minio blocks for one server: each keeps the stack's
// ownership index there, so each would take the other's buckets for owned-but-undeclared ones
// (and they would wait on each other's lease).
func (l *loader) checkDeploymentsDistinct() {
	seen := map[string]string{}
	for _, d := range l.minios {
		dep := l.deployments[d.name]
		if dep == nil || dep.Endpoint == "" {
			continue
		}
		key := strings.ToLower(dep.Endpoint)
		if first, dup := seen[key]; dup {
			rng := d.block.DefRange
			if a := d.attrs["endpoint"]; a != nil {
				rng = a.Expr.Range()
			}
			l.errorf(rng, "Two minio blocks for one server",
				"minio.%s and minio.%s both point at %s. One server is one minio block: the stack's ownership index lives on the server, so two blocks would each see the other's buckets as no longer declared. Declare every bucket of that server with one minio block.",
				first, d.name, dep.Endpoint)
			continue
		}
		seen[key] = d.name
	}
}
