package model

import (
	"maps"
	"slices"
)

// Kind names a kind of resource. It is the configuration's block type ("bucket", "user") and
// the first part of every address of that kind (bucket.data); it is stored in the ownership
// index and in claims, so the names never change.
type Kind string

// The kinds the configuration language declares.
const (
	KindBucket         Kind = "bucket"
	KindPolicy         Kind = "policy"
	KindUser           Kind = "user"
	KindGroup          Kind = "group"
	KindServiceAccount Kind = "service_account"
)

// Key identifies a resource on one deployment: its kind and its identity on the server (a
// bucket, policy or group name, an access key).
type Key struct {
	Kind Kind
	ID   string
}

// String renders the key as kind/id, the form used in messages and claim object names.
func (k Key) String() string { return string(k.Kind) + "/" + k.ID }

// Value is the value of one attribute of a resource, desired or live. Each attribute has its
// own value type, which knows how to compare itself semantically (policies as grant sets,
// sizes as bytes, tags as maps) and how plans show it.
//
// Values are immutable: nothing modifies a value, or what its JSON returns, once it is made.
// So values share their maps and slices with the state they come from and with the plan
// documents that show them, instead of each holding a copy: a plan of 10,000 buckets holds
// some 100,000 values.
type Value interface {
	// Equal reports whether the value equals other semantically. For a desired value, other
	// is the live value of the same attribute.
	Equal(other Value) bool
	// Text renders the value as the configuration spells it, for human plans ("enabled",
	// "100GiB", { team = "ml" }). A sensitive value renders as (sensitive).
	Text() string
	// JSON returns the value as JSON plans show it. A sensitive value returns nil.
	JSON() any
}

// Collection is a value made of elements that plans compare one by one: the entries of a map
// (tags) or the items of a list identified by a key (lifecycle rules by id, policy grants).
type Collection interface {
	Value
	// Elements returns the elements, in key order.
	Elements() []Element
	// KeyedElements reports whether plans show each element as `key = value` (a map) rather
	// than as the value alone (a list whose items carry their key).
	KeyedElements() bool
}

// Element is one element of a Collection.
type Element struct {
	Key   string
	Value Value
}

// Resource is the state of one resource: for a desired resource, the attributes the
// configuration declares; for a live one, the attributes that were read from the server. An
// attribute that is not in Attrs is not declared (desired) or was not read (live).
type Resource struct {
	Kind  Kind
	ID    string
	Attrs map[string]Value
}

// NewResource returns a resource with no attributes.
func NewResource(kind Kind, id string) *Resource {
	return &Resource{Kind: kind, ID: id, Attrs: map[string]Value{}}
}

// Key returns the resource's key.
func (r *Resource) Key() Key { return Key{Kind: r.Kind, ID: r.ID} }

// Has reports whether the resource carries attribute a.
func (r *Resource) Has(a string) bool {
	if r == nil {
		return false
	}
	_, ok := r.Attrs[a]
	return ok
}

// Get returns attribute a, or nil.
func (r *Resource) Get(a string) Value {
	if r == nil {
		return nil
	}
	return r.Attrs[a]
}

// Set sets attribute a.
func (r *Resource) Set(a string, v Value) { r.Attrs[a] = v }

// Names returns the names of the attributes the resource carries, sorted.
func (r *Resource) Names() []string {
	if r == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(r.Attrs))
}

// Clone returns a copy of r. Values are immutable, so they are shared.
func (r *Resource) Clone() *Resource {
	if r == nil {
		return nil
	}
	return &Resource{Kind: r.Kind, ID: r.ID, Attrs: maps.Clone(r.Attrs)}
}

// Live is what a server holds for one resource.
type Live struct {
	Exists bool
	// State holds the attributes that were read.
	State *Resource
	// Tagged is the stack named by the resource's ownership mark for people (a bucket's
	// bucketform-stack tag), "" when it has none. Ownership itself is the claim; a mark
	// without a claim is the ownership record of bucketform versions before claims, honoured
	// so that their resources stay safe.
	Tagged string
	// Emptiness is whether a bucket holds objects, when that was checked.
	Emptiness Emptiness
	// Taken, when not empty, says why a resource that does not exist cannot be created with
	// its identity: another resource of the server holds it (a service account's access key
	// that is a user's).
	Taken string
	// TakenBy is the resource that holds the identity, when known.
	TakenBy Key
	// Dependents are resources on the server that hold on to this one and would be lost or
	// broken by deleting it: a user's service accounts, a group's members, the identities a
	// policy is attached to. Filled in when a delete is possible.
	Dependents []Key
}
