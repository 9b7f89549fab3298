// Package render turns plans and apply results into what people and machines read: the human
// plan in Terraform's style, the JSON plan document, and a Markdown summary. All three are
// rendered from the same values, so they never disagree.
package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/config/units"
	"github.com/bucketform/bucketform/engine/plan"
)

// attrKey is the name an attribute has in plans (JSON keys and human lines).
func attrKey(a model.Attr, b *model.Bucket) string {
	switch a {
	case model.AttrPolicy:
		if b != nil && policy.Name(b.Policy, b.Name) == policy.Custom {
			return "policy"
		}
		return "anonymous"
	case model.AttrLifecycle:
		return "lifecycle_rule"
	}
	return string(a)
}

// AttrDiff is one attribute line of a change: its key, before and after values for display, and
// detail lines (policy grants, tag keys, lifecycle rules) that say exactly what differs.
type AttrDiff struct {
	Key    string
	Before string // "" when the attribute is being set on a new bucket
	After  string // "" on a delete
	// Changed is set when the attribute is written; never on a delete, where the whole bucket
	// goes.
	Changed bool
	Reset   bool
	Details []string
}

// Diffs returns the attribute lines of a change, in plan order.
func Diffs(c plan.Change) []AttrDiff {
	var out []AttrDiff
	switch c.Action {
	case plan.Create:
		for _, a := range c.After.Attrs.Sorted() {
			out = append(out, AttrDiff{Key: attrKey(a, c.After), After: display(a, c.After), Changed: true, Details: createDetails(a, c.After)})
		}
		return out
	case plan.Delete:
		// Shown as what is removed: the attributes that were read of the live bucket.
		if c.Before == nil {
			return nil
		}
		for _, a := range c.Before.Attrs.Sorted() {
			out = append(out, AttrDiff{Key: attrKey(a, c.Before), Before: display(a, c.Before)})
		}
		return out
	}
	writes := map[model.Attr]plan.Write{}
	for _, w := range c.Writes {
		writes[w.Attr] = w
	}
	for _, a := range c.After.Attrs.Sorted() {
		w, changed := writes[a]
		d := AttrDiff{Key: attrKey(a, c.After), Before: display(a, c.Before), After: display(a, c.After), Changed: changed, Reset: w.Reset}
		if changed {
			if d.Key == "anonymous" && attrKey(a, c.Before) == "policy" {
				d.Key = "policy"
			}
			d.Details = changeDetails(a, c.Before, c.After)
		}
		out = append(out, d)
	}
	return out
}

// display renders one attribute value the way the configuration spells it.
func display(a model.Attr, b *model.Bucket) string {
	if b == nil {
		return ""
	}
	switch a {
	case model.AttrPolicy:
		return strconv.Quote(policy.Name(b.Policy, b.Name))
	case model.AttrVersioning:
		return strconv.Quote(b.Versioning.Display())
	case model.AttrQuota:
		if b.Quota == 0 {
			return `"none"`
		}
		return strconv.Quote(units.FormatSize(b.Quota))
	case model.AttrTags:
		return tagsInline(b.Tags)
	case model.AttrObjectLock:
		return strconv.FormatBool(b.ObjectLock)
	case model.AttrLifecycle:
		switch len(b.Lifecycle) {
		case 0:
			return "(none)"
		case 1:
			return "(1 rule)"
		}
		return fmt.Sprintf("(%d rules)", len(b.Lifecycle))
	}
	return ""
}

func tagsInline(tags map[string]string) string {
	if len(tags) == 0 {
		return "{}"
	}
	var parts []string
	for _, k := range sortedKeys(tags) {
		parts = append(parts, fmt.Sprintf("%s = %q", quoteKey(k), tags[k]))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func quoteKey(k string) string {
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return strconv.Quote(k)
		}
	}
	return k
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func createDetails(a model.Attr, b *model.Bucket) []string {
	switch a {
	case model.AttrPolicy:
		if policy.Name(b.Policy, b.Name) == policy.Custom {
			var out []string
			for _, g := range b.Policy.Grants() {
				out = append(out, "+ "+g.String())
			}
			return out
		}
	case model.AttrLifecycle:
		var out []string
		for _, r := range b.Lifecycle {
			out = append(out, "+ "+ruleString(r))
		}
		return out
	}
	return nil
}

func changeDetails(a model.Attr, before, after *model.Bucket) []string {
	var out []string
	switch a {
	case model.AttrPolicy:
		// Between two canned modes the names say it all; grants are listed when either side
		// is a custom policy (an extra statement added by hand, say).
		if policy.Name(before.Policy, before.Name) != policy.Custom && policy.Name(after.Policy, after.Name) != policy.Custom {
			return nil
		}
		removed, added := policy.Diff(before.Policy, after.Policy)
		for _, g := range removed {
			out = append(out, "- "+g.String())
		}
		for _, g := range added {
			out = append(out, "+ "+g.String())
		}
	case model.AttrTags:
		for _, k := range sortedKeys(unionKeys(before.Tags, after.Tags)) {
			b, inB := before.Tags[k]
			f, inA := after.Tags[k]
			switch {
			case inB && !inA:
				out = append(out, fmt.Sprintf("- %s = %q", quoteKey(k), b))
			case !inB && inA:
				out = append(out, fmt.Sprintf("+ %s = %q", quoteKey(k), f))
			case b != f:
				out = append(out, fmt.Sprintf("~ %s = %q -> %q", quoteKey(k), b, f))
			}
		}
	case model.AttrLifecycle:
		bm, am := rulesByID(before.Lifecycle), rulesByID(after.Lifecycle)
		ids := map[string]string{}
		for id := range bm {
			ids[id] = id
		}
		for id := range am {
			ids[id] = id
		}
		for _, id := range sortedKeys(ids) {
			b, inB := bm[id]
			f, inA := am[id]
			switch {
			case inB && !inA:
				out = append(out, "- "+ruleString(b))
			case !inB && inA:
				out = append(out, "+ "+ruleString(f))
			case b != f:
				out = append(out, "~ "+ruleString(b)+" -> "+ruleString(f))
			}
		}
	}
	return out
}

func unionKeys(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k := range a {
		out[k] = k
	}
	for k := range b {
		out[k] = k
	}
	return out
}

func rulesByID(rules []model.LifecycleRule) map[string]model.LifecycleRule {
	out := map[string]model.LifecycleRule{}
	for _, r := range rules {
		out[r.ID] = r
	}
	return out
}

func ruleString(r model.LifecycleRule) string {
	parts := []string{fmt.Sprintf("id=%q", r.ID)}
	if r.Prefix != "" {
		parts = append(parts, fmt.Sprintf("prefix=%q", r.Prefix))
	}
	if r.Disabled {
		parts = append(parts, "enabled=false")
	}
	if r.ExpirationDays > 0 {
		parts = append(parts, fmt.Sprintf("expiration_days=%d", r.ExpirationDays))
	}
	if r.NoncurrentExpirationDays > 0 {
		parts = append(parts, fmt.Sprintf("noncurrent_expiration_days=%d", r.NoncurrentExpirationDays))
	}
	if r.Unsupported != "" {
		parts = append(parts, fmt.Sprintf("unsupported=%q", r.Unsupported))
	}
	return "rule {" + strings.Join(parts, " ") + "}"
}
