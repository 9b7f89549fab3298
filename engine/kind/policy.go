package kind

import (
	"context"
	"fmt"
	"strings"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// Policy is the kind of IAM (canned) policies: a name and a document, compared as a set of
// grants. The server's AddCannedPolicy overwrites an existing policy without a word, so a
// create first checks that the name is free; claims keep stacks from both creating one.
type Policy struct{ unmarked }

var policySchema = &plan.Schema{
	Kind:   model.KindPolicy,
	IDName: "name",
	Order:  1,
	Attrs: []plan.AttrSchema{
		{Name: "document"}, // always declared; a policy without statements does not exist
	},
	DeleteBlocked: func(id string, live *model.Live, force, declared bool, env plan.DeleteEnv) *plan.Finding {
		var foreign, attached []string
		for _, d := range live.Dependents {
			switch {
			case !env.Owned(d):
				foreign = append(foreign, fmt.Sprintf("%s %q", d.Kind, d.ID))
			case env.Declared(d) && dependsOn(env.Desired(d), id):
				attached = append(attached, fmt.Sprintf("%s %q", d.Kind, d.ID))
			}
		}
		switch {
		case len(foreign) > 0:
			return &plan.Finding{Code: "policy-in-use", Refuse: true, Text: fmt.Sprintf(
				"policy %q is attached to %s, which this stack does not own; the server refuses to delete a policy in use, and bucketform never changes another's identity: detach it there first, or keep declaring the policy",
				id, strings.Join(foreign, ", "))}
		case len(attached) > 0:
			return &plan.Finding{Code: "policy-still-attached", Refuse: true, Text: fmt.Sprintf(
				"policy %q is no longer declared, but the configuration still attaches it to %s: remove it from their policies, or declare the policy again",
				id, strings.Join(attached, ", "))}
		}
		return nil
	},
}

// dependsOn reports whether a desired user or group attaches policy.
func dependsOn(r *model.Resource, policyName string) bool {
	for _, n := range names(r.Get("policies")) {
		if n == policyName {
			return true
		}
	}
	return false
}

// Schema describes policies to the plan.
func (Policy) Schema() *plan.Schema { return policySchema }

// Read reads every policy of the server in one request, and, for a policy the plan may delete,
// the users and groups it is attached to (from the lists of users and groups, read once).
func (Policy) Read(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	all, err := env.policies(ctx)
	if err != nil {
		return nil, server.Explain(err)
	}
	env.Read = "list"
	out := map[string]*model.Live{}
	for _, req := range reqs {
		live := &model.Live{State: model.NewResource(model.KindPolicy, req.ID)}
		out[req.ID] = live
		p, ok := all[req.ID]
		if !ok {
			env.done()
			continue
		}
		live.Exists = true
		doc, err := parseDocument("policy "+req.ID, p.Document)
		if err != nil {
			return nil, err
		}
		live.State.Set("document", doc)
		if req.Deletable {
			users, err := env.users(ctx)
			if err != nil {
				return nil, server.Explain(err)
			}
			groups, err := env.groups(ctx)
			if err != nil {
				return nil, server.Explain(err)
			}
			for _, u := range users {
				if dependsOnNames(u.Policies, req.ID) {
					live.Dependents = append(live.Dependents, model.Key{Kind: model.KindUser, ID: u.AccessKey})
				}
			}
			for _, g := range groups {
				if dependsOnNames(g.Policies, req.ID) {
					live.Dependents = append(live.Dependents, model.Key{Kind: model.KindGroup, ID: g.Name})
				}
			}
		}
		env.done()
	}
	return out, nil
}

func dependsOnNames(list []string, name string) bool {
	for _, n := range list {
		if n == name {
			return true
		}
	}
	return false
}

// Create checks that no policy has the name (AddCannedPolicy would overwrite it) and creates it.
func (Policy) Create(ctx context.Context, env *Env, c *plan.Change) (bool, error) {
	exists, err := env.Client.PolicyExists(ctx, c.ID)
	if err != nil {
		return false, server.Explain(err)
	}
	if exists {
		return false, ErrExists
	}
	if err := env.Client.PutPolicy(ctx, c.ID, documentOf(c.After.Get("document"))); err != nil {
		return false, fmt.Errorf("create policy %s: %w", c.ID, server.Explain(err))
	}
	return true, nil
}

// Update replaces the document.
func (Policy) Update(ctx context.Context, env *Env, c *plan.Change, _ *model.Live) error {
	if changed(c, "document") == nil {
		return nil
	}
	if err := env.Client.PutPolicy(ctx, c.ID, documentOf(c.After.Get("document"))); err != nil {
		return fmt.Errorf("set the document of policy %s: %w", c.ID, server.Explain(err))
	}
	return nil
}

// Delete deletes the policy. Users and groups of the stack that no longer attach it were
// updated before (deletes run after every update); the server refuses a policy still in use.
func (Policy) Delete(ctx context.Context, env *Env, c *plan.Change, _ *model.Live) error {
	if err := env.Client.DeletePolicy(ctx, c.ID); err != nil {
		if server.IsPolicyInUse(err) {
			return fmt.Errorf("delete policy %s: it is attached to an identity (attached since the plan was made?); nothing was deleted", c.ID)
		}
		return fmt.Errorf("delete policy %s: %w", c.ID, server.Explain(err))
	}
	return nil
}
