package ownership_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/server"
)

var minioServer miniotest.Shared

func TestMain(m *testing.M) { os.Exit(minioServer.Run(m)) }

func store(t *testing.T, stateBucket, stack string) *ownership.Store {
	t.Helper()
	srv := minioServer.Get(t)
	c, err := server.New(server.Target{Endpoint: srv.Endpoint, Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: 8})
	if err != nil {
		t.Fatal(err)
	}
	return ownership.NewStore(c, stateBucket, stack)
}

func bucketKey(name string) model.Key { return model.Key{Kind: model.KindBucket, ID: name} }

func TestMissingIndexIsEmptyAndFirstWriteCreatesStateBucket(t *testing.T) {
	ctx := context.Background()
	s := store(t, "state-first", "alpha")
	snap, err := s.Load(ctx)
	if err != nil || snap.ETag != "" || snap.Index.Len() != 0 {
		t.Fatalf("Load of a missing index = %+v, %v", snap, err)
	}
	err = s.Update(ctx, func(idx *ownership.Index) {
		idx.Set(bucketKey("b1"), ownership.Entry{Address: "bucket.b1", Attrs: []string{"quota", "policy"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := minioServer.Get(t).Client(t).BucketExists(ctx, "state-first"); err != nil || !ok {
		t.Fatalf("state bucket not created: %v %v", ok, err)
	}
	snap, err = s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := snap.Index.Get(bucketKey("b1"))
	if e.Address != "bucket.b1" || strings.Join(e.Attrs, ",") != "policy,quota" || snap.Version != ownership.FormatVersion {
		t.Fatalf("entry read back as %+v (version %q)", e, snap.Version)
	}
	// Stacks do not see each other's index.
	other, err := store(t, "state-first", "beta").Load(ctx)
	if err != nil || other.Index.Len() != 0 {
		t.Fatalf("stack beta sees %+v, %v", other.Index, err)
	}
}

// Concurrent writers lose no records: each adds its own bucket, all must be present.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	ctx := context.Background()
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := store(t, "state-cas", "alpha") // separate clients, as separate processes would have
			errs[i] = s.Update(ctx, func(idx *ownership.Index) {
				idx.Set(bucketKey(fmt.Sprintf("b%d", i)), ownership.Entry{Address: fmt.Sprintf("bucket.b%d", i), Attrs: []string{"tags"}})
			})
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	snap, err := store(t, "state-cas", "alpha").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Index.Len() != writers {
		t.Fatalf("index holds %d buckets after %d concurrent writers: %v", snap.Index.Len(), writers, snap.Index)
	}
}

func TestLeaseExcludesAndExpires(t *testing.T) {
	ctx := context.Background()
	old := ownership.LeaseTTL
	ownership.LeaseTTL = 3 * time.Second
	t.Cleanup(func() { ownership.LeaseTTL = old })

	a := store(t, "state-lease", "alpha")
	b := store(t, "state-lease", "alpha")
	l1, err := a.Acquire(ctx, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Acquire(ctx, "apply", 0)
	var locked *ownership.LockedError
	if !errors.As(err, &locked) || locked.Info.Operation != "apply" {
		t.Fatalf("second Acquire = %v, want a LockedError", err)
	}
	// Another stack is not blocked.
	l3, err := store(t, "state-lease", "beta").Acquire(ctx, "apply", 0)
	if err != nil {
		t.Fatalf("other stack blocked: %v", err)
	}
	_ = l3.Release(ctx)

	// The holder renews the lease, so it does not expire while held.
	time.Sleep(ownership.LeaseTTL + time.Second)
	if _, err := b.Acquire(ctx, "apply", 0); !errors.As(err, &locked) {
		t.Fatalf("a renewed lease was taken over: %v", err)
	}
	// Waiting works once the holder releases.
	go func() { time.Sleep(time.Second); _ = l1.Release(ctx) }()
	l2, err := b.Acquire(ctx, "apply", 10*time.Second)
	if err != nil {
		t.Fatalf("Acquire with wait after release: %v", err)
	}
	if err := l2.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDeadHolderLeaseExpiresAndForceUnlock(t *testing.T) {
	ctx := context.Background()
	old := ownership.LeaseTTL
	ownership.LeaseTTL = 2 * time.Second
	t.Cleanup(func() { ownership.LeaseTTL = old })
	s := store(t, "state-dead", "alpha")

	// A holder that dies without releasing: simulate by acquiring and never renewing.
	l, err := s.Acquire(ctx, "apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Abandon()
	if _, err := s.Acquire(ctx, "apply", 0); err == nil {
		t.Fatal("lease taken while still valid")
	}
	l2, err := s.Acquire(ctx, "apply", 5*time.Second)
	if err != nil {
		t.Fatalf("expired lease not taken over: %v", err)
	}
	l2.Abandon()
	info, found, err := s.ForceUnlock(ctx)
	if err != nil || !found || info.Holder == "" {
		t.Fatalf("ForceUnlock = %+v %v %v", info, found, err)
	}
	l3, err := s.Acquire(ctx, "apply", 0)
	if err != nil {
		t.Fatalf("after force-unlock: %v", err)
	}
	_ = l3.Release(ctx)
}
