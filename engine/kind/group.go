package kind

import (
	"context"
	"fmt"
	"strings"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/server"
)

// Group is the kind of IAM groups: members (users), attached policies and a status.
type Group struct{ unmarked }

var groupSchema = &plan.Schema{
	Kind:   model.KindGroup,
	IDName: "name",
	Order:  3,
	Attrs: []plan.AttrSchema{
		{Name: "members", Reset: model.Names{}},
		{Name: "policies", Reset: model.Names{}},
		{Name: "enabled", Reset: model.Bool(true)},
	},
	DeleteBlocked: func(id string, live *model.Live, force, declared bool, env plan.DeleteEnv) *plan.Finding {
		var foreign []string
		for _, d := range live.Dependents {
			if !env.Owned(d) {
				foreign = append(foreign, d.ID)
			}
		}
		if len(foreign) == 0 {
			return nil
		}
		return &plan.Finding{Code: "group-has-foreign-members", Refuse: true, Text: fmt.Sprintf(
			"group %q has members this stack does not own (%s); the server removes only empty groups, and bucketform never changes another's membership: remove them there first, or keep declaring the group",
			id, strings.Join(foreign, ", "))}
	},
}

// Schema describes groups to the plan.
func (Group) Schema() *plan.Schema { return groupSchema }

// Read reads every group: one request for the list and one per group (the server has no
// bulk read of groups).
func (Group) Read(ctx context.Context, env *Env, reqs []Request) (map[string]*model.Live, error) {
	all, err := env.groups(ctx)
	if err != nil {
		return nil, server.Explain(err)
	}
	env.Read = "list"
	out := map[string]*model.Live{}
	for _, req := range reqs {
		live := &model.Live{State: model.NewResource(model.KindGroup, req.ID)}
		out[req.ID] = live
		if g, ok := all[req.ID]; ok {
			live.Exists = true
			live.State.Set("members", model.NewNames(g.Members...))
			live.State.Set("policies", model.NewNames(g.Policies...))
			live.State.Set("enabled", model.Bool(g.Enabled))
			for _, m := range g.Members {
				live.Dependents = append(live.Dependents, model.Key{Kind: model.KindUser, ID: m})
			}
		}
		env.done()
	}
	return out, nil
}

// Create creates the group with its members (users are created before groups), attaches its
// policies and sets its status. A group of that name that exists already is someone else's.
func (Group) Create(ctx context.Context, env *Env, c *plan.Change) (bool, error) {
	if _, exists, err := env.Client.ReadGroup(ctx, c.ID); err != nil {
		return false, server.Explain(err)
	} else if exists {
		return false, ErrExists
	}
	if err := env.Client.AddGroupMembers(ctx, c.ID, names(c.After.Get("members"))...); err != nil {
		return false, fmt.Errorf("create group %s: %w", c.ID, server.Explain(err))
	}
	if p := names(c.After.Get("policies")); len(p) > 0 {
		if err := env.Client.AttachGroupPolicies(ctx, c.ID, p...); err != nil {
			return true, fmt.Errorf("attach policies to group %s: %w", c.ID, server.Explain(err))
		}
	}
	if v, ok := c.After.Get("enabled").(model.Bool); ok && !bool(v) {
		if err := env.Client.SetGroupEnabled(ctx, c.ID, false); err != nil {
			return true, fmt.Errorf("disable group %s: %w", c.ID, server.Explain(err))
		}
	}
	return true, nil
}

// Update changes members, policies and status: enable first and disable last, because the
// server refuses to change a disabled group's policies.
func (Group) Update(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error {
	was, enabled := enabledBy(c, live)
	if enabled && !was {
		if err := env.Client.SetGroupEnabled(ctx, c.ID, true); err != nil {
			return fmt.Errorf("enable group %s: %w", c.ID, server.Explain(err))
		}
	}
	if err := syncNames(ctx, changed(c, "members"), "members", c.ID, env.Client.AddGroupMembers, env.Client.RemoveGroupMembers); err != nil {
		return err
	}
	if err := syncNames(ctx, changed(c, "policies"), "policies", c.ID, env.Client.AttachGroupPolicies, env.Client.DetachGroupPolicies); err != nil {
		return err
	}
	if !enabled && was {
		if err := env.Client.SetGroupEnabled(ctx, c.ID, false); err != nil {
			return fmt.Errorf("disable group %s: %w", c.ID, server.Explain(err))
		}
	}
	return nil
}

// Delete removes the group's members (the plan checked they are the stack's) and the group.
func (Group) Delete(ctx context.Context, env *Env, c *plan.Change, live *model.Live) error {
	if err := env.Client.RemoveGroupMembers(ctx, c.ID, names(live.State.Get("members"))...); err != nil {
		return fmt.Errorf("empty group %s: %w", c.ID, server.Explain(err))
	}
	if err := env.Client.DeleteGroup(ctx, c.ID); err != nil {
		return fmt.Errorf("delete group %s: %w", c.ID, server.Explain(err))
	}
	return nil
}
