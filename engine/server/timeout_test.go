package server_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketform/bucketform/engine/server"
)

// silentServer accepts connections and never answers, as a hung server, or a proxy whose
// backend is gone, does. It counts the connections it accepted.
type silentServer struct {
	ln       net.Listener
	accepted atomic.Int64
}

func newSilentServer(t *testing.T) *silentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentServer{ln: ln}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return s
}

func (s *silentServer) client(t *testing.T) *server.Client {
	t.Helper()
	c, err := server.New(server.Target{Endpoint: s.ln.Addr().String(), Region: "us-east-1",
		AccessKey: "unused", SecretKey: "unused-secret", Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A silent server holds one request for two attempts of the production policy, about 20 s,
// not for 8 attempts of 30 s (4 min 12 s, as it did), and the error names the endpoint and
// says that it accepted the connection but did not answer.
func TestSilentServerFailsWithinTheBudget(t *testing.T) {
	if server.Retry.AttemptTimeout > 10*time.Second || server.Retry.Timeouts > 2 || server.Retry.Budget > 30*time.Second {
		t.Fatalf("the production policy %+v is looser than the package comment says", server.Retry)
	}
	s := newSilentServer(t)
	start := time.Now()
	_, _, _, err := s.client(t).GetSmall(context.Background(), "bucketform-state", "stacks/x/index.json")
	took := time.Since(start)
	if err == nil {
		t.Fatal("a server that never answers answered")
	}
	if took > 25*time.Second {
		t.Errorf("the request took %s against a silent server, want at most 25 s", took.Round(100*time.Millisecond))
	}
	msg := server.Explain(err).Error()
	for _, want := range []string{
		"http://" + s.ln.Addr().String() + " accepted the connection but did not answer within 10s",
		"gave up after 2 attempts",
		"check that endpoint names MinIO's S3 API port",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q: %s", want, msg)
		}
	}
	var silent *server.NoAnswerError
	if !errors.As(err, &silent) || silent.Stage != "answer" {
		t.Errorf("error %v is not a NoAnswerError of stage answer", err)
	}
	if got := s.accepted.Load(); got != 2 {
		t.Errorf("%d connections, want 2 (one retry after a timeout)", got)
	}
	t.Logf("gave up after %s: %s", took.Round(100*time.Millisecond), msg)
}

// The budget bounds the whole retry sequence: attempts that fail slowly but not by a timeout
// (here: a server that answers nothing and closes the connection after 300 ms) stop once the
// budget is spent, before the attempts are.
func TestRetryBudgetBoundsTheSequence(t *testing.T) {
	old := server.Retry
	server.Retry = server.RetryPolicy{Attempts: 100, First: 50 * time.Millisecond, Max: 50 * time.Millisecond,
		AttemptTimeout: 10 * time.Second, Timeouts: 2, Budget: 2 * time.Second, ResponseTimeout: time.Minute}
	t.Cleanup(func() { server.Retry = old })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() { time.Sleep(300 * time.Millisecond); c.Close() }()
		}
	}()
	c, err := server.New(server.Target{Endpoint: ln.Addr().String(), Region: "us-east-1", AccessKey: "unused", SecretKey: "unused-secret"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.MakeBucket(context.Background(), "budget", false)
	took := time.Since(start)
	if err == nil {
		t.Fatal("MakeBucket succeeded against a server that closes every connection")
	}
	if took > 3*time.Second {
		t.Errorf("the sequence took %s, want it stopped by the 2 s budget", took.Round(100*time.Millisecond))
	}
	if n := accepted.Load(); n < 3 || n > 10 {
		t.Errorf("%d attempts within a 2 s budget of 350 ms attempts, want 3 to 10", n)
	}
	if !strings.Contains(err.Error(), "gave up after") {
		t.Errorf("the error does not say it gave up: %v", err)
	}
}

// A request whose caller cancels it is an interruption, not a silent server: no NoAnswerError,
// no second attempt.
func TestCancelledRequestIsNotNoAnswer(t *testing.T) {
	s := newSilentServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, _, _, err := s.client(t).GetSmall(ctx, "bucketform-state", "k")
	var silent *server.NoAnswerError
	if err == nil || errors.As(err, &silent) {
		t.Fatalf("cancelled request: %v, want an interruption", err)
	}
	if got := s.accepted.Load(); got != 1 {
		t.Errorf("%d connections after a cancel, want 1", got)
	}
}

// Healthy, which -wait polls without retries, says the same about a silent server.
func TestHealthySilentServer(t *testing.T) {
	s := newSilentServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := s.client(t).Healthy(ctx)
	if err == nil || !strings.Contains(err.Error(), "accepted the connection but did not answer within 500ms") {
		t.Fatalf("Healthy against a silent server: %v", err)
	}
}
