package kind

import (
	"context"
	"fmt"
	"strings"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// User is the kind of IAM users: an access key, a secret (an input, checked with one signed
// request, never read), a status and attached policies. The server's AddUser overwrites an
// existing user without a word, so a create first checks that the access key is free.
type User struct{ unmarked }

var userSchema = &plan.Schema{
	Kind:   model.KindUser,
	IDName: "access_key",
	Order:  2,
	Attrs: []plan.AttrSchema{
		{Name: "secret_key", Sensitive: true},
		{Name: "enabled", Reset: model.Bool(true)},
		{Name: "policies", Reset: model.Names{}},
	},
	Check: func(want *model.Resource, live *model.Live) []plan.Finding {
		return secretNote("user", want, live)
	},
	DeleteBlocked: func(id string, live *model.Live, force, declared bool, env plan.DeleteEnv) *plan.Finding {
		var keep []string
		for _, d := range live.Dependents {
			if !env.Owned(d) || env.Declared(d) {
				keep = append(keep, d.ID)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		return &plan.Finding{Code: "user-has-service-accounts", Refuse: true, Text: fmt.Sprintf(
			"user %q has service accounts this stack does not own or still declares (%s); deleting a user deletes its access keys, so bucketform does not: delete or move them first, or keep declaring the user",
			id, strings.Join(keep, ", "))}
	},
}

// MaxInFlight paces the kind's requests (see Paced): measured on the project's 2-core machine,
// service-account reads take about 47 ms each however many are in flight.
func (User) MaxInFlight() int { return 4 }

// Schema describes users to the plan.
func (User) Schema() *plan.Schema { return userSchema }

// Read reads every user in one request, checks each declared secret with one signed request,
// and lists the service accounts of the users the plan may delete (one listing).
func (User) Read(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	all, err := env.users(ctx)
	if err != nil {
		return nil, server.Explain(err)
	}
	env.Read = "list"
	out := map[string]*model.Live{}
	var deletable, missing []string
	for _, req := range reqs {
		live := &model.Live{State: model.NewResource(model.KindUser, req.ID)}
		out[req.ID] = live
		u, ok := all[req.ID]
		if !ok {
			if req.Want != nil {
				missing = append(missing, req.ID)
			}
			continue
		}
		live.Exists = true
		live.State.Set("enabled", model.Bool(u.Enabled))
		live.State.Set("policies", model.NewNames(u.Policies...))
		if req.Deletable {
			deletable = append(deletable, req.ID)
		}
	}
	if len(missing) > 0 {
		// A service account's key is no free user key: creating the user would turn the
		// account into a user. Say so in the plan (one listing).
		keys, err := env.Client.ServiceAccountKeys(ctx)
		if err != nil {
			return nil, server.Explain(err)
		}
		for _, id := range missing {
			if parent, ok := keys[id]; ok {
				out[id].Taken = fmt.Sprintf("the access key is a service account's of user %q on the server (users and service accounts share access keys): choose another access_key", parent)
				out[id].TakenBy = model.Key{Kind: model.KindServiceAccount, ID: id}
			}
		}
	}
	if len(deletable) > 0 {
		accounts, err := env.Client.ReadServiceAccounts(ctx, deletable)
		if err != nil {
			return nil, server.Explain(err)
		}
		for key, sa := range accounts {
			if live := out[sa.Parent]; live != nil {
				live.Dependents = append(live.Dependents, model.Key{Kind: model.KindServiceAccount, ID: key})
			}
		}
	}
	return out, checkSecrets(ctx, env, reqs, out)
}

// Create checks that the access key is no user's (AddUser would overwrite it), creates the
// user with its secret and status, and attaches its policies.
func (User) Create(ctx context.Context, env *Env, c *plan.Change) (bool, error) {
	exists, err := env.Client.UserExists(ctx, c.ID)
	if err != nil {
		return false, server.Explain(err)
	}
	if exists {
		return false, ErrExists
	}
	// A service account's key is not free either: AddUser would turn the account into a user.
	if _, isAccount, err := env.Client.ReadServiceAccount(ctx, c.ID); err != nil && !server.IsNoSuchServiceAccount(err) {
		return false, server.Explain(err)
	} else if isAccount {
		return false, fmt.Errorf("create user %s: the access key is a service account's; choose another access key", c.ID)
	}
	secret, _ := c.After.Get("secret_key").(model.Secret)
	enabled := true
	if v, ok := c.After.Get("enabled").(model.Bool); ok {
		enabled = bool(v)
	}
	if err := env.Client.PutUser(ctx, c.ID, secret.Reveal(), true); err != nil {
		return false, fmt.Errorf("create user %s: %w", c.ID, server.Explain(err))
	}
	if p := names(c.After.Get("policies")); len(p) > 0 {
		if err := env.Client.AttachUserPolicies(ctx, c.ID, p...); err != nil {
			return true, fmt.Errorf("attach policies to user %s: %w", c.ID, server.Explain(err))
		}
	}
	if !enabled {
		// Disabled last: the server refuses to attach policies to a disabled user.
		if err := env.Client.SetUserEnabled(ctx, c.ID, false); err != nil {
			return true, fmt.Errorf("disable user %s: %w", c.ID, server.Explain(err))
		}
	}
	return true, nil
}

// Update writes the changes in the order the server accepts them: enable first (a disabled
// user's policies cannot change, and its secret could not be checked: it is set now), then the
// secret and the policies, disable last.
func (User) Update(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error {
	was, enabled := enabledBy(c, live)
	if enabled && !was {
		if err := env.Client.SetUserEnabled(ctx, c.ID, true); err != nil {
			return fmt.Errorf("enable user %s: %w", c.ID, server.Explain(err))
		}
	}
	if secret, write := secretToWrite(c, live, was, enabled); write {
		if err := env.Client.PutUser(ctx, c.ID, secret.Reveal(), true); err != nil {
			return fmt.Errorf("set the secret of user %s: %w", c.ID, server.Explain(err))
		}
	}
	if err := syncNames(ctx, changed(c, "policies"), "policies", c.ID, env.Client.AttachUserPolicies, env.Client.DetachUserPolicies); err != nil {
		return err
	}
	if !enabled && was {
		if err := env.Client.SetUserEnabled(ctx, c.ID, false); err != nil {
			return fmt.Errorf("disable user %s: %w", c.ID, server.Explain(err))
		}
	}
	return nil
}

// Delete deletes the user (and with it its service accounts, which the plan checked are the
// stack's and no longer declared).
func (User) Delete(ctx context.Context, env *Env, c *plan.Change, _ *model.Live) error {
	if err := env.Client.DeleteUser(ctx, c.ID); err != nil {
		return fmt.Errorf("delete user %s: %w", c.ID, server.Explain(err))
	}
	return nil
}
