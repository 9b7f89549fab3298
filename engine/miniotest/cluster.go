package miniotest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// ClusterNodes is the number of nodes of a Cluster.
const ClusterNodes = 4

// netPrefix starts the name of every bridge, veth and network namespace a Cluster makes:
// netPrefix, the creating process's pid in base 36, "-", a counter in base 36, and a suffix.
// The pid tells a leftover of a crashed run (its process is gone) from a cluster in use.
const netPrefix = "bfmc"

// Cluster is a distributed MinIO of four nodes on this machine, each in its own network
// namespace on a bridge,
// with a round-robin TCP proxy in front of it on 127.0.0.1. MinIO refuses loopback endpoints
// for distributed mode, hence the namespaces; making them needs root and the `ip` tool.
//
// The subnet is 10.77.N.0/24 with the first N that no address or route of this machine
// touches: the bridge (in the test's own namespace) has 10.77.N.1, node i (0..3) has
// 10.77.N.(11+i). The namespaces have no other route, so nothing is sent anywhere else.
type Cluster struct {
	// Nodes are the four servers, each reachable directly at its Endpoint.
	Nodes []*Node
	// Proxy spreads connections over the nodes.
	Proxy *Proxy
	// Endpoint is host:port of the proxy: the cluster as a load balancer presents it.
	Endpoint string

	bridge string
	netns  []string
	veths  []string
}

// Node is one server of a Cluster.
type Node struct {
	// Endpoint is host:port of this node's S3 API on the bridge.
	Endpoint string
	// Netns is the network namespace the node runs in.
	Netns string

	bin  string
	args []string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *syncBuffer
}

// RequireNetAdmin skips t unless the test runs as root with the `ip` tool (iproute2), which a
// Cluster needs; when the CI environment variable is set it fails t instead of skipping.
func RequireNetAdmin(t testing.TB) {
	t.Helper()
	var why string
	if os.Geteuid() != 0 {
		why = "a distributed MinIO needs network namespaces: run as root"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "a distributed MinIO needs the ip tool (iproute2): " + err.Error()
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so this is a failure, not a skip)", why)
	}
	t.Skip(why)
}

var clusterCount atomic.Int64

// StartCluster makes the network, starts four MinIO nodes and the proxy, waits until every node
// answers /minio/health/cluster, and tears it all down when t ends. It skips or fails t as
// RequireNetAdmin and Binary do. Leftovers of earlier runs that crashed (their process is gone)
// are removed first.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	RequireNetAdmin(t)
	bin := Binary(t, "minio")
	dir := t.TempDir() // before the teardown is registered, so it is removed after it
	c := &Cluster{}
	t.Cleanup(func() {
		if t.Failed() {
			for i, n := range c.Nodes {
				t.Logf("node %d (%s) log:\n%s", i, n.Endpoint, tail(n.Log(), 4000))
			}
		}
		c.teardown()
	})
	if err := c.setupNetwork(); err != nil {
		if strings.Contains(err.Error(), "Operation not permitted") && os.Getenv("CI") == "" {
			t.Skipf("distributed minio: root without CAP_NET_ADMIN (an unprivileged container?): %v", err)
		}
		t.Fatalf("distributed minio: %v", err)
	}
	var urls []string
	for i := range ClusterNodes {
		urls = append(urls, "http://"+c.Nodes[i].Endpoint+filepath.Join(dir, "n"+strconv.Itoa(i+1), "d"))
	}
	for _, n := range c.Nodes {
		n.bin = bin
		n.args = append([]string{"server", "--quiet", "--address", n.Endpoint}, urls...)
		if err := n.startProcess(); err != nil {
			t.Fatalf("distributed minio: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	errs := make([]error, ClusterNodes)
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = n.waitReady(ctx) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("distributed minio: %v", err)
	}
	var backends []string
	for _, n := range c.Nodes {
		backends = append(backends, n.Endpoint)
	}
	c.Proxy = StartProxy(t, backends...)
	c.Endpoint = c.Proxy.Addr
	return c
}

// Kill kills node i (0..3) at once, as a crash or an OOM kill would. Its namespace and address
// stay, so connections to it are refused.
func (c *Cluster) Kill(i int) { c.Nodes[i].stop(syscall.SIGKILL) }

// Start starts node i (0..3) again on its data and waits, at most two minutes, until it
// answers /minio/health/cluster.
func (c *Cluster) Start(i int) error {
	n := c.Nodes[i]
	if err := n.startProcess(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return n.waitReady(ctx)
}

// Client returns a minio-go client with root credentials that reaches the cluster through the
// proxy.
func (c *Cluster) Client(t testing.TB) *minio.Client { t.Helper(); return s3Client(t, c.Endpoint) }

// CredentialsEnv returns the environment a bucketform process needs to reach the cluster as
// root: MINIO_ACCESS_KEY and MINIO_SECRET_KEY.
func (c *Cluster) CredentialsEnv() []string {
	return []string{"MINIO_ACCESS_KEY=" + AccessKey, "MINIO_SECRET_KEY=" + SecretKey}
}

// Client returns a minio-go client with root credentials that reaches this node directly.
func (n *Node) Client(t testing.TB) *minio.Client { t.Helper(); return s3Client(t, n.Endpoint) }

// Admin returns a madmin-go client with root credentials that reaches this node directly.
func (n *Node) Admin(t testing.TB) *madmin.AdminClient {
	t.Helper()
	c, err := madmin.NewWithOptions(n.Endpoint, &madmin.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, "")})
	if err != nil {
		t.Fatalf("madmin client: %v", err)
	}
	return c
}

// Log returns what the node printed, over all its starts.
func (n *Node) Log() string { return n.log.String() }

func s3Client(t testing.TB, endpoint string) *minio.Client {
	t.Helper()
	c, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Region: "us-east-1",
	})
	if err != nil {
		t.Fatalf("minio client: %v", err)
	}
	return c
}

func (n *Node) startProcess() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return fmt.Errorf("node %s already running", n.Endpoint)
	}
	// `ip netns exec` enters the namespace and then execs minio, so the process is MinIO's.
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Netns, n.bin}, n.args...)...)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+AccessKey,
		"MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Stdout = n.log
	cmd.Stderr = n.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start node %s: %w", n.Endpoint, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	n.cmd, n.done = cmd, done
	return nil
}

// waitReady polls the node's /minio/health/cluster until it answers 200 or ctx ends.
func (n *Node) waitReady(ctx context.Context) error {
	url := "http://" + n.Endpoint + "/minio/health/cluster"
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		n.mu.Lock()
		done := n.done
		n.mu.Unlock()
		if done == nil {
			return fmt.Errorf("node %s is not running", n.Endpoint)
		}
		select {
		case <-done:
			return fmt.Errorf("node %s exited during start-up:\n%s", n.Endpoint, tail(n.Log(), 4000))
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not ready: %w\n%s", n.Endpoint, ctx.Err(), tail(n.Log(), 4000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (n *Node) stop(sig syscall.Signal) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd, n.done = nil, nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// setupNetwork removes leftovers of crashed runs, picks a free subnet and makes the bridge, the
// namespaces and the veths. It holds a machine-wide lock meanwhile, so that two runs at once do
// not pick the same subnet.
func (c *Cluster) setupNetwork() error {
	unlock, err := lockNetwork()
	if err != nil {
		return err
	}
	defer unlock()
	removeLeftovers()
	subnet, err := freeSubnet()
	if err != nil {
		return err
	}
	run := netPrefix + strconv.FormatInt(int64(os.Getpid()), 36) + "-" + strconv.FormatInt(clusterCount.Add(1)-1, 36)
	// A crashed run of an earlier process with the same pid may have left these very names.
	removeNames(func(name string) bool {
		suffix, ok := strings.CutPrefix(name, run)
		return ok && (suffix == "b" || len(suffix) == 2 && strings.ContainsRune("hpn", rune(suffix[0])))
	})
	c.bridge = run + "b"
	base := subnet.Addr().As4()
	addr := func(host byte) string { a := base; a[3] = host; return netip.AddrFrom4(a).String() }
	if err := ipCmd("link", "add", c.bridge, "type", "bridge"); err != nil {
		return err
	}
	steps := [][]string{
		{"addr", "add", addr(1) + "/24", "dev", c.bridge},
		{"link", "set", c.bridge, "up"},
	}
	for i := range ClusterNodes {
		ns, host, peer := run+"n"+strconv.Itoa(i+1), run+"h"+strconv.Itoa(i+1), run+"p"+strconv.Itoa(i+1)
		ip := addr(byte(11 + i))
		c.Nodes = append(c.Nodes, &Node{Endpoint: ip + ":9000", Netns: ns, log: &syncBuffer{}})
		c.veths = append(c.veths, host)
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"link", "add", host, "type", "veth", "peer", "name", peer},
			[]string{"link", "set", peer, "netns", ns},
			[]string{"link", "set", host, "master", c.bridge},
			[]string{"link", "set", host, "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"},
			[]string{"-n", ns, "addr", "add", ip + "/24", "dev", peer},
			[]string{"-n", ns, "link", "set", peer, "up"},
		)
	}
	for _, s := range steps {
		if s[0] == "netns" {
			c.netns = append(c.netns, s[2])
		}
		if err := ipCmd(s...); err != nil {
			return err
		}
	}
	return nil
}

// teardown kills the nodes and removes the namespaces, veths and bridge. Errors are ignored: it
// removes what exists.
func (c *Cluster) teardown() {
	if c.Proxy != nil {
		c.Proxy.Close()
	}
	// SIGKILL: the data goes with the test, and a distributed MinIO takes seconds to stop.
	for _, n := range c.Nodes {
		n.stop(syscall.SIGKILL)
	}
	for _, ns := range c.netns {
		killNetns(ns)
		_ = ipCmd("netns", "del", ns)
	}
	for _, v := range c.veths {
		_ = exec.Command("ip", "link", "del", v).Run() // usually gone with its namespace
	}
	if c.bridge != "" {
		_ = ipCmd("link", "del", c.bridge)
	}
}

// removeLeftovers removes the namespaces, veths and bridges of earlier runs whose process is
// gone (a test binary killed by a timeout never runs its cleanups), with any MinIO still
// running in them. Names of live processes are left alone: they may be another test's.
func removeLeftovers() { removeNames(isLeftover) }

// removeNames removes every network namespace (with what runs in it) and every link whose name
// match accepts.
func removeNames(match func(name string) bool) {
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && match(f[0]) {
				killNetns(f[0])
				_ = ipCmd("netns", "del", f[0])
			}
		}
	}
	if out, err := exec.Command("ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			// "7: bfmc1a2b-0h1@if6: <BROADCAST,..." — the name ends at '@' or ':'.
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if match(name) {
				_ = ipCmd("link", "del", name)
			}
		}
	}
}

// isLeftover tells whether name was made by a Cluster whose process no longer runs.
func isLeftover(name string) bool {
	rest, ok := strings.CutPrefix(name, netPrefix)
	if !ok {
		return false
	}
	pid36, _, ok := strings.Cut(rest, "-")
	if !ok {
		return false
	}
	pid, err := strconv.ParseInt(pid36, 36, 32)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == int64(os.Getpid()) {
		return false
	}
	return errors.Is(syscall.Kill(int(pid), 0), syscall.ESRCH)
}

// killNetns kills every process left in network namespace ns.
func killNetns(ns string) {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// freeSubnet returns the first 10.77.N.0/24 that overlaps no address and no route (other than
// the default route) of this network namespace.
func freeSubnet() (netip.Prefix, error) {
	var used []netip.Prefix
	addrs, err := exec.Command("ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("ip addr show: %w", err)
	}
	for _, line := range strings.Split(string(addrs), "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "inet" {
				if p, err := netip.ParsePrefix(f[i+1]); err == nil {
					used = append(used, p)
				}
			}
		}
	}
	routes, err := exec.Command("ip", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("ip route show: %w", err)
	}
	for _, line := range strings.Split(string(routes), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		dst := f[0]
		switch dst {
		case "default":
			continue
		case "local", "broadcast", "unicast", "multicast", "anycast", "blackhole", "unreachable", "prohibit", "throw":
			if len(f) < 2 {
				continue
			}
			dst = f[1]
		}
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if p, err := netip.ParsePrefix(dst); err == nil && p.Bits() > 0 {
			used = append(used, p)
		}
	}
	for n := range 256 {
		cand := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 77, byte(n), 0}), 24)
		free := true
		for _, u := range used {
			if u.Overlaps(cand) {
				free = false
				break
			}
		}
		if free {
			return cand, nil
		}
	}
	return netip.Prefix{}, errors.New("no free subnet in 10.77.0.0/16")
}

// lockNetwork takes a machine-wide lock (a file in the temporary directory) and returns its
// release.
func lockNetwork() (func(), error) {
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "bucketform-miniotest-netns.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// syncBuffer is a bytes buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
