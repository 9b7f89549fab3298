package model

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bucketform/bucketform/config/policy"
	"github.com/bucketform/bucketform/config/units"
)

// This file holds the value types of attributes. Each compares itself semantically and renders
// itself for human and JSON plans; plans never compare or format values any other way.

// Bool is a true/false attribute (object_lock, enabled).
type Bool bool

// Equal compares two Bools.
func (b Bool) Equal(o Value) bool { x, ok := o.(Bool); return ok && x == b }

// Text renders true or false.
func (b Bool) Text() string { return strconv.FormatBool(bool(b)) }

// JSON is the boolean.
func (b Bool) JSON() any { return bool(b) }

// String is a free-text attribute (a name, a description, a parent access key).
type String string

// Equal compares two Strings.
func (s String) Equal(o Value) bool { x, ok := o.(String); return ok && x == s }

// Text renders the string quoted.
func (s String) Text() string { return strconv.Quote(string(s)) }

// JSON is the string.
func (s String) JSON() any { return string(s) }

// Equal compares two versioning states.
func (v Versioning) Equal(o Value) bool { x, ok := o.(Versioning); return ok && x == v }

// Text renders the state as the configuration spells it, quoted.
func (v Versioning) Text() string { return strconv.Quote(v.Display()) }

// JSON is the state as the configuration spells it.
func (v Versioning) JSON() any { return v.Display() }

// Size is a size in bytes; 0 means none (a quota that is not set).
type Size uint64

// Equal compares two sizes in bytes, whatever unit they were written in.
func (s Size) Equal(o Value) bool { x, ok := o.(Size); return ok && x == s }

// Text renders the size in the largest unit that divides it, quoted; "none" for 0.
func (s Size) Text() string {
	if s == 0 {
		return `"none"`
	}
	return strconv.Quote(units.FormatSize(uint64(s)))
}

// JSON is the number of bytes, or null for none.
func (s Size) JSON() any {
	if s == 0 {
		return nil
	}
	return uint64(s)
}

// Tags are a bucket's user tags (never the ownership tag).
type Tags map[string]string

// Equal compares two tag maps.
func (t Tags) Equal(o Value) bool { x, ok := o.(Tags); return ok && maps.Equal(t, x) }

// Text renders the tags inline: { team = "ml", "cost centre" = "42" }.
func (t Tags) Text() string {
	if len(t) == 0 {
		return "{}"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(t)) {
		parts = append(parts, fmt.Sprintf("%s = %q", QuoteKey(k), t[k]))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// JSON is the map itself (empty, never null), shared like the value.
func (t Tags) JSON() any {
	if t == nil {
		return map[string]string{}
	}
	return map[string]string(t)
}

// Elements returns one element per tag, by key.
func (t Tags) Elements() []Element {
	out := make([]Element, 0, len(t))
	for _, k := range slices.Sorted(maps.Keys(t)) {
		out = append(out, Element{Key: k, Value: String(t[k])})
	}
	return out
}

// KeyedElements is true: tags show as key = value.
func (Tags) KeyedElements() bool { return true }

// ElementsInText is true: Text shows every tag.
func (Tags) ElementsInText() bool { return true }

// QuoteKey renders a map key as HCL would: bare when it is an identifier, quoted otherwise.
func QuoteKey(k string) string {
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return strconv.Quote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// Lifecycle is a bucket's lifecycle rules, compared by id.
type Lifecycle []LifecycleRule

// Equal compares two rule lists by id, whatever their order.
func (l Lifecycle) Equal(o Value) bool {
	x, ok := o.(Lifecycle)
	if !ok || len(x) != len(l) {
		return false
	}
	a, b := SortLifecycle(l), SortLifecycle(x)
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Text renders the number of rules: (none), (1 rule), (3 rules).
func (l Lifecycle) Text() string {
	switch len(l) {
	case 0:
		return "(none)"
	case 1:
		return "(1 rule)"
	}
	return fmt.Sprintf("(%d rules)", len(l))
}

// JSON is the list of rules, sorted by id; a day count that is not set is null.
func (l Lifecycle) JSON() any {
	out := make([]any, 0, len(l))
	for _, r := range SortLifecycle(l) {
		out = append(out, r.JSON())
	}
	return out
}

// Elements returns one element per rule, by id.
func (l Lifecycle) Elements() []Element {
	out := make([]Element, 0, len(l))
	for _, r := range SortLifecycle(l) {
		out = append(out, Element{Key: r.ID, Value: r})
	}
	return out
}

// KeyedElements is false: a rule shows its id itself.
func (Lifecycle) KeyedElements() bool { return false }

// Equal compares two rules field by field.
func (r LifecycleRule) Equal(o Value) bool { x, ok := o.(LifecycleRule); return ok && x == r }

// Text renders the rule: rule {id="expire-tmp" prefix="tmp/" expiration_days=7}.
func (r LifecycleRule) Text() string {
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

// JSON is the rule as an object.
func (r LifecycleRule) JSON() any {
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

// BucketPolicy is a bucket's policy. The configuration writes it as `anonymous` (a canned
// mode) or as `policy` (a full document); plans show it under the name that fits, which
// AsDocument records (see BucketPolicyPresent).
type BucketPolicy struct {
	Doc    policy.Document
	Bucket string
	// AsDocument shows the value as a full document (its JSON is the document and its
	// elements are its grants) rather than as its canned mode name.
	AsDocument bool
}

// Equal compares the two policies' grant sets.
func (p BucketPolicy) Equal(o Value) bool {
	x, ok := o.(BucketPolicy)
	return ok && policy.Equal(p.Doc, x.Doc)
}

// Mode returns the canned mode the policy is (none, download, upload, public) or custom.
func (p BucketPolicy) Mode() string { return policy.Name(p.Doc, p.Bucket) }

// Text renders the mode name, quoted.
func (p BucketPolicy) Text() string { return strconv.Quote(p.Mode()) }

// JSON is the mode name, or with AsDocument the document (null for no policy).
func (p BucketPolicy) JSON() any {
	if !p.AsDocument {
		return p.Mode()
	}
	if p.Doc.IsEmpty() {
		return nil
	}
	return json.RawMessage(p.Doc.JSON())
}

// Elements returns the policy's grants when shown as a document; none otherwise (between two
// canned modes the names say it all).
func (p BucketPolicy) Elements() []Element {
	if !p.AsDocument {
		return nil
	}
	return grantElements(p.Doc)
}

// KeyedElements is false: a grant is its own key.
func (BucketPolicy) KeyedElements() bool { return false }

// BucketPolicyPresent names and shows a change of a bucket's policy: as `policy`, with the
// documents and their grants, when either side is a custom policy; as `anonymous` with the mode
// names otherwise. before or after is nil when absent.
func BucketPolicyPresent(before, after Value) (string, Value, Value) {
	custom := func(v Value) bool {
		p, ok := v.(BucketPolicy)
		return ok && p.Mode() == policy.Custom
	}
	if !custom(before) && !custom(after) {
		return "anonymous", before, after
	}
	doc := func(v Value) Value {
		if p, ok := v.(BucketPolicy); ok {
			p.AsDocument = true
			return p
		}
		return v
	}
	return "policy", doc(before), doc(after)
}

// text is a value that is only shown: an element that has no other form.
type text string

func (t text) Equal(o Value) bool { x, ok := o.(text); return ok && x == t }
func (t text) Text() string       { return string(t) }
func (t text) JSON() any          { return string(t) }

// Time is a point in time (a service account's expiry), compared to the second; the zero Time
// means never.
type Time time.Time

// Equal compares two times to the second.
func (t Time) Equal(o Value) bool {
	x, ok := o.(Time)
	return ok && time.Time(t).Truncate(time.Second).Equal(time.Time(x).Truncate(time.Second))
}

// Text renders the time in RFC 3339, UTC, quoted; "never" for the zero Time.
func (t Time) Text() string {
	if time.Time(t).IsZero() {
		return `"never"`
	}
	return strconv.Quote(t.String())
}

// JSON is the time in RFC 3339, UTC, or null for never.
func (t Time) JSON() any {
	if time.Time(t).IsZero() {
		return nil
	}
	return t.String()
}

// String renders the time in RFC 3339, UTC.
func (t Time) String() string { return time.Time(t).UTC().Format(time.RFC3339) }

// PolicyDoc is an IAM policy document (a canned policy's, or a service account's inline
// policy), compared as a set of grants like bucket policies.
type PolicyDoc struct{ Doc policy.Document }

// Equal compares the two documents' grant sets.
func (p PolicyDoc) Equal(o Value) bool {
	x, ok := o.(PolicyDoc)
	return ok && policy.Equal(p.Doc, x.Doc)
}

// Text renders the number of statements: (1 statement), (3 statements).
func (p PolicyDoc) Text() string {
	if n := len(p.Doc.Statements); n != 1 {
		return fmt.Sprintf("(%d statements)", n)
	}
	return "(1 statement)"
}

// JSON is the document.
func (p PolicyDoc) JSON() any {
	if p.Doc.IsEmpty() {
		return nil
	}
	return json.RawMessage(p.Doc.JSON())
}

// Elements returns the document's grants.
func (p PolicyDoc) Elements() []Element { return grantElements(p.Doc) }

// grantElements returns the grants of doc as elements, each its own key.
func grantElements(doc policy.Document) []Element {
	var out []Element
	for _, g := range doc.Grants() {
		s := g.String()
		out = append(out, Element{Key: s, Value: text(s)})
	}
	return out
}

// KeyedElements is false: a grant is its own key.
func (PolicyDoc) KeyedElements() bool { return false }

// ImpliedPolicy is the inline policy of a service account that has none: it acts with its
// user's rights. (The server reports the user's policies as the account's then; they are
// never compared.)
type ImpliedPolicy struct{}

// Equal is true for another ImpliedPolicy.
func (ImpliedPolicy) Equal(o Value) bool { _, ok := o.(ImpliedPolicy); return ok }

// Text is (implied).
func (ImpliedPolicy) Text() string { return "(implied: the user's rights)" }

// JSON is null.
func (ImpliedPolicy) JSON() any { return nil }

// Names is a set of names (policies attached to an identity, members of a group).
type Names []string

// NewNames returns the sorted, de-duplicated set of names.
func NewNames(names ...string) Names {
	out := slices.Clone(names)
	slices.Sort(out)
	return Names(slices.Compact(out))
}

// Equal compares two sets of names.
func (n Names) Equal(o Value) bool {
	x, ok := o.(Names)
	return ok && slices.Equal(NewNames(n...), NewNames(x...))
}

// Text renders the names as an HCL list: ["a", "b"].
func (n Names) Text() string {
	parts := make([]string, 0, len(n))
	for _, s := range NewNames(n...) {
		parts = append(parts, strconv.Quote(s))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// JSON is the sorted list of names (empty, never null).
func (n Names) JSON() any {
	out := NewNames(n...)
	if out == nil {
		out = Names{}
	}
	return []string(out)
}

// Elements returns one element per name.
func (n Names) Elements() []Element {
	var out []Element
	for _, s := range NewNames(n...) {
		out = append(out, Element{Key: s, Value: String(s)})
	}
	return out
}

// KeyedElements is false: a name is its own key.
func (Names) KeyedElements() bool { return false }

// ElementsInText is true: Text shows every name.
func (Names) ElementsInText() bool { return true }

// Secret is a credential the configuration declares. It holds the secret in memory to check and
// write it, and never shows it: Text is (sensitive), JSON is null, and fmt prints (sensitive).
type Secret struct{ value string }

// NewSecret wraps a secret.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the secret, for the one request that writes or checks it.
func (s Secret) Reveal() string { return s.value }

// Equal is true when other is a live SecretCheck that found the secret in use, or that could
// not check it (a disabled identity: the server refuses its key whatever the secret; the
// kind says so and sets the secret when it enables the identity).
func (s Secret) Equal(o Value) bool {
	c, ok := o.(SecretCheck)
	return ok && (c == SecretMatches || c == SecretUnchecked)
}

// Text is (sensitive).
func (Secret) Text() string { return "(sensitive)" }

// JSON is null: secrets are never in plans.
func (Secret) JSON() any { return nil }

// String is (sensitive), so fmt cannot print the secret.
func (Secret) String() string { return "(sensitive)" }

// GoString is (sensitive), so %#v cannot print the secret either.
func (Secret) GoString() string { return "(sensitive)" }

// MarshalJSON writes null, so a secret cannot reach a JSON document by accident.
func (Secret) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// SecretCheck is the live side of a secret: whether the declared secret is the one in use,
// found by signing one request with it (the server never returns a secret).
type SecretCheck int

// The outcomes of a secret check.
const (
	// SecretUnchecked: the identity is disabled (the server refuses its key whatever the
	// secret) or did not exist.
	SecretUnchecked SecretCheck = iota
	SecretMatches
	SecretDiffers
)

// Equal compares two checks.
func (c SecretCheck) Equal(o Value) bool { x, ok := o.(SecretCheck); return ok && x == c }

// Text is (sensitive).
func (SecretCheck) Text() string { return "(sensitive)" }

// JSON is null.
func (SecretCheck) JSON() any { return nil }
