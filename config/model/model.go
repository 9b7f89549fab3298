// Package model defines the typed state of a MinIO bucket. The configuration (what is desired)
// and the live server (what is there) are both described with these types, so a diff compares
// two values of one type.
package model

import (
	"sort"
	"strings"

	"github.com/bucketform/bucketform/config/policy"
)

// Attr names a manageable attribute of a bucket. The names are stable: they are stored in the
// ownership index on the server and appear in JSON plans.
type Attr string

// The manageable attributes. `anonymous` and `policy` in the configuration both manage AttrPolicy.
const (
	AttrPolicy     Attr = "policy"
	AttrVersioning Attr = "versioning"
	AttrQuota      Attr = "quota"
	AttrTags       Attr = "tags"
	AttrObjectLock Attr = "object_lock"
	AttrLifecycle  Attr = "lifecycle"
)

// AllAttrs lists every attribute in the order plans show them.
var AllAttrs = []Attr{AttrPolicy, AttrVersioning, AttrQuota, AttrTags, AttrObjectLock, AttrLifecycle}

// AttrSet is a set of attributes.
type AttrSet map[Attr]bool

// NewAttrSet returns a set holding attrs.
func NewAttrSet(attrs ...Attr) AttrSet {
	s := AttrSet{}
	for _, a := range attrs {
		s[a] = true
	}
	return s
}

// Has reports whether a is in s. A nil set holds nothing.
func (s AttrSet) Has(a Attr) bool { return s[a] }

// Sorted returns the attributes of s in AllAttrs order.
func (s AttrSet) Sorted() []Attr {
	var out []Attr
	for _, a := range AllAttrs {
		if s[a] {
			out = append(out, a)
		}
	}
	return out
}

// Versioning is a bucket's versioning state as the server reports it.
type Versioning string

// The versioning states. There is no way back to VersioningNever once a bucket was versioned.
const (
	VersioningNever     Versioning = ""
	VersioningEnabled   Versioning = "Enabled"
	VersioningSuspended Versioning = "Suspended"
)

// Display returns the state as the configuration spells it ("enabled", "suspended", "never").
func (v Versioning) Display() string {
	if v == VersioningNever {
		return "never"
	}
	return strings.ToLower(string(v))
}

// LifecycleRule is one expiration rule. A zero day count means "not set".
type LifecycleRule struct {
	ID                       string
	Prefix                   string
	Disabled                 bool
	ExpirationDays           int
	NoncurrentExpirationDays int
	// Unsupported describes parts of a live rule that bucketform cannot express (transitions,
	// tag filters, ...). A rule with Unsupported set never equals a rule from a configuration.
	Unsupported string
}

// Bucket is the state of one bucket. Which attributes carry a value is recorded in Attrs: for a
// desired bucket, the attributes the configuration declares; for a live bucket, the attributes
// that were read from the server. The zero value of each attribute means "none" (no policy,
// never versioned, no quota, no tags, no lock, no lifecycle rules).
type Bucket struct {
	Name       string
	Attrs      AttrSet
	Policy     policy.Document
	Versioning Versioning
	Quota      uint64 // bytes; 0 means no quota
	Tags       map[string]string
	ObjectLock bool
	Lifecycle  []LifecycleRule
}

// OwnerTag is the bucket tag that names the stack owning a bucket. It is never shown or diffed
// as a user tag.
const OwnerTag = "bucketform-stack"

// SortLifecycle orders rules by ID, the identity that makes two rule lists comparable.
func SortLifecycle(rules []LifecycleRule) []LifecycleRule {
	out := append([]LifecycleRule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// BucketLive is what a server holds for one bucket name.
type BucketLive struct {
	Exists bool
	// Owner is the value of the bucket's ownership tag, "" when it has none.
	Owner string
	// State holds the attributes that were read (State.Attrs). State.Tags never holds the
	// ownership tag. Tags are always read, because ownership is decided by them.
	State Bucket
	// Emptiness is whether the bucket holds objects, when that was checked.
	Emptiness Emptiness
}

// Emptiness says whether a bucket holds objects, object versions or delete markers.
type Emptiness int

// The emptiness states.
const (
	EmptinessUnknown Emptiness = iota // not checked
	Empty
	NotEmpty
)
