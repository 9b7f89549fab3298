package miniotest

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// backend is a TCP server that answers every connection with its name and closes it.
func backend(t *testing.T, name string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, name)
			c.Close()
		}
	}()
	return ln
}

func via(t *testing.T, p *Proxy) string {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The proxy takes the backends in turn, and passes over one that refuses connections.
func TestProxyRoundRobin(t *testing.T) {
	a, b, c := backend(t, "a"), backend(t, "b"), backend(t, "c")
	p := StartProxy(t, a.Addr().String(), b.Addr().String(), c.Addr().String())
	var got []string
	for range 6 {
		got = append(got, via(t, p))
	}
	if s := strings.Join(got, ""); s != "abcabc" {
		t.Fatalf("connections went to %q, want abcabc", s)
	}
	b.Close()
	got = nil
	for range 4 {
		got = append(got, via(t, p))
	}
	if s := strings.Join(got, ""); strings.Contains(s, "b") || len(s) != 4 {
		t.Fatalf("with b down, connections went to %q", s)
	}
	if p.Refused() == 0 {
		t.Fatal("no refused connection counted")
	}
	if n := p.Connections(); n[0] < 3 || n[1] != 2 || n[2] < 3 {
		t.Fatalf("connections per backend %v", n)
	}
}

// SigV4 signs the Host header; the proxy forwards bytes unchanged, so a client signs for the
// proxy's address and MinIO accepts it.
func TestProxyKeepsSignaturesValid(t *testing.T) {
	srv := Start(t)
	p := StartProxy(t, srv.Endpoint)
	c := s3Client(t, p.Addr)
	ctx := context.Background()
	if err := c.MakeBucket(ctx, "via-proxy", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket through the proxy: %v", err)
	}
	body := bytes.Repeat([]byte("x"), 1<<20)
	if _, err := c.PutObject(ctx, "via-proxy", "k", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put through the proxy: %v", err)
	}
	obj, err := c.GetObject(ctx, "via-proxy", "k", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("get through the proxy: %d bytes, %v", len(got), err)
	}
}

// Leftovers of a run whose process is gone are removed, with what still runs in them; names
// of a live process are kept.
func TestRemoveLeftovers(t *testing.T) {
	RequireNetAdmin(t)
	pidMax, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	deadPid, err := strconv.ParseInt(strings.TrimSpace(string(pidMax)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	dead := netPrefix + strconv.FormatInt(deadPid+1, 36) + "-0"
	live := netPrefix + strconv.FormatInt(1, 36) + "-0" // pid 1 always runs
	for _, name := range []string{dead, live} {
		t.Cleanup(func() {
			killNetns(name + "n1")
			_ = exec.Command("ip", "netns", "del", name+"n1").Run()
			_ = exec.Command("ip", "link", "del", name+"b").Run()
		})
		for _, args := range [][]string{{"netns", "add", name + "n1"}, {"link", "add", name + "b", "type", "bridge"}} {
			if err := ipCmd(args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	sleeper := exec.Command("ip", "netns", "exec", dead+"n1", "sleep", "300")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sleeper.Wait() }()
	t.Cleanup(func() { _ = sleeper.Process.Kill() })
	// Wait until the sleeper runs in the namespace: on a loaded machine, `ip netns exec` may
	// not have entered it yet when removeLeftovers looks.
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if out, _ := exec.Command("ip", "netns", "pids", dead+"n1").Output(); len(strings.Fields(string(out))) > 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the sleeper never entered its namespace")
		}
	}

	unlock, err := lockNetwork()
	if err != nil {
		t.Fatal(err)
	}
	removeLeftovers()
	unlock()

	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Error("the process in the leftover namespace still runs")
	}
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	nss, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(links), dead+"b") || strings.Contains(string(nss), dead+"n1") {
		t.Errorf("leftovers of a dead process remain:\n%s\n%s", links, nss)
	}
	if !strings.Contains(string(links), live+"b") || !strings.Contains(string(nss), live+"n1") {
		t.Errorf("names of a live process were removed:\n%s\n%s", links, nss)
	}
}
