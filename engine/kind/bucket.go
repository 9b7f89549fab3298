package kind

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// Bucket is the kind of S3 buckets: anonymous access or a full bucket policy, versioning,
// quota, tags, object lock (at creation only) and lifecycle rules. Its ownership mark is the
// bucketform-stack tag, never shown as a user tag.
type Bucket struct{}

var bucketSchema = &plan.Schema{
	Kind:   model.KindBucket,
	IDName: "name",
	Marked: true,
	Order:  0,
	// Plan order is also write order: versioning comes before the lifecycle rules that act on
	// noncurrent versions.
	Attrs: []plan.AttrSchema{
		{Name: string(model.AttrPolicy), Present: model.BucketPolicyPresent, Reset: model.BucketPolicy{}},
		{Name: string(model.AttrVersioning), NoReset: func(live model.Value) string {
			v, _ := live.(model.Versioning)
			return fmt.Sprintf("versioning is no longer declared; it stays %s, because a bucket cannot return to never versioned", v.Display())
		}},
		{Name: string(model.AttrQuota), Reset: model.Size(0)},
		{Name: string(model.AttrTags), Reset: model.Tags{}},
		{Name: string(model.AttrObjectLock), CreateOnly: func(live, want model.Value) string {
			return fmt.Sprintf("object_lock is %s on the server and %s in the configuration; object lock can only be chosen when a bucket is created "+
				"(set object_lock = %s, or create a new bucket under another name)", live.Text(), want.Text(), live.Text())
		}},
		{Name: string(model.AttrLifecycle), ConfigName: "lifecycle_rule", Reset: model.Lifecycle{}},
	},
	Check: func(want *model.Resource, live *model.Live) []plan.Finding {
		if v, ok := want.Get(string(model.AttrVersioning)).(model.Versioning); ok && v == model.VersioningSuspended {
			if lock, ok := live.State.Get(string(model.AttrObjectLock)).(model.Bool); ok && bool(lock) {
				return []plan.Finding{{Code: "suspend-under-object-lock", Refuse: true,
					Text: "versioning cannot be suspended on a bucket with object lock; the server refuses it (set versioning = \"enabled\")"}}
			}
		}
		return nil
	},
	DeleteBlocked: func(id string, live *model.Live, force, declared bool, _ plan.DeleteEnv) *plan.Finding {
		if force || live.Emptiness != model.NotEmpty {
			return nil
		}
		hint := "no longer declared; add a removed block with force_destroy = true to delete it with its objects, empty it, or declare it again"
		if declared {
			hint = "set force_destroy = true on it to delete it with its objects, or empty it first"
		}
		return &plan.Finding{Code: "bucket-not-empty", Refuse: true,
			Text: fmt.Sprintf("bucket %q holds objects and only empty buckets are deleted: %s", id, hint)}
	},
	ReadAlso: func(want *model.Resource) []string {
		if v, ok := want.Get(string(model.AttrVersioning)).(model.Versioning); ok && v == model.VersioningSuspended {
			return []string{string(model.AttrObjectLock)}
		}
		return nil
	},
}

// Schema describes buckets to the plan.
func (Bucket) Schema() *plan.Schema { return bucketSchema }

// ExportAllFrom is the number of buckets from which Read exports every bucket of the server in
// one request instead of exporting each bucket on its own. The crossover measured on the
// project's 2-core machine (cmd/bucketform-bench-export, docs/benchmarks.md) is a sixth to a
// quarter of the server's buckets: one export costs about 0.06 to 0.08 ms per bucket on the
// server, one export per bucket about 0.3 to 0.45 ms per bucket needed. Read cannot count the server's buckets without listing them, which a
// narrow identity may not do, so it decides from the buckets it needs: below ExportAllFrom
// their single exports take under about 0.15 s however many buckets the server holds (a
// server with 10,000 foreign buckets does not slow a 100-bucket plan), and from it one export
// is at least as fast unless the server holds more than four to six times as many buckets.
var ExportAllFrom = 500

// Prefetch makes, when the configuration declares ExportAllFrom buckets or more on the server,
// the one export of every bucket that Read would make, beside the reads of the index and the
// claims instead of after them; Read takes it from env.Prefetched.
func (Bucket) Prefetch(ctx context.Context, env *Env, declared int) any {
	if declared < ExportAllFrom {
		return nil
	}
	exp, err := env.Client.ExportAllBuckets(ctx)
	return &prefetchedExport{exp: exp, err: err}
}

// prefetchedExport is what Prefetch got.
type prefetchedExport struct {
	exp *server.Export
	err error
}

// Read reads the buckets through the server's bulk export of bucket metadata: one export of
// every bucket when many are needed (ExportAllFrom), else one export per bucket, at most
// env.Parallelism at a time. When the identity may not export (admin:ExportBucketMetadata) or
// the server has no export (an S3 server that is not MinIO), it reads attribute by attribute
// instead, which costs a request per attribute. Either way a bucket that may be deleted
// without force_destroy is then checked for objects, and the result holds the requested
// attributes and the tags (the ownership mark), the same whichever path read it.
func (b Bucket) Read(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	out, err := b.readExport(ctx, env, reqs)
	if server.ExportUnavailable(err) {
		env.Read, env.ReadNote = "attributes", fmt.Sprintf("bucket metadata could not be exported (%v), so buckets were read attribute by attribute: "+
			"up to 7 requests per bucket instead of 1. Grant admin:ExportBucketMetadata for faster plans.", server.ExportReason(err))
		out, err = b.readAttributes(ctx, env, reqs)
	}
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	err = env.Each(ctx, len(reqs), func(ctx context.Context, i int) error {
		req := reqs[i]
		mu.Lock()
		live := out[req.ID]
		mu.Unlock()
		if live == nil || !live.Exists || !req.Deletable || req.Force {
			return nil
		}
		empty, err := env.Client.IsEmpty(ctx, req.ID)
		if err != nil {
			return server.Explain(err)
		}
		mu.Lock()
		live.Emptiness = model.NotEmpty
		if empty {
			live.Emptiness = model.Empty
		}
		mu.Unlock()
		return nil
	})
	return out, err
}

// readExport reads the buckets from the server's export (see Read).
func (Bucket) readExport(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	out := make(map[string]*model.Live, len(reqs))
	keep := func(req Request, bl model.BucketLive) *model.Live {
		attrs := model.NewAttrSet(model.AttrTags)
		for _, a := range req.Attrs {
			attrs[model.Attr(a)] = true
		}
		if bl.Exists {
			bl.State = restrictBucket(bl.State, attrs)
		}
		return bl.Live()
	}
	pre, prefetched := env.Prefetched.(*prefetchedExport)
	if prefetched || len(reqs) >= ExportAllFrom {
		if !prefetched {
			pre = &prefetchedExport{}
			pre.exp, pre.err = env.Client.ExportAllBuckets(ctx)
		}
		if pre.err != nil {
			return nil, pre.err
		}
		env.Read = "export"
		var mu sync.Mutex
		err := env.Each(ctx, len(reqs), func(_ context.Context, i int) error { // parsing takes every core
			req := reqs[i]
			bl, err := pre.exp.Bucket(req.ID)
			if err != nil {
				return fmt.Errorf("bucket %s: %w", req.ID, server.Explain(err))
			}
			l := keep(req, bl)
			mu.Lock()
			out[req.ID] = l
			mu.Unlock()
			env.done()
			return nil
		})
		return out, err
	}
	env.Read = "export-each"
	var mu sync.Mutex
	err := env.Each(ctx, len(reqs), func(ctx context.Context, i int) error {
		req := reqs[i]
		bl, err := env.Client.ExportBucket(ctx, req.ID)
		if err != nil {
			if server.ExportUnavailable(err) {
				return err
			}
			return fmt.Errorf("bucket %s: %w", req.ID, server.Explain(err))
		}
		mu.Lock()
		out[req.ID] = keep(req, bl)
		mu.Unlock()
		env.done()
		return nil
	})
	return out, err
}

// restrictBucket keeps the attributes in attrs that b holds.
func restrictBucket(b model.Bucket, attrs model.AttrSet) model.Bucket {
	kept := model.AttrSet{}
	for a := range b.Attrs {
		if attrs[a] {
			kept[a] = true
		}
	}
	b.Attrs = kept
	return b
}

// readAttributes reads each bucket attribute by attribute: its tags (the ownership mark) and
// the requested attributes, one request each.
func (Bucket) readAttributes(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	out := make(map[string]*model.Live, len(reqs))
	var mu sync.Mutex
	err := env.Each(ctx, len(reqs), func(ctx context.Context, i int) error {
		req := reqs[i]
		attrs := model.NewAttrSet()
		for _, a := range req.Attrs {
			attrs[model.Attr(a)] = true
		}
		bl, err := env.Client.ReadBucket(ctx, req.ID, func(string) model.AttrSet { return attrs })
		if err != nil {
			return server.Explain(err)
		}
		mu.Lock()
		out[req.ID] = bl.Live()
		mu.Unlock()
		env.done()
		return nil
	})
	return out, err
}

// Create makes the bucket (with object lock when declared) and writes its declared attributes
// that differ from a new bucket's, its tags with the ownership tag. The policy is written last:
// a create cut short never leaves a bucket open to anonymous access without its quota and
// versioning, and creates are faster so (measured with 1,000 buckets, 32 in flight, in
// alternation with the benchmark's floor, which writes the policy last: 7.4 to 8.4 s with the
// policy first, 5.4 to 6.7 s with it last, against 6.2 to 7.6 s for the floor).
func (Bucket) Create(ctx context.Context, env *Env, c *plan.Change) (bool, error) {
	b := model.BucketOf(c.After)
	existed, err := env.Client.CreateBucket(ctx, c.ID, b.ObjectLock)
	switch {
	case err != nil && server.Code(err) == server.CodeBucketExistsForeign:
		return false, fmt.Errorf("create bucket %s: the name is taken by another account on this server", c.ID)
	case err != nil:
		return false, fmt.Errorf("create bucket %s: %w", c.ID, server.Explain(err))
	case existed:
		return false, ErrExists
	}
	if err := env.Client.SetTags(ctx, c.ID, withOwner(b.Tags, env.Stack)); err != nil {
		return true, fmt.Errorf("tag bucket %s as owned by stack %s: %w", c.ID, env.Stack, server.Explain(err))
	}
	var zero model.Bucket
	for _, a := range []model.Attr{model.AttrVersioning, model.AttrQuota, model.AttrLifecycle, model.AttrPolicy} {
		if !b.Attrs.Has(a) || (a == model.AttrVersioning && b.Versioning == model.VersioningNever) {
			continue
		}
		if a != model.AttrVersioning && c.After.Get(string(a)).Equal(zero.Resource().Get(string(a))) {
			continue
		}
		if err := writeBucketAttr(ctx, env, c.ID, a, b); err != nil {
			return true, err
		}
	}
	return true, nil
}

// Update writes the changed attributes; tags are written with the ownership tag.
func (Bucket) Update(ctx context.Context, env *Env, c *plan.Change, _ *model.Live) error {
	b := model.BucketOf(c.After)
	for _, a := range c.Changed() {
		if err := writeBucketAttr(ctx, env, c.ID, model.Attr(a.Attr), b); err != nil {
			return err
		}
	}
	return nil
}

func writeBucketAttr(ctx context.Context, env *Env, name string, a model.Attr, b model.Bucket) error {
	var err error
	switch a {
	case model.AttrTags:
		err = env.Client.SetTags(ctx, name, withOwner(b.Tags, env.Stack))
	case model.AttrPolicy:
		err = env.Client.SetPolicy(ctx, name, b.Policy)
	case model.AttrVersioning:
		err = env.Client.SetVersioning(ctx, name, b.Versioning)
	case model.AttrQuota:
		err = env.Client.SetQuota(ctx, name, b.Quota)
	case model.AttrLifecycle:
		err = env.Client.SetLifecycle(ctx, name, b.Lifecycle)
	default:
		err = fmt.Errorf("attribute %s cannot be written", a)
	}
	if err != nil {
		return fmt.Errorf("set %s of bucket %s: %w", a, name, server.Explain(err))
	}
	return nil
}

// Mark writes the ownership tag next to the bucket's live tags, unless the change writes the
// tags (which carry the ownership tag).
func (Bucket) Mark(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error {
	for _, a := range c.Changed() {
		if a.Attr == string(model.AttrTags) {
			return nil
		}
	}
	tags, _ := live.State.Get(string(model.AttrTags)).(model.Tags)
	if len(tags) >= serverMaxTags {
		return fmt.Errorf("tag bucket %s as owned by stack %s: it has the %d tags the server allows, set outside bucketform; remove one: %w", c.ID, env.Stack, serverMaxTags, ErrNoRoomForMark)
	}
	if err := env.Client.SetTags(ctx, c.ID, withOwner(tags, env.Stack)); err != nil {
		return fmt.Errorf("tag bucket %s as owned by stack %s: %w", c.ID, env.Stack, server.Explain(err))
	}
	return nil
}

// serverMaxTags is how many tags the server allows on a bucket.
const serverMaxTags = 50

// Unmark removes the ownership tag and keeps the bucket's other tags.
func (Bucket) Unmark(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error {
	tags, _ := live.State.Get(string(model.AttrTags)).(model.Tags)
	if err := env.Client.SetTags(ctx, c.ID, tags); err != nil {
		return fmt.Errorf("remove the ownership tag of bucket %s: %w", c.ID, server.Explain(err))
	}
	return nil
}

// Delete deletes the bucket with a plain DeleteBucket, which the server refuses for a bucket
// that holds objects; with force_destroy its objects are deleted first (retention is never
// bypassed).
func (Bucket) Delete(ctx context.Context, env *Env, c *plan.Change, _ *model.Live) error {
	if c.ForceDestroy {
		if err := env.Client.EmptyBucket(ctx, c.ID); err != nil {
			return fmt.Errorf("empty bucket %s: %w", c.ID, server.Explain(err))
		}
	}
	if err := env.Client.DeleteBucket(ctx, c.ID); err != nil {
		if server.Code(err) == server.CodeBucketNotEmpty {
			return fmt.Errorf("delete bucket %s: it holds objects (written since the plan was made?); nothing was deleted", c.ID)
		}
		return fmt.Errorf("delete bucket %s: %w", c.ID, server.Explain(err))
	}
	return nil
}

func withOwner(tags map[string]string, stack string) map[string]string {
	out := make(map[string]string, len(tags)+1)
	maps.Copy(out, tags)
	out[model.OwnerTag] = stack
	return out
}
