package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/tags"
)

// Floor is the request floor: a plain concurrent client (minio-go and madmin-go, no bucketform
// code) that makes only the requests a plan or an apply of the benchmark's buckets cannot do
// without, Parallelism at a time. Each worker takes one bucket and makes its requests one after
// the other, as a hand-written script would; the HTTP transport keeps an idle connection for
// every worker, so no request waits for a new connection.
//
// The read floor (what a plan with no changes must read, by a client that knows nothing of
// MinIO's bulk export) is:
//
//   - one GET of the stack's ownership index object, decoded, and one listing of the claims
//     (with their metadata: who owns each; one request per thousand claims);
//   - per bucket, every attribute bucketform manages, one request each: GetBucketPolicy (it
//     answers NoSuchBucket for a missing bucket, so it also tells whether the bucket exists;
//     GetBucketTagging cannot: it answers NoSuchTagSet), GetBucketTagging (who owns it, and the
//     user tags), GetBucketVersioning, GetObjectLockConfig, GetBucketLifecycle and madmin
//     GetBucketQuota: 6 requests, each answer checked against the configuration.
//
// The write floor (what an apply creating the buckets must write) is exactly bucketform's
// writes for the benchmark's configuration:
//
//   - per bucket: the claim (a conditional PUT, If-None-Match: *, of claims/bucket/<name> in
//     the state bucket, with the stack in its user metadata and bucketform's claim document:
//     what makes ownership exclusive between stacks), MakeBucket, SetBucketTagging (the user
//     tags and the ownership tag bucketform-stack=<stack>, which people and tools read),
//     EnableVersioning, madmin SetBucketQuota (hard) and SetBucketPolicy: 6 requests;
//   - one conditional PUT (If-None-Match: *) of the ownership index listing every bucket, in
//     bucketform's format, so that bucketform plans the floor's buckets as its own
//     (TestFloorDoesTheSameWork).
//
// The floor reads nothing before it writes: it knows the buckets do not exist. bucketform
// cannot know that, so its apply also makes the plan's reads and takes and releases the
// stack's lease; that is its overhead over the floor, measured.
type Floor struct {
	s3          *minio.Client
	admin       *madmin.AdminClient
	Parallelism int
}

// NewFloor returns a floor client for the MinIO at endpoint (host:port, plain HTTP), with the
// region set so that minio-go never asks for a bucket's location.
func NewFloor(endpoint, accessKey, secretKey string, parallelism int) (*Floor, error) {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        parallelism * 2,
		MaxIdleConnsPerHost: parallelism * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	creds := credentials.NewStaticV4(accessKey, secretKey, "")
	s3, err := minio.New(endpoint, &minio.Options{Creds: creds, Region: "us-east-1", Transport: tr})
	if err != nil {
		return nil, err
	}
	admin, err := madmin.NewWithOptions(endpoint, &madmin.Options{Creds: creds, Transport: tr})
	if err != nil {
		return nil, err
	}
	return &Floor{s3: s3, admin: admin, Parallelism: parallelism}, nil
}

// indexDoc is bucketform's ownership index format (engine/ownership), written here by hand.
type indexDoc struct {
	FormatVersion string                           `json:"format_version"`
	Stack         string                           `json:"stack"`
	Resources     map[string]map[string]indexEntry `json:"resources"`
}

type indexEntry struct {
	Address string   `json:"address"`
	Attrs   []string `json:"attrs"`
}

// IndexKey returns the key of a stack's ownership index in the state bucket.
func IndexKey(stack string) string { return "stacks/" + stack + "/index.json" }

// ClaimKey is the object of a bucket's claim in the state bucket.
func ClaimKey(bucket string) string { return "claims/bucket/" + url.PathEscape(bucket) }

// StateBucket is the bucket that holds the ownership indexes.
const StateBucket = "bucketform-state"

// ReadPlan makes the read floor's requests for tenants of stack (see Floor).
func (f *Floor) ReadPlan(ctx context.Context, stack string, tenants []Tenant) error {
	obj, err := f.s3.GetObject(ctx, StateBucket, IndexKey(stack), minio.GetObjectOptions{})
	if err != nil {
		return err
	}
	var idx indexDoc
	err = json.NewDecoder(obj).Decode(&idx)
	obj.Close()
	if err != nil {
		return fmt.Errorf("read the index of %s: %w", stack, err)
	}
	if len(idx.Resources["bucket"]) != len(tenants) {
		return fmt.Errorf("the index of %s lists %d buckets, want %d", stack, len(idx.Resources["bucket"]), len(tenants))
	}
	claims := 0
	for obj := range f.s3.ListObjects(ctx, StateBucket, minio.ListObjectsOptions{Prefix: "claims/", Recursive: true, WithMetadata: true}) {
		if obj.Err != nil {
			return obj.Err
		}
		claims++
	}
	if claims < len(tenants) {
		return fmt.Errorf("%d claims in the state bucket, want at least %d", claims, len(tenants))
	}
	return f.each(ctx, tenants, func(t Tenant) error { return f.readBucket(ctx, stack, t) })
}

// readBucket reads the six attributes of one tenant's bucket and checks them against the
// configuration, as a plan compares them.
func (f *Floor) readBucket(ctx context.Context, stack string, t Tenant) error {
	pol, err := f.s3.GetBucketPolicy(ctx, t.Name)
	if err != nil {
		return err
	}
	if pol == "" {
		return fmt.Errorf("bucket %s has no policy", t.Name)
	}
	tg, err := f.s3.GetBucketTagging(ctx, t.Name)
	if err != nil {
		return err
	}
	m := tg.ToMap()
	if m["bucketform-stack"] != stack || m["tenant"] != t.Key || m["team"] != t.Team {
		return fmt.Errorf("bucket %s is not tagged for stack %s as configured: %v", t.Name, stack, m)
	}
	v, err := f.s3.GetBucketVersioning(ctx, t.Name)
	if err != nil {
		return err
	}
	if v.Status != minio.Enabled {
		return fmt.Errorf("bucket %s: versioning %q, want Enabled", t.Name, v.Status)
	}
	if _, _, _, _, err := f.s3.GetObjectLockConfig(ctx, t.Name); minio.ToErrorResponse(err).Code != "ObjectLockConfigurationNotFoundError" {
		return fmt.Errorf("bucket %s: object lock: %v, want none", t.Name, err)
	}
	if _, err := f.s3.GetBucketLifecycle(ctx, t.Name); minio.ToErrorResponse(err).Code != "NoSuchLifecycleConfiguration" {
		return fmt.Errorf("bucket %s: lifecycle: %v, want none", t.Name, err)
	}
	q, err := f.admin.GetBucketQuota(ctx, t.Name)
	if err != nil {
		return err
	}
	if q.Type != madmin.HardQuota || q.Size != t.Quota {
		return fmt.Errorf("bucket %s: quota %+v, want a hard quota of %d", t.Name, q, t.Quota)
	}
	return nil
}

// WriteApply makes the write floor's requests, creating tenants for stack (see Floor).
func (f *Floor) WriteApply(ctx context.Context, stack string, tenants []Tenant) error {
	err := f.each(ctx, tenants, func(t Tenant) error {
		claim := []byte(`{"format_version":"1","stack":"` + stack + `","address":` + strconv.Quote(t.Address()) +
			`,"claimed_at":"` + time.Now().UTC().Truncate(time.Second).Format(time.RFC3339) + `"}`)
		copts := minio.PutObjectOptions{ContentType: "application/json", DisableMultipart: true,
			UserMetadata: map[string]string{"bucketform-stack": stack}}
		copts.SetMatchETagExcept("*")
		if _, err := f.s3.PutObject(ctx, StateBucket, ClaimKey(t.Name), bytes.NewReader(claim), int64(len(claim)), copts); err != nil {
			return err
		}
		if err := f.s3.MakeBucket(ctx, t.Name, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
			return err
		}
		all := t.Tags()
		all["bucketform-stack"] = stack
		tg, err := tags.NewTags(all, false)
		if err != nil {
			return err
		}
		if err := f.s3.SetBucketTagging(ctx, t.Name, tg); err != nil {
			return err
		}
		if err := f.s3.EnableVersioning(ctx, t.Name); err != nil {
			return err
		}
		if err := f.admin.SetBucketQuota(ctx, t.Name, &madmin.BucketQuota{Size: t.Quota, Type: madmin.HardQuota}); err != nil {
			return err
		}
		return f.s3.SetBucketPolicy(ctx, t.Name, DownloadPolicy(t.Name))
	})
	if err != nil {
		return err
	}
	idx := indexDoc{FormatVersion: "2", Stack: stack, Resources: map[string]map[string]indexEntry{"bucket": {}}}
	for _, t := range tenants {
		idx.Resources["bucket"][t.Name] = indexEntry{Address: t.Address(), Attrs: []string{"policy", "quota", "tags", "versioning"}}
	}
	data, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: "application/json", DisableMultipart: true}
	opts.SetMatchETagExcept("*")
	_, err = f.s3.PutObject(ctx, StateBucket, IndexKey(stack), bytes.NewReader(data), int64(len(data)), opts)
	return err
}

// each runs do for every tenant, Parallelism at a time, and returns the first error.
func (f *Floor) each(ctx context.Context, tenants []Tenant, do func(Tenant) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan Tenant)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(f.Parallelism, len(tenants)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if err := do(t); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("%s: %w", t.Name, err); cancel() })
				}
			}
		}()
	}
feed:
	for _, t := range tenants {
		select {
		case work <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// --- helpers for seeding and cleaning up; not part of any measurement ---

// MakeBuckets creates empty buckets (the foreign buckets of a server shared with others).
func (f *Floor) MakeBuckets(ctx context.Context, names []string) error {
	ts := make([]Tenant, len(names))
	for i, n := range names {
		ts[i] = Tenant{Name: n}
	}
	return f.each(ctx, ts, func(t Tenant) error {
		err := f.s3.MakeBucket(ctx, t.Name, minio.MakeBucketOptions{Region: "us-east-1"})
		if minio.ToErrorResponse(err).Code == "BucketAlreadyOwnedByYou" {
			return nil
		}
		return err
	})
}

// RemoveBuckets deletes the tenants' (empty) buckets and the stack's index, so the next
// measurement starts from the same server.
func (f *Floor) RemoveBuckets(ctx context.Context, stack string, tenants []Tenant) error {
	err := f.each(ctx, tenants, func(t Tenant) error {
		err := f.s3.RemoveBucket(ctx, t.Name)
		if err != nil && minio.ToErrorResponse(err).Code != "NoSuchBucket" {
			return err
		}
		return f.s3.RemoveObject(ctx, StateBucket, ClaimKey(t.Name), minio.RemoveObjectOptions{})
	})
	if err != nil {
		return err
	}
	return f.s3.RemoveObject(ctx, StateBucket, IndexKey(stack), minio.RemoveObjectOptions{})
}

// EnsureStateBucket creates the state bucket, as the first apply of any stack does.
func (f *Floor) EnsureStateBucket(ctx context.Context) error {
	return f.MakeBuckets(ctx, []string{StateBucket})
}

// CountBuckets returns the number of buckets on the server (one ListBuckets; for reporting).
func (f *Floor) CountBuckets(ctx context.Context) (int, error) {
	bs, err := f.s3.ListBuckets(ctx)
	return len(bs), err
}

// FloorParallelism is the floor client's default parallelism: its best measured value on the
// benchmark machine (docs/benchmarks.md says how to run the sweep): reads of 1,000 buckets are fastest from
// 24 to 32 requests in flight, writes are as fast from 8 to 64.
const FloorParallelism = 32
