package config

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/bucketform/bucketform/config/policy"
)

// The kinds of resources a configuration declares, as addresses and removed blocks name them.
const (
	KindBucket         = "bucket"          // a bucket block: bucket.NAME
	KindPolicy         = "policy"          // a policy block: an IAM policy on the server
	KindUser           = "user"            // a user block: an IAM user
	KindGroup          = "group"           // a group block: an IAM group
	KindServiceAccount = "service_account" // a service_account block: an access key of a user
)

// IAMAttr names an attribute of a policy, user, group or service_account block.
type IAMAttr string

// The attributes of the IAM blocks. Each type documents which of them it has.
const (
	IAMName        IAMAttr = "name"        // policy, group: the name; service account: the display name
	IAMDocument    IAMAttr = "document"    // policy: its statements (document, or grant and statement blocks)
	IAMAccessKey   IAMAttr = "access_key"  // user, service account: the identity
	IAMSecretKey   IAMAttr = "secret_key"  // user, service account: the secret, an input never shown
	IAMEnabled     IAMAttr = "enabled"     // user, group, service account: the status
	IAMPolicies    IAMAttr = "policies"    // user, group: the attached policies
	IAMMembers     IAMAttr = "members"     // group: its users
	IAMUser        IAMAttr = "user"        // service account: its parent user
	IAMPolicy      IAMAttr = "policy"      // service account: its inline policy
	IAMExpires     IAMAttr = "expires"     // service account: its expiry
	IAMDescription IAMAttr = "description" // service account: its description
)

// AttrRanges holds the attributes a block declares, each with the source range of its
// declaration. An attribute that is not in the map is not declared, which is not the same as
// any value of it: `enabled` not declared leaves the status on the server alone, while
// `enabled = false` disables; `policies` not declared leaves the attached policies alone,
// while `policies = []` detaches every one.
type AttrRanges map[IAMAttr]hcl.Range

// Has reports whether the block declares a.
func (a AttrRanges) Has(attr IAMAttr) bool {
	_, ok := a[attr]
	return ok
}

// Sorted returns the declared attributes in name order.
func (a AttrRanges) Sorted() []IAMAttr {
	out := make([]IAMAttr, 0, len(a))
	for k := range a {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Secret is a secret key declared for a user or service account. It is an input, never
// state: bucketform neither generates nor stores one. Nothing prints it: String, GoString and
// every fmt verb give "(sensitive)", and it has no exported fields for encoding/json or
// reflection-based printers to reach.
type Secret struct {
	value string
	known bool
}

// NewSecret returns a known secret holding s.
func NewSecret(s string) Secret { return Secret{value: s, known: true} }

// Known reports whether the secret's value is known: it is not when the configuration was
// loaded for validate and the secret comes from an unset variable or env().
func (s Secret) Known() bool { return s.known }

// Value returns the secret itself, for the one place that sends it to the server or signs
// with it. Never print it or put it in an error.
func (s Secret) Value() string { return s.value }

// String implements fmt.Stringer without revealing the secret.
func (s Secret) String() string {
	if !s.known {
		return "(unknown secret)"
	}
	return "(sensitive)"
}

// GoString implements fmt.GoStringer so %#v cannot leak the secret either.
func (s Secret) GoString() string { return s.String() }

// Format implements fmt.Formatter: every verb (%d and %x included) prints what String does.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalText implements encoding.TextMarshaler without revealing the secret, so encoders
// that look for it (JSON, YAML) print "(sensitive)".
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// IAMRef names a policy, group or identity on the server, and the block that declares it when
// the configuration gave a reference.
type IAMRef struct {
	// Name is the identity on the server: the policy or group name, or the access key.
	Name string
	// Address is the block the configuration referred to ("policy.writer",
	// `user.tenant["acme"]`); "" when it gave the name as a string.
	Address string
}

// String renders the reference for messages: its address, or the name quoted.
func (r IAMRef) String() string {
	if r.Address != "" {
		return r.Address
	}
	return fmt.Sprintf("%q", r.Name)
}

// Policy is one instance of a policy block: an IAM policy on the server, identified by its
// deployment and name. Attrs may hold IAMName (when name is written) and IAMDocument (always:
// the document attribute, or the first grant or statement block).
type Policy struct {
	Address    string // policy.writer, or policy.tenant["acme"] for a for_each instance
	Deployment string // name of the minio block
	Name       string // the name on the server: name, else each.key, else the label
	// Document is the policy as declared: the document attribute, or the statements the
	// grant and statement blocks compile to, in block order.
	Document  policy.Document
	DeclRange hcl.Range
	Attrs     AttrRanges
}

// User is one instance of a user block, identified by its deployment and access key. Attrs
// may hold IAMAccessKey, IAMSecretKey, IAMEnabled and IAMPolicies.
type User struct {
	Address    string
	Deployment string
	AccessKey  string
	SecretKey  Secret
	// Enabled is the declared status; it means nothing unless Attrs.Has(IAMEnabled).
	Enabled bool
	// Policies are the policies to attach, exactly; they mean nothing unless
	// Attrs.Has(IAMPolicies).
	Policies  []IAMRef
	DeclRange hcl.Range
	Attrs     AttrRanges
}

// String implements fmt.Stringer without the secret key.
func (u *User) String() string { return u.Address + " (access key " + u.AccessKey + ")" }

// GoString implements fmt.GoStringer so %#v cannot leak the secret key either.
func (u *User) GoString() string { return u.String() }

// Group is one instance of a group block, identified by its deployment and name. Attrs may
// hold IAMName, IAMMembers, IAMPolicies and IAMEnabled.
type Group struct {
	Address    string
	Deployment string
	Name       string
	// Members are the users that belong to the group, exactly (access keys); they mean
	// nothing unless Attrs.Has(IAMMembers).
	Members []IAMRef
	// Policies are the policies attached to the group, exactly; they mean nothing unless
	// Attrs.Has(IAMPolicies).
	Policies []IAMRef
	// Enabled is the declared status; it means nothing unless Attrs.Has(IAMEnabled).
	Enabled   bool
	DeclRange hcl.Range
	Attrs     AttrRanges
}

// ServiceAccount is one instance of a service_account block: an access key of a user,
// identified by its deployment and access key. Attrs may hold IAMUser, IAMAccessKey,
// IAMSecretKey, IAMPolicy, IAMExpires, IAMName, IAMDescription and IAMEnabled.
type ServiceAccount struct {
	Address    string
	Deployment string
	// User is the parent user (its access key). Changing it replaces the service account.
	User      IAMRef
	AccessKey string
	SecretKey Secret
	// Policy is the inline policy; it means nothing unless Attrs.Has(IAMPolicy). Not declared,
	// the service account has the rights of its user (an implied policy). The effective rights
	// are the inline policy and the user's rights: it narrows, never widens.
	Policy policy.Document
	// PolicyFrom is the policy block the inline policy was taken from ("policy.signer"), or ""
	// when it was given as JSON.
	PolicyFrom string
	// Expires is the expiry; zero unless Attrs.Has(IAMExpires).
	Expires     time.Time
	Name        string
	Description string
	// Enabled is the declared status; it means nothing unless Attrs.Has(IAMEnabled).
	Enabled   bool
	DeclRange hcl.Range
	Attrs     AttrRanges
}

// String implements fmt.Stringer without the secret key.
func (s *ServiceAccount) String() string {
	return s.Address + " (access key " + s.AccessKey + " of user " + s.User.Name + ")"
}

// GoString implements fmt.GoStringer so %#v cannot leak the secret key either.
func (s *ServiceAccount) GoString() string { return s.String() }

// The server's limits on identities (MinIO's auth package and madmin), checked by validate.
const (
	MinAccessKeyLength       = 3   // the shortest access key of a user or service account
	MinSecretKeyLength       = 8   // the shortest secret key of a user or service account
	MaxServiceAccountKey     = 20  // the longest access key of a service account
	MaxServiceAccountName    = 32  // the longest display name of a service account, in bytes
	maxServiceAccountDescLen = 256 // the longest description of a service account, in bytes
)

// The range of a service account's expiry the server takes, from the time of the write
// (MinIO's validateSvcExpirationInUTC): validate checks the upper bound, the plan the lower
// one for an expiry it writes.
const (
	MinServiceAccountLife = 15 * time.Minute
	MaxServiceAccountLife = 365 * 24 * time.Hour
)

// accessKeyProblem says what MinIO refuses in an access key, or "".
func accessKeyProblem(key string, serviceAccount bool) string {
	switch {
	case len(key) < MinAccessKeyLength:
		return fmt.Sprintf("the access key %q has %d characters; MinIO needs at least %d.", key, len(key), MinAccessKeyLength)
	case serviceAccount && len(key) > MaxServiceAccountKey:
		return fmt.Sprintf("the access key %q has %d characters; a service account's access key has at most %d.", key, len(key), MaxServiceAccountKey)
	case strings.ContainsAny(key, "=,"):
		return fmt.Sprintf("the access key %q holds %q, which MinIO reserves (\"=\" and \",\" separate identities in its records).", key, key[strings.IndexAny(key, "=,")])
	case strings.IndexFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return fmt.Sprintf("the access key %q holds a space or control character; use letters, digits and - _ . @.", key)
	}
	return ""
}

// iamNameProblem says what is wrong with a policy or group name, or "".
func iamNameProblem(kind, name string) string {
	switch {
	case name == "":
		return fmt.Sprintf("the %s name is empty.", kind)
	case len(name) > 128:
		return fmt.Sprintf("the %s name %q has %d characters; keep it to at most 128.", kind, name, len(name))
	case strings.ContainsAny(name, ","):
		return fmt.Sprintf("the %s name %q holds \",\", which MinIO uses to separate names in its records.", kind, name)
	case strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '/' || r == '\\' }) >= 0:
		return fmt.Sprintf("the %s name %q holds a space, slash or control character; use letters, digits and - _ . @.", kind, name)
	}
	return ""
}
