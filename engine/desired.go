package engine

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
)

// desiredIAM returns the IAM resources a configuration declares, as generic resources with the
// attributes each block declares (an attribute not written is not declared: left alone).
func desiredIAM(cfg *config.Config) map[string][]plan.Desired {
	out := map[string][]plan.Desired{}
	add := func(deployment, address string, r *model.Resource, decl hcl.Range) {
		out[deployment] = append(out[deployment], plan.Desired{Address: address, Resource: r, Range: sourceRange(cfg.Dir, decl)})
	}
	refs := func(list []config.IAMRef) model.Names {
		names := make([]string, len(list))
		for i, r := range list {
			names[i] = r.Name
		}
		return model.NewNames(names...)
	}
	for _, p := range cfg.Policies {
		r := model.NewResource(model.KindPolicy, p.Name)
		r.Set("document", model.PolicyDoc{Doc: p.Document})
		add(p.Deployment, p.Address, r, p.DeclRange)
	}
	for _, u := range cfg.Users {
		r := model.NewResource(model.KindUser, u.AccessKey)
		if u.Attrs.Has(config.IAMSecretKey) {
			r.Set("secret_key", model.NewSecret(u.SecretKey.Value()))
		}
		if u.Attrs.Has(config.IAMEnabled) {
			r.Set("enabled", model.Bool(u.Enabled))
		}
		if u.Attrs.Has(config.IAMPolicies) {
			r.Set("policies", refs(u.Policies))
		}
		add(u.Deployment, u.Address, r, u.DeclRange)
	}
	for _, g := range cfg.Groups {
		r := model.NewResource(model.KindGroup, g.Name)
		if g.Attrs.Has(config.IAMMembers) {
			r.Set("members", refs(g.Members))
		}
		if g.Attrs.Has(config.IAMPolicies) {
			r.Set("policies", refs(g.Policies))
		}
		if g.Attrs.Has(config.IAMEnabled) {
			r.Set("enabled", model.Bool(g.Enabled))
		}
		add(g.Deployment, g.Address, r, g.DeclRange)
	}
	for _, s := range cfg.ServiceAccounts {
		r := model.NewResource(model.KindServiceAccount, s.AccessKey)
		r.Set("user", model.String(s.User.Name))
		if s.Attrs.Has(config.IAMSecretKey) {
			r.Set("secret_key", model.NewSecret(s.SecretKey.Value()))
		}
		if s.Attrs.Has(config.IAMPolicy) {
			r.Set("policy", model.PolicyDoc{Doc: s.Policy})
		}
		if s.Attrs.Has(config.IAMExpires) {
			r.Set("expires", model.Time(s.Expires.UTC().Truncate(time.Second)))
		}
		if s.Attrs.Has(config.IAMName) {
			r.Set("name", model.String(s.Name))
		}
		if s.Attrs.Has(config.IAMDescription) {
			r.Set("description", model.String(s.Description))
		}
		if s.Attrs.Has(config.IAMEnabled) {
			r.Set("enabled", model.Bool(s.Enabled))
		}
		add(s.Deployment, s.Address, r, s.DeclRange)
	}
	return out
}
