package model

// Resource returns b as a generic resource of kind bucket, with the attributes b carries.
func (b Bucket) Resource() *Resource {
	r := NewResource(KindBucket, b.Name)
	for a := range b.Attrs {
		switch a {
		case AttrPolicy:
			r.Set(string(a), BucketPolicy{Doc: b.Policy, Bucket: b.Name})
		case AttrVersioning:
			r.Set(string(a), b.Versioning)
		case AttrQuota:
			r.Set(string(a), Size(b.Quota))
		case AttrTags:
			t := Tags(b.Tags) // shared, not copied: values are never modified
			if t == nil {
				t = Tags{}
			}
			r.Set(string(a), t)
		case AttrObjectLock:
			r.Set(string(a), Bool(b.ObjectLock))
		case AttrLifecycle:
			r.Set(string(a), Lifecycle(SortLifecycle(b.Lifecycle)))
		}
	}
	return r
}

// BucketOf returns the typed bucket of a generic resource of kind bucket. Attributes that are
// unknown (validate without the environment) are carried as declared with zero values.
func BucketOf(r *Resource) Bucket {
	b := Bucket{Name: r.ID, Attrs: AttrSet{}}
	for name, v := range r.Attrs {
		a := Attr(name)
		b.Attrs[a] = true
		switch x := v.(type) {
		case BucketPolicy:
			b.Policy = x.Doc
		case Versioning:
			b.Versioning = x
		case Size:
			b.Quota = uint64(x)
		case Tags:
			b.Tags = map[string]string(x)
		case Bool:
			if a == AttrObjectLock {
				b.ObjectLock = bool(x)
			}
		case Lifecycle:
			b.Lifecycle = []LifecycleRule(x)
		}
	}
	return b
}

// Live returns the generic live state of a bucket.
func (l BucketLive) Live() *Live {
	return &Live{Exists: l.Exists, State: l.State.Resource(), Tagged: l.Owner, Emptiness: l.Emptiness}
}
