package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var removedSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: KindBucket}, {Name: KindPolicy}, {Name: KindUser}, {Name: KindGroup}, {Name: KindServiceAccount},
		{Name: "minio"}, {Name: "force_destroy"}, {Name: "destroy"},
	},
}

// removedKinds are the arguments of a removed block that name what it removes, one of which
// it sets.
var removedKinds = []string{KindBucket, KindPolicy, KindUser, KindGroup, KindServiceAccount}

// removedDecl is a removed block.
type removedDecl struct {
	block     *hcl.Block
	attrs     hcl.Attributes
	removed   *Removed
	nameKnown bool
}

func (l *loader) decodeRemoved(b *hcl.Block) {
	content, diags := b.Body.Content(removedSchema)
	l.add(diags, b.DefRange)
	d := &removedDecl{block: b, attrs: content.Attributes, removed: &Removed{DeclRange: b.DefRange}}
	var set []string
	for _, k := range removedKinds {
		if d.attrs[k] != nil {
			set = append(set, k)
		}
	}
	switch {
	case len(set) == 0:
		l.errorf(b.DefRange, "Missing removed target",
			"A removed block names the one resource it removes: bucket = \"NAME\", policy = \"NAME\", user = \"ACCESS_KEY\", group = \"NAME\" or service_account = \"ACCESS_KEY\".")
	case len(set) > 1:
		l.errorf(d.attrs[set[1]].NameRange, "Conflicting removed targets",
			"This removed block names a %s and a %s; a removed block names one resource. Write one removed block for each.", set[0], set[1])
	default:
		d.removed.Kind = set[0]
		attr := d.attrs[set[0]]
		if v, st := l.staticValue(attr, cty.String); st == known {
			name := v.AsString()
			var problem, summary string
			switch d.removed.Kind {
			case KindBucket:
				problem, summary = checkBucketName(name), "Invalid bucket name"
			case KindPolicy, KindGroup:
				problem, summary = iamNameProblem(d.removed.Kind, name), "Invalid "+d.removed.Kind+" name"
			default:
				problem, summary = accessKeyProblem(name, d.removed.Kind == KindServiceAccount), "Invalid access key"
			}
			if problem != "" {
				l.errorf(attr.Expr.Range(), summary, "%s", problem)
			} else {
				d.removed.Name, d.nameKnown = name, true
				if d.removed.Kind == KindBucket {
					d.removed.Bucket = name
				}
			}
		}
	}
	if v, st := l.staticValue(d.attrs["force_destroy"], cty.Bool); st == known {
		d.removed.ForceDestroy = v.True()
		if k := d.removed.Kind; k != "" && k != KindBucket {
			l.errorf(d.attrs["force_destroy"].NameRange, "Argument only valid for buckets",
				"force_destroy deletes a bucket with its objects; a %s holds none. Remove force_destroy.", k)
		}
	}
	if v, st := l.staticValue(d.attrs["destroy"], cty.Bool); st == known {
		d.removed.Keep = v.False()
		if d.removed.Keep && d.removed.ForceDestroy {
			l.errorf(d.attrs["destroy"].Expr.Range(), "Conflicting destroy and force_destroy",
				"destroy = false keeps the resource and releases it from the stack, while force_destroy = true deletes the bucket with its objects. Keep only one of them.")
		}
	}
	l.removeds = append(l.removeds, d)
}

func (l *loader) removedGraph(d *removedDecl) {
	d.removed.Deployment = l.deploymentRef(nil, d.attrs["minio"], d.block)
}

// checkRemoved checks that a removed block names a resource that is no longer declared, once.
func (l *loader) checkRemoved() {
	declared := map[string]string{}
	for _, b := range l.buckets {
		for _, bi := range b.instances {
			if bi.nameKnown {
				declared[b.deployment+"\x00"+bi.bucket.State.Name] = bi.bucket.Address
			}
		}
	}
	seen := map[string]hcl.Range{}
	for _, d := range l.removeds {
		r := d.removed
		if !d.nameKnown || r.Deployment == "" {
			continue
		}
		rng := d.attrs[r.Kind].Expr.Range()
		if r.Kind != KindBucket {
			l.checkRemovedIdentity(r, rng, seen)
			continue
		}
		key := r.Deployment + "\x00" + r.Bucket
		switch prev, dup := seen[key]; {
		case r.Bucket == StateBucket:
			l.errorf(rng, "State bucket in a removed block",
				"%q is the bucket where bucketform keeps its ownership records; it is never removed. Remove this removed block.", r.Bucket)
		case declared[key] != "":
			l.errorf(rng, "Removed bucket is still declared",
				"Bucket %q is still declared by %s. A removed block is for a bucket no longer in the configuration: remove the removed block, or the bucket.", r.Bucket, declared[key])
		case dup:
			l.errorf(rng, "Duplicate removed block",
				"Bucket %q is already in the removed block at %s; keep one.", r.Bucket, at(prev))
		default:
			seen[key] = rng
		}
	}
}

// checkRemovedIdentity checks that a removed block names a policy, user, group or service
// account that is no longer declared, once.
func (l *loader) checkRemovedIdentity(r *Removed, rng hcl.Range, seen map[string]hcl.Range) {
	key := identityKey(r.Kind, r.Deployment, r.Name)
	what := map[string]string{KindPolicy: "Policy", KindGroup: "Group", KindUser: "Access key", KindServiceAccount: "Access key"}[r.Kind]
	if in := l.iam.byIdentity[key]; in != nil {
		l.errorf(rng, "Removed "+r.Kind+" is still declared",
			"%s %q is still declared by %s. A removed block is for a resource no longer in the configuration: remove the removed block, or %s.", what, r.Name, in.addr, in.addr)
		return
	}
	if prev, dup := seen[key]; dup {
		l.errorf(rng, "Duplicate removed block", "%s %q is already in the removed block at %s; keep one.", what, r.Name, at(prev))
		return
	}
	seen[key] = rng
}

// collect puts the evaluated declarations into the Config, in declaration order; the
// instances of a for_each block are in key order.
func (l *loader) collect() {
	c := l.cfg
	for _, d := range l.minios {
		if dep := l.deployments[d.name]; dep != nil {
			c.Deployments = append(c.Deployments, dep)
		}
	}
	for _, d := range l.signers {
		if se := l.signing[d.name]; se != nil {
			c.SigningEndpoints = append(c.SigningEndpoints, se)
		}
	}
	for _, d := range l.buckets {
		for _, bi := range d.instances {
			c.Buckets = append(c.Buckets, bi.bucket)
		}
	}
	for _, d := range l.removeds {
		c.Removed = append(c.Removed, d.removed)
	}
	for _, d := range l.presigns {
		c.Presigns = append(c.Presigns, d.instances...)
	}
	l.collectIAM()
	for _, d := range l.outputs {
		c.Outputs = append(c.Outputs, d.out)
	}
}
