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

// LeaseInfo is the content of a lease object.
type LeaseInfo struct {
	ID         string    `json:"id"`
	Holder     string    `json:"holder"`
	Operation  string    `json:"operation"`
	AcquiredAt time.Time `json:"acquired_at"`
	ExpiresAt  time.Time `json:"expires_at"`
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

	mu   sync.Mutex
	etag string
	err  error
}

// Acquire takes the stack's lease, waiting up to wait for another holder to release it or for
// its lease to expire (wait 0: fail at once with a *LockedError). It creates the state bucket
// when it does not exist.
func (s *Store) Acquire(ctx context.Context, operation string, wait time.Duration) (*Lease, error) {
	deadline := time.Now().Add(wait)
	id := randomID()
	for {
		info := LeaseInfo{ID: id, Holder: holder(), Operation: operation, AcquiredAt: time.Now().UTC().Truncate(time.Second)}
		info.ExpiresAt = info.AcquiredAt.Add(LeaseTTL)
		etag, err := s.tryAcquire(ctx, info)
		if err == nil {
			l := &Lease{store: s, info: info, etag: etag, stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
			go l.renew()
			return l, nil
		}
		var locked *LockedError
		if !errors.As(err, &locked) || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) tryAcquire(ctx context.Context, info LeaseInfo) (string, error) {
	data, _ := json.Marshal(info)
	for attempt := 0; attempt < 3; attempt++ {
		etag, err := s.client.PutSmall(ctx, s.bucket, s.leaseKey(), data, "")
		if err == nil {
			return etag, nil
		}
		if server.Code(err) == server.CodeNoSuchBucket {
			if err := s.client.EnsureBucket(ctx, s.bucket); err != nil {
				return "", fmt.Errorf("create the state bucket: %w", server.Explain(err))
			}
			continue
		}
		if !errors.Is(err, server.ErrConflict) {
			return "", fmt.Errorf("take the lease %s/%s: %w", s.bucket, s.leaseKey(), server.Explain(err))
		}
		// Someone holds it. Take it over only if it expired, and only if it is still the
		// same lease object when we replace it.
		cur, curETag, found, err := s.readLease(ctx)
		if err != nil {
			return "", err
		}
		if !found {
			continue // released meanwhile
		}
		if time.Now().Before(cur.ExpiresAt) {
			return "", &LockedError{Stack: s.stack, Server: s.client.Endpoint(), Info: cur}
		}
		etag, err = s.client.PutSmall(ctx, s.bucket, s.leaseKey(), data, curETag)
		if err == nil {
			return etag, nil
		}
		if !errors.Is(err, server.ErrConflict) {
			return "", fmt.Errorf("take over the expired lease %s/%s: %w", s.bucket, s.leaseKey(), server.Explain(err))
		}
	}
	cur, _, _, _ := s.readLease(ctx)
	return "", &LockedError{Stack: s.stack, Server: s.client.Endpoint(), Info: cur}
}

func (s *Store) readLease(ctx context.Context) (LeaseInfo, string, bool, error) {
	data, etag, found, err := s.client.GetSmall(ctx, s.bucket, s.leaseKey())
	if err != nil || !found {
		return LeaseInfo{}, "", found, err
	}
	var info LeaseInfo
	if err := json.Unmarshal(data, &info); err != nil {
		// An unreadable lease is treated as expired so it cannot block forever.
		return LeaseInfo{Holder: "unknown (unreadable lease)"}, etag, true, nil
	}
	return info, etag, true, nil
}

// ForceUnlock deletes the stack's lease whoever holds it, and returns what it held (found is
// false when there was none).
func (s *Store) ForceUnlock(ctx context.Context) (info LeaseInfo, found bool, err error) {
	info, _, found, err = s.readLease(ctx)
	if err != nil || !found {
		return info, found, err
	}
	return info, true, s.client.DeleteSmall(ctx, s.bucket, s.leaseKey())
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
		info.ExpiresAt = time.Now().UTC().Truncate(time.Second).Add(LeaseTTL)
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

// Release stops renewing and deletes the lease object.
func (l *Lease) Release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	select {
	case <-l.lost:
		return nil // someone else holds it now; do not delete theirs
	default:
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
