package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/bucketform/bucketform/engine/server"
)

// WaitAttempt reports one readiness attempt of -wait.
type WaitAttempt struct {
	Deployment string
	Endpoint   string
	Attempt    int
	Ready      bool
	Err        error // why the server is not ready yet
	Elapsed    time.Duration
	// Next is how long until the next attempt; zero when ready or when this was the last one.
	Next time.Duration
}

// Backoff bounds for -wait: capped exponential backoff with jitter.
var (
	waitFirstDelay = 250 * time.Millisecond
	waitMaxDelay   = 5 * time.Second
)

// probeTimeout bounds one readiness probe (the health check and the authenticated read
// together), so a server that accepts connections and never answers costs each attempt at
// most this long, and the attempt says so (server.NoAnswerError).
const probeTimeout = 5 * time.Second

// Wait waits, up to timeout, until every deployment is ready: /minio/health/cluster answers
// 200 (the object layer and IAM are initialised and write quorum is met; /health/live and
// /health/ready answer earlier than that), and then one authenticated request — reading the
// stack's ownership index — succeeds. Credential, permission and TLS errors end the wait at
// once, and so does a scheme mismatch (http spoken to an https server, or the reverse, which
// MinIO answers with 400 or a non-TLS handshake): waiting cannot fix them. Attempts back off exponentially (waitFirstDelay doubling up
// to waitMaxDelay), each delay drawn at random between half and all of its value; each probe
// makes its requests once, without the per-request retries of server.Retry.
func (e *Engine) Wait(ctx context.Context, timeout time.Duration, onAttempt func(WaitAttempt)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var mu sync.Mutex
	report := func(a WaitAttempt) {
		if onAttempt != nil {
			mu.Lock()
			onAttempt(a)
			mu.Unlock()
		}
	}
	errs := make([]error, len(e.deployments))
	var wg sync.WaitGroup
	for i, dep := range e.deployments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.waitOne(ctx, dep, timeout, report)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (e *Engine) waitOne(ctx context.Context, dep *deployment, timeout time.Duration, report func(WaitAttempt)) error {
	start := time.Now()
	delay := waitFirstDelay
	var last error // the last error that was not the end of the wait itself
	for attempt := 1; ; attempt++ {
		err := e.probe(ctx, dep)
		if err != nil && ctx.Err() != nil && last != nil {
			// The wait ended during this probe: its error says only that.
			return e.notReady(dep, timeout, attempt-1, last)
		}
		a := WaitAttempt{Deployment: dep.name, Endpoint: dep.client.Endpoint(), Attempt: attempt, Ready: err == nil, Err: err, Elapsed: time.Since(start)}
		if err == nil {
			report(a)
			return nil
		}
		last = err
		if permanent(err) {
			report(a)
			return fmt.Errorf("minio %q (%s): %w (waiting cannot fix this)", dep.name, dep.client.Endpoint(), server.Explain(err))
		}
		// Jitter between half the delay and the delay, so many Jobs do not poll in step.
		sleep := delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < sleep {
			sleep = max(time.Until(deadline), 0)
		}
		a.Next = sleep
		report(a)
		select {
		case <-ctx.Done():
			return e.notReady(dep, timeout, attempt, last)
		case <-time.After(sleep):
		}
		delay = min(delay*2, waitMaxDelay)
	}
}

func (e *Engine) notReady(dep *deployment, timeout time.Duration, attempts int, last error) error {
	return fmt.Errorf("minio %q (%s) was not ready after waiting %s (%d attempts); last error: %v",
		dep.name, dep.client.Endpoint(), timeout, attempts, server.Explain(last))
}

// probe checks readiness once, each request bounded so a hung server cannot eat the wait.
func (e *Engine) probe(ctx context.Context, dep *deployment) error {
	pctx, cancel := context.WithTimeout(server.WithoutRetry(ctx), probeTimeout)
	defer cancel()
	if err := dep.client.Healthy(pctx); err != nil {
		return err
	}
	_, err := dep.store.Load(pctx)
	return err
}

// permanent reports whether err cannot go away by waiting: the server answered, and refused
// the credentials or the request, or it speaks the other scheme (server.Misconfigured).
func permanent(err error) bool {
	switch server.Code(err) {
	case server.CodeAccessDenied, "XMinioAdminAccessDenied":
		return true
	}
	return server.Misconfigured(err)
}
