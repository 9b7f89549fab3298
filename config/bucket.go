package config

import (
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/config/units"
)

// bucketSchema is the schema of a bucket block: minio, name, the arguments of bucketArgs (in
// their order, which decides what a misspelt argument's "Did you mean" suggests) and for_each.
var bucketSchema = func() *hcl.BodySchema {
	attrs := []hcl.AttributeSchema{{Name: "minio"}, {Name: "name"}}
	for _, a := range bucketArgs {
		attrs = append(attrs, hcl.AttributeSchema{Name: a.name})
	}
	return &hcl.BodySchema{
		Attributes: append(attrs, hcl.AttributeSchema{Name: "for_each"}),
		Blocks:     []hcl.BlockHeaderSchema{{Type: "lifecycle_rule"}},
	}
}()

var lifecycleSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "id"}, {Name: "prefix"}, {Name: "enabled"},
		{Name: "expiration_days"}, {Name: "noncurrent_expiration_days"},
	},
}

// bucketObjectType is the type of bucket.NAME (of each instance, for a for_each block).
var bucketObjectType = cty.Object(map[string]cty.Type{"name": cty.String, "minio": cty.String, "arn": cty.String})

// arnPrefix starts the ARN of a bucket and of its objects.
const arnPrefix = "arn:aws:s3:::"

// bucketDecl is a bucket block.
type bucketDecl struct {
	name       string
	block      *hcl.Block
	attrs      hcl.Attributes
	rules      []*ruleDecl
	node       *node
	deployment string

	instances []*bucketInstance // evaluated instances, in key order
}

// ruleDecl is a lifecycle_rule block.
type ruleDecl struct {
	block *hcl.Block
	attrs hcl.Attributes
}

// bucketInstance is an evaluated instance, and whether its name is known and valid: the name
// checks need to know, and so do the arguments that name the bucket (anonymous, policy).
type bucketInstance struct {
	bucket    *Bucket
	nameKnown bool
	nameRange hcl.Range
}

func (l *loader) decodeBucket(b *hcl.Block) {
	name, content, n := l.openBlock(b, bucketSchema, "bucket", "Duplicate bucket block")
	if n == nil {
		return
	}
	d := &bucketDecl{name: name, block: b, attrs: content.Attributes, node: n}
	for _, rb := range content.Blocks {
		rc, diags := rb.Body.Content(lifecycleSchema)
		l.add(diags, rb.DefRange)
		if rc.Attributes["id"] == nil {
			l.errorf(rb.DefRange, "Missing lifecycle rule id",
				"Every lifecycle_rule needs an id, like id = \"expire-tmp\": the server gives a rule without one a random id, so it would differ from the configuration on every plan.")
		}
		d.rules = append(d.rules, &ruleDecl{block: rb, attrs: rc.Attributes})
	}
	n.eval = func(ctx *hcl.EvalContext) { l.evalBucket(d, ctx) }
	l.buckets = append(l.buckets, d)
}

func (l *loader) bucketGraph(d *bucketDecl) {
	d.deployment = l.deploymentRef(d.node, d.attrs["minio"], d.block)
	sc := scope{each: d.attrs["for_each"] != nil, noPresign: true}
	for _, attr := range sortedAttributes(d.attrs) {
		switch attr.Name {
		case "minio":
		case "for_each":
			l.refs(d.node, attr.Expr, scope{noPresign: true})
		default:
			l.refs(d.node, attr.Expr, sc)
		}
	}
	for _, r := range d.rules {
		for _, attr := range sortedAttributes(r.attrs) {
			l.refs(d.node, attr.Expr, sc)
		}
	}
	if a, p := d.attrs["anonymous"], d.attrs["policy"]; a != nil && p != nil {
		l.errorf(p.NameRange, "Conflicting anonymous and policy",
			"anonymous (at %s) sets a canned policy and policy sets a full one; both manage the bucket policy. Keep only one of them.", at(a.Range))
		delete(d.attrs, "policy") // not evaluated: the error says all there is to say
	}
}

func (l *loader) evalBucket(d *bucketDecl, ctx *hcl.EvalContext) {
	insts, exp := l.expand("bucket", d.name, d.attrs["for_each"], ctx)
	objs := make([]cty.Value, len(insts))
	if exp != single {
		l.invariant = map[hcl.Expression]cached{}
		defer func() { l.invariant = nil }()
	}
	results := make([]*bucketInstance, len(insts))
	l.eachInstance(len(insts), false, func(i int) {
		results[i], objs[i] = l.evalBucketInstance(d, insts[i], exp)
	})
	if exp == single || exp == keyed {
		d.instances = results
	}
	d.node.value = instancesValue(exp, objs, insts, bucketObjectType)
}

// evalBucketInstance evaluates one instance into the desired state of its bucket. Only the
// attributes the configuration writes are in State.Attrs: undeclared means "leave alone".
func (l *loader) evalBucketInstance(d *bucketDecl, in instance, exp expansion) (*bucketInstance, cty.Value) {
	b := &Bucket{
		Address:    in.addr,
		Deployment: d.deployment,
		DeclRange:  d.block.DefRange,
		State:      model.Bucket{Attrs: make(model.AttrSet, len(d.attrs))},
	}
	bi := &bucketInstance{bucket: b}
	l.bucketName(d, bi, in, exp)
	for _, a := range bucketArgs {
		attr := d.attrs[a.name]
		if attr == nil {
			continue
		}
		// An unknown value declares the attribute too: validate checks what it can, and the
		// value is known by the time a plan is made.
		if v, st := l.eval(attr, in.ctx, a.ty, useBucket); st == unknown || st == known && a.set(l, bi, attr, v) {
			bi.declare(a.declares)
		}
	}
	if b.State.ObjectLock && b.State.Versioning == model.VersioningSuspended {
		l.errorf(d.attrs["versioning"].Expr.Range(), "Object lock with suspended versioning",
			"A bucket with object_lock = true keeps versioning enabled for good; the server refuses to suspend it. Remove versioning, or set it to \"enabled\".")
	}
	if len(d.rules) > 0 {
		bi.declare(model.AttrLifecycle)
		b.State.Lifecycle = l.lifecycleRules(d, in.ctx)
	}
	return bi, cty.ObjectVal(map[string]cty.Value{
		"name":  knownString(b.State.Name, bi.nameKnown),
		"minio": knownString(d.deployment, d.deployment != ""),
		"arn":   knownString(arnPrefix+b.State.Name, bi.nameKnown),
	})
}

// declare records that the configuration declares attribute a of the bucket. The empty
// attribute (an argument that declares none) is not recorded.
func (bi *bucketInstance) declare(a model.Attr) {
	if a == "" {
		return
	}
	bi.bucket.State.Attrs[a] = true
}

// bucketName evaluates the name of the bucket: the name argument, else each.key, else the
// label. State.Name is set only to a valid name, which the other arguments may then use.
func (l *loader) bucketName(d *bucketDecl, bi *bucketInstance, in instance, exp expansion) {
	nameAttr := d.attrs["name"]
	v, st := l.eval(nameAttr, in.ctx, cty.String, useBucket)
	var name, defaultedFrom string
	switch st {
	case known:
		name, bi.nameKnown, bi.nameRange = v.AsString(), true, nameAttr.Expr.Range()
	case absent:
		switch exp {
		case single:
			name, bi.nameKnown, bi.nameRange = d.name, true, d.block.LabelRanges[0]
			defaultedFrom = "The name defaults to the block label; set name = \"...\" to choose a valid bucket name."
		case keyed:
			name, bi.nameKnown, bi.nameRange = in.key.AsString(), true, d.attrs["for_each"].Expr.Range()
			defaultedFrom = "The name defaults to the for_each key; change the key, or set name = \"...\" from it."
		}
	}
	if !bi.nameKnown {
		return
	}
	if problem := checkBucketName(name); problem != "" {
		l.errorf(bi.nameRange, "Invalid bucket name", "%s", strings.TrimSpace(in.addr+": "+problem+" "+defaultedFrom))
		bi.nameKnown = false
		return
	}
	bi.bucket.State.Name = name
}

// bucketArg is an argument of a bucket block that sets the desired bucket: its name, the type
// its value converts to, the attribute it declares and how a known value sets the bucket.
// Arguments are shown in plans, so none may hold a sensitive or presign value.
type bucketArg struct {
	name string
	ty   cty.Type
	// declares is the attribute the argument declares when its value is valid or unknown;
	// "" for one that declares none (force_destroy).
	declares model.Attr
	// set checks a known value and sets it on the instance's bucket. It reports whether the
	// value is valid, after reporting the errors of one that is not: only a valid value
	// declares the attribute.
	set func(l *loader, bi *bucketInstance, attr *hcl.Attribute, v cty.Value) bool
}

// bucketArgs are the arguments of a bucket block besides minio, name and for_each, in the
// order they are evaluated. Adding an argument is adding an entry (and, for an attribute
// of its own, a model.Attr that the engine reads and writes).
var bucketArgs = []bucketArg{
	{"anonymous", cty.String, model.AttrPolicy, (*loader).setAnonymous},
	{"policy", cty.String, model.AttrPolicy, (*loader).setBucketPolicy},
	{"versioning", cty.String, model.AttrVersioning, (*loader).setVersioning},
	{"quota", cty.String, model.AttrQuota, (*loader).setQuota},
	{"object_lock", cty.Bool, model.AttrObjectLock, (*loader).setObjectLock},
	{"tags", cty.Map(cty.String), model.AttrTags, (*loader).setTags},
	{"force_destroy", cty.Bool, "", (*loader).setForceDestroy},
}

// setAnonymous sets the policy to the canned one anonymous names. anonymous and policy both
// manage the bucket policy; bucketGraph drops policy when both are written.
func (l *loader) setAnonymous(bi *bucketInstance, attr *hcl.Attribute, v cty.Value) bool {
	mode := v.AsString()
	doc, ok := policy.Canned(mode, bi.bucket.State.Name)
	if !ok {
		l.errorf(attr.Expr.Range(), "Invalid anonymous value",
			"anonymous is %q; it must be one of %s.%s", mode, quotedList(policy.AnonymousModes), didYouMean(mode, policy.AnonymousModes))
		return false
	}
	if bi.nameKnown {
		bi.bucket.State.Policy = doc
	}
	return true
}

// setBucketPolicy sets the policy to the document policy holds, which may only grant access
// to the bucket itself.
func (l *loader) setBucketPolicy(bi *bucketInstance, attr *hcl.Attribute, v cty.Value) bool {
	doc, err := policy.Parse(v.AsString())
	if err != nil {
		l.errorf(attr.Expr.Range(), "Invalid bucket policy",
			"The policy of %s is not valid: %s. Write it with jsonencode({Version = \"2012-10-17\", Statement = [...]}).", bi.bucket.Address, err.Error())
		return false
	}
	if bi.nameKnown && !l.policyForBucket(doc, bi.bucket.State.Name, attr.Expr.Range()) {
		return false
	}
	bi.bucket.State.Policy = doc
	return true
}

// setVersioning sets the versioning state: "enabled" or "suspended" (never versioned cannot be
// declared, since a bucket cannot go back to it).
func (l *loader) setVersioning(bi *bucketInstance, attr *hcl.Attribute, v cty.Value) bool {
	switch s := v.AsString(); s {
	case "enabled":
		bi.bucket.State.Versioning = model.VersioningEnabled
	case "suspended":
		bi.bucket.State.Versioning = model.VersioningSuspended
	default:
		l.errorf(attr.Expr.Range(), "Invalid versioning value",
			"versioning is %q; it must be \"enabled\" or \"suspended\". Leave it out to leave versioning as it is (a bucket cannot go back to never versioned).%s",
			s, didYouMean(strings.ToLower(s), []string{"enabled", "suspended"}))
		return false
	}
	return true
}

// setQuota sets the quota: a size, or "none" for no quota.
func (l *loader) setQuota(bi *bucketInstance, attr *hcl.Attribute, v cty.Value) bool {
	s := strings.TrimSpace(v.AsString())
	if s == "none" {
		return true
	}
	n, err := units.ParseSize(s)
	switch {
	case err != nil:
		l.errorf(attr.Expr.Range(), "Invalid quota", "The quota is not valid: %s. Write a size like \"100GiB\", or \"none\" to remove the quota.", err.Error())
		return false
	case n == 0:
		l.errorf(attr.Expr.Range(), "Invalid quota", "A quota of 0 bytes would refuse every write; write a size like \"100GiB\", or \"none\" to remove the quota.")
		return false
	}
	bi.bucket.State.Quota = n
	return true
}

// setObjectLock sets whether the bucket has object lock.
func (l *loader) setObjectLock(bi *bucketInstance, _ *hcl.Attribute, v cty.Value) bool {
	bi.bucket.State.ObjectLock = v.True()
	return true
}

// setTags sets the user tags, which must all have string values and keep to the server's
// limits.
func (l *loader) setTags(bi *bucketInstance, attr *hcl.Attribute, v cty.Value) bool {
	tags := make(map[string]string, v.LengthInt())
	ok := true
	for it := v.ElementIterator(); it.Next(); {
		k, tv := it.Element()
		if tv.IsNull() {
			l.errorf(attr.Expr.Range(), "Invalid tag value",
				"The value of tag %q is null; write a string (\"\" for an empty value), or leave the tag out.", k.AsString())
			ok = false
			continue
		}
		tags[k.AsString()] = tv.AsString()
	}
	if !l.checkTags(tags, attr.Expr.Range()) || !ok {
		return false
	}
	bi.bucket.State.Tags = tags
	return true
}

// setForceDestroy sets whether deleting the bucket deletes its objects. It is no attribute of
// the bucket on the server, so it declares none.
func (l *loader) setForceDestroy(bi *bucketInstance, _ *hcl.Attribute, v cty.Value) bool {
	bi.bucket.ForceDestroy = v.True()
	return false
}

// policyForBucket checks that every resource of a bucket policy is the bucket or objects in it.
func (l *loader) policyForBucket(doc policy.Document, name string, rng hcl.Range) bool {
	for _, st := range doc.Statements {
		for _, r := range append(append([]string(nil), st.Resource...), st.NotResource...) {
			if r == arnPrefix+name || strings.HasPrefix(r, arnPrefix+name+"/") {
				continue
			}
			l.errorf(rng, "Policy resource of another bucket",
				"The policy of bucket %q names the resource %q. A bucket policy can only grant access to its own bucket: use \"%s%s\" or \"%s%s/*\".",
				name, r, arnPrefix, name, arnPrefix, name)
			return false
		}
	}
	return true
}

// lifecycleRules evaluates the lifecycle_rule blocks of one instance.
func (l *loader) lifecycleRules(d *bucketDecl, ctx *hcl.EvalContext) []model.LifecycleRule {
	var rules []model.LifecycleRule
	seen := map[string]hcl.Range{}
	for _, r := range d.rules {
		rule := model.LifecycleRule{}
		if attr := r.attrs["id"]; attr != nil {
			if v, st := l.eval(attr, ctx, cty.String, useBucket); st == known {
				id := v.AsString()
				switch prev, dup := seen[id]; {
				case id == "" || len(id) > 255:
					l.errorf(attr.Expr.Range(), "Invalid lifecycle rule id",
						"A lifecycle rule id is 1 to 255 characters; this one has %d.", len(id))
				case dup:
					l.errorf(attr.Expr.Range(), "Duplicate lifecycle rule id",
						"The id %q is already used by the rule at %s. The id identifies a rule on the server, so each rule of a bucket needs its own.", id, at(prev))
				default:
					seen[id] = attr.Expr.Range()
				}
				rule.ID = id
			}
		}
		if v, st := l.eval(r.attrs["prefix"], ctx, cty.String, useBucket); st == known {
			rule.Prefix = v.AsString()
		}
		if v, st := l.eval(r.attrs["enabled"], ctx, cty.Bool, useBucket); st == known {
			rule.Disabled = v.False()
		}
		expSet := l.days(r.attrs["expiration_days"], ctx, &rule.ExpirationDays)
		ncSet := l.days(r.attrs["noncurrent_expiration_days"], ctx, &rule.NoncurrentExpirationDays)
		if !expSet && !ncSet {
			l.errorf(r.block.DefRange, "Invalid lifecycle rule",
				"A lifecycle rule must expire something: set expiration_days, noncurrent_expiration_days, or both.")
		}
		rules = append(rules, rule)
	}
	return rules
}

// days evaluates a day count into dst. It reports whether the argument is set (an invalid or
// unknown value counts as set, so that no second error follows).
func (l *loader) days(attr *hcl.Attribute, ctx *hcl.EvalContext, dst *int) bool {
	v, st := l.eval(attr, ctx, cty.Number, useBucket)
	switch st {
	case absent:
		return false
	case known:
		bf := v.AsBigFloat()
		n, acc := bf.Int64()
		if acc != big.Exact || n < 1 || n > 1<<31-1 {
			l.errorf(attr.Expr.Range(), "Invalid expiration days",
				"%s must be a whole number of days, at least 1; got %s.", attr.Name, bf.Text('g', -1))
			return true
		}
		*dst = int(n)
	}
	return true
}
