package config

import (
	"math"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/units"
)

// The range of presign expiry: SigV4 allows 1 second to 7 days inclusive.
const (
	MinExpires = time.Second
	MaxExpires = 7 * 24 * time.Hour
)

// MaxKeyLength is the longest object key S3 accepts, in bytes.
const MaxKeyLength = 1024

// PresignMethods are the methods a presign block may sign.
var PresignMethods = []string{"GET", "PUT", "HEAD", "POST"}

// presignSchema is the schema of a presign block: bucket, the arguments of presignArgs, and the
// arguments with functions of their own. HCL suggests the first name within two edits of a
// misspelt one: the order is the one the schema always had for every two names close enough
// for it to matter (bucket and key, method and minio: four edits apart).
var presignSchema = func() *hcl.BodySchema {
	attrs := []hcl.AttributeSchema{{Name: "bucket", Required: true}}
	for _, a := range presignArgs {
		attrs = append(attrs, hcl.AttributeSchema{Name: a.name})
	}
	return &hcl.BodySchema{Attributes: append(attrs,
		hcl.AttributeSchema{Name: "method"}, hcl.AttributeSchema{Name: "expires", Required: true}, hcl.AttributeSchema{Name: "endpoint"},
		hcl.AttributeSchema{Name: "for_each"}, hcl.AttributeSchema{Name: "minio"})}
}()

// presignObjectType is the type of presign.NAME (of each instance, for a for_each block).
var presignObjectType = cty.Object(map[string]cty.Type{
	"url": cty.String, "expires_at": cty.String, "form_fields": cty.Map(cty.String),
	"method": cty.String, "bucket": cty.String, "key": cty.String,
})

// presignDecl is a presign block.
type presignDecl struct {
	name       string
	block      *hcl.Block
	attrs      hcl.Attributes
	node       *node
	deployment string // from the minio argument; "" when it is not written
	signer     string // the signing_endpoint label; "" when endpoint is not written
	refsOK     bool   // minio and endpoint resolved

	instances []*Presign
}

func (l *loader) decodePresign(b *hcl.Block) {
	name, content, n := l.openBlock(b, presignSchema, "presign", "Duplicate presign block")
	if n == nil {
		return
	}
	d := &presignDecl{name: name, block: b, attrs: content.Attributes, node: n}
	n.marks = true // presign values are marked
	n.eval = func(ctx *hcl.EvalContext) { l.evalPresign(d, ctx) }
	l.presigns = append(l.presigns, d)
}

func (l *loader) presignGraph(d *presignDecl) {
	d.refsOK = true
	if attr := d.attrs["minio"]; attr != nil {
		d.deployment = l.deploymentRef(d.node, attr, d.block)
		d.refsOK = d.deployment != ""
	}
	if attr := d.attrs["endpoint"]; attr != nil {
		name, ok := l.staticRef(attr, "signing_endpoint", "endpoint = signing_endpoint.public")
		switch target := l.nodes["signing_endpoint."+name]; {
		case !ok:
			d.refsOK = false
		case target == nil:
			l.undeclared("signing_endpoint", name, attr.Expr.Range())
			d.refsOK = false
		default:
			d.signer = name
		}
	}
	sc := scope{each: d.attrs["for_each"] != nil, noPresign: true}
	for _, attr := range sortedAttributes(d.attrs) {
		switch attr.Name {
		case "minio", "endpoint":
		case "for_each":
			l.refs(d.node, attr.Expr, scope{noPresign: true})
		default:
			l.refs(d.node, attr.Expr, sc)
		}
	}
}

func (l *loader) evalPresign(d *presignDecl, ctx *hcl.EvalContext) {
	insts, exp := l.expand("presign", d.name, d.attrs["for_each"], ctx)
	objs := make([]cty.Value, len(insts))
	if exp != single {
		l.invariant = map[hcl.Expression]cached{}
		defer func() { l.invariant = nil }()
	}
	results := make([]*Presign, len(insts))
	l.eachInstance(len(insts), l.opts.Presign != nil, func(i int) {
		results[i], objs[i] = l.evalPresignInstance(d, insts[i])
	})
	if exp == single || exp == keyed {
		d.instances = results
	}
	d.node.value = instancesValue(exp, objs, insts, presignObjectType).Mark(markPresign)
}

// evalPresignInstance evaluates one instance, and signs it when Options.Presign is set and
// everything about it is known and valid.
func (l *loader) evalPresignInstance(d *presignDecl, in instance) (*Presign, cty.Value) {
	errorsBefore := l.errorCount()
	p := &Presign{Address: in.addr, DeclRange: d.block.DefRange, Endpoint: d.signer}
	var bucketKnown bool
	p.Bucket, p.Deployment, bucketKnown = l.presignBucket(d, in.ctx)
	l.checkSignerDeployment(d, p)
	methodKnown := l.presignMethod(d, in.ctx, p)
	expiresKnown := l.presignExpires(d, in.ctx, p)
	states, argsSettled := l.presignArgStates(d, in.ctx, p)
	if methodKnown {
		l.checkPresignForm(d, p, states)
	}
	keyKnown := settled(states["key"]) && settled(states["key_prefix"])
	complete := d.refsOK && bucketKnown && p.Deployment != "" && methodKnown && expiresKnown && argsSettled

	obj := map[string]cty.Value{
		"url":         cty.UnknownVal(cty.String),
		"expires_at":  cty.UnknownVal(cty.String),
		"form_fields": cty.UnknownVal(cty.Map(cty.String)),
		"method":      knownString(p.Method, methodKnown),
		"bucket":      knownString(p.Bucket, bucketKnown),
		"key":         knownString(p.Key+p.KeyPrefix, keyKnown),
	}
	if methodKnown && p.Method != "POST" {
		obj["form_fields"] = cty.MapValEmpty(cty.String)
	}
	l.notePresign(p, presignFacts{bucketKnown: bucketKnown, methodKnown: methodKnown, keyKnown: keyKnown})
	if complete && l.errorCount() == errorsBefore {
		l.checkPresignKeys(d, p)
	}
	// The count of diagnostics tells whether this instance reported an error: with
	// Options.Presign set, instances are evaluated one after the other (see eachInstance).
	if complete && l.opts.Presign != nil && l.errorCount() == errorsBefore {
		l.sign(p, obj)
	}
	return p, cty.ObjectVal(obj)
}

// checkSignerDeployment checks that the signing endpoint of p belongs to the deployment that
// holds its bucket.
func (l *loader) checkSignerDeployment(d *presignDecl, p *Presign) {
	if se := l.signing[d.signer]; se != nil && p.Deployment != "" && se.Deployment != p.Deployment {
		l.errorf(d.attrs["endpoint"].Expr.Range(), "Signing endpoint of another deployment",
			"signing_endpoint.%s belongs to minio.%s, but the bucket of %s is on minio.%s. A URL is signed for the deployment that holds the bucket; use a signing endpoint of minio.%s.",
			d.signer, se.Deployment, p.Address, p.Deployment, p.Deployment)
	}
}

// presignMethod evaluates the method into p, GET when it is not written. It reports whether
// the method is known and valid.
func (l *loader) presignMethod(d *presignDecl, ctx *hcl.EvalContext, p *Presign) bool {
	p.Method = "GET"
	v, st := l.eval(d.attrs["method"], ctx, cty.String, useShown)
	switch st {
	case absent:
		return true
	case known:
		p.Method = v.AsString()
		if !contains(PresignMethods, p.Method) {
			l.errorf(d.attrs["method"].Expr.Range(), "Invalid presign method",
				"method is %q; it must be one of %s (upper case).%s", p.Method, quotedList(PresignMethods), didYouMean(strings.ToUpper(p.Method), PresignMethods))
			return false
		}
		return true
	}
	return false
}

// presignExpires evaluates the expiry into p. It reports whether the expiry is known (an
// invalid one is known and reported).
func (l *loader) presignExpires(d *presignDecl, ctx *hcl.EvalContext, p *Presign) bool {
	v, st := l.eval(d.attrs["expires"], ctx, cty.String, useShown)
	if st != known {
		return false
	}
	rng := d.attrs["expires"].Expr.Range()
	dur, err := units.ParseDuration(v.AsString())
	switch {
	case err != nil:
		l.errorf(rng, "Invalid duration", "expires is not a duration: %s.", err.Error())
	case dur%time.Second != 0:
		l.errorf(rng, "Invalid duration", "expires is %s; a presigned URL expires after a whole number of seconds.", dur)
	case dur < MinExpires || dur > MaxExpires:
		l.errorf(rng, "Expiry out of range",
			"expires is %s; a presigned URL lives from 1s to 7d (604800s), the limit of SigV4. Choose an expiry in that range.", units.FormatDuration(dur))
	default:
		p.Expires = dur
	}
	return true
}

// presignArg is an argument of a presign block that says which object it signs for or shapes
// a POST upload: a string, which may be sensitive (it is never shown).
type presignArg struct {
	name     string
	postOnly bool // shapes a browser form upload: only method = "POST" takes it
	// set checks a known value and sets it on the presign, reporting the errors of one that
	// is not valid.
	set func(l *loader, p *Presign, attr *hcl.Attribute, s string)
}

// presignArgs are the arguments of a presign block that say what it signs for, in the order
// they are evaluated. Adding one is adding an entry (and a field of Presign). The others
// (bucket, method, expires, endpoint, minio, for_each) have functions of their own, since
// other arguments depend on them.
var presignArgs = []presignArg{
	{"key", false, (*loader).setPresignKey},
	{"key_prefix", true, (*loader).setPresignKeyPrefix},
	{"max_size", true, (*loader).setPresignMaxSize},
	{"content_type", true, (*loader).setPresignContentType},
}

// presignArgStates evaluates the arguments of presignArgs into p. It returns the state of each,
// by name, and whether all are settled.
func (l *loader) presignArgStates(d *presignDecl, ctx *hcl.EvalContext, p *Presign) (map[string]state, bool) {
	states := make(map[string]state, len(presignArgs))
	all := true
	for _, a := range presignArgs {
		attr := d.attrs[a.name]
		v, st := l.eval(attr, ctx, cty.String, useSetting)
		if st == known {
			a.set(l, p, attr, v.AsString())
		}
		states[a.name] = st
		all = all && settled(st)
	}
	return states, all
}

// settled reports whether an argument in state st is as it will be when the presign is signed:
// absent, or known.
func settled(st state) bool { return st != unknown && st != failed }

// checkPresignForm applies the rules that depend on the (known and valid) method: only POST
// takes the arguments that shape a form upload, a POST presign has key or key_prefix but not
// both, and any other has key.
func (l *loader) checkPresignForm(d *presignDecl, p *Presign, states map[string]state) {
	post := p.Method == "POST"
	for _, a := range presignArgs {
		if attr := d.attrs[a.name]; a.postOnly && !post && attr != nil {
			l.errorf(attr.NameRange, "Argument only valid for POST",
				"%s shapes a browser form upload (method = \"POST\"); a %s URL is for one given key. Remove %s, or use method = \"POST\".", a.name, p.Method, a.name)
		}
	}
	hasKey, hasPrefix := states["key"] != absent, states["key_prefix"] != absent
	switch {
	case post && hasKey && hasPrefix:
		l.errorf(d.attrs["key_prefix"].NameRange, "Conflicting key and key_prefix",
			"A POST upload has either one fixed key or any key under key_prefix; remove one of them.")
	case post && !hasKey && !hasPrefix:
		l.errorf(d.block.DefRange, "Missing presign key",
			"A POST presign needs key = \"path/to/object\" for one object, or key_prefix = \"uploads/\" to let the browser choose the name under it.")
	case !post && !hasKey:
		l.errorf(d.block.DefRange, "Missing presign key",
			"A %s presign signs one object; set key = \"path/to/object\".", p.Method)
	}
}

// setPresignKey sets the key of the one object a presign is for.
func (l *loader) setPresignKey(p *Presign, attr *hcl.Attribute, s string) {
	p.Key = l.objectKey(s, attr)
}

// setPresignKeyPrefix sets the prefix of the keys a POST upload may choose.
func (l *loader) setPresignKeyPrefix(p *Presign, attr *hcl.Attribute, s string) {
	p.KeyPrefix = l.objectKey(s, attr)
}

// setPresignMaxSize sets the largest upload a POST form accepts.
func (l *loader) setPresignMaxSize(p *Presign, attr *hcl.Attribute, s string) {
	rng := attr.Expr.Range()
	n, err := units.ParseSize(s)
	switch {
	case err != nil:
		l.errorf(rng, "Invalid size", "max_size is not a size: %s. Write it like \"1GiB\" or \"500MB\".", err.Error())
	case n == 0 || n > math.MaxInt64:
		l.errorf(rng, "Invalid size", "max_size must be at least 1 byte and at most %d bytes.", int64(math.MaxInt64))
	default:
		p.MaxSize = int64(n)
	}
}

// setPresignContentType sets the Content-Type a POST upload must send.
func (l *loader) setPresignContentType(p *Presign, _ *hcl.Attribute, s string) { p.ContentType = s }

// checkPresignKeys reports what CheckPresignKeys finds wrong with the keys of a presign that is
// otherwise valid, at its key or key_prefix.
func (l *loader) checkPresignKeys(d *presignDecl, p *Presign) {
	err := CheckPresignKeys(p)
	if err == nil {
		return
	}
	rng := d.block.DefRange
	if a := d.attrs["key"]; a != nil {
		rng = a.Expr.Range()
	} else if a := d.attrs["key_prefix"]; a != nil {
		rng = a.Expr.Range()
	}
	l.errorf(rng, "Invalid presign key", "%s.", strings.TrimSuffix(err.Error(), "."))
}

// presignBucket evaluates the bucket argument: a bucket block reference (bucket.data,
// bucket.tenant["a"], or each.value when for_each is over a bucket block) or a bucket name. It
// returns the bucket name, its deployment, and whether the name is known.
func (l *loader) presignBucket(d *presignDecl, ctx *hcl.EvalContext) (string, string, bool) {
	attr := d.attrs["bucket"]
	if attr == nil {
		return "", "", false
	}
	v, ok := l.evalExpr(attr.Expr, ctx, useSetting)
	if !ok {
		return "", "", false
	}
	if l.marksOf(v) != nil {
		v, _ = v.UnmarkDeep()
	}
	rng := attr.Expr.Range()
	ty := v.Type()
	switch {
	case v.IsNull():
		l.errorf(rng, "Invalid presign bucket", "bucket is null; give a bucket block reference like bucket.data, or a bucket name.")
		return "", "", false
	case ty.Equals(bucketObjectType):
		if !v.IsWhollyKnown() {
			return "", "", false
		}
		nameV, depV := v.GetAttr("name"), v.GetAttr("minio")
		if nameV.IsNull() || depV.IsNull() || l.nodes["minio."+depV.AsString()] == nil {
			l.errorf(rng, "Invalid presign bucket",
				"This object looks like a bucket reference but is none. Refer to a bucket block, like bucket.data, or give a bucket name.")
			return "", "", false
		}
		name, dep := nameV.AsString(), depV.AsString()
		if d.deployment != "" && d.deployment != dep {
			l.errorf(d.attrs["minio"].Expr.Range(), "Conflicting minio argument",
				"The bucket is on minio.%s, but minio says minio.%s. Remove the minio argument: a bucket reference says where the bucket is.", dep, d.deployment)
			return name, "", true
		}
		return name, dep, true
	case (ty.IsMapType() && ty.ElementType().Equals(bucketObjectType)) || ty.IsObjectType() && isBucketMap(ty):
		l.errorf(rng, "Invalid presign bucket",
			"This refers to a bucket block with for_each, which has one bucket per key. Pick one, like bucket.NAME[\"KEY\"], or presign each with for_each = bucket.NAME and bucket = each.value.")
		return "", "", false
	case !v.IsKnown():
		return "", "", false
	}
	s, err := convertString(v)
	if err != nil {
		l.errorf(rng, "Invalid presign bucket", "bucket takes a bucket block reference like bucket.data, or a bucket name; this is %s.", ty.FriendlyName())
		return "", "", false
	}
	if problem := checkBucketName(s); problem != "" {
		l.errorf(rng, "Invalid bucket name", "%s", problem)
		return "", "", false
	}
	return s, l.presignDeployment(d), true
}

// presignDeployment is the deployment of a presign whose bucket is given by name: the minio
// argument, else the deployment of the signing endpoint, else the only minio block.
func (l *loader) presignDeployment(d *presignDecl) string {
	switch {
	case d.deployment != "":
		return d.deployment
	case d.signer != "":
		for _, s := range l.signers {
			if s.name == d.signer {
				return s.deployment
			}
		}
		return ""
	case len(l.minios) == 1:
		return l.minios[0].name
	case !d.refsOK:
		return ""
	}
	return l.deploymentRef(nil, nil, d.block) // reports the missing minio argument
}

func isBucketMap(ty cty.Type) bool {
	attrs := ty.AttributeTypes()
	if len(attrs) == 0 {
		return false
	}
	for _, at := range attrs {
		if !at.Equals(bucketObjectType) {
			return false
		}
	}
	return true
}

// objectKey checks an object key or key prefix.
func (l *loader) objectKey(key string, attr *hcl.Attribute) string {
	switch {
	case key == "" && attr.Name == "key":
		l.errorf(attr.Expr.Range(), "Invalid presign key", "The key is empty; write the object's key, like \"runs/42/output.tar.gz\".")
	case len(key) > MaxKeyLength:
		l.errorf(attr.Expr.Range(), "Invalid presign key", "The %s is %d bytes long; an object key is at most %d bytes.", attr.Name, len(key), MaxKeyLength)
	}
	return key
}

// sign mints the URL of p through Options.Presign and puts it into obj.
func (l *loader) sign(p *Presign, obj map[string]cty.Value) {
	dep := l.deployments[p.Deployment]
	if dep == nil {
		return
	}
	// A signing endpoint signs with its own keys, its identity's or its deployment's (which
	// it then holds): only a presign without one needs the deployment's keys here.
	var se *SigningEndpoint
	if p.Endpoint != "" {
		if se = l.signing[p.Endpoint]; se == nil || !se.Creds.Known {
			return
		}
	} else if !dep.Creds.Known {
		return
	}
	now := l.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	res, err := l.opts.Presign(PresignRequest{Presign: p, Deployment: dep, Endpoint: se, Now: now})
	if err != nil {
		l.errorf(p.DeclRange, "Failed to presign", "Could not sign %s: %s.", p.Address, err.Error())
		return
	}
	obj["url"] = cty.StringVal(res.URL)
	obj["expires_at"] = cty.StringVal(res.ExpiresAt.UTC().Format(time.RFC3339))
	if p.Method == "POST" {
		fields := make(map[string]cty.Value, len(res.FormFields))
		for k, v := range res.FormFields {
			fields[k] = cty.StringVal(v)
		}
		if len(fields) == 0 {
			obj["form_fields"] = cty.MapValEmpty(cty.String)
		} else {
			obj["form_fields"] = cty.MapVal(fields)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
