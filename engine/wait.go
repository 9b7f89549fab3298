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
}

// Backoff bounds for -wait: capped exponential backoff with jitter.
var (
	waitFirstDelay = 250 * time.Millisecond
	waitMaxDelay   = 5 * time.Second
)

// Wait waits, up to timeout, until every deployment is ready: /minio/health/cluster answers
// 200 (the object layer and IAM are initialised and write quorum is met; /health/live and
// /health/ready answer earlier than that), and then one authenticated request — reading the
// stack's ownership index — succeeds. Credential and permission errors end the wait at once:
// waiting cannot fix them.
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
	for attempt := 1; ; attempt++ {
		err := e.probe(ctx, dep)
		a := WaitAttempt{Deployment: dep.name, Endpoint: dep.client.Endpoint(), Attempt: attempt, Ready: err == nil, Err: err, Elapsed: time.Since(start)}
		report(a)
		if err == nil {
			return nil
		}
		if permanent(err) {
			return fmt.Errorf("minio %q (%s): %w", dep.name, dep.client.Endpoint(), server.Explain(err))
		}
		// Full jitter between half the delay and the delay, so many Jobs do not poll in step.
		sleep := delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
		select {
		case <-ctx.Done():
			return fmt.Errorf("minio %q (%s) was not ready after %s (%d attempts); last error: %v",
				dep.name, dep.client.Endpoint(), timeout, attempt, err)
		case <-time.After(sleep):
		}
		delay = min(delay*2, waitMaxDelay)
	}
}

// probe checks readiness once, each request bounded so a hung server cannot eat the wait.
func (e *Engine) probe(ctx context.Context, dep *deployment) error {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := dep.client.Healthy(pctx); err != nil {
		return err
	}
	_, err := dep.store.Load(pctx)
	return err
}

// permanent reports whether err cannot go away by waiting: the server answered, and refused
// the credentials or the request.
func permanent(err error) bool {
	switch server.Code(err) {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", server.CodeAccessDenied, "InvalidRegion", "AuthorizationHeaderMalformed":
		return true
	}
	return false
}
