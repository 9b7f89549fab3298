// Package policy parses S3 bucket policies, builds the canned anonymous policies that
// `mc anonymous set` writes, and compares policies semantically.
//
// MinIO normalises what it stores (single values become arrays, whitespace changes, duplicate
// statements disappear), so comparing policy strings gives perpetual diffs. Here a policy is
// reduced to a set of grants — one per effect, principal, action, resource and condition — and
// two policies are equal when their grant sets are equal.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
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
func Parse(text string) (Document, error) {
	if strings.TrimSpace(text) == "" {
		return Document{}, nil
	}
	var raw struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&raw); err != nil {
		return Document{}, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if dec.More() {
		return Document{}, errors.New("policy has trailing data after the JSON object")
	}
	if err := checkKeys(text, "policy", "Version", "Id", "Statement"); err != nil {
		return Document{}, err
	}
	if raw.Version == "" {
		return Document{}, errors.New(`policy has no "Version"; add "Version": "2012-10-17"`)
	}
	if raw.Version != "2012-10-17" && raw.Version != "2008-10-17" {
		return Document{}, fmt.Errorf(`policy "Version" %q is not supported; use "2012-10-17"`, raw.Version)
	}
	stmts, err := oneOrMany(raw.Statement)
	if err != nil {
		return Document{}, fmt.Errorf(`policy "Statement": %w`, err)
	}
	if len(stmts) == 0 {
		return Document{}, errors.New(`policy has no "Statement"; use anonymous = "none" for no policy`)
	}
	doc := Document{Version: raw.Version, ID: raw.ID}
	for i, s := range stmts {
		st, err := parseStatement(s)
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

func checkKeys(text, what string, allowed ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return fmt.Errorf("%s is not a JSON object: %w", what, err)
	}
	for k := range m {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("%s has unknown key %q; allowed keys are %s", what, k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func oneOrMany(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		return list, nil
	}
	return []json.RawMessage{raw}, nil
}

// stringSet decodes a JSON string or array of strings into a sorted, de-duplicated list.
func stringSet(raw json.RawMessage, field string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("%q must be a string or a list of strings", field)
	}
	return sortedSet(many), nil
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

func parseStatement(raw json.RawMessage) (Statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Statement{}, errors.New("a statement must be a JSON object")
	}
	allowed := map[string]bool{"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
		"Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}
	for k := range m {
		if !allowed[k] {
			return Statement{}, fmt.Errorf("unknown key %q", k)
		}
	}
	var st Statement
	var err error
	if v, ok := m["Sid"]; ok {
		if err := json.Unmarshal(v, &st.Sid); err != nil {
			return Statement{}, errors.New(`"Sid" must be a string`)
		}
	}
	if err := json.Unmarshal(m["Effect"], &st.Effect); err != nil || (st.Effect != "Allow" && st.Effect != "Deny") {
		return Statement{}, errors.New(`"Effect" must be "Allow" or "Deny"`)
	}
	if st.Principal, err = parsePrincipal(m["Principal"], "Principal"); err != nil {
		return Statement{}, err
	}
	if st.NotPrincipal, err = parsePrincipal(m["NotPrincipal"], "NotPrincipal"); err != nil {
		return Statement{}, err
	}
	if st.Principal == nil && st.NotPrincipal == nil {
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
	for _, a := range append(append([]string(nil), st.Action...), st.NotAction...) {
		if a != "*" && !strings.HasPrefix(a, "s3:") {
			return Statement{}, fmt.Errorf("action %q is not an S3 action; bucket policies take actions like \"s3:GetObject\"", a)
		}
	}
	if st.Resource, err = stringSet(m["Resource"], "Resource"); err != nil {
		return Statement{}, err
	}
	if st.NotResource, err = stringSet(m["NotResource"], "NotResource"); err != nil {
		return Statement{}, err
	}
	if len(st.Resource) == 0 && len(st.NotResource) == 0 {
		return Statement{}, errors.New(`a statement needs a "Resource", e.g. "arn:aws:s3:::BUCKET/*"`)
	}
	for _, r := range append(append([]string(nil), st.Resource...), st.NotResource...) {
		if !strings.HasPrefix(r, "arn:aws:s3:::") {
			return Statement{}, fmt.Errorf("resource %q is not an S3 ARN; use \"arn:aws:s3:::BUCKET\" or \"arn:aws:s3:::BUCKET/*\"", r)
		}
	}
	if c, ok := m["Condition"]; ok {
		if st.Condition, err = parseCondition(c); err != nil {
			return Statement{}, err
		}
	}
	return st, nil
}

func parsePrincipal(raw json.RawMessage, field string) (Principal, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, fmt.Errorf("%q must be \"*\" or an object such as {\"AWS\": [\"*\"]}", field)
		}
		return Principal{"AWS": {"*"}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%q must be \"*\" or an object such as {\"AWS\": [\"*\"]}", field)
	}
	p := Principal{}
	for k, v := range m {
		vals, err := stringSet(v, field+"."+k)
		if err != nil {
			return nil, err
		}
		p[k] = vals
	}
	return p, nil
}

func parseCondition(raw json.RawMessage) (map[string]map[string][]string, error) {
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New(`"Condition" must be an object of operators, e.g. {"StringLike": {"s3:prefix": ["runs/*"]}}`)
	}
	out := map[string]map[string][]string{}
	for op, keys := range m {
		out[op] = map[string][]string{}
		for k, v := range keys {
			vals, err := conditionValues(v)
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
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var list []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
	} else {
		list = []json.RawMessage{raw}
	}
	var out []string
	for _, v := range list {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			out = append(out, s)
			continue
		}
		var scalar any
		if err := json.Unmarshal(v, &scalar); err != nil {
			return nil, err
		}
		switch scalar.(type) {
		case float64, bool:
			out = append(out, string(bytes.TrimSpace(v)))
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
