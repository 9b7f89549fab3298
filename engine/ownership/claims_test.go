package ownership_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/ownership"
)

// TestClaimsExcludeEachOther: stacks claiming the same resources at once, each through its own
// client as separate processes would: every resource ends with exactly one claim, the one stack
// told it won, and every other stack gets a ClaimedError naming the winner.
func TestClaimsExcludeEachOther(t *testing.T) {
	ctx := context.Background()
	const stacks, resources = 5, 40
	winners := make([]map[string]string, stacks) // per stack: resource → the winner its error named ("" = won)
	var wg sync.WaitGroup
	for i := range stacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := store(t, "state-race", fmt.Sprintf("stack-%d", i))
			winners[i] = map[string]string{}
			for r := range resources {
				id := fmt.Sprintf("r-%02d", r)
				err := s.Claim(ctx, bucketKey(id), "bucket."+id)
				var claimed *ownership.ClaimedError
				switch {
				case err == nil:
					winners[i][id] = ""
				case errors.As(err, &claimed):
					winners[i][id] = claimed.Stack
				default:
					t.Errorf("stack-%d: claim %s: %v", i, id, err)
				}
			}
		}()
	}
	wg.Wait()
	claims, err := store(t, "state-race", "reader").Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for r := range resources {
		id := fmt.Sprintf("r-%02d", r)
		owner := claims[bucketKey(id)].Stack
		won := 0
		for i := range stacks {
			me := fmt.Sprintf("stack-%d", i)
			switch got := winners[i][id]; {
			case got == "":
				won++
				if owner != me {
					t.Errorf("%s: %s was told it won, the claim names %q", id, me, owner)
				}
			case got != owner:
				t.Errorf("%s: %s was told %q won, the claim names %q", id, me, got, owner)
			}
		}
		if won != 1 {
			t.Errorf("%s: %d stacks were told they won, want exactly 1", id, won)
		}
	}
	// Claiming again what one holds is not an error; unclaiming another stack's claim is.
	s0 := store(t, "state-race", claims[bucketKey("r-00")].Stack)
	if err := s0.Claim(ctx, bucketKey("r-00"), "bucket.r-00"); err != nil {
		t.Errorf("claiming a held claim again: %v", err)
	}
	other := store(t, "state-race", "someone-else")
	var claimed *ownership.ClaimedError
	if err := other.Unclaim(ctx, bucketKey("r-00")); !errors.As(err, &claimed) {
		t.Errorf("unclaiming another stack's claim = %v, want a ClaimedError", err)
	}
	if err := s0.Unclaim(ctx, bucketKey("r-00")); err != nil {
		t.Fatal(err)
	}
	if ok, err := s0.Owns(ctx, bucketKey("r-00")); err != nil || ok {
		t.Errorf("after Unclaim, Owns = %v, %v", ok, err)
	}
}

// TestClaimsOfEveryKindAndName: claims of several kinds, with identities that need escaping in
// an object name, list back with their stacks and read back with their addresses.
func TestClaimsOfEveryKindAndName(t *testing.T) {
	ctx := context.Background()
	s := store(t, "state-kinds", "alpha")
	keys := []model.Key{
		{Kind: model.KindBucket, ID: "data"},
		{Kind: model.KindPolicy, ID: "read/write=all,@team"},
		{Kind: model.KindUser, ID: "api user+é"},
		{Kind: model.KindServiceAccount, ID: "AKIA0123"},
	}
	for _, k := range keys {
		if err := s.Claim(ctx, k, string(k.Kind)+".x"); err != nil {
			t.Fatalf("claim %s: %v", k, err)
		}
	}
	claims, err := s.Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != len(keys) {
		t.Fatalf("listed %d claims, want %d: %v", len(claims), len(keys), claims)
	}
	for _, k := range keys {
		if claims[k].Stack != "alpha" {
			t.Errorf("claim of %s lists as %+v", k, claims[k])
		}
		c, found, err := s.ReadClaim(ctx, k)
		if err != nil || !found || c.Address != string(k.Kind)+".x" || c.Stack != "alpha" {
			t.Errorf("claim of %s reads back as %+v %v %v", k, c, found, err)
		}
	}
}

// TestVersion1IndexIsReadAndUpgraded: an index written by bucketform before claims (the
// fixture is the index the previous release wrote for four buckets) reads with every entry,
// says it is version 1, and the next write stores version 2 without losing an entry.
func TestVersion1IndexIsReadAndUpgraded(t *testing.T) {
	ctx := context.Background()
	v1, err := os.ReadFile("testdata/index-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	s3 := minioServer.Get(t).Client(t)
	if err := s3.MakeBucket(ctx, "state-v1", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.PutObject(ctx, "state-v1", "stacks/legacy/index.json", bytes.NewReader(v1), int64(len(v1)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	s := store(t, "state-v1", "legacy")
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"legacy-acme":   `bucket.tenant["acme"] tags`,
		"legacy-globex": `bucket.tenant["globex"] tags`,
		"legacy-data":   "bucket.data lifecycle,quota,tags,versioning",
		"legacy-logs":   "bucket.logs policy",
	}
	check := func(what string, snap ownership.Snapshot) {
		t.Helper()
		if snap.Index.Len() != len(want) {
			t.Errorf("%s: %d entries, want %d", what, snap.Index.Len(), len(want))
		}
		for name, w := range want {
			e, ok := snap.Index.Get(bucketKey(name))
			if got := e.Address + " " + strings.Join(e.Attrs, ","); !ok || got != w {
				t.Errorf("%s: %s = %q, want %q", what, name, got, w)
			}
		}
	}
	check("version 1", snap)
	if snap.Version != "1" {
		t.Errorf("Version = %q, want 1", snap.Version)
	}
	if err := s.Update(ctx, func(*ownership.Index) {}); err != nil {
		t.Fatal(err)
	}
	snap, err = s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check("upgraded", snap)
	if snap.Version != ownership.FormatVersion {
		t.Errorf("after a write, Version = %q, want %s", snap.Version, ownership.FormatVersion)
	}
}

// TestIndexOfAnotherStackIsRefused: an index whose stack field names another stack (copied or
// edited by hand) is an error, never read as this stack's.
func TestIndexOfAnotherStackIsRefused(t *testing.T) {
	ctx := context.Background()
	s3 := minioServer.Get(t).Client(t)
	if err := s3.MakeBucket(ctx, "state-forged", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"format_version":"2","stack":"mallory","resources":{"bucket":{"victim":{"address":"bucket.victim","attrs":[]}}}}`)
	if _, err := s3.PutObject(ctx, "state-forged", "stacks/alice/index.json", bytes.NewReader(doc), int64(len(doc)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := store(t, "state-forged", "alice").Load(ctx)
	if err == nil || !strings.Contains(err.Error(), `names stack "mallory"`) {
		t.Fatalf("Load of another stack's index = %v", err)
	}
}

// TestPublicStateBucketIsRefused: a state bucket whose policy grants anything to anonymous
// users is refused; a private one or a missing one is fine.
func TestPublicStateBucketIsRefused(t *testing.T) {
	ctx := context.Background()
	s := store(t, "state-public", "alpha")
	if err := s.CheckPrivate(ctx); err != nil {
		t.Fatalf("a missing state bucket: %v", err)
	}
	if err := s.Update(ctx, func(*ownership.Index) {}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPrivate(ctx); err != nil {
		t.Fatalf("the state bucket as created: %v", err)
	}
	s3 := minioServer.Get(t).Client(t)
	// "**" is anonymous too: MinIO matches principals as patterns. Any statement is refused.
	for _, principal := range []string{`"*"`, `{"AWS":["*"]}`, `{"AWS":["**"]}`, `{"AWS":["arn:aws:iam::*:root"]}`} {
		pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::state-public/*"]}]}`
		if err := s3.SetBucketPolicy(ctx, "state-public", pol); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckPrivate(ctx); err == nil || !strings.Contains(err.Error(), "has a bucket policy") {
			t.Fatalf("a state bucket with a policy for %s: %v", principal, err)
		}
	}
	// What the error says to do works: a policy without statements passes.
	if err := s3.SetBucketPolicy(ctx, "state-public", `{"Version":"2012-10-17","Statement":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckPrivate(ctx); err != nil {
		t.Fatalf("a state bucket whose policy has no statement: %v", err)
	}
}
