package render

import (
	"encoding/json"
	"io"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/engine/plan"
)

// FormatVersion is the version of the JSON plan document. It changes only when a key changes
// meaning or disappears; new keys may be added within a version. the README (section "CI") describes every key.
const FormatVersion = "1"

// Output is an output as plans show it: never its value when it is sensitive or not yet known.
type Output struct {
	Name      string
	Sensitive bool
	// Known is false for a value that only `bucketform output` computes (presigned URLs).
	Known bool
	// Value is the JSON value of a known, non-sensitive output. It is nil for a plan read
	// from a plan file, which holds no output values.
	Value json.RawMessage
}

// PlanDocument is the JSON form of a plan (`plan -json`, `show -json`).
type PlanDocument struct {
	FormatVersion string `json:"format_version"`
	Stack         string `json:"stack"`
	Destroy       bool   `json:"destroy"`
	// Targets are the -target addresses the plan was limited to; empty for a whole plan.
	Targets  []string              `json:"targets"`
	Changes  []ChangeDocument      `json:"changes"`
	Refusals []RefusalDocument     `json:"refusals"`
	Summary  plan.Summary          `json:"summary"`
	Outputs  map[string]OutputJSON `json:"outputs"`
}

// ChangeDocument is one change of a JSON plan.
type ChangeDocument struct {
	Address    string      `json:"address"`
	Action     plan.Action `json:"action"`
	Deployment string      `json:"deployment"`
	Bucket     string      `json:"bucket"`
	// Before and After hold the bucket's name and the attributes the change concerns; Before
	// is null for a create, After for a delete.
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	// ChangedAttributes names the keys of before/after whose values differ, in plan order:
	// every attribute of a create, none of a delete or a no-op.
	ChangedAttributes []string `json:"changed_attributes"`
	Notes             []string `json:"notes,omitempty"`
}

// RefusalDocument is one refusal of a JSON plan.
type RefusalDocument struct {
	Address    string `json:"address"`
	Deployment string `json:"deployment"`
	Bucket     string `json:"bucket"`
	Reason     string `json:"reason"`
}

// OutputJSON is one output of a JSON plan.
type OutputJSON struct {
	Sensitive bool            `json:"sensitive"`
	Known     bool            `json:"known"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// Document builds the JSON document of p.
func Document(p *plan.Plan, outputs []Output) PlanDocument {
	doc := PlanDocument{
		FormatVersion: FormatVersion,
		Stack:         p.Stack,
		Destroy:       p.Destroy,
		Targets:       append([]string{}, p.Targets...),
		Changes:       []ChangeDocument{},
		Refusals:      []RefusalDocument{},
		Summary:       p.Summary(),
		Outputs:       map[string]OutputJSON{},
	}
	for _, c := range p.Changes {
		before, after, changed := changeValues(c)
		doc.Changes = append(doc.Changes, ChangeDocument{Address: c.Address, Action: c.Action, Deployment: c.Deployment,
			Bucket: c.Bucket, Before: before, After: after, ChangedAttributes: changed, Notes: c.Notes})
	}
	for _, r := range p.Refusals {
		doc.Refusals = append(doc.Refusals, RefusalDocument(r))
	}
	for _, o := range outputs {
		oj := OutputJSON{Sensitive: o.Sensitive, Known: o.Known}
		if o.Known && !o.Sensitive && o.Value != nil {
			oj.Value = o.Value
		}
		doc.Outputs[o.Name] = oj
	}
	return doc
}

// WriteJSON writes the JSON document of p, indented, followed by a newline.
func WriteJSON(w io.Writer, p *plan.Plan, outputs []Output) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Document(p, outputs))
}

// The keys of before/after, in plan order.
var jsonKeys = []string{"anonymous", "policy", "versioning", "quota", "tags", "object_lock", "lifecycle_rule"}

// changeValues returns the before and after values of a change and the keys that differ.
// A policy shows as `anonymous` (none, download, upload, public or custom), and also as the full
// `policy` document on both sides when either side is a custom policy, so that every key named
// in changed_attributes is present in both before and after.
func changeValues(c plan.Change) (before, after map[string]any, changed []string) {
	withPolicy := isCustom(c.Before) || isCustom(c.After)
	before, after = bucketValues(c.Before, withPolicy), bucketValues(c.After, withPolicy)
	changed = []string{}
	switch c.Action {
	case plan.Create:
		for _, k := range jsonKeys {
			if _, ok := after[k]; ok {
				changed = append(changed, k)
			}
		}
		return before, after, changed
	case plan.Delete:
		return before, after, changed
	}
	written := map[string]bool{}
	for _, w := range c.Writes {
		switch w.Attr {
		case model.AttrPolicy:
			bn, an := policy.Name(c.Before.Policy, c.Bucket), policy.Name(c.After.Policy, c.Bucket)
			if bn != an || !withPolicy {
				written["anonymous"] = true
			}
			if withPolicy {
				written["policy"] = true
			}
		case model.AttrLifecycle:
			written["lifecycle_rule"] = true
		default:
			written[string(w.Attr)] = true
		}
	}
	for _, k := range jsonKeys {
		if written[k] {
			changed = append(changed, k)
		}
	}
	return before, after, changed
}

func isCustom(b *model.Bucket) bool {
	return b != nil && b.Attrs.Has(model.AttrPolicy) && policy.Name(b.Policy, b.Name) == policy.Custom
}

// bucketValues returns the JSON value of a bucket's attributes, as before and after show them:
// its name and the attributes it holds (b.Attrs). withPolicy adds the policy document (null
// for no policy) next to the anonymous mode.
func bucketValues(b *model.Bucket, withPolicy bool) map[string]any {
	if b == nil {
		return nil
	}
	out := map[string]any{"name": b.Name}
	for _, a := range b.Attrs.Sorted() {
		switch a {
		case model.AttrPolicy:
			out["anonymous"] = policy.Name(b.Policy, b.Name)
			if withPolicy {
				out["policy"] = policyJSON(b.Policy)
			}
		case model.AttrVersioning:
			out["versioning"] = b.Versioning.Display()
		case model.AttrQuota:
			if b.Quota == 0 {
				out["quota"] = nil
			} else {
				out["quota"] = b.Quota
			}
		case model.AttrTags:
			tags := map[string]string{}
			for k, v := range b.Tags {
				tags[k] = v
			}
			out["tags"] = tags
		case model.AttrObjectLock:
			out["object_lock"] = b.ObjectLock
		case model.AttrLifecycle:
			rules := []map[string]any{}
			for _, r := range model.SortLifecycle(b.Lifecycle) {
				rules = append(rules, ruleValue(r))
			}
			out["lifecycle_rule"] = rules
		}
	}
	return out
}

func policyJSON(d policy.Document) json.RawMessage {
	if d.IsEmpty() {
		return json.RawMessage("null")
	}
	return json.RawMessage(d.JSON())
}

// ruleValue is a lifecycle rule as JSON plans show it: a day count that is not set is null.
func ruleValue(r model.LifecycleRule) map[string]any {
	days := func(n int) any {
		if n > 0 {
			return n
		}
		return nil
	}
	rule := map[string]any{"id": r.ID, "prefix": r.Prefix, "enabled": !r.Disabled,
		"expiration_days": days(r.ExpirationDays), "noncurrent_expiration_days": days(r.NoncurrentExpirationDays)}
	if r.Unsupported != "" {
		rule["unsupported"] = r.Unsupported
	}
	return rule
}
