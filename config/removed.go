package config

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var removedSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "bucket", Required: true}, {Name: "minio"}, {Name: "force_destroy"}, {Name: "destroy"}},
}

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
	if attr := d.attrs["bucket"]; attr != nil {
		if v, st := l.staticValue(attr, cty.String); st == known {
			if problem := checkBucketName(v.AsString()); problem != "" {
				l.errorf(attr.Expr.Range(), "Invalid bucket name", "%s", problem)
			} else {
				d.removed.Bucket, d.nameKnown = v.AsString(), true
			}
		}
	}
	if v, st := l.staticValue(d.attrs["force_destroy"], cty.Bool); st == known {
		d.removed.ForceDestroy = v.True()
	}
	if v, st := l.staticValue(d.attrs["destroy"], cty.Bool); st == known {
		d.removed.Keep = v.False()
		if d.removed.Keep && d.removed.ForceDestroy {
			l.errorf(d.attrs["destroy"].Expr.Range(), "Conflicting destroy and force_destroy",
				"destroy = false keeps the bucket and releases it from the stack, while force_destroy = true deletes it with its objects. Keep only one of them.")
		}
	}
	l.removeds = append(l.removeds, d)
}

func (l *loader) removedGraph(d *removedDecl) {
	d.removed.Deployment = l.deploymentRef(nil, d.attrs["minio"], d.block)
}

// checkRemoved checks that a removed block names a bucket that is no longer declared, once.
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
		rng := d.attrs["bucket"].Expr.Range()
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
	for _, d := range l.outputs {
		c.Outputs = append(c.Outputs, d.out)
	}
}
