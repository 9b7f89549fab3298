package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"
	"github.com/minio/minio-go/v7/pkg/tags"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
)

// revealsMissing lists the attribute reads that answer NoSuchBucket for a missing bucket.
// Tags and object lock do not (MinIO answers NoSuchTagSet and
// ObjectLockConfigurationNotFoundError), so they cannot tell whether a bucket exists.
var revealsMissing = []model.Attr{model.AttrPolicy, model.AttrVersioning, model.AttrLifecycle, model.AttrQuota}

// ReadBucket reads bucket name with as few requests as possible: first one attribute of
// want("") whose read tells whether the bucket exists (or a HEAD request when there is none),
// then its tags (ownership), then the rest of want(owner), one request each.
func (c *Client) ReadBucket(ctx context.Context, name string, want func(owner string) model.AttrSet) (model.BucketLive, error) {
	live := model.BucketLive{State: model.Bucket{Name: name, Attrs: model.AttrSet{}}}
	probe := model.Attr("")
	for _, a := range revealsMissing {
		if want("").Has(a) {
			probe = a
			break
		}
	}
	if probe == "" {
		var exists bool
		err := c.call(ctx, "s3:ListBucket", name, true, func(ctx context.Context) (err error) {
			exists, err = c.s3.BucketExists(ctx, name)
			return err
		})
		if err != nil {
			return live, fmt.Errorf("check bucket %s: %w", name, err)
		}
		if !exists {
			return live, nil
		}
	} else {
		err := c.readAttr(ctx, &live.State, probe)
		if Code(err) == CodeNoSuchBucket {
			return live, nil
		}
		if err != nil {
			return live, fmt.Errorf("read %s of bucket %s: %w", probe, name, err)
		}
		live.State.Attrs[probe] = true
	}
	live.Exists = true
	all, err := c.readTags(ctx, name)
	if err != nil {
		return live, fmt.Errorf("read tags of bucket %s: %w", name, err)
	}
	live.Owner = all[model.OwnerTag]
	delete(all, model.OwnerTag)
	live.State.Tags = all
	live.State.Attrs[model.AttrTags] = true
	for _, a := range want(live.Owner).Sorted() {
		if live.State.Attrs.Has(a) {
			continue
		}
		if err := c.readAttr(ctx, &live.State, a); err != nil {
			if Code(err) == CodeNoSuchBucket { // deleted between two reads
				return model.BucketLive{State: model.Bucket{Name: name, Attrs: model.AttrSet{}}}, nil
			}
			return live, fmt.Errorf("read %s of bucket %s: %w", a, name, err)
		}
		live.State.Attrs[a] = true
	}
	return live, nil
}

func (c *Client) readAttr(ctx context.Context, b *model.Bucket, a model.Attr) error {
	var err error
	switch a {
	case model.AttrTags:
		// read with ownership
	case model.AttrPolicy:
		b.Policy, err = c.readPolicy(ctx, b.Name)
	case model.AttrVersioning:
		var v minio.BucketVersioningConfiguration
		err = c.call(ctx, "s3:GetBucketVersioning", b.Name, true, func(ctx context.Context) (err error) {
			v, err = c.s3.GetBucketVersioning(ctx, b.Name)
			return err
		})
		b.Versioning = model.Versioning(v.Status)
	case model.AttrQuota:
		b.Quota, err = c.readQuota(ctx, b.Name)
	case model.AttrObjectLock:
		b.ObjectLock, err = c.readObjectLock(ctx, b.Name)
	case model.AttrLifecycle:
		b.Lifecycle, err = c.readLifecycle(ctx, b.Name)
	default:
		err = fmt.Errorf("unknown attribute %q", a)
	}
	return err
}

func (c *Client) readTags(ctx context.Context, name string) (map[string]string, error) {
	var t *tags.Tags
	err := c.call(ctx, "s3:GetBucketTagging", name, true, func(ctx context.Context) (err error) {
		t, err = c.s3.GetBucketTagging(ctx, name)
		return err
	})
	if Code(err) == "NoSuchTagSet" {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	return t.ToMap(), nil
}

// BucketPolicyText reads a bucket's policy as the server stores it; "" when it has none.
func (c *Client) BucketPolicyText(ctx context.Context, name string) (string, error) {
	var text string
	err := c.call(ctx, "s3:GetBucketPolicy", name, true, func(ctx context.Context) (err error) {
		text, err = c.s3.GetBucketPolicy(ctx, name)
		return err
	})
	return text, err
}

// BucketPolicy reads a bucket's policy; the empty Document when it has none.
func (c *Client) BucketPolicy(ctx context.Context, name string) (policy.Document, error) {
	return c.readPolicy(ctx, name)
}

func (c *Client) readPolicy(ctx context.Context, name string) (policy.Document, error) {
	var text string
	err := c.call(ctx, "s3:GetBucketPolicy", name, true, func(ctx context.Context) (err error) {
		text, err = c.s3.GetBucketPolicy(ctx, name)
		return err
	})
	if err != nil {
		return policy.Document{}, err
	}
	doc, err := policy.Parse(text)
	if err != nil {
		return policy.Document{}, fmt.Errorf("the server's policy cannot be parsed (%w): replace it with anonymous or policy in the configuration, or remove it with `mc anonymous set none`", err)
	}
	return doc, nil
}

// readQuota returns the enforced hard quota in bytes. A quota stored without a type is not
// enforced by the server, so it reads as no quota (and a configured quota rewrites it properly).
func (c *Client) readQuota(ctx context.Context, name string) (uint64, error) {
	var q madmin.BucketQuota
	err := c.call(ctx, "admin:GetBucketQuota", name, true, func(ctx context.Context) (err error) {
		q, err = c.admin.GetBucketQuota(ctx, name)
		return err
	})
	if err != nil {
		return 0, err
	}
	if q.Type != madmin.HardQuota {
		return 0, nil
	}
	if q.Size > 0 {
		return q.Size, nil
	}
	return q.Quota, nil
}

func (c *Client) readObjectLock(ctx context.Context, name string) (bool, error) {
	var enabled string
	err := c.call(ctx, "s3:GetBucketObjectLockConfiguration", name, true, func(ctx context.Context) (err error) {
		enabled, _, _, _, err = c.s3.GetObjectLockConfig(ctx, name)
		return err
	})
	if Code(err) == "ObjectLockConfigurationNotFoundError" {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return enabled == "Enabled", nil
}

func (c *Client) readLifecycle(ctx context.Context, name string) ([]model.LifecycleRule, error) {
	var cfg *lifecycle.Configuration
	err := c.call(ctx, "s3:GetLifecycleConfiguration", name, true, func(ctx context.Context) (err error) {
		cfg, err = c.s3.GetBucketLifecycle(ctx, name)
		return err
	})
	if Code(err) == "NoSuchLifecycleConfiguration" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rules := make([]model.LifecycleRule, 0, len(cfg.Rules))
	for _, r := range cfg.Rules {
		rules = append(rules, ruleFromServer(r))
	}
	return model.SortLifecycle(rules), nil
}

// ruleFromServer converts a live rule. `Prefix` at the top of a rule and `Filter.Prefix` mean
// the same; anything bucketform cannot express is named in Unsupported.
func ruleFromServer(r lifecycle.Rule) model.LifecycleRule {
	out := model.LifecycleRule{
		ID:                       r.ID,
		Disabled:                 r.Status != "Enabled",
		ExpirationDays:           int(r.Expiration.Days),
		NoncurrentExpirationDays: int(r.NoncurrentVersionExpiration.NoncurrentDays),
	}
	out.Prefix = r.Prefix
	if out.Prefix == "" {
		out.Prefix = r.RuleFilter.Prefix
	}
	if out.Prefix == "" {
		out.Prefix = r.RuleFilter.And.Prefix
	}
	var extra []string
	add := func(cond bool, what string) {
		if cond {
			extra = append(extra, what)
		}
	}
	add(!r.Expiration.Date.IsZero(), "expiration date")
	add(bool(r.Expiration.DeleteMarker), "expired delete markers")
	add(bool(r.Expiration.DeleteAll), "expire all versions")
	add(r.Transition.StorageClass != "", "transition")
	add(r.NoncurrentVersionTransition.StorageClass != "", "noncurrent transition")
	add(r.NoncurrentVersionExpiration.NewerNoncurrentVersions != 0, "newer noncurrent versions")
	add(r.AbortIncompleteMultipartUpload.DaysAfterInitiation != 0, "abort incomplete multipart upload")
	add(r.DelMarkerExpiration.Days != 0, "delete marker expiration")
	add(r.AllVersionsExpiration.Days != 0, "all versions expiration")
	add(r.RuleFilter.Tag.Key != "" || len(r.RuleFilter.And.Tags) > 0, "tag filter")
	add(r.RuleFilter.ObjectSizeLessThan != 0 || r.RuleFilter.ObjectSizeGreaterThan != 0 ||
		r.RuleFilter.And.ObjectSizeLessThan != 0 || r.RuleFilter.And.ObjectSizeGreaterThan != 0, "size filter")
	add(r.Compression != nil || r.NoncurrentVersionCompression != nil, "compression")
	out.Unsupported = strings.Join(extra, ", ")
	return out
}

func ruleToServer(r model.LifecycleRule) lifecycle.Rule {
	status := "Enabled"
	if r.Disabled {
		status = "Disabled"
	}
	return lifecycle.Rule{
		ID:                          r.ID,
		Status:                      status,
		RuleFilter:                  lifecycle.Filter{Prefix: r.Prefix},
		Expiration:                  lifecycle.Expiration{Days: lifecycle.ExpirationDays(r.ExpirationDays)},
		NoncurrentVersionExpiration: lifecycle.NoncurrentVersionExpiration{NoncurrentDays: lifecycle.ExpirationDays(r.NoncurrentExpirationDays)},
	}
}

// MakeBucket creates a bucket, with object lock when lock is true. A bucket that already
// exists and belongs to these credentials is not an error, so a re-run converges, and so does a
// retried request whose first attempt created the bucket but lost the answer.
func (c *Client) MakeBucket(ctx context.Context, name string, lock bool) error {
	action := "s3:CreateBucket"
	if lock {
		action = "s3:CreateBucket, s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning"
	}
	err := c.call(ctx, action, name, true, func(ctx context.Context) error {
		return c.s3.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: c.target.Region, ObjectLocking: lock})
	})
	if Code(err) == CodeBucketExists {
		return nil
	}
	return err
}

// CreateBucket creates a bucket, with object lock when lock is true. existed reports that the
// bucket was there already (BucketAlreadyOwnedByYou): created by someone else, or by an
// earlier attempt of this request whose answer was lost — the two cannot be told apart, so
// callers that must not take over someone else's bucket treat both as "not created by me".
func (c *Client) CreateBucket(ctx context.Context, name string, lock bool) (existed bool, err error) {
	action := "s3:CreateBucket"
	if lock {
		action = "s3:CreateBucket, s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning"
	}
	err = c.call(ctx, action, name, true, func(ctx context.Context) error {
		return c.s3.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: c.target.Region, ObjectLocking: lock})
	})
	if Code(err) == CodeBucketExists {
		return true, nil
	}
	return false, err
}

// SetPolicy replaces the bucket policy; the empty document removes it.
func (c *Client) SetPolicy(ctx context.Context, name string, doc policy.Document) error {
	text, action := doc.JSON(), "s3:PutBucketPolicy"
	if text == "" {
		action = "s3:DeleteBucketPolicy"
	}
	return c.call(ctx, action, name, true, func(ctx context.Context) error {
		return c.s3.SetBucketPolicy(ctx, name, text)
	})
}

// SetVersioning enables or suspends versioning.
func (c *Client) SetVersioning(ctx context.Context, name string, v model.Versioning) error {
	switch v {
	case model.VersioningEnabled:
		return c.call(ctx, "s3:PutBucketVersioning", name, true, func(ctx context.Context) error {
			return c.s3.EnableVersioning(ctx, name)
		})
	case model.VersioningSuspended:
		return c.call(ctx, "s3:PutBucketVersioning", name, true, func(ctx context.Context) error {
			return c.s3.SuspendVersioning(ctx, name)
		})
	}
	return fmt.Errorf("versioning cannot be set to %q", v)
}

// SetQuota sets a hard quota of size bytes; 0 removes the quota.
func (c *Client) SetQuota(ctx context.Context, name string, size uint64) error {
	q := &madmin.BucketQuota{}
	if size > 0 {
		// Type must be set: a size without a type is accepted and not enforced.
		q = &madmin.BucketQuota{Size: size, Type: madmin.HardQuota}
	}
	return c.call(ctx, "admin:SetBucketQuota", name, true, func(ctx context.Context) error {
		return c.admin.SetBucketQuota(ctx, name, q)
	})
}

// SetTags replaces every tag of the bucket (the ownership tag included) with all; an empty map
// removes them.
func (c *Client) SetTags(ctx context.Context, name string, all map[string]string) error {
	if len(all) == 0 {
		return c.call(ctx, "s3:PutBucketTagging", name, true, func(ctx context.Context) error {
			return c.s3.RemoveBucketTagging(ctx, name)
		})
	}
	t, err := tags.NewTags(all, false)
	if err != nil {
		return err
	}
	return c.call(ctx, "s3:PutBucketTagging", name, true, func(ctx context.Context) error {
		return c.s3.SetBucketTagging(ctx, name, t)
	})
}

// SetLifecycle replaces the lifecycle configuration; no rules removes it.
func (c *Client) SetLifecycle(ctx context.Context, name string, rules []model.LifecycleRule) error {
	cfg := lifecycle.NewConfiguration()
	for _, r := range rules {
		cfg.Rules = append(cfg.Rules, ruleToServer(r))
	}
	return c.call(ctx, "s3:PutLifecycleConfiguration", name, true, func(ctx context.Context) error {
		return c.s3.SetBucketLifecycle(ctx, name, cfg)
	})
}

// IsEmpty reports whether the bucket holds no object, no object version and no delete marker.
func (c *Client) IsEmpty(ctx context.Context, name string) (bool, error) {
	empty := false
	err := c.call(ctx, "s3:ListBucketVersions", name, true, func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for obj := range c.s3.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true, WithVersions: true, MaxKeys: 1}) {
			if obj.Err != nil {
				return obj.Err
			}
			empty = false
			return nil
		}
		empty = true
		return nil
	})
	return empty, err
}

// DeleteBucket deletes an empty bucket with a plain DeleteBucket; the server refuses a bucket
// that holds objects, so nothing can be lost.
func (c *Client) DeleteBucket(ctx context.Context, name string) error {
	err := c.call(ctx, "s3:DeleteBucket", name, true, func(ctx context.Context) error {
		return c.s3.RemoveBucket(ctx, name)
	})
	if Code(err) == CodeNoSuchBucket {
		return nil
	}
	return err
}

// EmptyBucket deletes every object version and delete marker of the bucket, without bypassing
// object-lock retention: a retained object makes it fail. A transient failure starts it again
// from a fresh listing (deleting what is already gone is no error).
func (c *Client) EmptyBucket(ctx context.Context, name string) error {
	return c.call(ctx, "", name, false, func(ctx context.Context) error { return c.emptyBucket(ctx, name) })
}

func (c *Client) emptyBucket(ctx context.Context, name string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := make(chan minio.ObjectInfo)
	listed := make(chan error, 1)
	go func() {
		defer close(objects)
		for obj := range c.s3.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
			if obj.Err != nil {
				listed <- obj.Err
				return
			}
			select {
			case objects <- obj:
			case <-ctx.Done():
				listed <- ctx.Err()
				return
			}
		}
		listed <- nil
	}()
	var errs []error
	for res := range c.s3.RemoveObjectsWithResult(ctx, name, objects, minio.RemoveObjectsOptions{}) {
		if res.Err != nil && len(errs) < 5 {
			errs = append(errs, fmt.Errorf("delete %s (version %s): %w", res.ObjectName, res.ObjectVersionID,
				&RequestError{Action: "s3:DeleteObject", Resource: name + "/*", Attempts: 1, Err: res.Err}))
			if len(errs) == 5 {
				cancel() // enough to say what is wrong; stop listing
			}
		}
	}
	if err := <-listed; err != nil && len(errs) < 5 {
		errs = append(errs, fmt.Errorf("list objects: %w", &RequestError{Action: "s3:ListBucketVersions", Resource: name, Attempts: 1, Err: err}))
	}
	return errors.Join(errs...)
}
