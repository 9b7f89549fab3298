package kind

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// ServiceAccount is the kind of service accounts: an access key of a user, with its own secret
// (an input, checked, never read), an optional inline policy that narrows the user's rights
// (none: implied, the user's rights), an expiry, a display name, a description and a status.
// Changing its user replaces it.
type ServiceAccount struct{ unmarked }

var serviceAccountSchema = &plan.Schema{
	Kind:   model.KindServiceAccount,
	IDName: "access_key",
	Order:  4,
	Attrs: []plan.AttrSchema{
		{Name: "user", Replace: true},
		{Name: "secret_key", Sensitive: true},
		{Name: "policy", Reset: model.ImpliedPolicy{}},
		{Name: "expires", Reset: model.Time{}},
		{Name: "name", NoReset: func(model.Value) string {
			return "name is no longer declared; it stays as it is, because the server cannot clear a service account's name"
		}},
		{Name: "description", NoReset: func(model.Value) string {
			return "description is no longer declared; it stays as it is, because the server cannot clear a service account's description"
		}},
		{Name: "enabled", Reset: model.Bool(true)},
	},
	Check: func(want *model.Resource, live *model.Live) []plan.Finding {
		return secretNote("service account", want, live)
	},
}

// MaxInFlight paces the kind's requests (see Paced): measured on the project's 2-core machine,
// service-account reads take about 47 ms each however many are in flight.
func (ServiceAccount) MaxInFlight() int { return 4 }

// Schema describes service accounts to the plan.
func (ServiceAccount) Schema() *plan.Schema { return serviceAccountSchema }

// Read reads each service account with one request (InfoServiceAccount), at most
// env.Parallelism at a time, and checks each declared secret with one signed request. An
// implied policy (the user's rights) reads as such, never as the user's policy text the server
// returns for it.
func (ServiceAccount) Read(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	out := make(map[string]*model.Live, len(reqs))
	var mu sync.Mutex
	env.Read = "each"
	err := env.Each(ctx, len(reqs), func(ctx context.Context, i int) error {
		req := reqs[i]
		live := &model.Live{State: model.NewResource(model.KindServiceAccount, req.ID)}
		sa, ok, err := env.Client.ReadServiceAccount(ctx, req.ID)
		if err != nil {
			return server.Explain(err)
		}
		if ok {
			live.Exists = true
			st := live.State
			st.Set("user", model.String(sa.Parent))
			st.Set("enabled", model.Bool(sa.Enabled))
			st.Set("name", model.String(sa.Name))
			st.Set("description", model.String(sa.Description))
			st.Set("expires", model.Time(sa.Expires))
			if sa.Implied {
				st.Set("policy", model.ImpliedPolicy{})
			} else {
				doc, err := parseDocument("inline policy of service account "+req.ID, sa.Policy)
				if err != nil {
					return err
				}
				st.Set("policy", doc)
			}
			if req.Want.Has("secret_key") {
				check, err := checkSecret(ctx, env, req.ID, req.Want, sa.Enabled)
				if err != nil {
					return err
				}
				st.Set("secret_key", check)
			}
		}
		mu.Lock()
		out[req.ID] = live
		mu.Unlock()
		env.done()
		return nil
	})
	return out, err
}

// Create creates the service account for its user (created before it) with its secret,
// inline policy (none: implied), expiry, name, description and status.
func (ServiceAccount) Create(ctx context.Context, env *Env, c *plan.Change) (bool, error) {
	a := c.After
	secret, _ := a.Get("secret_key").(model.Secret)
	parent, _ := a.Get("user").(model.String)
	sa := server.NewServiceAccount{AccessKey: c.ID, SecretKey: secret.Reveal(), Parent: string(parent), Policy: documentOf(a.Get("policy"))}
	if v, ok := a.Get("name").(model.String); ok {
		sa.Name = string(v)
	}
	if v, ok := a.Get("description").(model.String); ok {
		sa.Description = string(v)
	}
	if v, ok := a.Get("expires").(model.Time); ok {
		sa.Expires = time.Time(v)
	}
	if v, ok := a.Get("enabled").(model.Bool); ok {
		sa.Disabled = !bool(v)
	}
	if err := env.Client.AddServiceAccount(ctx, sa); err != nil {
		if server.IsAccessKeyTaken(err) {
			return false, ErrExists
		}
		if _, exists, rerr := env.Client.ReadServiceAccount(ctx, c.ID); rerr == nil && exists {
			return true, fmt.Errorf("create service account %s: %w", c.ID, server.Explain(err))
		}
		return false, fmt.Errorf("create service account %s: %w", c.ID, server.Explain(err))
	}
	return true, nil
}

// Update changes the account in one request. The inline policy is always written (the server
// drops it on any update that leaves it out): the declared one, or else the live one.
func (ServiceAccount) Update(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error {
	u := server.ServiceAccountUpdate{Policy: documentOf(live.State.Get("policy"))}
	if c.After.Has("policy") {
		u.Policy = documentOf(c.After.Get("policy"))
	}
	liveEnabled, _ := live.State.Get("enabled").(model.Bool)
	enabled := bool(liveEnabled)
	if ac := changed(c, "enabled"); ac != nil {
		enabled = bool(ac.After.(model.Bool))
		u.Enabled = &enabled
	}
	secret, declared := c.After.Get("secret_key").(model.Secret)
	if changed(c, "secret_key") != nil || (declared && enabled && !bool(liveEnabled) && live.State.Get("secret_key") == model.SecretUnchecked) {
		u.SecretKey = secret.Reveal()
	}
	if ac := changed(c, "name"); ac != nil {
		u.Name = string(ac.After.(model.String))
	}
	if ac := changed(c, "description"); ac != nil {
		u.Description = string(ac.After.(model.String))
	}
	if ac := changed(c, "expires"); ac != nil {
		t := time.Time(ac.After.(model.Time))
		u.Expires = &t
	}
	if err := env.Client.UpdateServiceAccount(ctx, c.ID, u); err != nil {
		return fmt.Errorf("update service account %s: %w", c.ID, server.Explain(err))
	}
	return nil
}

// Delete deletes the service account.
func (ServiceAccount) Delete(ctx context.Context, env *Env, c *plan.Change, _ *model.Live) error {
	if err := env.Client.DeleteServiceAccount(ctx, c.ID); err != nil {
		return fmt.Errorf("delete service account %s: %w", c.ID, server.Explain(err))
	}
	return nil
}
