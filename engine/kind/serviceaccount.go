package kind

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bucketform/bucketform/config"
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
		findings := secretNote("service account", want, live)
		if want.Has("expires") && !want.Get("expires").Equal(live.State.Get("expires")) {
			findings = append(findings, expirySoon(want)...)
		}
		return findings
	},
	CheckCreate: func(want *model.Resource, env plan.DeleteEnv) []plan.Finding {
		if f := expirySoon(want); f != nil {
			return f
		}
		// The server gives no service account to a disabled user ("Specified target user
		// ... does not exist"): an apply would fail on it every time.
		parent, _ := want.Get("user").(model.String)
		u := env.Desired(model.Key{Kind: model.KindUser, ID: string(parent)})
		if u == nil {
			return nil // not declared: its state is the server's business
		}
		if enabled, ok := u.Get("enabled").(model.Bool); ok && !bool(enabled) {
			return []plan.Finding{{Code: "parent-disabled", Refuse: true, Text: fmt.Sprintf(
				"service account %q cannot be created for user %q, which the configuration disables: the server gives no service account to a disabled user. "+
					"Apply with the user enabled first, then set enabled = false", want.ID, parent)}}
		}
		return nil
	},
}

// expirySoon refuses writing an expiry less than 15 minutes ahead, which the server refuses
// (an expiry it already has may be that close: it is only checked when written).
func expirySoon(want *model.Resource) []plan.Finding {
	t, ok := want.Get("expires").(model.Time)
	if !ok || time.Time(t).IsZero() || !time.Time(t).Before(time.Now().Add(config.MinServiceAccountLife)) {
		return nil
	}
	return []plan.Finding{{Code: "expiry-too-soon", Refuse: true, Text: fmt.Sprintf(
		"service account %q would be given the expiry %s, less than 15 minutes ahead, and MinIO refuses to write one so close: set a later expires",
		want.ID, time.Time(t).UTC().Format(time.RFC3339))}}
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
func (sa ServiceAccount) Read(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	out := make(map[string]*model.Live, len(reqs))
	var mu sync.Mutex
	env.Read = "each"
	// The reads are answered one at a time however many are sent (see Paced); the secret
	// checks are plain signed requests and go at full parallelism.
	paced := *env
	paced.Parallelism = InFlight(sa, env.Parallelism)
	err := paced.Each(ctx, len(reqs), func(ctx context.Context, i int) error {
		req := reqs[i]
		live := &model.Live{State: model.NewResource(model.KindServiceAccount, req.ID)}
		a, ok, err := env.Client.ReadServiceAccount(ctx, req.ID)
		if c := server.Code(err); c == server.CodeAccessDenied || c == "XMinioAdminAccessDenied" {
			// The pinned server answers so for an access key that is a user's, and
			// refuses to create an account with it: say so in the plan.
			users, uerr := env.users(ctx)
			if uerr != nil {
				return server.Explain(uerr)
			}
			if _, isUser := users[req.ID]; isUser {
				live.Taken = "the access key is a user's on the server (users and service accounts share access keys): choose another access_key"
				live.TakenBy = model.Key{Kind: model.KindUser, ID: req.ID}
				mu.Lock()
				out[req.ID] = live
				mu.Unlock()
				return nil
			}
		}
		if err != nil {
			return server.Explain(err)
		}
		if ok {
			live.Exists = true
			st := live.State
			st.Set("user", model.String(a.Parent))
			st.Set("enabled", model.Bool(a.Enabled))
			st.Set("name", model.String(a.Name))
			st.Set("description", model.String(a.Description))
			st.Set("expires", model.Time(a.Expires))
			if a.Implied {
				st.Set("policy", model.ImpliedPolicy{})
			} else {
				doc, err := parseDocument("inline policy of service account "+req.ID, a.Policy)
				if err != nil {
					return err
				}
				st.Set("policy", doc)
			}
		}
		mu.Lock()
		out[req.ID] = live
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, checkSecrets(ctx, env, reqs, out)
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
	was, enabled := enabledBy(c, live)
	if changed(c, "enabled") != nil {
		u.Enabled = &enabled
	}
	if secret, write := secretToWrite(c, live, was, enabled); write {
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
