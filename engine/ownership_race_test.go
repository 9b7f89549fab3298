package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/tags"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/kind"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/ownership"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// raceConfig declares n buckets PREFIX-000 .. for a stack, with a tag naming the stack (so a
// bucket converged by the wrong stack would show).
const raceConfig = `
bucketform {
  stack = %q
}

minio "main" {
  endpoint = env("MINIO_ENDPOINT")
}

bucket "b" {
  for_each   = toset([for i in range(%d) : format("%%03d", i)])
  name       = "%s-${each.key}"
  versioning = "enabled"
  tags       = { writer = %q }
}
`

func loadConfig(t *testing.T, srv *miniotest.Server, src string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MINIO_ENDPOINT": srv.Endpoint, "MINIO_ACCESS_KEY": miniotest.AccessKey, "MINIO_SECRET_KEY": miniotest.SecretKey}
	cfg, diags := config.Load(dir, config.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return cfg
}

func newEngine(t *testing.T, cfg *config.Config) *engine.Engine {
	t.Helper()
	e, err := engine.New(cfg, engine.Options{Parallelism: 8})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// applyOnce runs what `bucketform apply -auto-approve` runs: lease, refresh, plan, apply.
func applyOnce(ctx context.Context, e *engine.Engine, opts engine.ApplyOptions) (*plan.Plan, *engine.Report, error) {
	unlock, _, err := e.Lock(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	snap, err := e.Refresh(ctx)
	if err != nil {
		return nil, nil, err
	}
	p := e.Plan(snap)
	if len(p.Refusals) > 0 {
		return p, nil, fmt.Errorf("%d refusals, e.g. %s", len(p.Refusals), p.Refusals[0].Reason)
	}
	report, err := e.Apply(ctx, p, snap, opts)
	return p, report, err
}

// planOf returns the plan a fresh refresh gives.
func planOf(t *testing.T, ctx context.Context, e *engine.Engine) *plan.Plan {
	t.Helper()
	snap, err := e.Refresh(ctx)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return e.Plan(snap)
}

func rawClient(t *testing.T, srv *miniotest.Server) *server.Client {
	t.Helper()
	c, err := server.New(server.Target{Endpoint: srv.Endpoint, Region: "us-east-1", AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: 8})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStacksRacingForNamesEndWithOneOwnerEach: two and then five stacks declare the same 300
// buckets and apply at the same moment, three times each. Every bucket ends with exactly one
// claim; its ownership tag and its tags say the same stack; a stack's index lists exactly the
// buckets it claims; a stack that lost a name reports that change as failed; and every stack
// whose apply succeeded plans no changes afterwards (the others are refused the names they lost,
// and change nothing).
func TestStacksRacingForNamesEndWithOneOwnerEach(t *testing.T) {
	const n = 300
	srv := miniotest.Start(t)
	ctx := context.Background()
	s3 := srv.Client(t)
	for _, stacks := range []int{2, 5} {
		for trial := 1; trial <= 3; trial++ {
			t.Run(fmt.Sprintf("%d stacks, trial %d", stacks, trial), func(t *testing.T) {
				// Fresh names for every race: each one is a race for names nobody owns yet.
				prefix := fmt.Sprintf("race%d%d", stacks, trial)
				engines := make([]*engine.Engine, stacks)
				for i := range engines {
					name := fmt.Sprintf("%s-stack-%d", prefix, i)
					engines[i] = newEngine(t, loadConfig(t, srv, fmt.Sprintf(raceConfig, name, n, prefix, name)))
				}
				errs := make([]error, stacks)
				reports := make([]*engine.Report, stacks)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i, e := range engines {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, reports[i], errs[i] = applyOnce(ctx, e, engine.ApplyOptions{})
					}()
				}
				close(start)
				wg.Wait()

				c := rawClient(t, srv)
				claims, err := ownership.NewStore(c, ownership.StateBucket, "reader").Claims(ctx)
				if err != nil {
					t.Fatal(err)
				}
				claimedBy := map[string]int{}
				for i := range n {
					name := fmt.Sprintf("%s-%03d", prefix, i)
					cl, ok := claims[model.Key{Kind: model.KindBucket, ID: name}]
					if !ok {
						t.Errorf("%s has no claim", name)
						continue
					}
					claimedBy[cl.Stack]++
					tg, err := s3.GetBucketTagging(ctx, name)
					if err != nil {
						t.Errorf("%s: tags: %v", name, err)
						continue
					}
					m := tg.ToMap()
					if m[model.OwnerTag] != cl.Stack || m["writer"] != cl.Stack {
						t.Errorf("%s is claimed by %s but tagged %v", name, cl.Stack, m)
					}
				}
				for i := range engines {
					stack := fmt.Sprintf("%s-stack-%d", prefix, i)
					idx, err := ownership.NewStore(c, ownership.StateBucket, stack).Load(ctx)
					if err != nil {
						t.Fatal(err)
					}
					indexed := 0
					for k := range idx.Index.Entries() {
						if strings.HasPrefix(k.ID, prefix+"-") {
							indexed++
						}
					}
					if indexed != claimedBy[stack] {
						t.Errorf("%s: its index lists %d buckets and it claims %d", stack, indexed, claimedBy[stack])
					}
					for k := range idx.Index.Entries() {
						if claims[k].Stack != stack {
							t.Errorf("%s's index lists %s, claimed by %q", stack, k, claims[k].Stack)
						}
					}
					lost := n - claimedBy[stack]
					if reports[i] != nil && len(reports[i].Failed) != lost {
						t.Errorf("%s: %d failed changes, and it lost %d names", stack, len(reports[i].Failed), lost)
					}
					if reports[i] != nil {
						for _, f := range reports[i].Failed {
							var claimed *ownership.ClaimedError
							if !errors.As(f.Err, &claimed) && !strings.Contains(f.Err.Error(), "run plan again") {
								t.Errorf("%s: %s failed with %v, want a lost claim", stack, f.Change.Address, f.Err)
							}
						}
					}
					p := planOf(t, ctx, engines[i])
					if errs[i] == nil && p.HasChanges() {
						t.Errorf("%s applied without error, and its next plan has changes: %+v", stack, p.Summary())
					}
					if p.HasChanges() || (lost > 0) != (len(p.Refusals) > 0) {
						t.Errorf("%s (lost %d names): next plan %+v with %d refusals: it should only be refused the names it lost", stack, lost, p.Summary(), len(p.Refusals))
					}
				}
				t.Logf("claims: %v; errors: %v", claimedBy, errs)
			})
		}
	}
}

// TestBucketMadeByHandDuringApply: a bucket the plan would create is made by hand (with tags)
// before the apply gets to it. The apply reports that change as failed, "created by someone else
// during this apply", leaves the bucket and its tags as they are, claims and records nothing;
// the next plan adopts it.
func TestBucketMadeByHandDuringApply(t *testing.T) {
	srv := miniotest.Start(t)
	ctx := context.Background()
	s3 := srv.Client(t)
	e := newEngine(t, loadConfig(t, srv, fmt.Sprintf(raceConfig, "solo", 3, "race", "solo")))
	unlock, _, err := e.Lock(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := e.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := e.Plan(snap)
	if s := p.Summary(); s.Add != 3 {
		t.Fatalf("plan %+v, want 3 creates", s)
	}
	// The human: mc mb race-001, mc tag set race-001 owner=human.
	if err := s3.MakeBucket(ctx, "race-001", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	tg, _ := tags.NewTags(map[string]string{"owner": "human"}, false)
	if err := s3.SetBucketTagging(ctx, "race-001", tg); err != nil {
		t.Fatal(err)
	}
	report, err := e.Apply(ctx, p, snap, engine.ApplyOptions{})
	unlock()
	if err == nil || len(report.Failed) != 1 || report.Failed[0].Change.ID != "race-001" || !errors.Is(report.Failed[0].Err, kindErrExists()) {
		t.Fatalf("apply: err %v, failed %+v", err, report.Failed)
	}
	got, err := s3.GetBucketTagging(ctx, "race-001")
	if err != nil || got.ToMap()["owner"] != "human" || got.ToMap()[model.OwnerTag] != "" {
		t.Fatalf("the hand-made bucket's tags became %v (%v)", got, err)
	}
	c := rawClient(t, srv)
	if _, found, err := ownership.NewStore(c, ownership.StateBucket, "solo").ReadClaim(ctx, model.Key{Kind: model.KindBucket, ID: "race-001"}); err != nil || found {
		t.Fatalf("the hand-made bucket was claimed: %v %v", found, err)
	}
	idx, err := ownership.NewStore(c, ownership.StateBucket, "solo").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := idx.Index.Get(model.Key{Kind: model.KindBucket, ID: "race-001"}); ok || idx.Index.Len() != 2 {
		t.Fatalf("index after the apply: %+v", idx.Index)
	}
	next := planOf(t, ctx, e)
	var actions []string
	for _, c := range next.Changes {
		if c.Action != plan.NoOp {
			actions = append(actions, c.Address+" "+string(c.Action))
		}
	}
	if strings.Join(actions, ",") != `bucket.b["001"] adopt` {
		t.Fatalf("next plan: %v, want only the hand-made bucket adopted", actions)
	}
}

func kindErrExists() error { return kind.ErrExists }

// TestStacksRacingForIdentitiesEndWithOneOwnerEach: the server's AddUser and AddCannedPolicy
// overwrite silently, so without claims two stacks could both "create" one identity. Five
// stacks declare the same 20 policies and users at once: each ends with exactly one claim, the
// user's attached policy is its owner's, and every stack that lost a name reports it failed.
func TestStacksRacingForIdentitiesEndWithOneOwnerEach(t *testing.T) {
	const n, stacks = 20, 5
	srv := miniotest.Start(t)
	ctx := context.Background()
	src := func(stack string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "bucketform {\n  stack = %q\n}\nminio \"main\" {\n  endpoint = env(\"MINIO_ENDPOINT\")\n}\n", stack)
		for i := range n {
			fmt.Fprintf(&b, "policy \"p%02d\" {\n  name = \"race-p%02d\"\n  document = jsonencode({Version = \"2012-10-17\", Statement = [{Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = [\"arn:aws:s3:::%s/*\"]}]})\n}\n", i, i, stack)
			fmt.Fprintf(&b, "user \"u%02d\" {\n  access_key = \"race-u%02d\"\n  secret_key = env(\"RACE_SECRET\")\n  policies = [policy.p%02d]\n}\n", i, i, i)
		}
		return b.String()
	}
	t.Setenv("RACE_SECRET", "race-secret-0123")
	engines := make([]*engine.Engine, stacks)
	for i := range engines {
		cfg := loadConfigEnv(t, srv, src(fmt.Sprintf("idrace-%d", i)), map[string]string{"RACE_SECRET": "race-secret-0123"})
		engines[i] = newEngine(t, cfg)
	}
	reports := make([]*engine.Report, stacks)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, reports[i], _ = applyOnce(ctx, e, engine.ApplyOptions{})
		}()
	}
	close(start)
	wg.Wait()
	claims, err := ownership.NewStore(rawClient(t, srv), ownership.StateBucket, "reader").Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	adm := srv.Admin(t)
	won := map[string]int{}
	for i := range n {
		pk := model.Key{Kind: model.KindPolicy, ID: fmt.Sprintf("race-p%02d", i)}
		uk := model.Key{Kind: model.KindUser, ID: fmt.Sprintf("race-u%02d", i)}
		if claims[pk].Stack == "" || claims[uk].Stack == "" {
			t.Errorf("%s or %s has no claim: %+v %+v", pk, uk, claims[pk], claims[uk])
			continue
		}
		won[claims[pk].Stack]++
		won[claims[uk].Stack]++
		// The policy document is the owner's (each stack's names its own resource).
		info, err := adm.InfoCannedPolicy(ctx, pk.ID)
		if err != nil || !strings.Contains(string(info), claims[pk].Stack) {
			t.Errorf("%s is claimed by %s, its document is %s (%v)", pk, claims[pk].Stack, info, err)
		}
	}
	for i, r := range reports {
		stack := fmt.Sprintf("idrace-%d", i)
		if r == nil {
			t.Errorf("%s: no report", stack)
			continue
		}
		if lost := 2*n - won[stack]; len(r.Failed) < lost {
			t.Errorf("%s lost %d names and reports %d failed changes", stack, lost, len(r.Failed))
		}
	}
	t.Logf("identities won per stack: %v", won)
}

// loadConfigEnv is loadConfig with extra environment variables for the configuration.
func loadConfigEnv(t *testing.T, srv *miniotest.Server, src string, extra map[string]string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MINIO_ENDPOINT": srv.Endpoint, "MINIO_ACCESS_KEY": miniotest.AccessKey, "MINIO_SECRET_KEY": miniotest.SecretKey}
	for k, v := range extra {
		env[k] = v
	}
	cfg, diags := config.Load(dir, config.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return cfg
}
