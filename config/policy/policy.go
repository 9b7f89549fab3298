// Package policy parses S3 bucket policies and IAM (identity) policies, builds the canned
// anonymous policies that `mc anonymous set` writes, compares policies semantically and
// evaluates what identity policies allow (see Evaluate).
//
// MinIO normalises what it stores (single values become arrays, whitespace changes, duplicate
// statements disappear), so comparing policy strings gives perpetual diffs. Here a policy is
// reduced to a set of grants — one per effect, principal, action, resource and condition — and
// two policies are equal when their grant sets are equal.
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Document is a parsed bucket policy. The zero Document (no statements) means "no policy".
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy, with every single-or-list field held as a sorted,
// de-duplicated list.
type Statement struct {
	Sid          string
	Effect       string
	Principal    Principal
	NotPrincipal Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition maps operator → condition key → sorted values.
	Condition map[string]map[string][]string
}

// Principal maps a principal type ("AWS") to its sorted values. A principal of "*" is
// stored as {"AWS": ["*"]}, the form the server writes back.
type Principal map[string][]string

// Parse parses a bucket policy document. The empty string and whitespace parse to the empty
// Document (no policy). A policy without Version or without statements is an error, because the
// server rejects it.
//
// The text is decoded once, into a tree of maps, lists and values, which is then checked key by
// key: a refresh parses one policy per bucket, so this is on the path of every plan.
func Parse(text string) (Document, error) {
	return parse(text, false)
}

// ParseIdentity parses an IAM policy: a policy attached to users and groups (MinIO's canned
// policies, a service account's inline policy). It differs from a bucket policy in that its
// statements name no Principal (they apply to whoever the policy is attached to), its actions
// may be admin:, kms: and sts: actions as well as s3: ones, a statement with only non-S3
// actions needs no Resource, and Version may be left out (it then means "2012-10-17", the only
// version MinIO accepts for IAM policies). The empty string parses to the empty Document.
//
// Identity documents compare with Equal and Diff like bucket policies; their grants have an
// empty Principal.
func ParseIdentity(text string) (Document, error) {
	return parse(text, true)
}

// MustParseIdentity is ParseIdentity for documents known to be valid; it panics otherwise.
func MustParseIdentity(text string) Document {
	d, err := ParseIdentity(text)
	if err != nil {
		panic(err)
	}
	return d
}

// parse parses a bucket policy, or an identity policy when identity is set.
func parse(text string, identity bool) (Document, error) {
	if strings.TrimSpace(text) == "" {
		return Document{}, nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber() // keep numbers as written, for condition values
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return Document{}, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if strings.TrimSpace(text[dec.InputOffset():]) != "" {
		return Document{}, errors.New("policy has trailing data after the JSON object")
	}
	top, ok := tree.(map[string]any)
	if !ok {
		return Document{}, errors.New("policy is not a JSON object")
	}
	if err := checkKeys(top, "policy", "Version", "Id", "Statement"); err != nil {
		return Document{}, err
	}
	version, ok := optString(top["Version"])
	if !ok {
		return Document{}, errors.New(`policy "Version" must be a string`)
	}
	id, ok := optString(top["Id"])
	if !ok {
		return Document{}, errors.New(`policy "Id" must be a string`)
	}
	switch {
	case version == "" && identity:
		version = version2012
	case version == "":
		return Document{}, errors.New(`policy has no "Version"; add "Version": "2012-10-17"`)
	case identity && version != version2012:
		return Document{}, fmt.Errorf(`policy "Version" %q is not supported for IAM policies; use "2012-10-17"`, version)
	case version != "2012-10-17" && version != "2008-10-17":
		return Document{}, fmt.Errorf(`policy "Version" %q is not supported; use "2012-10-17"`, version)
	}
	var stmts []any
	switch v := top["Statement"].(type) {
	case nil:
	case []any:
		stmts = v
	default:
		stmts = []any{v}
	}
	if len(stmts) == 0 && identity {
		return Document{}, errors.New(`policy has no "Statement"; an IAM policy needs at least one`)
	}
	if len(stmts) == 0 {
		return Document{}, errors.New(`policy has no "Statement"; use anonymous = "none" for no policy`)
	}
	doc := Document{Version: intern(version), ID: id, Statements: make([]Statement, 0, len(stmts))}
	for i, s := range stmts {
		st, err := parseStatement(s, identity)
		if err != nil {
			return Document{}, fmt.Errorf("policy statement %d: %w", i+1, err)
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

// MustParse is Parse for documents known to be valid; it panics otherwise.
func MustParse(text string) Document {
	d, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return d
}

// IsEmpty reports whether d means "no policy".
func (d Document) IsEmpty() bool { return len(d.Statements) == 0 }

func checkKeys(m map[string]any, what string, allowed ...string) error {
	for k := range m {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s has unknown key %q; allowed keys are %s", what, k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// optString returns v as a string: "" for an absent or null value, ok false for another type.
func optString(v any) (s string, ok bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	}
	return "", false
}

// stringSet takes a JSON string or list of strings as a sorted, de-duplicated list.
func stringSet(v any, field string) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		list := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok && e != nil { // null reads as "", as encoding/json decodes it into a string
				return nil, fmt.Errorf("%q must be a string or a list of strings", field)
			}
			list = append(list, s)
		}
		return sortedSet(list), nil
	}
	return nil, fmt.Errorf("%q must be a string or a list of strings", field)
}

func sortedSet(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, s := range out {
		if i == 0 || s != out[j-1] {
			out[j] = s
			j++
		}
	}
	return out[:j]
}

func parseStatement(v any, identity bool) (Statement, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Statement{}, errors.New("a statement must be a JSON object")
	}
	for k := range m {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return Statement{}, fmt.Errorf("unknown key %q", k)
		}
	}
	var st Statement
	var err error
	if st.Sid, ok = optString(m["Sid"]); !ok {
		return Statement{}, errors.New(`"Sid" must be a string`)
	}
	if effect, _ := m["Effect"].(string); effect == allow || effect == deny {
		st.Effect = intern(effect)
	} else {
		return Statement{}, errors.New(`"Effect" must be "Allow" or "Deny"`)
	}
	if st.Principal, err = parsePrincipal(m["Principal"], "Principal"); err != nil {
		return Statement{}, err
	}
	if st.NotPrincipal, err = parsePrincipal(m["NotPrincipal"], "NotPrincipal"); err != nil {
		return Statement{}, err
	}
	switch {
	case identity && (st.Principal != nil || st.NotPrincipal != nil):
		return Statement{}, errors.New(`an IAM policy statement names no "Principal": it applies to the users and groups the policy is attached to; remove it`)
	case !identity && st.Principal == nil && st.NotPrincipal == nil:
		return Statement{}, errors.New(`a bucket policy statement needs a "Principal", e.g. {"AWS": ["*"]}`)
	}
	if st.Action, err = stringSet(m["Action"], "Action"); err != nil {
		return Statement{}, err
	}
	if st.NotAction, err = stringSet(m["NotAction"], "NotAction"); err != nil {
		return Statement{}, err
	}
	if len(st.Action) == 0 && len(st.NotAction) == 0 {
		return Statement{}, errors.New(`a statement needs an "Action"`)
	}
	onlyNonS3 := true // an identity statement of admin:, kms: or sts: actions only takes no Resource
	for _, list := range [][]string{st.Action, st.NotAction} {
		for _, a := range list {
			switch {
			case identity && IdentityActionProblem(a) == "":
				if a == "*" || strings.HasPrefix(a, "s3:") || len(st.NotAction) > 0 {
					onlyNonS3 = false
				}
			case identity:
				return Statement{}, errors.New(IdentityActionProblem(a))
			case a != "*" && !strings.HasPrefix(a, "s3:"):
				return Statement{}, fmt.Errorf("action %q is not an S3 action; bucket policies take actions like \"s3:GetObject\"", a)
			}
		}
	}
	if st.Resource, err = stringSet(m["Resource"], "Resource"); err != nil {
		return Statement{}, err
	}
	if st.NotResource, err = stringSet(m["NotResource"], "NotResource"); err != nil {
		return Statement{}, err
	}
	if len(st.Resource) == 0 && len(st.NotResource) == 0 && !(identity && onlyNonS3) {
		return Statement{}, errors.New(`a statement needs a "Resource", e.g. "arn:aws:s3:::BUCKET/*"`)
	}
	for _, list := range [][]string{st.Resource, st.NotResource} {
		for _, r := range list {
			if !strings.HasPrefix(r, "arn:aws:s3:::") {
				return Statement{}, fmt.Errorf("resource %q is not an S3 ARN; use \"arn:aws:s3:::BUCKET\" or \"arn:aws:s3:::BUCKET/*\"", r)
			}
		}
	}
	st.Action, st.NotAction = internSet(st.Action), internSet(st.NotAction)
	if c, ok := m["Condition"]; ok {
		if st.Condition, err = parseCondition(c); err != nil {
			return Statement{}, err
		}
	}
	return st, nil
}

func parsePrincipal(v any, field string) (Principal, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v != "*" {
			return nil, fmt.Errorf("%q must be \"*\" or an object such as {\"AWS\": [\"*\"]}", field)
		}
		return anyone, nil
	case map[string]any:
		p := make(Principal, len(v))
		for k, vals := range v {
			set, err := stringSet(vals, field+"."+k)
			if err != nil {
				return nil, err
			}
			p[intern(k)] = internSet(set)
		}
		return internPrincipal(p), nil
	}
	return nil, fmt.Errorf("%q must be \"*\" or an object such as {\"AWS\": [\"*\"]}", field)
}

func parseCondition(v any) (map[string]map[string][]string, error) {
	errShape := errors.New(`"Condition" must be an object of operators, e.g. {"StringLike": {"s3:prefix": ["runs/*"]}}`)
	out := map[string]map[string][]string{}
	if v == nil {
		return out, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errShape
	}
	for op, keys := range m {
		km, ok := keys.(map[string]any)
		if !ok && keys != nil {
			return nil, errShape
		}
		out[op] = map[string][]string{}
		for k, val := range km {
			vals, err := conditionValues(val)
			if err != nil {
				return nil, fmt.Errorf("condition %s %s: %w", op, k, err)
			}
			out[op][k] = vals
		}
	}
	return out, nil
}

// conditionValues accepts strings, numbers and booleans, singly or in a list, and keeps their
// JSON text (strings unquoted) so that 5 and "5" compare equal, as the server treats them.
func conditionValues(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []string
	for _, e := range list {
		switch e := e.(type) {
		case nil:
			out = append(out, "") // null reads as the empty string, as it always has
		case string:
			out = append(out, e)
		case json.Number:
			out = append(out, e.String())
		case bool:
			out = append(out, strconv.FormatBool(e))
		default:
			return nil, errors.New("values must be strings, numbers or booleans")
		}
	}
	return sortedSet(out), nil
}

// JSON renders the document in the canonical form bucketform writes: keys in a fixed order,
// lists sorted, statements in the order they were given. The empty document renders as "".
func (d Document) JSON() string {
	if d.IsEmpty() {
		return ""
	}
	type stmt struct {
		Sid          string                         `json:"Sid,omitempty"`
		Effect       string                         `json:"Effect"`
		Principal    Principal                      `json:"Principal,omitempty"`
		NotPrincipal Principal                      `json:"NotPrincipal,omitempty"`
		Action       []string                       `json:"Action,omitempty"`
		NotAction    []string                       `json:"NotAction,omitempty"`
		Resource     []string                       `json:"Resource,omitempty"`
		NotResource  []string                       `json:"NotResource,omitempty"`
		Condition    map[string]map[string][]string `json:"Condition,omitempty"`
	}
	out := struct {
		Version   string `json:"Version"`
		ID        string `json:"Id,omitempty"`
		Statement []stmt `json:"Statement"`
	}{Version: d.Version, ID: d.ID}
	for _, s := range d.Statements {
		out.Statement = append(out.Statement, stmt(s))
	}
	b, err := json.Marshal(out)
	if err != nil {
		// Every field is a string, list or map of strings: Marshal cannot fail.
		panic(err)
	}
	return string(b)
}
