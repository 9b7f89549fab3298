package config

import (
	"encoding/json"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/bucketform/bucketform/config/policy"
)

// policyVersion is the Version of every IAM policy bucketform writes.
const policyVersion = "2012-10-17"

// GrantAccess lists the values of a grant's access argument. Each compiles to one action:
// read to s3:GetObject, write to s3:PutObject and delete to s3:DeleteObject on the objects
// under the prefix, list to s3:ListBucket on the bucket for listings under the prefix.
var GrantAccess = []string{"read", "write", "delete", "list"}

var grantObjectActions = map[string]string{"read": "s3:GetObject", "write": "s3:PutObject", "delete": "s3:DeleteObject"}

// CompileGrant returns the minimal IAM statements that allow access to the objects of bucket
// whose keys start with prefix ("" for the whole bucket):
//
//   - read, write and delete: one statement allowing s3:GetObject, s3:PutObject and
//     s3:DeleteObject (those asked for) on arn:aws:s3:::BUCKET/PREFIX*;
//   - list: one statement allowing s3:ListBucket on arn:aws:s3:::BUCKET, with the condition
//     StringLike s3:prefix PREFIX* when prefix is not empty, so that only listings under the
//     prefix are allowed.
//
// access holds values of GrantAccess; others are ignored. prefix is taken literally: the caller
// refuses "*" and "?" in it.
func CompileGrant(bucket, prefix string, access []string) []policy.Statement {
	var objectActions []string
	list := false
	for _, a := range access {
		if act, ok := grantObjectActions[a]; ok {
			objectActions = append(objectActions, act)
		}
		list = list || a == "list"
	}
	var stmts []map[string]any
	if len(objectActions) > 0 {
		stmts = append(stmts, map[string]any{
			"Effect": "Allow", "Action": objectActions, "Resource": []string{policy.ARNPrefix + bucket + "/" + prefix + "*"},
		})
	}
	if list {
		s := map[string]any{"Effect": "Allow", "Action": []string{"s3:ListBucket"}, "Resource": []string{policy.ARNPrefix + bucket}}
		if prefix != "" {
			s["Condition"] = map[string]any{"StringLike": map[string]any{"s3:prefix": []string{prefix + "*"}}}
		}
		stmts = append(stmts, s)
	}
	if len(stmts) == 0 {
		return nil
	}
	doc, err := policy.ParseIdentity(mustJSON(map[string]any{"Version": policyVersion, "Statement": stmts}))
	if err != nil {
		// Built from a bucket name and a literal prefix: it always parses.
		panic("config: compiled grant does not parse: " + err.Error())
	}
	return doc.Statements
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps, lists and strings only
	}
	return string(b)
}

// evalGrant evaluates a grant block of a policy into its statements. ok is false when
// something is unknown or wrong (and then reported).
func (l *loader) evalGrant(part *policyPart, ctx *hcl.EvalContext, deployment, addr string) ([]policy.Statement, bool) {
	ok := true
	var bucket string
	if attr := part.attrs["bucket"]; attr != nil {
		var known bool
		bucket, known = l.grantBucket(attr, ctx, deployment, addr)
		ok = known
	}
	var prefix string
	if attr := part.attrs["prefix"]; attr != nil {
		switch v, st := l.iamValue(attr, ctx, cty.String); st {
		case known:
			prefix = v.AsString()
			if i := strings.IndexAny(prefix, "*?"); i >= 0 {
				l.errorf(attr.Expr.Range(), "Invalid grant prefix",
					"The prefix %q of a grant in %s holds %q. A grant's prefix is literal: the grant covers every key that starts with it (\"runs/\" covers runs/1/out.tar). For patterns, write a statement block.", prefix, addr, prefix[i:i+1])
				ok = false
			}
		case absent:
		default:
			ok = false
		}
	}
	var access []string
	if attr := part.attrs["access"]; attr != nil {
		switch v, st := l.iamValue(attr, ctx, cty.List(cty.String)); st {
		case known:
			seen := map[string]bool{}
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if e.IsNull() {
					l.errorf(attr.Expr.Range(), "Invalid grant access", "The access of a grant in %s holds null; use %s.", addr, quotedList(GrantAccess))
					ok = false
					continue
				}
				a := e.AsString()
				if !contains(GrantAccess, a) {
					l.errorf(attr.Expr.Range(), "Invalid grant access",
						"The access of a grant in %s holds %q; each value is one of %s.%s", addr, a, quotedList(GrantAccess), didYouMean(strings.ToLower(a), GrantAccess))
					ok = false
					continue
				}
				if !seen[a] {
					seen[a] = true
					access = append(access, a)
				}
			}
			if v.LengthInt() == 0 {
				l.errorf(attr.Expr.Range(), "Invalid grant access",
					"The access of a grant in %s is empty, so the grant allows nothing. List what it allows: any of %s.", addr, quotedList(GrantAccess))
				ok = false
			}
		default:
			ok = false
		}
	}
	if !ok {
		return nil, false
	}
	return CompileGrant(bucket, prefix, access), true
}

// grantBucket evaluates a grant's bucket: a bucket block reference or a bucket name. It
// returns the name and whether it is known and valid.
func (l *loader) grantBucket(attr *hcl.Attribute, ctx *hcl.EvalContext, deployment, addr string) (string, bool) {
	v, st := l.iamValue(attr, ctx, cty.DynamicPseudoType)
	if st != known {
		return "", false
	}
	rng := attr.Expr.Range()
	switch ty := v.Type(); {
	case ty.Equals(bucketObjectType):
		name, dep := v.GetAttr("name").AsString(), v.GetAttr("minio").AsString()
		if deployment != "" && dep != deployment {
			l.errorf(rng, "Bucket of another deployment",
				"A grant in %s (on minio.%s) names bucket %q, which is on minio.%s. A policy grants access on its own server; grant it in a policy of minio.%s.", addr, deployment, name, dep, dep)
			return "", false
		}
		return name, true
	case (ty.IsMapType() && ty.ElementType().Equals(bucketObjectType)) || ty.IsObjectType() && isBucketMap(ty):
		l.errorf(rng, "Invalid grant bucket",
			"This refers to a bucket block with for_each, which has one bucket per key. Pick one, like bucket.NAME[\"KEY\"], or give the policy for_each = bucket.NAME and bucket = each.value.")
		return "", false
	}
	s, err := convertString(v)
	if err != nil {
		l.errorf(rng, "Invalid grant bucket", "A grant's bucket takes a bucket block reference like bucket.data, or a bucket name; this is %s.", v.Type().FriendlyName())
		return "", false
	}
	if problem := checkBucketName(s); problem != "" {
		l.errorf(rng, "Invalid bucket name", "%s", problem)
		return "", false
	}
	return s, true
}

// evalStatement evaluates a statement block of a policy.
func (l *loader) evalStatement(part *policyPart, ctx *hcl.EvalContext, addr string) ([]policy.Statement, bool) {
	ok := true
	stmt := map[string]any{"Effect": "Allow"}
	if attr := part.attrs["effect"]; attr != nil {
		switch v, st := l.iamValue(attr, ctx, cty.String); st {
		case known:
			if e := v.AsString(); e == "Allow" || e == "Deny" {
				stmt["Effect"] = e
			} else {
				l.errorf(attr.Expr.Range(), "Invalid statement effect",
					"The effect of a statement in %s is %q; it is \"Allow\" (the default) or \"Deny\".%s", addr, e, didYouMean(capitalized(e), []string{"Allow", "Deny"}))
				ok = false
			}
		case absent:
		default:
			ok = false
		}
	}
	needsResource := false
	if attr := part.attrs["actions"]; attr != nil {
		actions, st := l.stringList(attr, ctx, addr)
		switch {
		case st != known:
			ok = false
		case len(actions) == 0:
			l.errorf(attr.Expr.Range(), "Invalid statement actions", "The actions of a statement in %s are empty; list at least one, like [\"s3:GetObject\"].", addr)
			ok = false
		}
		for _, a := range actions {
			if problem := policy.IdentityActionProblem(a); problem != "" {
				l.errorf(attr.Expr.Range(), "Invalid statement action", "A statement in %s: %s.", addr, problem)
				ok = false
			}
			needsResource = needsResource || a == "*" || strings.HasPrefix(a, "s3:")
		}
		stmt["Action"] = actions
	}
	if attr := part.attrs["resources"]; attr != nil {
		resources, st := l.stringList(attr, ctx, addr)
		if st != known {
			ok = false
		}
		for _, r := range resources {
			if problem := policy.ResourceProblem(r); problem != "" {
				l.errorf(attr.Expr.Range(), "Invalid statement resource", "A statement in %s: %s.", addr, problem)
				ok = false
			}
		}
		if len(resources) > 0 {
			stmt["Resource"] = resources
			needsResource = false
		}
	}
	if needsResource && ok {
		l.errorf(part.block.DefRange, "Missing statement resources",
			"A statement in %s allows or denies S3 actions but names no resources. Add resources = [\"arn:aws:s3:::BUCKET/*\"] (objects) or [\"arn:aws:s3:::BUCKET\"] (the bucket).", addr)
		ok = false
	}
	condAttr := part.attrs["condition"]
	if condAttr != nil {
		switch v, st := l.iamValue(condAttr, ctx, cty.DynamicPseudoType); st {
		case known:
			if !(v.Type().IsObjectType() || v.Type().IsMapType()) {
				l.errorf(condAttr.Expr.Range(), "Invalid statement condition",
					"The condition of a statement in %s maps operators to keys and values, like { StringEquals = { \"s3:x-amz-acl\" = [\"private\"] } }.", addr)
				ok = false
				break
			}
			b, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				l.errorf(condAttr.Expr.Range(), "Invalid statement condition", "The condition of a statement in %s cannot be written as JSON: %s.", addr, err.Error())
				ok = false
				break
			}
			stmt["Condition"] = json.RawMessage(b)
		case absent:
		default:
			ok = false
		}
	}
	if !ok {
		return nil, false
	}
	doc, err := policy.ParseIdentity(mustJSON(map[string]any{"Version": policyVersion, "Statement": []any{stmt}}))
	if err != nil {
		rng := part.block.DefRange
		if condAttr != nil {
			rng = condAttr.Expr.Range()
		}
		l.errorf(rng, "Invalid policy statement", "A statement in %s is not valid: %s.", addr, err.Error())
		return nil, false
	}
	return doc.Statements, true
}

// stringList evaluates a list of strings, refusing null elements.
func (l *loader) stringList(attr *hcl.Attribute, ctx *hcl.EvalContext, addr string) ([]string, state) {
	v, st := l.iamValue(attr, ctx, cty.List(cty.String))
	if st != known {
		return nil, st
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			l.errorf(attr.Expr.Range(), "Invalid "+attr.Name, "The %s of a statement in %s holds null; every element is a string.", attr.Name, addr)
			return nil, failed
		}
		out = append(out, e.AsString())
	}
	return out, known
}

// capitalized returns s in lower case with its first letter in upper case ("allow" → "Allow").
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}
