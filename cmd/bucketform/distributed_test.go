package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/engine/miniotest"
)

// distBuckets is how many buckets the distributed test declares.
const distBuckets = 300

// distSettle is how long a read through one node may lag behind a write through another: bucket
// metadata reaches the other nodes' caches asynchronously (seen on the pinned server: an export
// through one node can miss a write just made through another).
const distSettle = 15 * time.Second

const distConfig = `bucketform {
  stack = "dist"
}

minio "main" {
  endpoint = env("MINIO_ENDPOINT")
}

bucket "t" {
  for_each   = toset([for i in range(300) : format("%03d", i)])
  name       = "dist-${each.key}"
  versioning = "enabled"
  quota      = "1GiB"
  tags       = { n = each.key, gen = env("BF_GEN") }

  lifecycle_rule {
    id              = "expire-tmp"
    prefix          = "tmp/"
    expiration_days = 7
  }
}
`

// TestDistributedMinIO runs bucketform against a four-node distributed MinIO behind a
// round-robin TCP proxy, as users who outgrow one server run it behind a load balancer: an
// apply of 300 buckets lands on the server (checked through a node directly, not through
// bucketform), a plan through every node says "No changes." once the nodes' metadata caches
// have settled, an apply that loses a node (SIGKILL) in its middle ends by itself, cleanly,
// and once the node is back a second apply converges and every node agrees again.
//
// The kill makes the test take about two minutes rather than 40 s: a write that was in flight
// on the dying node leaves its distributed lock (on the bucket's .metadata.bin) held on the
// other nodes, and MinIO drops a lock only when it has not been refreshed for a minute, in a
// sweep that runs once a minute from each node's start. So the changes of those few buckets
// wait (bucketform retries them, each attempt limited to 30 s) until the second sweep, about
// 120 s after the cluster started; the apply still succeeds. A kill that happens to catch no
// write in flight causes no wait.
//
// It needs root and iproute2 (network namespaces): it skips without them, and fails when CI is
// set.
func TestDistributedMinIO(t *testing.T) {
	began := time.Now()
	c := miniotest.StartCluster(t)
	t.Logf("cluster of %d nodes ready after %s (proxy %s)", len(c.Nodes), distSince(began), c.Endpoint)
	bin, err := exec.LookPath("bucketform") // the test binary, put on $PATH by testscript.Main
	if err != nil {
		t.Fatalf("bucketform not on PATH: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(distConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &distRig{t: t, c: c, bin: bin, dir: dir}
	ctx := context.Background()

	// SigV4 covers the Host header; the proxy forwards bytes unchanged, so a request signed for
	// the proxy's host:port must be accepted by whichever node it reaches.
	for range 2 * len(c.Nodes) {
		if _, err := c.Client(t).ListBuckets(ctx); err != nil {
			t.Fatalf("a request signed for the proxy's address (%s): %v", c.Endpoint, err)
		}
	}

	// 1. The first apply, through the proxy.
	phase := time.Now()
	res := r.bucketform(ctx, c.Endpoint, "1", "apply", "-auto-approve", "-no-color")
	if res.code != 0 {
		t.Fatalf("first apply exited %d:\n%s", res.code, res)
	}
	if !strings.Contains(res.stdout, fmt.Sprintf("Apply complete! Resources: %d added", distBuckets)) {
		t.Fatalf("first apply did not add %d buckets:\n%s", distBuckets, res)
	}
	t.Logf("first apply: %s; proxy connections per node %v", res.took, c.Proxy.Connections())
	for i, n := range c.Proxy.Connections() {
		if n == 0 {
			t.Errorf("the proxy sent no connection to node %d: the apply did not go through every node", i)
		}
	}

	// 2. The server holds what was declared, read through a node directly, and every node
	// plans no changes.
	r.checkServer(ctx, 0, "1")
	r.plansAgree(ctx, "1")
	t.Logf("first apply, check and plans through every node: %s", distSince(phase))

	// 3. A node dies in the middle of an apply that changes a tag of every bucket.
	phase = time.Now()
	const victim = 3
	res = r.applyKilling(ctx, victim, 50)
	t.Logf("apply with node %d killed after 50 changes, %s after the cluster started: exit %d after %s; %s; %s",
		victim, r.killedAt.Sub(began).Round(100*time.Millisecond), res.code, res.took, res.summary, slowestChanges(res.stdout))
	r.requireClean(res)
	if err := c.Start(victim); err != nil {
		t.Fatalf("restart node %d: %v", victim, err)
	}
	t.Logf("node %d back after %s", victim, distSince(phase))

	// 4. Applying again converges, and every node agrees, the restarted one too. MinIO keeps
	// the locks a dead node held on the other nodes for about a minute (it drops a lock after
	// a minute without refresh, checking once a minute): until then a write to a bucket whose
	// write was in flight on the dead node times out, and the apply fails cleanly for it, as a
	// bootstrap Job's attempt would, to be retried by the Job's backoff. The changes that
	// failed are unsettled in the index, so the next apply writes them again even where some
	// nodes already serve the new value (a write cut short may have reached the disks without
	// the other nodes' caches).
	phase = time.Now()
	for attempt := 1; ; attempt++ {
		res = r.bucketform(ctx, c.Endpoint, "2", "apply", "-auto-approve", "-json", "-lock-timeout", "90s")
		r.requireClean(res)
		t.Logf("re-apply %d: exit %d after %s; %s", attempt, res.code, res.took, res.summary)
		if res.code == 0 {
			break
		}
		if time.Since(r.killedAt) > 150*time.Second {
			t.Fatalf("re-apply still fails %s after the node was killed:\n%s", distSince(r.killedAt), res)
		}
		time.Sleep(5 * time.Second)
	}
	r.checkServer(ctx, victim, "2")
	r.plansAgree(ctx, "2")
	r.checkIndex(ctx)
	t.Logf("re-apply, check and plans through every node: %s; proxy connections per node %v, refused %d",
		distSince(phase), c.Proxy.Connections(), c.Proxy.Refused())
	t.Logf("distributed test took %s", distSince(began))
}

type distRig struct {
	t        *testing.T
	c        *miniotest.Cluster
	bin      string
	dir      string
	killedAt time.Time
}

// cliResult is how one bucketform run ended.
type cliResult struct {
	code    int
	stdout  string
	stderr  string
	took    time.Duration
	summary string // the summary line of an apply -json
}

func (r cliResult) String() string {
	return fmt.Sprintf("--- stdout\n%s--- stderr\n%s", distTail(r.stdout, 6000), distTail(r.stderr, 3000))
}

// distTimeout bounds every bucketform run: a run that takes longer hangs.
const distTimeout = 3 * time.Minute

// command prepares bucketform ARGS DIR against endpoint, with BF_GEN=gen.
func (r *distRig) command(ctx context.Context, endpoint, gen string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, append(args, r.dir)...)
	cmd.Env = append(os.Environ(), r.c.CredentialsEnv()...)
	cmd.Env = append(cmd.Env, "MINIO_ENDPOINT="+endpoint, "BF_GEN="+gen, "NO_COLOR=1")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// bucketform runs bucketform to its end, at most distTimeout, and fails the test if it hangs.
func (r *distRig) bucketform(ctx context.Context, endpoint, gen string, args ...string) cliResult {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, distTimeout)
	defer cancel()
	cmd := r.command(ctx, endpoint, gen, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start).Round(time.Millisecond)}
	res.code = r.exitCode(ctx, err, res, args)
	res.summary = distSummary(res.stdout)
	return res
}

func (r *distRig) exitCode(ctx context.Context, err error, res cliResult, args []string) int {
	r.t.Helper()
	if ctx.Err() != nil {
		r.t.Fatalf("bucketform %s hung: killed after %s\n%s", strings.Join(args, " "), distTimeout, res)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return exitErr.ExitCode()
	default:
		r.t.Fatalf("bucketform %s: %v", strings.Join(args, " "), err)
		return -1
	}
}

// applyKilling runs apply -json through the proxy with BF_GEN=2 (a tag change on every
// bucket) and kills node victim once after changes have been reported.
func (r *distRig) applyKilling(ctx context.Context, victim, after int) cliResult {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, distTimeout)
	defer cancel()
	args := []string{"apply", "-auto-approve", "-json"}
	cmd := r.command(ctx, r.c.Endpoint, "2", args...)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	var stdout strings.Builder
	var killed sync.WaitGroup
	changes := 0
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		stdout.WriteString(line + "\n")
		if strings.Contains(line, `"type":"change"`) {
			changes++
			if changes == after {
				killed.Add(1)
				r.killedAt = time.Now()
				go func() { defer killed.Done(); r.c.Kill(victim) }()
			}
		}
	}
	_, _ = io.Copy(io.Discard, pipe)
	err = cmd.Wait()
	killed.Wait()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start).Round(time.Millisecond)}
	res.code = r.exitCode(ctx, err, res, args)
	res.summary = distSummary(res.stdout)
	if changes < after {
		r.t.Fatalf("the apply reported %d changes, fewer than the %d after which node %d was to be killed:\n%s", changes, after, victim, res)
	}
	return res
}

// requireClean fails the test unless an apply -json ended cleanly: exit 0 or 1, nothing on
// stderr, nothing but JSON objects on stdout, no panic, and a failure says so in an error line.
func (r *distRig) requireClean(res cliResult) {
	r.t.Helper()
	if res.code != 0 && res.code != 1 {
		r.t.Fatalf("apply exited %d, want 0 or 1:\n%s", res.code, res)
	}
	for _, s := range []string{"panic", "goroutine ", "internal error"} {
		if strings.Contains(res.stdout, s) || strings.Contains(res.stderr, s) {
			r.t.Fatalf("apply output holds %q:\n%s", s, res)
		}
	}
	if res.stderr != "" {
		r.t.Fatalf("apply -json wrote to stderr:\n%s", res)
	}
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		last = nil
		if err := json.Unmarshal([]byte(line), &last); err != nil {
			r.t.Fatalf("apply -json printed a line that is not a JSON object: %q\n%s", line, res)
		}
	}
	if res.code == 1 && (last == nil || last["type"] != "error") {
		r.t.Fatalf("apply failed without an error line at the end:\n%s", res)
	}
	if res.code == 1 {
		r.t.Logf("the apply failed cleanly: %v", last["error"])
	}
}

// plansAgree runs plan -detailed-exitcode against every node directly, until each says "No
// changes." (exit 0) or distSettle has passed since the first attempt through that node.
func (r *distRig) plansAgree(ctx context.Context, gen string) {
	r.t.Helper()
	for i, n := range r.c.Nodes {
		start := time.Now()
		for attempt := 1; ; attempt++ {
			res := r.bucketform(ctx, n.Endpoint, gen, "plan", "-detailed-exitcode", "-no-color")
			if res.code == 0 && strings.Contains(res.stdout, "No changes.") {
				r.t.Logf("plan through node %d: No changes. (attempt %d, %s)", i, attempt, res.took)
				break
			}
			if time.Since(start) > distSettle {
				r.t.Fatalf("plan through node %d (%s) still exits %d after %s (%d attempts):\n%s", i, n.Endpoint, res.code, distSince(start), attempt, res)
			}
			r.t.Logf("plan through node %d, attempt %d: exit %d (%s), retrying", i, attempt, res.code, distFirstLine(res))
			time.Sleep(time.Second)
		}
	}
}

// checkServer reads every declared bucket through node i directly, with minio-go and madmin-go
// rather than bucketform, until all match the configuration with BF_GEN=gen or distSettle has
// passed.
func (r *distRig) checkServer(ctx context.Context, node int, gen string) {
	r.t.Helper()
	n := r.c.Nodes[node]
	s3, adm := n.Client(r.t), n.Admin(r.t)
	start := time.Now()
	for attempt := 1; ; attempt++ {
		bad := r.mismatches(ctx, s3, adm, gen)
		if len(bad) == 0 {
			r.t.Logf("node %d holds all %d buckets as declared (attempt %d, %s)", node, distBuckets, attempt, distSince(start))
			return
		}
		if time.Since(start) > distSettle {
			sort.Strings(bad)
			r.t.Fatalf("through node %d, %d bucket(s) differ from the configuration after %s, e.g.:\n  %s", node, len(bad), distSince(start), strings.Join(bad[:min(len(bad), 10)], "\n  "))
		}
		time.Sleep(time.Second)
	}
}

// mismatches returns one line per declared bucket that is missing or differs.
func (r *distRig) mismatches(ctx context.Context, s3 *minio.Client, adm *madmin.AdminClient, gen string) []string {
	list, err := s3.ListBuckets(ctx)
	if err != nil {
		return []string{"list buckets: " + err.Error()}
	}
	have := map[string]bool{}
	for _, b := range list {
		have[b.Name] = true
	}
	var (
		mu  sync.Mutex
		bad []string
		wg  sync.WaitGroup
		sem = make(chan struct{}, 16)
	)
	for i := range distBuckets {
		key := fmt.Sprintf("%03d", i)
		name := "dist-" + key
		if !have[name] {
			bad = append(bad, name+": missing")
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := checkBucket(ctx, s3, adm, name, key, gen); err != nil {
				mu.Lock()
				bad = append(bad, name+": "+err.Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return bad
}

func checkBucket(ctx context.Context, s3 *minio.Client, adm *madmin.AdminClient, name, key, gen string) error {
	tg, err := s3.GetBucketTagging(ctx, name)
	if err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	want := map[string]string{"n": key, "gen": gen, "bucketform-stack": "dist"}
	if got := tg.ToMap(); fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("tags %v, want %v", got, want)
	}
	v, err := s3.GetBucketVersioning(ctx, name)
	if err != nil || v.Status != minio.Enabled {
		return fmt.Errorf("versioning %q (%v), want Enabled", v.Status, err)
	}
	lc, err := s3.GetBucketLifecycle(ctx, name)
	if err != nil {
		return fmt.Errorf("lifecycle: %w", err)
	}
	if len(lc.Rules) != 1 || lc.Rules[0].ID != "expire-tmp" || lc.Rules[0].Expiration.Days != 7 {
		return fmt.Errorf("lifecycle %+v, want one rule expire-tmp expiring after 7 days", lc.Rules)
	}
	q, err := adm.GetBucketQuota(ctx, name)
	if err != nil || q.Size != 1<<30 || q.Type != madmin.HardQuota {
		return fmt.Errorf("quota %d %q (%v), want a hard quota of 1 GiB", q.Size, q.Type, err)
	}
	return nil
}

// checkIndex reads the stack's ownership index through the proxy: it lists every bucket once.
func (r *distRig) checkIndex(ctx context.Context) {
	r.t.Helper()
	obj, err := r.c.Client(r.t).GetObject(ctx, "bucketform-state", "stacks/dist/index.json", minio.GetObjectOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	defer obj.Close()
	var index struct {
		Resources map[string]map[string]struct {
			Unsettled []string `json:"unsettled"`
		} `json:"resources"`
	}
	if err := json.NewDecoder(obj).Decode(&index); err != nil {
		r.t.Fatalf("read the ownership index: %v", err)
	}
	if n := len(index.Resources["bucket"]); n != distBuckets {
		r.t.Fatalf("the ownership index lists %d buckets, want %d", n, distBuckets)
	}
	for name, e := range index.Resources["bucket"] {
		if len(e.Unsettled) > 0 {
			r.t.Errorf("after a complete apply, bucket %s is still unsettled: %v", name, e.Unsettled)
		}
	}
	// Every bucket is claimed by the stack, and the claims list in one listing.
	claims := 0
	for o := range r.c.Client(r.t).ListObjects(ctx, "bucketform-state", minio.ListObjectsOptions{Prefix: "claims/bucket/", Recursive: true, WithMetadata: true}) {
		if o.Err != nil {
			r.t.Fatal(o.Err)
		}
		if o.UserMetadata["X-Amz-Meta-Bucketform-Stack"] != "dist" {
			r.t.Errorf("claim %s names %v", o.Key, o.UserMetadata)
		}
		claims++
	}
	if claims != distBuckets {
		r.t.Errorf("%d claims, want %d", claims, distBuckets)
	}
}

// summaryLine returns the summary (or the final error) line of an apply -json output.
func distSummary(stdout string) string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, `"type":"summary"`) || strings.Contains(line, `"type":"error"`) {
			out = append(out, line)
		}
	}
	return strings.Join(out, " ")
}

func distFirstLine(res cliResult) string {
	for _, s := range []string{res.stderr, res.stdout} {
		for _, line := range strings.Split(s, "\n") {
			if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "Reading") {
				return strings.TrimSpace(line)
			}
		}
	}
	return ""
}

func distTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func distSince(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// slowestChanges describes the slowest changes of an apply -json output: the buckets whose
// writes were in flight on a node when it died wait for the locks it held to expire.
func slowestChanges(stdout string) string {
	type change struct {
		Type     string `json:"type"`
		Bucket   string `json:"bucket"`
		Status   string `json:"status"`
		Duration int64  `json:"duration_ms"`
	}
	var all []change
	failed := 0
	for _, line := range strings.Split(stdout, "\n") {
		var c change
		if json.Unmarshal([]byte(line), &c) == nil && c.Type == "change" {
			all = append(all, c)
			if c.Status != "ok" {
				failed++
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Duration > all[j].Duration })
	var slow []string
	for _, c := range all[:min(len(all), 3)] {
		slow = append(slow, fmt.Sprintf("%s %s", c.Bucket, (time.Duration(c.Duration)*time.Millisecond).Round(100*time.Millisecond)))
	}
	over := 0
	for _, c := range all {
		if c.Duration > 30_000 {
			over++
		}
	}
	return fmt.Sprintf("%d changes, %d not ok, %d took over 30s, slowest: %s", len(all), failed, over, strings.Join(slow, ", "))
}
