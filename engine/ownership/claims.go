package ownership

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/server"
)

// claimPrefix is where claims live in the state bucket: claims/<kind>/<escaped id>.
const claimPrefix = "claims/"

// stackMeta is the user metadata that carries a claim's stack, so that a listing tells owners;
// kindMeta carries its kind where the object name does not (an access key's claim).
const (
	stackMeta = "bucketform-stack"
	kindMeta  = "bucketform-kind"
)

// accessKeys is the claim namespace of users and service accounts: they share their access
// keys on the server (AddUser turns a service account's key into a user's), so a key is
// claimed once, whichever kind claims it.
const accessKeys = "access-key"

// sharesAccessKeys reports whether a kind's identity is an access key.
func sharesAccessKeys(k model.Kind) bool {
	return k == model.KindUser || k == model.KindServiceAccount
}

// Claim is the content of a claim object.
type Claim struct {
	FormatVersion string    `json:"format_version"`
	Kind          string    `json:"kind,omitempty"`
	Stack         string    `json:"stack"`
	Address       string    `json:"address"`
	ClaimedAt     time.Time `json:"claimed_at"`
}

func claimKey(k model.Key) string {
	ns := string(k.Kind)
	if sharesAccessKeys(k.Kind) {
		ns = accessKeys
	}
	return claimPrefix + ns + "/" + url.PathEscape(k.ID)
}

func parseClaimKey(key string) (model.Key, bool) {
	rest, ok := strings.CutPrefix(key, claimPrefix)
	if !ok {
		return model.Key{}, false
	}
	kind, escaped, ok := strings.Cut(rest, "/")
	if !ok || kind == "" || escaped == "" {
		return model.Key{}, false
	}
	id, err := url.PathUnescape(escaped)
	if err != nil {
		return model.Key{}, false
	}
	return model.Key{Kind: model.Kind(kind), ID: id}, true
}

// Claims reads every claim on the server: one listing per thousand claims. A claim's Address
// is only known after ReadClaim; the listing gives its stack.
func (s *Store) Claims(ctx context.Context) (map[model.Key]Claim, error) {
	listed, err := s.client.ListSmall(ctx, s.bucket, claimPrefix)
	if err != nil {
		return nil, fmt.Errorf("list the claims in %s/%s: %w", s.bucket, claimPrefix, server.Explain(err))
	}
	out := make(map[model.Key]Claim, len(listed))
	for _, l := range listed {
		k, ok := parseClaimKey(l.Key)
		if !ok {
			continue // not a claim this version writes
		}
		stack, ok := l.Meta[stackMeta]
		if kind := l.Meta[kindMeta]; k.Kind == accessKeys && ok {
			if kind == "" {
				ok = false // read the claim for its kind
			}
			k.Kind = model.Kind(kind)
		}
		if !ok {
			// The server does not return metadata in listings (not MinIO): read the claim.
			c, found, err := s.readClaimAt(ctx, l.Key)
			if err != nil {
				return nil, err
			}
			if !found {
				continue
			}
			if c.Kind != "" {
				k.Kind = model.Kind(c.Kind)
			}
			out[k] = c
			continue
		}
		out[k] = Claim{Stack: stack}
	}
	return out, nil
}

// ReadClaim reads the claim of k; found is false when nobody claims it. For an access key,
// the claim may be of the other kind that shares access keys (see Claim.Kind).
func (s *Store) ReadClaim(ctx context.Context, k model.Key) (Claim, bool, error) {
	return s.readClaimAt(ctx, claimKey(k))
}

func (s *Store) readClaimAt(ctx context.Context, key string) (Claim, bool, error) {
	data, _, found, err := s.client.GetSmall(ctx, s.bucket, key)
	if err != nil {
		return Claim{}, false, fmt.Errorf("read the claim %s: %w", key, server.Explain(err))
	}
	if !found {
		return Claim{}, false, nil
	}
	var c Claim
	if err := json.Unmarshal(data, &c); err != nil || c.Stack == "" {
		return Claim{}, false, fmt.Errorf("the claim %s/%s is not valid (edited by hand?): restore it, or delete it to let a stack adopt it again", s.bucket, key)
	}
	return c, true, nil
}

// ClaimedError says that another stack owns a resource the stack tried to claim.
type ClaimedError struct {
	Key   model.Key
	Stack string
	// Kind is the kind the claim is of, when it differs from Key's (an access key claimed as a
	// user's when a service account's was wanted).
	Kind string
	// Own is set when the claim is the stack's own (of the other kind).
	Own bool
}

// Error says who won.
func (e *ClaimedError) Error() string {
	if e.Own {
		return fmt.Sprintf("the access key %s is this stack's %s (users and service accounts share access keys): it cannot be a %s too until that %s is deleted; delete it first (its own apply), then apply again", e.Key.ID, e.Kind, e.Key.Kind, e.Kind)
	}
	if e.Kind != "" && e.Kind != string(e.Key.Kind) {
		return fmt.Sprintf("the access key %s is claimed by stack %q as a %s's: users and service accounts share access keys; choose another", e.Key.ID, e.Stack, e.Kind)
	}
	return fmt.Sprintf("claimed by stack %q during this apply: run plan again", e.Stack)
}

// Claim makes the stack the owner of k, unless someone owns it already: the claim object is
// created only if absent, so of several stacks claiming at once exactly one wins. A claim the
// stack holds already is not an error. A lost race is a *ClaimedError.
func (s *Store) Claim(ctx context.Context, k model.Key, address string) error {
	data, _ := json.Marshal(Claim{FormatVersion: "1", Kind: string(k.Kind), Stack: s.stack, Address: address, ClaimedAt: time.Now().UTC().Truncate(time.Second)})
	meta := map[string]string{stackMeta: s.stack, kindMeta: string(k.Kind)}
	for attempt := 0; attempt < 3; attempt++ {
		_, err := s.client.PutSmallMeta(ctx, s.bucket, claimKey(k), data, "", meta)
		switch {
		case err == nil:
			return nil
		case server.Code(err) == server.CodeNoSuchBucket:
			if err := s.ensureBucket(ctx); err != nil {
				return err
			}
			continue
		case !errors.Is(err, server.ErrConflict):
			return fmt.Errorf("claim %s for stack %s: %w", k, s.stack, server.Explain(err))
		}
		c, found, err := s.ReadClaim(ctx, k)
		if err != nil {
			return err
		}
		if !found {
			continue // released meanwhile
		}
		if c.Stack != s.stack || (c.Kind != "" && c.Kind != string(k.Kind)) {
			return &ClaimedError{Key: k, Stack: c.Stack, Kind: c.Kind, Own: c.Stack == s.stack}
		}
		return nil
	}
	return fmt.Errorf("claim %s for stack %s: the claim kept appearing and disappearing; try again", k, s.stack)
}

// Unclaim removes the stack's claim of k. A claim of another stack is never removed (and is
// an error); no claim, or an access key's claim of the other kind, is not.
func (s *Store) Unclaim(ctx context.Context, k model.Key) error {
	c, found, err := s.ReadClaim(ctx, k)
	if err != nil || !found {
		return err
	}
	if c.Kind != "" && c.Kind != string(k.Kind) {
		return nil // the access key's claim is of the other kind: k itself is claimed by nobody
	}
	if c.Stack != s.stack {
		return &ClaimedError{Key: k, Stack: c.Stack}
	}
	if err := s.client.DeleteSmall(ctx, s.bucket, claimKey(k)); err != nil {
		return fmt.Errorf("remove the claim of %s: %w", k, server.Explain(err))
	}
	return nil
}

// Owns checks, right before a destructive change, that the stack still holds the claim of k.
func (s *Store) Owns(ctx context.Context, k model.Key) (bool, error) {
	c, found, err := s.ReadClaim(ctx, k)
	return found && c.Stack == s.stack && (c.Kind == "" || c.Kind == string(k.Kind)), err
}
