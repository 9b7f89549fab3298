package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
)

// interruptConfig is a stack of groups of each buckets: u (tags, updated in v2), r (a quota,
// reset in v2), l (released in v2), d (deleted in v2), and in v2 also c (created) and a
// (adopted: they exist, made by hand).
func interruptConfig(version, each int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bucketform {\n  stack = \"intr\"\n}\nminio \"main\" {\n  endpoint = env(\"MINIO_ENDPOINT\")\n}\n")
	group := func(label, body string) {
		fmt.Fprintf(&b, "bucket %q {\n  for_each = toset([for i in range(%d) : format(\"%%02d\", i)])\n  name = \"intr-%s-${each.key}\"\n%s}\n", label, each, label, body)
	}
	switch version {
	case 1:
		group("u", "  tags = { v = \"1\" }\n")
		group("r", "  quota = \"1GiB\"\n")
		group("l", "")
		group("d", "")
	case 2, 3:
		group("u", "  tags = { v = \"2\" }\n")
		group("r", "")
		group("a", "  versioning = \"enabled\"\n")
		if version == 2 {
			group("c", "  versioning = \"enabled\"\n")
		}
		for i := range each {
			fmt.Fprintf(&b, "removed {\n  bucket = \"intr-l-%02d\"\n  destroy = false\n}\n", i)
		}
	}
	return b.String()
}

// checkRecorded checks what an interrupted apply left: the next plan makes again exactly the
// changes that were not applied (each with the same action) and none of those that were; every
// resource the stack's index lists is claimed by the stack, and every claim of it is indexed.
func checkRecorded(t *testing.T, ctx context.Context, srv *miniotest.Server, e *engine.Engine, planned *plan.Plan, report *engine.Report) {
	t.Helper()
	if got := len(report.Applied) + len(report.Failed) + len(report.NotAttempted); got != countChanges(planned) {
		t.Fatalf("%d applied + %d failed + %d not attempted != %d changes planned", len(report.Applied), len(report.Failed), len(report.NotAttempted), countChanges(planned))
	}
	applied, notAttempted := map[string]bool{}, map[string]bool{}
	for _, r := range report.Applied {
		applied[r.Change.Address] = true
	}
	for _, c := range report.NotAttempted {
		notAttempted[c.Address] = true
	}
	next := map[string]plan.Action{}
	p := planOf(t, ctx, e)
	for _, c := range p.Changes {
		next[c.Address] = c.Action
	}
	for _, c := range planned.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		got, inNext := next[c.Address]
		switch {
		case applied[c.Address] && inNext && got != plan.NoOp:
			t.Errorf("%s was applied (%s) and the next plan would %s it again", c.Address, c.Action, got)
		case notAttempted[c.Address] && (!inNext || got != c.Action):
			t.Errorf("%s was not attempted (%s) and the next plan says %q: it was recorded as done", c.Address, c.Action, got)
		}
	}
	if len(p.Refusals) > 0 {
		t.Errorf("the next plan has refusals: %+v", p.Refusals)
	}
	c := rawClient(t, srv)
	store := ownership.NewStore(c, ownership.StateBucket, "intr")
	idx, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := store.Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range idx.Index.Entries() {
		if claims[k].Stack != "intr" {
			t.Errorf("the index lists %s, which the stack does not claim", k)
		}
	}
	for k, cl := range claims {
		if _, ok := idx.Index.Get(k); cl.Stack == "intr" && !ok {
			t.Errorf("the stack claims %s, which its index does not list", k)
		}
	}
	if _, err := srv.Client(t).StatObject(ctx, ownership.StateBucket, "stacks/intr/lease.json", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
		t.Errorf("the lease is still there: %v", err)
	}
}

func countChanges(p *plan.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			n++
		}
	}
	return n
}

// TestInterruptedApplyRecordsWhatItDid stops applies of every action part way — gracefully
// (SIGTERM: the changes in flight finish) and abruptly (a lost lease: they are cancelled) —
// and checks that the index records exactly what was applied, so the next plan makes again
// exactly what was not: creates, updates, resets, adoptions, releases and deletes.
func TestInterruptedApplyRecordsWhatItDid(t *testing.T) {
	const each = 20
	for _, mode := range []string{"graceful", "abrupt"} {
		t.Run(mode, func(t *testing.T) {
			srv := miniotest.Start(t)
			ctx := context.Background()
			s3 := srv.Client(t)
			if _, _, err := applyOnce(ctx, newEngine(t, loadConfig(t, srv, interruptConfig(1, each))), engine.ApplyOptions{}); err != nil {
				t.Fatalf("apply v1: %v", err)
			}
			for i := range each {
				if err := s3.MakeBucket(ctx, fmt.Sprintf("intr-a-%02d", i), minio.MakeBucketOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			// interrupt applies cfg, stopping it once stopAfter changes have ended.
			interrupt := func(version, stopAfter int, wantActions string) {
				t.Helper()
				e := newEngine(t, loadConfig(t, srv, interruptConfig(version, each)))
				stop := make(chan struct{})
				actx, cancel := context.WithCancel(ctx)
				defer cancel()
				var ended atomic.Int64
				var once sync.Once
				opts := engine.ApplyOptions{Stop: stop, OnChange: func(engine.Result) {
					if ended.Add(1) == int64(stopAfter) {
						once.Do(func() {
							if mode == "graceful" {
								close(stop)
							} else {
								cancel()
							}
						})
					}
				}}
				planned, report, err := applyOnce(actx, e, opts)
				if planned == nil || report == nil {
					t.Fatalf("apply v%d: %v", version, err)
				}
				actions := map[plan.Action]int{}
				for _, c := range planned.Changes {
					actions[c.Action]++
				}
				if got := fmt.Sprint(actions); got != wantActions {
					t.Fatalf("apply v%d planned %s, want %s", version, got, wantActions)
				}
				if err == nil || len(report.NotAttempted) == 0 {
					t.Fatalf("apply v%d was not interrupted: err %v, %d not attempted", version, err, len(report.NotAttempted))
				}
				if mode == "graceful" && len(report.Failed) > 0 {
					t.Errorf("a graceful stop let changes in flight fail: %v", report.Failed[0].Err)
				}
				t.Logf("v%d: %d applied, %d failed, %d not attempted: %v", version, len(report.Applied), len(report.Failed), len(report.NotAttempted), err)
				checkRecorded(t, ctx, srv, e, planned, report)
			}
			// v2: creates, updates, resets, adoptions and releases first, then the deletes
			// (which an interruption before them leaves all not attempted).
			interrupt(2, 30, fmt.Sprintf("map[adopt:%d create:%d delete:%d release:%d update:%d]", each, each, each, each, 2*each))
			// Apply v2 to the end, then v3 deletes the created buckets: interrupted among deletes.
			if _, _, err := applyOnce(ctx, newEngine(t, loadConfig(t, srv, interruptConfig(2, each))), engine.ApplyOptions{}); err != nil {
				t.Fatalf("apply v2 to the end: %v", err)
			}
			interrupt(3, 5, fmt.Sprintf("map[delete:%d no-op:%d]", each, 3*each))
			// And the next full apply converges.
			e := newEngine(t, loadConfig(t, srv, interruptConfig(3, each)))
			if _, _, err := applyOnce(ctx, e, engine.ApplyOptions{}); err != nil {
				t.Fatalf("final apply: %v", err)
			}
			if p := planOf(t, ctx, e); p.HasChanges() {
				t.Fatalf("after the final apply the plan has changes: %+v", p.Summary())
			}
			// The released buckets are nobody's now, and intact.
			for i := range each {
				tg, err := s3.GetBucketTagging(ctx, fmt.Sprintf("intr-l-%02d", i))
				if err == nil && tg.ToMap()[model.OwnerTag] != "" {
					t.Errorf("released bucket intr-l-%02d still carries %v", i, tg.ToMap())
				}
			}
		})
	}
}
