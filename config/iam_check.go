package config

import (
	"fmt"
	"strings"

	"github.com/bucketform/bucketform/config/policy"
)

// checkIAM checks what spans IAM blocks: identities are unique per deployment, and every
// presign that signs as a declared identity is allowed to do what it signs.
func (l *loader) checkIAM() {
	l.checkIAMIdentities()
	l.checkPresignRights()
}

// checkIAMIdentities refuses two instances with one identity on one deployment: a policy or
// group name, or an access key (users and service accounts share them).
func (l *loader) checkIAMIdentities() {
	seen := map[string]*iamInstance{}
	for _, d := range l.iam.decls {
		for _, in := range d.instances {
			if !in.identityKnown || d.deployment == "" {
				continue
			}
			k := identityKey(d.kind, d.deployment, in.identity())
			prev, dup := seen[k]
			if !dup {
				seen[k] = in
				continue
			}
			switch d.kind {
			case KindPolicy, KindGroup:
				l.errorf(in.identityRange, "Duplicate "+d.kind+" name",
					"%s and %s (at %s) both declare %s %q on minio.%s. A %s is identified by its deployment and name; give one of them another name.",
					in.addr, prev.addr, at(prev.identityRange), d.kind, in.identity(), d.deployment, d.kind)
			default:
				l.errorf(in.identityRange, "Duplicate access key",
					"%s and %s (at %s) both declare the access key %q on minio.%s. Users and service accounts share the access keys of a server; give one of them another access key.",
					in.addr, prev.addr, at(prev.identityRange), in.identity(), d.deployment)
			}
		}
	}
}

// side is one part of an identity's effective rights: a user's (its policies and its groups'),
// or a service account's inline policy. A service account may do what both its sides allow.
type side struct {
	who     string // "user.api", "the inline policy of service_account.signer"
	evals   []policy.Evaluation
	descs   []string // what each evaluation is of: "policy.writer", "policy.x of group.g"
	grantTo string   // the declared policy block a grant would go into; "" when none
	inline  bool     // a service account's inline policy
	jsonDoc bool     // an inline policy given as JSON, not as a policy block
}

func (s *side) add(e policy.Evaluation, desc string) {
	s.evals = append(s.evals, e)
	s.descs = append(s.descs, desc)
}

// checkPresignRights checks, for each presign instance that signs as a declared identity
// (through its signing endpoint's identity), that the identity's effective rights allow the
// presign's method on its key: s3:PutObject for PUT and POST, s3:GetObject for GET and HEAD.
// A denial that is certain offline is an error; one that depends on what only the server
// knows is a warning saying what could not be checked.
func (l *loader) checkPresignRights() {
	for _, d := range l.presigns {
		for _, p := range d.instances {
			l.checkPresignRight(p)
		}
	}
}

func (l *loader) checkPresignRight(p *Presign) {
	facts, ok := l.iam.presigns[p]
	if !ok || !facts.methodKnown || p.Endpoint == "" {
		return
	}
	se := l.signing[p.Endpoint]
	if se == nil || se.Identity == "" {
		return
	}
	id := l.iam.byAddr[se.Identity]
	if id == nil {
		return
	}
	action := "s3:GetObject"
	if p.Method == "PUT" || p.Method == "POST" {
		action = "s3:PutObject"
	}
	req := policy.Request{Action: action}
	keyUnknown := false
	switch {
	case !facts.bucketKnown || p.Bucket == "":
		req.Resource, req.Prefix, keyUnknown = policy.ARNPrefix, true, true
	case !facts.keyKnown:
		req.Resource, req.Prefix, keyUnknown = policy.ARNPrefix+p.Bucket+"/", true, true
	case p.Method == "POST" && p.Key == "":
		req.Resource, req.Prefix = policy.ARNPrefix+p.Bucket+"/"+p.KeyPrefix, true
	default:
		req.Resource = policy.ARNPrefix + p.Bucket + "/" + p.Key
	}

	var sides []*side
	if id.sa != nil {
		sides = append(sides, l.parentSide(id, req))
		if id.sa.Attrs.Has(IAMPolicy) {
			inline := &side{who: "the inline policy of " + id.addr, inline: true, grantTo: id.sa.PolicyFrom, jsonDoc: id.sa.PolicyFrom == ""}
			desc := "the inline policy of " + id.addr
			if id.sa.PolicyFrom != "" {
				desc += " (" + id.sa.PolicyFrom + ")"
			}
			if id.docKnown {
				inline.add(policy.Evaluate(id.sa.Policy, req), desc)
			} else {
				inline.add(policy.Unknown("the inline policy of "+id.addr+" is not known yet"), desc)
			}
			sides = append(sides, inline)
		}
	} else {
		sides = append(sides, l.userSide(id, req))
	}

	what := "on " + req.Resource
	if req.Prefix {
		what = "on every key under " + req.Resource + "*"
	}
	intro := fmt.Sprintf("%s signs as %s (the identity of signing_endpoint.%s), which may not %s %s, so MinIO would refuse the URL with 403 AccessDenied.",
		p.Address, id.addr, se.Name, action, what)
	var denials []string
	explicit := false
	undecided := false
	var doubts []string
	for _, s := range sides {
		switch policy.Decide(s.evals...) {
		case policy.ExplicitDeny:
			explicit = true
			denials = append(denials, s.explicitDenial(action))
		case policy.ImplicitDeny:
			denials = append(denials, l.implicitDenial(s, p, action, req, keyUnknown))
		case policy.Undecided:
			undecided = true
			doubts = append(doubts, s.doubts()...)
		}
	}
	switch {
	case len(denials) > 0:
		summary := "Signing identity lacks " + action
		if explicit {
			summary = "Signing identity is denied " + action
		}
		l.errorf(p.DeclRange, summary, "%s %s", intro, strings.Join(denials, " "))
	case undecided:
		if keyUnknown {
			doubts = append(doubts, "the bucket or key of "+p.Address+" is not known yet")
		}
		l.warnf(p.DeclRange, "Signing rights not proven",
			"%s signs as %s (the identity of signing_endpoint.%s). Whether it may %s %s could not be checked offline: %s. `bucketform output -check` tries the URL against the server.",
			p.Address, id.addr, se.Name, action, what, strings.Join(dedupe(doubts), "; "))
	}
}

// userSide gathers a user's rights: its policies and those of its groups.
func (l *loader) userSide(u *iamInstance, req policy.Request) *side {
	s := &side{who: u.addr}
	usr := u.user
	dep := u.decl.deployment
	switch {
	case !usr.Attrs.Has(IAMPolicies):
		s.add(policy.Unknown(u.addr+" does not declare policies, so the policies attached to it on the server are not known offline"), u.addr)
	case !u.policiesKnown:
		s.add(policy.Unknown("the policies of "+u.addr+" are not known yet"), u.addr)
	}
	for _, ref := range usr.Policies {
		e, desc, target := l.policySource(dep, ref, u.addr, req)
		s.add(e, desc)
		if s.grantTo == "" && target != "" {
			s.grantTo = target
		}
	}
	for _, d := range l.iam.decls {
		if d.kind != KindGroup || d.deployment != dep {
			continue
		}
		for _, g := range d.instances {
			grp := g.group
			if grp.Attrs.Has(IAMEnabled) && !grp.Enabled {
				continue // a disabled group's policies do not apply
			}
			maybe := ""
			switch {
			case !grp.Attrs.Has(IAMMembers):
				maybe = "applies only if " + u.addr + " is a member of " + g.addr + ", which declares no members (membership is known only on the server)"
			case !g.membersKnown || !u.identityKnown:
				maybe = "applies only if " + u.addr + " is a member of " + g.addr + ", which is not known yet"
			default:
				member := false
				for _, m := range grp.Members {
					member = member || m.Name == usr.AccessKey
				}
				if !member {
					continue
				}
			}
			var evals []policy.Evaluation
			var descs []string
			switch {
			case !grp.Attrs.Has(IAMPolicies):
				evals, descs = append(evals, policy.Unknown(g.addr+" does not declare policies, so the policies attached to it on the server are not known offline")), append(descs, g.addr)
			case !g.policiesKnown:
				evals, descs = append(evals, policy.Unknown("the policies of "+g.addr+" are not known yet")), append(descs, g.addr)
			}
			for _, ref := range grp.Policies {
				e, desc, _ := l.policySource(dep, ref, g.addr, req)
				evals, descs = append(evals, e), append(descs, desc+" of "+g.addr)
			}
			for i, e := range evals {
				if maybe != "" {
					e = e.Maybe(maybe)
				}
				s.add(e, descs[i])
			}
		}
	}
	return s
}

// parentSide gathers the rights of a service account's user.
func (l *loader) parentSide(sa *iamInstance, req policy.Request) *side {
	if !sa.parentKnown {
		s := &side{who: "the user of " + sa.addr}
		s.add(policy.Unknown("the user of "+sa.addr+" is not known yet"), s.who)
		return s
	}
	parent := l.lookup(KindUser, sa.decl.deployment, sa.sa.User.Name)
	if parent == nil {
		s := &side{who: "the user of " + sa.addr}
		s.add(policy.Unknown(fmt.Sprintf("the user of %s, %q, is not declared here, so its rights are not known offline", sa.addr, sa.sa.User.Name)), s.who)
		return s
	}
	return l.userSide(parent, req)
}

// policySource evaluates one attached policy. It returns the evaluation, a description, and
// the address of the declared policy when its statements are known.
func (l *loader) policySource(dep string, ref IAMRef, attachedTo string, req policy.Request) (policy.Evaluation, string, string) {
	var target *iamInstance
	if ref.Address != "" {
		target = l.iam.byAddr[ref.Address]
	} else {
		target = l.lookup(KindPolicy, dep, ref.Name)
	}
	switch {
	case target == nil:
		return policy.Unknown(fmt.Sprintf("policy %q (attached to %s) is given by name and not declared here, so its statements are not known offline", ref.Name, attachedTo)),
			fmt.Sprintf("policy %q", ref.Name), ""
	case !target.docKnown:
		return policy.Unknown("the document of " + target.addr + " is not known yet"), target.addr, ""
	}
	return policy.Evaluate(target.policy.Document, req), target.addr, target.addr
}

// explicitDenial says which statement denies the request.
func (s *side) explicitDenial(action string) string {
	for i, e := range s.evals {
		if e.Denied {
			return fmt.Sprintf("Statement %d of %s denies %s there, and an explicit Deny wins over every Allow: narrow that statement's actions or resources.",
				e.DeniedBy+1, s.descs[i], action)
		}
	}
	return ""
}

// implicitDenial says that nothing of s allows the request, and what would.
func (l *loader) implicitDenial(s *side, p *Presign, action string, req policy.Request, keyUnknown bool) string {
	var b strings.Builder
	switch {
	case s.inline:
		fmt.Fprintf(&b, "%s does not allow it, and a service account may do only what both its inline policy and its user allow.", capitalized1(s.who))
	case len(s.evals) == 0:
		fmt.Fprintf(&b, "%s has no policies, directly or through a group.", s.who)
	default:
		fmt.Fprintf(&b, "None of the policies of %s (%s) allows it.", s.who, strings.Join(dedupe(s.descs), ", "))
	}
	grant := l.grantSuggestion(p, action, keyUnknown)
	switch {
	case s.jsonDoc:
		fmt.Fprintf(&b, " Add a statement allowing %s on %s to its policy.", action, req.Resource+map[bool]string{true: "*"}[req.Prefix])
	case grant == "":
	case s.grantTo != "":
		fmt.Fprintf(&b, " Add to %s:\n\n%s", s.grantTo, grant)
	default:
		fmt.Fprintf(&b, " Attach to %s a policy with:\n\n%s", s.who, grant)
	}
	return b.String()
}

// grantSuggestion renders the grant block that would allow the presign, or "" when its bucket
// is not known.
func (l *loader) grantSuggestion(p *Presign, action string, keyUnknown bool) string {
	if p.Bucket == "" {
		return ""
	}
	bucket := quoteHCL(p.Bucket)
	for _, d := range l.buckets {
		for _, bi := range d.instances {
			if bi.nameKnown && d.deployment == p.Deployment && bi.bucket.State.Name == p.Bucket {
				bucket = bi.bucket.Address
			}
		}
	}
	prefix := ""
	switch {
	case keyUnknown:
	case p.Method == "POST" && p.Key == "":
		prefix = p.KeyPrefix
	case strings.Contains(p.Key, "/"):
		prefix = p.Key[:strings.LastIndex(p.Key, "/")+1]
	default:
		prefix = p.Key
	}
	access := "read"
	if action == "s3:PutObject" {
		access = "write"
	}
	var b strings.Builder
	b.WriteString("  grant {\n    bucket = " + bucket + "\n")
	if prefix != "" {
		b.WriteString("    prefix = " + quoteHCL(prefix) + "\n")
	}
	b.WriteString("    access = [\"" + access + "\"]\n  }")
	return b.String()
}

// doubts lists what could not be checked about s.
func (s *side) doubts() []string {
	var out []string
	for i, e := range s.evals {
		for _, d := range append(append([]policy.Doubt(nil), e.MayAllow...), e.MayDeny...) {
			if d.Statement < 0 {
				out = append(out, d.Reason)
				continue
			}
			out = append(out, fmt.Sprintf("statement %d of %s %s", d.Statement+1, s.descs[i], d.Reason))
		}
	}
	return out
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// capitalized1 returns s with its first letter in upper case.
func capitalized1(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
