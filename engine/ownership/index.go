// Package ownership keeps, on each MinIO server, which stack owns which resource, which
// attributes of each owned resource a stack manages, and the lease that keeps two applies of
// one stack apart. Everything lives in one private bucket per server, bucketform-state:
//
//	claims/<kind>/<id>          one per owned resource: the stack that owns it
//	stacks/<stack>/index.json   the stack's index: address and managed attributes per resource
//	stacks/<stack>/lease.json   the stack's lease while an apply runs
//
// A claim is created with a conditional write that only one writer can win (If-None-Match: *),
// so when stacks race for a name exactly one owns it; it carries the owning stack in its user
// metadata, so reading every claim of a server is one listing (per thousand claims), not a
// request per resource. The index is only ever replaced with compare-and-swap on its ETag, so
// concurrent writers never lose each other's records: a writer that loses the race re-reads
// the index and re-applies its change.
package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/server"
)

// StateBucket is the bucket that holds claims, indexes and leases on every server. It is one
// per server, not configurable, because claims exclude each other only when every stack
// writes them in the same place.
const StateBucket = "bucketform-state"

// FormatVersion is the version of the index document written by this bucketform. Version 1
// (buckets only, ownership by tag) is read and upgraded on the next write.
const FormatVersion = "2"

// Index is a stack's record of the resources it owns on one server.
type Index struct {
	FormatVersion string `json:"format_version"`
	Stack         string `json:"stack"`
	// Resources maps kind → identity → entry.
	Resources map[model.Kind]map[string]Entry `json:"resources"`
}

// indexV1 is the document of version 1.
type indexV1 struct {
	FormatVersion string           `json:"format_version"`
	Stack         string           `json:"stack"`
	Buckets       map[string]Entry `json:"buckets"`
}

// Entry records one owned resource.
type Entry struct {
	// Address is the configuration address the resource had at the last apply, e.g.
	// bucket.data; plans show it when the resource is no longer declared.
	Address string `json:"address"`
	// Attrs are the attributes the stack declared at the last apply. An attribute listed here
	// and no longer declared is reset to the server's default.
	Attrs []string `json:"attrs"`
	// Unsettled are attributes whose last write failed part way, so that whether (and where)
	// it took effect is unknown: the next apply writes them again even when they read as
	// converged. In a distributed MinIO, a write cut short by a node failure can reach the
	// disks but not the other nodes' caches, which then serve the old value for up to 15
	// minutes; writing again refreshes them.
	Unsettled []string `json:"unsettled,omitempty"`
}

// NewIndex returns an empty index of stack.
func NewIndex(stack string) Index {
	return Index{FormatVersion: FormatVersion, Stack: stack, Resources: map[model.Kind]map[string]Entry{}}
}

// Entries returns every entry, by key.
func (idx Index) Entries() map[model.Key]Entry {
	out := map[model.Key]Entry{}
	for kind, m := range idx.Resources {
		for id, e := range m {
			out[model.Key{Kind: kind, ID: id}] = e
		}
	}
	return out
}

// Get returns the entry of k.
func (idx Index) Get(k model.Key) (Entry, bool) {
	e, ok := idx.Resources[k.Kind][k.ID]
	return e, ok
}

// Set records k.
func (idx *Index) Set(k model.Key, e Entry) {
	if idx.Resources == nil {
		idx.Resources = map[model.Kind]map[string]Entry{}
	}
	if idx.Resources[k.Kind] == nil {
		idx.Resources[k.Kind] = map[string]Entry{}
	}
	e.Attrs = slices.Sorted(slices.Values(e.Attrs))
	if len(e.Unsettled) == 0 {
		e.Unsettled = nil
	} else {
		e.Unsettled = slices.Compact(slices.Sorted(slices.Values(e.Unsettled)))
	}
	idx.Resources[k.Kind][k.ID] = e
}

// Delete forgets k.
func (idx *Index) Delete(k model.Key) {
	delete(idx.Resources[k.Kind], k.ID)
	if len(idx.Resources[k.Kind]) == 0 {
		delete(idx.Resources, k.Kind)
	}
}

// Len returns the number of entries.
func (idx Index) Len() int {
	n := 0
	for _, m := range idx.Resources {
		n += len(m)
	}
	return n
}

// Store reads and writes one stack's claims, index and lease on one server.
type Store struct {
	client *server.Client
	bucket string
	stack  string
}

// NewStore returns the store of stack in stateBucket (StateBucket, except in tests).
func NewStore(c *server.Client, stateBucket, stack string) *Store {
	return &Store{client: c, bucket: stateBucket, stack: stack}
}

func (s *Store) indexKey() string { return "stacks/" + s.stack + "/index.json" }
func (s *Store) leaseKey() string { return "stacks/" + s.stack + "/lease.json" }

// Snapshot is an index as read, with the ETag that a conditional write must match.
type Snapshot struct {
	Index Index
	// ETag is "" when the index does not exist yet.
	ETag string
	// Version is the format version the index was stored in ("" when it does not exist):
	// "1" means that its resources have no claims yet, and the next apply writes them.
	Version string
}

// Load reads the index in one request. A missing index or state bucket reads as an empty index.
func (s *Store) Load(ctx context.Context) (Snapshot, error) {
	data, etag, found, err := s.client.GetSmall(ctx, s.bucket, s.indexKey())
	if err != nil {
		return Snapshot{}, fmt.Errorf("read the ownership index %s/%s: %w", s.bucket, s.indexKey(), server.Explain(err))
	}
	snap := Snapshot{Index: NewIndex(s.stack)}
	if !found {
		return snap, nil
	}
	bad := func(why string) error {
		return fmt.Errorf("the ownership index %s/%s %s: restore it from a backup, or delete it and apply again to adopt the resources again", s.bucket, s.indexKey(), why)
	}
	var head struct {
		FormatVersion string `json:"format_version"`
		Stack         string `json:"stack"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Snapshot{}, bad(fmt.Sprintf("is not valid JSON (%v)", err))
	}
	if head.Stack != s.stack {
		return Snapshot{}, bad(fmt.Sprintf("names stack %q, not %q (edited or copied by hand?)", head.Stack, s.stack))
	}
	switch head.FormatVersion {
	case "1":
		var v1 indexV1
		if err := json.Unmarshal(data, &v1); err != nil {
			return Snapshot{}, bad(fmt.Sprintf("is not a valid version 1 index (%v)", err))
		}
		for name, e := range v1.Buckets {
			snap.Index.Set(model.Key{Kind: model.KindBucket, ID: name}, e)
		}
	case FormatVersion:
		if err := json.Unmarshal(data, &snap.Index); err != nil {
			return Snapshot{}, bad(fmt.Sprintf("is not a valid index (%v)", err))
		}
		if snap.Index.Resources == nil {
			snap.Index.Resources = map[model.Kind]map[string]Entry{}
		}
	default:
		return Snapshot{}, fmt.Errorf("the ownership index %s/%s has format version %q; this bucketform reads versions 1 and %s: upgrade bucketform",
			s.bucket, s.indexKey(), head.FormatVersion, FormatVersion)
	}
	snap.Index.FormatVersion = FormatVersion
	snap.ETag, snap.Version = etag, head.FormatVersion
	return snap, nil
}

// maxAttempts bounds the compare-and-swap loop; each lost race means another writer succeeded.
const maxAttempts = 20

// Update applies change to the current index and writes it with a conditional write, repeating
// from a fresh read when another writer got there first. change must be idempotent and depend
// only on the index it is given. The state bucket is created when it does not exist.
func (s *Store) Update(ctx context.Context, change func(*Index)) error {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		snap, err := s.Load(ctx)
		if err != nil {
			return err
		}
		change(&snap.Index)
		snap.Index.FormatVersion, snap.Index.Stack = FormatVersion, s.stack
		data, err := json.MarshalIndent(snap.Index, "", "  ")
		if err != nil {
			return err
		}
		_, err = s.client.PutSmall(ctx, s.bucket, s.indexKey(), data, snap.ETag)
		if server.Code(err) == server.CodeNoSuchBucket {
			if err := s.ensureBucket(ctx); err != nil {
				return err
			}
			continue
		}
		if errors.Is(err, server.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write the ownership index %s/%s: %w", s.bucket, s.indexKey(), server.Explain(err))
		}
		return nil
	}
	return fmt.Errorf("write the ownership index %s/%s: lost the compare-and-swap %d times in a row; try again", s.bucket, s.indexKey(), maxAttempts)
}

// ensureBucket creates the state bucket, private (a new bucket has no policy).
func (s *Store) ensureBucket(ctx context.Context) error {
	if err := s.client.EnsureBucket(ctx, s.bucket); err != nil {
		return fmt.Errorf("create the state bucket: %w", server.Explain(err))
	}
	return nil
}

// CheckPrivate checks that the state bucket grants nothing to anonymous users: whoever could
// write to it could forge claims, rewrite indexes or hold a lease forever. A state bucket that
// does not exist yet is private when it is created.
func (s *Store) CheckPrivate(ctx context.Context) error {
	doc, err := s.client.BucketPolicy(ctx, s.bucket)
	if server.Code(err) == server.CodeNoSuchBucket {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the policy of the state bucket %s: %w", s.bucket, server.Explain(err))
	}
	if doc.GrantsAnonymous() {
		return fmt.Errorf("the state bucket %s has a policy that grants access to anonymous users, so anyone could forge its claims, indexes and leases; "+
			"nothing was applied: remove the policy (mc anonymous set none ALIAS/%s), check the claims and indexes in it, and apply again", s.bucket, s.bucket)
	}
	return nil
}
