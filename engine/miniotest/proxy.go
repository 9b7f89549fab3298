package miniotest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy is a round-robin TCP proxy on 127.0.0.1, the load balancer in front of a distributed
// MinIO: each accepted connection goes to the next backend in turn and its bytes are copied
// unchanged both ways. Because nothing is rewritten, a client signs its requests (SigV4) for the
// proxy's host:port, which MinIO accepts whatever Host it is reached under.
//
// Like a load balancer's "next upstream on connect error", a connection whose backend refuses
// it is offered to the following backends; only when every backend refuses is the client's
// connection closed. Connections already established to a backend that dies are cut, as they
// would be behind a real load balancer.
type Proxy struct {
	// Addr is host:port of the proxy on 127.0.0.1.
	Addr string

	backends []string
	ln       net.Listener
	next     atomic.Uint64
	conns    []atomic.Int64
	refused  atomic.Int64
	mu       sync.Mutex
	open     map[net.Conn]struct{}
	closed   bool
	wg       sync.WaitGroup
}

// StartProxy starts a round-robin proxy to backends (host:port each) and closes it when t ends.
func StartProxy(t testing.TB, backends ...string) *Proxy {
	t.Helper()
	p, err := ListenProxy(backends...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// ListenProxy starts a round-robin proxy to backends outside any test's lifetime: the caller
// closes it.
func ListenProxy(backends ...string) (*Proxy, error) {
	if len(backends) == 0 {
		return nil, errors.New("proxy: no backends")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	p := &Proxy{
		Addr:     ln.Addr().String(),
		backends: append([]string(nil), backends...),
		ln:       ln,
		conns:    make([]atomic.Int64, len(backends)),
		open:     map[net.Conn]struct{}{},
	}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Connections returns how many connections the proxy has made to each backend, in the order
// the backends were given.
func (p *Proxy) Connections() []int64 {
	out := make([]int64, len(p.conns))
	for i := range p.conns {
		out[i] = p.conns[i].Load()
	}
	return out
}

// Refused returns how many times a backend refused a connection (each was offered to the next
// backend).
func (p *Proxy) Refused() int64 { return p.refused.Load() }

// Close stops accepting, cuts every open connection and waits for the proxy's goroutines. It is
// safe to call more than once.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	_ = p.ln.Close()
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		if !p.track(c) {
			_ = c.Close()
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

// track records an open connection so Close can cut it; false when the proxy is closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.open[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.open, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) handle(client net.Conn) {
	defer p.untrack(client)
	start := p.next.Add(1) - 1
	var backend net.Conn
	for i := range len(p.backends) {
		k := int((start + uint64(i)) % uint64(len(p.backends)))
		c, err := net.DialTimeout("tcp", p.backends[k], 5*time.Second)
		if err != nil {
			p.refused.Add(1)
			continue
		}
		p.conns[k].Add(1)
		backend = c
		break
	}
	if backend == nil {
		return
	}
	if !p.track(backend) {
		_ = backend.Close()
		return
	}
	defer p.untrack(backend)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if err != nil {
			// A reset or a failed write: cut both sides, as a dead backend's connection is.
			_ = client.Close()
			_ = backend.Close()
		} else if tc, ok := dst.(*net.TCPConn); ok {
			// Pass the end of one direction on as a half-close, so a client that closes its
			// sending side still reads the whole answer.
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	<-done
}
