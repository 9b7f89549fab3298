package ownership

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"time"

	"github.com/bucketform/bucketform/engine/server"
)

// LeaseTTL is how long a lease lives without renewal. The holder renews it every LeaseTTL/3, so
// a lease outlives its holder by at most LeaseTTL: an apply killed with SIGKILL (an OOM-killed
// Job) blocks the next one for at most this long, without anyone running force-unlock.
var LeaseTTL = 60 * time.Second

// maxLeaseTTLs bounds how far a lease's expiry may lie ahead, in LeaseTTLs: of the time the
// lease was written, and of now. A holder writes ExpiresAt = now + LeaseTTL at every renewal,
// so an honest lease never exceeds the first bound, and exceeds the second only when its
// writer's clock is more than two TTLs ahead. A lease beyond either bound (a hand-written
// expiry in 2099, by anyone who can write to the state bucket) is treated as expired, so it
// cannot block a stack forever.
const maxLeaseTTLs = 3

// cleanupTimeout bounds the clean-up after a failed acquisition: reading the lease back and
// deleting it when it is ours.
const cleanupTimeout = 10 * time.Second

// LeaseInfo is the content of a lease object.
type LeaseInfo struct {
	ID         string    `json:"id"`
	Holder     string    `json:"holder"`
	Operation  string    `json:"operation"`
	AcquiredAt time.Time `json:"acquired_at"`
	// RenewedAt is when the holder last wrote the lease (acquired or renewed it). Leases
	// written before this field existed lack it.
	RenewedAt time.Time `json:"renewed_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at"`
}

// invalid says why a lease that has not expired must be treated as expired anyway, or "".
func (i LeaseInfo) invalid(now time.Time) string {
	limit := maxLeaseTTLs * LeaseTTL
	switch {
	case !i.RenewedAt.IsZero() && i.ExpiresAt.Sub(i.RenewedAt) > limit:
		return fmt.Sprintf("its expiry %s is %s after it was written (%s), more than %d lease TTLs (%s)",
			i.ExpiresAt.Format(time.RFC3339), i.ExpiresAt.Sub(i.RenewedAt).Round(time.Second), i.RenewedAt.Format(time.RFC3339), maxLeaseTTLs, limit)
	case i.ExpiresAt.Sub(now) > limit:
		return fmt.Sprintf("its expiry %s is %s from now, more than %d lease TTLs (%s)",
			i.ExpiresAt.Format(time.RFC3339), i.ExpiresAt.Sub(now).Round(time.Second), maxLeaseTTLs, limit)
	}
	return ""
}

// LockedError says that another apply holds the stack's lease.
type LockedError struct {
	Stack  string
	Server string
	Info   LeaseInfo
}

// Error says who holds the lease and what to do.
func (e *LockedError) Error() string {
	return fmt.Sprintf("stack %q on %s is locked by %s (%s, since %s, lease expires %s unless renewed); "+
		"wait for it with -lock-timeout, or run `bucketform force-unlock` if that apply is gone",
		e.Stack, e.Server, e.Info.Holder, e.Info.Operation, e.Info.AcquiredAt.Format(time.RFC3339), e.Info.ExpiresAt.Format(time.RFC3339))
}

// Lease is a held lease on a stack. It renews itself until Release.
type Lease struct {
	store *Store
	info  LeaseInfo
	stop  chan struct{}
	done  chan struct{}
	lost  chan struct{}

	// replaced says whose lease this one replaced and why, or "".
	replaced string

	mu   sync.Mutex
	etag string
	err  error
}

// Replaced says whose lease Acquire took over and why (it had expired, or its expiry was
// absurd, or it could not be read), or "" when the stack was not locked. Callers show it:
// taking over a lease means an earlier apply died, or someone wrote the lease by hand.
func (l *Lease) Replaced() string { return l.replaced }

// Acquire takes the stack's lease, waiting up to wait for another holder to release it or for
// its lease to expire (wait 0: fail at once with a *LockedError). It creates the state bucket
// when it does not exist.
//
// An acquisition that fails for any other reason than another holder cleans up after itself:
// a write whose answer was lost may have stored the lease all the same, and would then block
// the next apply of the stack for a LeaseTTL. So it reads the lease back and deletes it when,
// and only when, it holds this acquisition's ID.
func (s *Store) Acquire(ctx context.Context, operation string, wait time.Duration) (*Lease, error) {
	deadline := time.Now().Add(wait)
	id := randomID()
	for {
		now := time.Now().UTC().Truncate(time.Second)
		info := LeaseInfo{ID: id, Holder: holder(), Operation: operation, AcquiredAt: now, RenewedAt: now, ExpiresAt: now.Add(LeaseTTL)}
		etag, replaced, err := s.tryAcquire(ctx, info)
		if err == nil {
			l := &Lease{store: s, info: info, etag: etag, replaced: replaced, stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
			go l.renew()
			return l, nil
		}
		var locked *LockedError
		if !errors.As(err, &locked) {
			return nil, s.cleanUp(ctx, id, err)
		}
		if time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// tryAcquire writes the lease once: it creates it, or takes over a lease that expired or is
// invalid. It returns the new ETag and, for a takeover, whose lease it replaced and why.
func (s *Store) tryAcquire(ctx context.Context, info LeaseInfo) (etag, replaced string, err error) {
	data, _ := json.Marshal(info)
	for attempt := 0; attempt < 3; attempt++ {
		etag, err := s.client.PutSmall(ctx, s.bucket, s.leaseKey(), data, "")
		if err == nil {
			return etag, "", nil
		}
		if server.Code(err) == server.CodeNoSuchBucket {
			if err := s.client.EnsureBucket(ctx, s.bucket); err != nil {
				return "", "", fmt.Errorf("create the state bucket: %w", server.Explain(err))
			}
			continue
		}
		if !errors.Is(err, server.ErrConflict) {
			return "", "", fmt.Errorf("take the lease %s/%s: %w", s.bucket, s.leaseKey(), server.Explain(err))
		}
		// Someone holds it. Take it over only if it expired (or is invalid), and only if it
		// is still the same lease object when we replace it.
		cur, curETag, found, err := s.readLease(ctx)
		if err != nil {
			return "", "", fmt.Errorf("read the lease %s/%s held by someone else: %w", s.bucket, s.leaseKey(), server.Explain(err))
		}
		if !found {
			continue // released meanwhile
		}
		why := cur.takeOver(time.Now())
		if why == "" {
			return "", "", &LockedError{Stack: s.stack, Server: s.client.Endpoint(), Info: cur.LeaseInfo}
		}
		etag, err = s.client.PutSmall(ctx, s.bucket, s.leaseKey(), data, curETag)
		if err == nil {
			held := ""
			if cur.unreadable == "" {
				held = fmt.Sprintf(" held by %s (%s since %s)", cur.Holder, cur.Operation, cur.AcquiredAt.Format(time.RFC3339))
			}
			return etag, fmt.Sprintf("took over the lease of stack %q on %s%s: %s", s.stack, s.client.Endpoint(), held, why), nil
		}
		if !errors.Is(err, server.ErrConflict) {
			return "", "", fmt.Errorf("take over the lease %s/%s (%s): %w", s.bucket, s.leaseKey(), why, server.Explain(err))
		}
	}
	cur, _, _, _ := s.readLease(ctx)
	return "", "", &LockedError{Stack: s.stack, Server: s.client.Endpoint(), Info: cur.LeaseInfo}
}

// cleanUp runs after an acquisition with lease ID id failed with cause: when the lease
// object holds id (a write that stored the lease but lost its answer), it deletes it. It never
// deletes another holder's lease. It returns cause, with a note when the clean-up could not
// be done. It runs also when ctx was cancelled (SIGTERM during the write), within its own
// bound.
func (s *Store) cleanUp(ctx context.Context, id string, cause error) error {
	if !mayHaveWritten(cause) {
		return cause
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	left := func(err error) error {
		return fmt.Errorf("%w; the failed attempt may have left its lease %s/%s behind, and it could not be removed (%v): "+
			"it expires within %s, or remove it with `bucketform force-unlock`", cause, s.bucket, s.leaseKey(), err, LeaseTTL)
	}
	cur, _, found, err := s.readLease(ctx)
	if err != nil {
		return left(err)
	}
	if !found || cur.ID != id {
		return cause // nothing of ours there
	}
	// The lease is ours and valid for a LeaseTTL from our own write: no one else can take it
	// over between this read and the delete (short of force-unlock).
	if err := s.client.DeleteSmall(ctx, s.bucket, s.leaseKey()); err != nil {
		return left(err)
	}
	return cause
}

// mayHaveWritten reports whether a failed acquisition may have stored its lease: always,
// except when the request that failed made a single attempt that the server refused or that
// could not be sent (a refused permission, a scheme mismatch): then nothing was written and a
// clean-up would only fail the same way.
func mayHaveWritten(err error) bool {
	var re *server.RequestError
	if !errors.As(err, &re) || re.Attempts != 1 ||
		errors.Is(re.Err, context.Canceled) || errors.Is(re.Err, context.DeadlineExceeded) {
		return true
	}
	return server.Transient(context.Background(), re.Err)
}

// leaseRead is a lease as read; unreadable says why its content could not be read, or "".
type leaseRead struct {
	LeaseInfo
	unreadable string
}

// takeOver says why another holder's lease may be taken over at now, or "" when it holds.
func (r leaseRead) takeOver(now time.Time) string {
	if r.unreadable != "" {
		return r.unreadable
	}
	if !now.Before(r.ExpiresAt) {
		return "it expired at " + r.ExpiresAt.Format(time.RFC3339)
	}
	if invalid := r.invalid(now); invalid != "" {
		return invalid + ", so it is treated as expired"
	}
	return ""
}

func (s *Store) readLease(ctx context.Context) (leaseRead, string, bool, error) {
	data, etag, found, err := s.client.GetSmall(ctx, s.bucket, s.leaseKey())
	if err != nil || !found {
		return leaseRead{}, "", found, err
	}
	var info LeaseInfo
	if err := json.Unmarshal(data, &info); err != nil {
		// An unreadable lease is treated as expired so it cannot block forever.
		return leaseRead{LeaseInfo: LeaseInfo{Holder: "unknown"}, unreadable: fmt.Sprintf("its content is not a lease (%v)", err)}, etag, true, nil
	}
	return leaseRead{LeaseInfo: info}, etag, true, nil
}

// ForceUnlock deletes the stack's lease whoever holds it, and returns what it held (found is
// false when there was none).
func (s *Store) ForceUnlock(ctx context.Context) (info LeaseInfo, found bool, err error) {
	cur, _, found, err := s.readLease(ctx)
	if err != nil || !found {
		return cur.LeaseInfo, found, err
	}
	return cur.LeaseInfo, true, s.client.DeleteSmall(ctx, s.bucket, s.leaseKey())
}

// Lost is closed when the lease could not be renewed (another process took it over after it
// expired, or the server was unreachable for longer than the TTL). The holder must stop.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err returns why the lease was lost, or nil.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Lease) renew() {
	defer close(l.done)
	ticker := time.NewTicker(LeaseTTL / 3)
	defer ticker.Stop()
	lastRenewed := time.Now()
	for {
		select {
		case <-l.stop:
			return
		case <-ticker.C:
		}
		info := l.info
		info.RenewedAt = time.Now().UTC().Truncate(time.Second)
		info.ExpiresAt = info.RenewedAt.Add(LeaseTTL)
		data, _ := json.Marshal(info)
		l.mu.Lock()
		etag := l.etag
		l.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), LeaseTTL/3)
		newETag, err := l.store.client.PutSmall(ctx, l.store.bucket, l.store.leaseKey(), data, etag)
		cancel()
		if err == nil {
			l.mu.Lock()
			l.etag = newETag
			l.mu.Unlock()
			lastRenewed = time.Now()
			continue
		}
		if errors.Is(err, server.ErrConflict) || time.Since(lastRenewed) > LeaseTTL {
			l.mu.Lock()
			l.err = fmt.Errorf("lost the lease on stack %q: %w", l.store.stack, err)
			l.mu.Unlock()
			close(l.lost)
			return
		}
	}
}

// Release stops renewing and deletes the lease object, if it still holds this lease: the
// lease of someone who took it over after it was lost is left alone.
func (l *Lease) Release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	select {
	case <-l.lost:
		return nil // someone else holds it now; do not delete theirs
	default:
	}
	cur, _, found, err := l.store.readLease(ctx)
	if err != nil {
		return fmt.Errorf("release the lease %s/%s: %w", l.store.bucket, l.store.leaseKey(), server.Explain(err))
	}
	if !found || cur.ID != l.info.ID {
		return nil
	}
	return l.store.client.DeleteSmall(ctx, l.store.bucket, l.store.leaseKey())
}

func holder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s (pid %d)", name, host, os.Getpid())
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
