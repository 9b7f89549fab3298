package kind

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// This file holds what the four IAM kinds (policy, user, group, service_account) share: the
// server's IAM read once per refresh, whatever kinds need it, and their common rules.
//
// Reads cost, per refresh of a server: users 1 request (ListUsers), policies 1
// (ListCannedPolicies), groups 1 + 1 per group, service accounts 1 per declared or owned one
// (InfoServiceAccount; the user kind also lists the accounts of a user it may delete), and one
// signed request per declared secret to check it (server.CheckSecret). Nothing reads a secret:
// the server never returns one.

// Shared is what the kinds of one refresh of one server share: the IAM lists, read once.
type Shared struct {
	users    *result[map[string]server.User]
	policies *result[map[string]server.Policy]
	groups   *result[map[string]server.Group]
}

type result[T any] struct {
	once sync.Once
	v    T
	err  error
}

func (r *result[T]) get(f func() (T, error)) (T, error) {
	r.once.Do(func() { r.v, r.err = f() })
	return r.v, r.err
}

// NewShared returns an empty cache for one refresh of one server.
func NewShared() *Shared {
	return &Shared{users: &result[map[string]server.User]{}, policies: &result[map[string]server.Policy]{}, groups: &result[map[string]server.Group]{}}
}

func (e *Env) shared() *Shared {
	if e.Shared == nil {
		e.Shared = NewShared()
	}
	return e.Shared
}

// users returns every user of the server, read once.
func (e *Env) users(ctx context.Context) (map[string]server.User, error) {
	return e.shared().users.get(func() (map[string]server.User, error) { return e.Client.ReadUsers(ctx) })
}

// policies returns every canned policy of the server, read once.
func (e *Env) policies(ctx context.Context) (map[string]server.Policy, error) {
	return e.shared().policies.get(func() (map[string]server.Policy, error) { return e.Client.ReadPolicies(ctx) })
}

// groups returns every group of the server, read once.
func (e *Env) groups(ctx context.Context) (map[string]server.Group, error) {
	return e.shared().groups.get(func() (map[string]server.Group, error) { return e.Client.ReadGroups(ctx) })
}

// checkSecrets checks, at full parallelism, the declared secret of each request's identity that
// exists (one signed request each, see checkSecret), and reports each request read. out holds
// a live value for every request, read before; each goroutine sets only its own.
func checkSecrets(ctx context.Context, env *Env, reqs []Request, out map[string]*model.Live) error {
	return env.Each(ctx, len(reqs), func(ctx context.Context, i int) error {
		req := reqs[i]
		live := out[req.ID]
		if live.Exists && req.Want.Has("secret_key") {
			enabled, _ := live.State.Get("enabled").(model.Bool)
			check, err := checkSecret(ctx, env, req.ID, req.Want, bool(enabled))
			if err != nil {
				return err
			}
			live.State.Set("secret_key", check)
		}
		env.done()
		return nil
	})
}

// checkSecret checks a declared secret against the server with one signed request; a disabled
// identity's cannot be checked.
func checkSecret(ctx context.Context, env *Env, accessKey string, want *model.Resource, enabled bool) (model.SecretCheck, error) {
	s, ok := want.Get("secret_key").(model.Secret)
	if !ok || !enabled {
		return model.SecretUnchecked, nil
	}
	state, err := env.Client.CheckSecret(ctx, accessKey, s.Reveal())
	if err != nil {
		return model.SecretUnchecked, fmt.Errorf("check the secret of %s: %w", accessKey, err)
	}
	switch state {
	case server.SecretMatches:
		return model.SecretMatches, nil
	case server.SecretDiffers:
		return model.SecretDiffers, nil
	}
	return model.SecretUnchecked, nil
}

// secretNote is the note of a declared secret that could not be checked (a disabled identity).
func secretNote(noun string, want *model.Resource, live *model.Live) []plan.Finding {
	if !want.Has("secret_key") || live.State.Get("secret_key") != model.SecretUnchecked {
		return nil
	}
	text := "the " + noun + " is disabled, and the server refuses a disabled identity's key whatever the secret, so its secret_key cannot be checked"
	if enabled, ok := want.Get("enabled").(model.Bool); ok && bool(enabled) {
		text += "; apply sets it when it enables the " + noun
	}
	return []plan.Finding{{Code: "secret-unchecked", Text: text}}
}

// names returns a Names value's names.
func names(v model.Value) []string {
	n, _ := v.(model.Names)
	return []string(n)
}

// added and removed: what to attach and detach to go from have to want.
func diffNames(have, want []string) (add, remove []string) {
	for _, n := range want {
		if !slices.Contains(have, n) {
			add = append(add, n)
		}
	}
	for _, n := range have {
		if !slices.Contains(want, n) {
			remove = append(remove, n)
		}
	}
	return add, remove
}

// syncNames attaches what after has and before lacks, and detaches the reverse, for a change of
// a set of names (a user's or a group's policies, a group's members).
func syncNames(ctx context.Context, ac *plan.AttrChange, what, id string,
	attach, detach func(ctx context.Context, id string, names ...string) error) error {
	if ac == nil {
		return nil
	}
	add, remove := diffNames(names(ac.Before), names(ac.After))
	if len(add) > 0 {
		if err := attach(ctx, id, add...); err != nil {
			return fmt.Errorf("add %s to %s: %w", what, id, server.Explain(err))
		}
	}
	if len(remove) > 0 {
		if err := detach(ctx, id, remove...); err != nil {
			return fmt.Errorf("remove %s from %s: %w", what, id, server.Explain(err))
		}
	}
	return nil
}

// unmarked is embedded by the kinds that have no ownership mark: Mark and Unmark do nothing.
type unmarked struct{}

// Mark does nothing: the kind has no ownership mark for people.
func (unmarked) Mark(context.Context, *Env, *plan.Change, *model.Live) error { return nil }

// Unmark does nothing.
func (unmarked) Unmark(context.Context, *Env, *plan.Change, *model.Live) error { return nil }

// changed returns the change of attribute a, or nil when c does not write it.
func changed(c *plan.Change, a string) *plan.AttrChange {
	for _, ac := range c.Changed() {
		if ac.Attr == a {
			return &ac
		}
	}
	return nil
}

// enabledBy returns whether an identity is enabled on the server before an update and whether
// it is after: users, groups and service accounts order their writes by it.
func enabledBy(c *plan.Change, live *model.Live) (was, will bool) {
	liveEnabled, _ := live.State.Get("enabled").(model.Bool)
	was, will = bool(liveEnabled), bool(liveEnabled)
	if ac := changed(c, "enabled"); ac != nil {
		will = bool(ac.After.(model.Bool))
	}
	return was, will
}

// secretToWrite returns the declared secret of a user or service account, and whether an
// update writes it: when it changed, or when the identity is enabled again and its secret
// could not be checked while it was disabled.
func secretToWrite(c *plan.Change, live *model.Live, was, will bool) (model.Secret, bool) {
	secret, declared := c.After.Get("secret_key").(model.Secret)
	return secret, changed(c, "secret_key") != nil ||
		(declared && will && !was && live.State.Get("secret_key") == model.SecretUnchecked)
}

// documentOf returns a policy document value's JSON text, "" for none or implied.
func documentOf(v model.Value) []byte {
	if p, ok := v.(model.PolicyDoc); ok && !p.Doc.IsEmpty() {
		return []byte(p.Doc.JSON())
	}
	return nil
}

// parseDocument parses a policy document the server returned.
func parseDocument(what string, text []byte) (model.Value, error) {
	doc, err := policy.ParseIdentity(string(text))
	if err != nil {
		return nil, fmt.Errorf("the server's %s cannot be parsed (%w): replace it by declaring it", what, err)
	}
	return model.PolicyDoc{Doc: doc}, nil
}
