// Package ownership keeps, on the MinIO server itself, which buckets each stack owns and which
// of their attributes it manages, and the lease that keeps two applies of one stack apart.
//
// Each stack has one small JSON object, stacks/<stack>/index.json, in the state bucket
// (bucketform-state unless configured). Reading it is one request however many buckets the
// server holds. It is only ever replaced with a conditional write (compare-and-swap on its
// ETag), so concurrent writers never lose each other's records: a writer that loses the race
// re-reads the index and re-applies its change.
package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/server"
)

// FormatVersion is the version of the index document written by this bucketform.
const FormatVersion = "1"

// Index is a stack's record of the buckets it owns on one server.
type Index struct {
	FormatVersion string           `json:"format_version"`
	Stack         string           `json:"stack"`
	Buckets       map[string]Entry `json:"buckets"`
}

// Entry records one owned bucket.
type Entry struct {
	// Address is the configuration address the bucket had at the last apply, e.g. bucket.data;
	// plans show it when the bucket is no longer declared.
	Address string `json:"address"`
	// Attrs are the attributes the stack declared at the last apply. An attribute listed here
	// and no longer declared is reset to the server's default.
	Attrs []model.Attr `json:"attrs"`
}

// AttrSet returns the entry's attributes as a set.
func (e Entry) AttrSet() model.AttrSet { return model.NewAttrSet(e.Attrs...) }

// NewEntry returns an entry with the attributes in attrs, in a stable order.
func NewEntry(address string, attrs model.AttrSet) Entry {
	return Entry{Address: address, Attrs: attrs.Sorted()}
}

// Store reads and writes one stack's index and lease on one server.
type Store struct {
	client *server.Client
	bucket string
	stack  string
}

// NewStore returns the store of stack in stateBucket.
func NewStore(c *server.Client, stateBucket, stack string) *Store {
	return &Store{client: c, bucket: stateBucket, stack: stack}
}

// Bucket returns the name of the state bucket.
func (s *Store) Bucket() string { return s.bucket }

func (s *Store) indexKey() string { return "stacks/" + s.stack + "/index.json" }
func (s *Store) leaseKey() string { return "stacks/" + s.stack + "/lease.json" }

// Snapshot is an index as read, with the ETag that a conditional write must match.
type Snapshot struct {
	Index Index
	// ETag is "" when the index does not exist yet.
	ETag string
}

// Load reads the index in one request. A missing index or state bucket reads as an empty index.
func (s *Store) Load(ctx context.Context) (Snapshot, error) {
	data, etag, found, err := s.client.GetSmall(ctx, s.bucket, s.indexKey())
	if err != nil {
		return Snapshot{}, fmt.Errorf("read the ownership index %s/%s: %w", s.bucket, s.indexKey(), server.Explain(err))
	}
	snap := Snapshot{Index: Index{FormatVersion: FormatVersion, Stack: s.stack, Buckets: map[string]Entry{}}}
	if !found {
		return snap, nil
	}
	if err := json.Unmarshal(data, &snap.Index); err != nil {
		return Snapshot{}, fmt.Errorf("the ownership index %s/%s is not valid JSON (%v): restore it from a backup or delete it and re-apply to adopt the buckets again", s.bucket, s.indexKey(), err)
	}
	if snap.Index.FormatVersion != FormatVersion {
		return Snapshot{}, fmt.Errorf("the ownership index %s/%s has format version %q; this bucketform reads version %q: upgrade bucketform", s.bucket, s.indexKey(), snap.Index.FormatVersion, FormatVersion)
	}
	if snap.Index.Buckets == nil {
		snap.Index.Buckets = map[string]Entry{}
	}
	snap.ETag = etag
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
		data, err := json.MarshalIndent(sortedIndex(snap.Index), "", "  ")
		if err != nil {
			return err
		}
		_, err = s.client.PutSmall(ctx, s.bucket, s.indexKey(), data, snap.ETag)
		if server.Code(err) == server.CodeNoSuchBucket {
			if err := s.client.EnsureBucket(ctx, s.bucket); err != nil {
				return fmt.Errorf("create the state bucket: %w", server.Explain(err))
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

// sortedIndex returns idx with each entry's attributes in a stable order, so an unchanged
// index is written byte for byte the same.
func sortedIndex(idx Index) Index {
	idx.FormatVersion = FormatVersion
	for name, e := range idx.Buckets {
		attrs := append([]model.Attr(nil), e.Attrs...)
		sort.Slice(attrs, func(i, j int) bool { return attrs[i] < attrs[j] })
		e.Attrs = attrs
		idx.Buckets[name] = e
	}
	return idx
}
