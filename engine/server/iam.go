package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/minio/madmin-go/v3"
)

// This file is bucketform's only access to MinIO's IAM: users, canned policies, groups and
// service accounts, read and written through madmin-go in the server's own terms. The plan
// layer maps these types to its model.
//
// # Reading
//
// ReadIAM and the Read functions use listing requests, which carry no secret. Cost of a full
// read (ReadIAM): 1 request for users, 1 for policies, 1 + one per group (+ 1 when a group is
// disabled) for groups, and 1 + min(accounts, parents + accounts with an inline policy) for
// service accounts.
//
// What makes a large read slow is not the number of requests but their encryption: madmin-go
// and the server encrypt the bodies of the admin requests that carry identities with a key
// derived by argon2id (64 MiB) for every message, and both run those derivations one at a time
// per process. Such a request costs tens of milliseconds of CPU on each side however many run
// at once, so Parallelism does not speed them up: reading 1,000 service accounts of 1,000
// users took 98 s on a loaded 2-core machine (iam_figures_test.go). Encrypted: ListUsers,
// ListAccessKeysBulk, ListServiceAccounts, InfoServiceAccount, policy-entities, AddUser/SetUser,
// UpdateServiceAccount (the request), AttachPolicy/DetachPolicy and AddServiceAccount (both
// ways). Not encrypted, and fast: groups, canned policies, statuses, group members, deletions.
//
// ReadIAMExport reads the same in one request (ExportIAM) in well under a second, at the price
// of an answer that holds every secret in plain text: it is opt-in, refuses plain http, needs
// admin:ExportIAM, and keeps no secret (see there).
//
// # Writing
//
// Every write is one request unless its documentation says otherwise. Writes that create are
// not exclusive: AddUser (PutUser) and AddCannedPolicy (PutPolicy) overwrite an existing user or
// policy without error, so "is this mine?" is for the caller's claim logic to answer.
//
// # Propagation
//
// IAM changes reach the other nodes of a cluster asynchronously in principle. On the pinned
// server the node that takes a write tells its peers before it answers, and no write that
// depends on an earlier one was seen to fail: not on one node, and not on four nodes with every
// dependent request sent at once to another node than the write before it (1,200 dependent
// requests on one node, over 5,000 on four; see iam_propagation_test.go). A peer that misses the notification catches up at its next
// periodic refresh. Writes that name an identity or policy written just before still retry
// briefly (Propagation, about 3.5 s at most) on exactly the answers that mean "not there yet":
//
//	XMinioAdminNoSuchUser          attach/detach user policies, add group members, add a
//	                               service account (its parent), set a user's status
//	XMinioAdminNoSuchGroup         attach/detach group policies, set a group's status
//	XMinioAdminNoSuchPolicy        attach policies
//	XMinioInvalidIAMCredentials    update a service account (the server's "service account not
//	                               found")
//
// The server also answers XMinioAdminNoSuchUser for a user that exists but is disabled (it
// refuses to attach or detach its policies, or to add it a service account). Those requests
// look the user up once when refused, and fail at once with ErrUserDisabled instead of waiting.
//
// # Permissions
//
// Each request names the admin action it needs (see IAMActions), so a denied request says what
// to grant.

// IAMActions are the admin actions the functions of this file need, for the minimum policy of
// an identity that manages IAM. ReadIAMExport needs admin:ExportIAM besides.
var IAMActions = []string{
	"admin:ListUsers", "admin:GetUser", "admin:CreateUser", "admin:DeleteUser", "admin:EnableUser",
	"admin:ListUserPolicies", "admin:GetPolicy", "admin:CreatePolicy", "admin:DeletePolicy", "admin:AttachUserOrGroupPolicy",
	"admin:ListGroups", "admin:GetGroup", "admin:AddUserToGroup", "admin:EnableGroup",
	"admin:ListServiceAccounts", "admin:CreateServiceAccount", "admin:UpdateServiceAccount", "admin:RemoveServiceAccount",
}

// Error codes of the admin API for IAM requests.
const (
	CodeNoSuchUser           = "XMinioAdminNoSuchUser"
	CodeNoSuchGroup          = "XMinioAdminNoSuchGroup"
	CodeNoSuchPolicy         = "XMinioAdminNoSuchPolicy"
	CodeNoSuchServiceAccount = "XMinioInvalidIAMCredentials" // also other credential refusals; see IsNoSuchServiceAccount
	CodePolicyInUse          = "XMinioIAMPolicyInUse"
	CodeGroupNotEmpty        = "XMinioAdminGroupNotEmpty"
	CodePolicyChangeApplied  = "XMinioAdminPolicyChangeAlreadyApplied"
	CodeAccessKeyTaken       = "XMinioIAMServiceAccountNotAllowed"
)

// ErrUserDisabled is returned by the writes the server refuses for a disabled user: attaching or
// detaching its policies and adding it a service account. Enable the user first (or make those
// changes before disabling it).
var ErrUserDisabled = errors.New("the server refuses this change while the user is disabled")

// IsPolicyInUse reports whether err is the server's refusal to delete a policy that is attached
// to a user or a group. Detach it first (IAM.PolicyUsers says from whom).
func IsPolicyInUse(err error) bool { return Code(err) == CodePolicyInUse }

// IsGroupNotEmpty reports whether err is the server's refusal to delete a group that still has
// members. Remove them first.
func IsGroupNotEmpty(err error) bool { return Code(err) == CodeGroupNotEmpty }

// IsGroupDisabled reports whether err is the server's refusal to attach or detach a policy of a
// disabled group. MinIO answers it as a 500 InternalError ("Specified group is disabled"); it
// is not retried. Enable the group first, or change its policies before disabling it.
func IsGroupDisabled(err error) bool {
	var ae madmin.ErrorResponse
	return errors.As(err, &ae) && ae.Code == "InternalError" && strings.Contains(ae.Message, msgGroupDisabled)
}

// IsUserDisabled reports whether err is ErrUserDisabled.
func IsUserDisabled(err error) bool { return errors.Is(err, ErrUserDisabled) }

// IsNoSuchUser reports whether err says the user does not exist.
func IsNoSuchUser(err error) bool { return Code(err) == CodeNoSuchUser }

// IsNoSuchGroup reports whether err says the group does not exist.
func IsNoSuchGroup(err error) bool { return Code(err) == CodeNoSuchGroup }

// IsNoSuchPolicy reports whether err says a policy does not exist.
func IsNoSuchPolicy(err error) bool { return Code(err) == CodeNoSuchPolicy }

// IsNoSuchServiceAccount reports whether err says the service account does not exist.
func IsNoSuchServiceAccount(err error) bool {
	var ae madmin.ErrorResponse
	return errors.As(err, &ae) && ae.Code == CodeNoSuchServiceAccount && strings.Contains(ae.Message, "not found")
}

// IsAccessKeyTaken reports whether err is the server's refusal to create a service account
// whose access key belongs to another user or service account.
func IsAccessKeyTaken(err error) bool { return Code(err) == CodeAccessKeyTaken }

// Messages of refusals that MinIO answers as 500 InternalError, which would otherwise be retried.
const (
	msgGroupDisabled     = "Specified group is disabled"
	msgInvalidExpiration = "invalid service account expiration"
)

// refusedAsInternalError reports whether a 500 InternalError answer is in fact a refusal that
// repeating the request cannot change.
func refusedAsInternalError(ae madmin.ErrorResponse) bool {
	return ae.Code == "InternalError" && (strings.Contains(ae.Message, msgGroupDisabled) || strings.Contains(ae.Message, msgInvalidExpiration))
}

// codeIn returns a notYet function for callWaiting: true for the given error codes.
func codeIn(codes ...string) func(error) bool {
	return func(err error) bool { return slices.Contains(codes, Code(err)) }
}

// User is a user as the server reports it. Its secret key is never read.
type User struct {
	AccessKey string
	Enabled   bool
	Policies  []string // attached to the user itself (not through groups), sorted
	Groups    []string // sorted
}

// Policy is a canned policy. Document is the server's JSON text, compacted. The server
// normalises what it stores (arrays, order of keys) and lists a statement's actions in no fixed
// order from one read to the next, so compare documents semantically, arrays as sets. The
// server's built-in policies (readonly, readwrite, writeonly, diagnostics, consoleAdmin) are
// listed too.
type Policy struct {
	Name     string
	Document []byte
}

// Group is a group as the server reports it.
type Group struct {
	Name     string
	Enabled  bool
	Members  []string // access keys of users, sorted
	Policies []string // sorted
}

// ServiceAccount is a service account as the server reports it. Its secret key is never read.
type ServiceAccount struct {
	AccessKey   string
	Parent      string
	Enabled     bool
	Name        string
	Description string
	Expires     time.Time // zero: never
	// Implied is true when the account has no inline policy and acts with its parent's rights.
	// The server then reports the parent's policies as the account's policy; that text is
	// dropped here, so Policy is nil and a caller never diffs it.
	Implied bool
	Policy  []byte // the inline policy, compacted; nil when Implied
}

// IAM is everything the server's IAM holds that bucketform manages, keyed by name or access
// key. The root user and STS credentials are not in it.
type IAM struct {
	Users           map[string]User
	Policies        map[string]Policy
	Groups          map[string]Group
	ServiceAccounts map[string]ServiceAccount
}

// PolicyUsers returns the users and groups a policy is attached to (sorted), from the users and
// groups already read: no request. These are exactly the identities that make the server refuse
// to delete the policy. Service accounts never do: their inline policy is a document, not a
// reference. Policies reached through a group are the group's, not its members'.
func (s IAM) PolicyUsers(name string) (users, groups []string) {
	for _, u := range s.Users {
		if slices.Contains(u.Policies, name) {
			users = append(users, u.AccessKey)
		}
	}
	for _, g := range s.Groups {
		if slices.Contains(g.Policies, name) {
			groups = append(groups, g.Name)
		}
	}
	sort.Strings(users)
	sort.Strings(groups)
	return users, groups
}

// ReadIAM reads users, policies, groups and every service account, the four reads at once (see
// the cost at the top of this file).
func (c *Client) ReadIAM(ctx context.Context) (IAM, error) {
	var s IAM
	reads := []func(ctx context.Context) error{
		func(ctx context.Context) (err error) { s.Users, err = c.ReadUsers(ctx); return err },
		func(ctx context.Context) (err error) { s.Policies, err = c.ReadPolicies(ctx); return err },
		func(ctx context.Context) (err error) { s.Groups, err = c.ReadGroups(ctx); return err },
		func(ctx context.Context) (err error) {
			s.ServiceAccounts, err = c.ReadServiceAccounts(ctx, nil)
			return err
		},
	}
	err := c.each(ctx, len(reads), len(reads), func(ctx context.Context, i int) error { return reads[i](ctx) })
	return s, err
}

// ReadUsers reads every user in one request (ListUsers): status, attached policies and groups.
func (c *Client) ReadUsers(ctx context.Context) (map[string]User, error) {
	var list map[string]madmin.UserInfo
	err := c.call(ctx, "admin:ListUsers", "", true, func(ctx context.Context) (err error) {
		list, err = c.admin.ListUsers(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users := make(map[string]User, len(list))
	for key, u := range list {
		groups := slices.Clone(u.MemberOf)
		sort.Strings(groups)
		users[key] = User{AccessKey: key, Enabled: u.Status == madmin.AccountEnabled, Policies: splitPolicies(u.PolicyName), Groups: groups}
	}
	return users, nil
}

// ReadPolicies reads every canned policy with its document in one request (ListCannedPolicies).
func (c *Client) ReadPolicies(ctx context.Context) (map[string]Policy, error) {
	var list map[string]json.RawMessage
	err := c.call(ctx, "admin:ListUserPolicies", "", true, func(ctx context.Context) (err error) {
		list, err = c.admin.ListCannedPolicies(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	policies := make(map[string]Policy, len(list))
	for name, doc := range list {
		policies[name] = Policy{Name: name, Document: compact(doc)}
	}
	return policies, nil
}

// PolicyExists reports, in one request (InfoCannedPolicy), whether a canned policy has the
// name: AddCannedPolicy would overwrite it, so a create asks first.
func (c *Client) PolicyExists(ctx context.Context, name string) (bool, error) {
	err := c.call(ctx, "admin:GetPolicy", name, true, func(ctx context.Context) error {
		_, err := c.admin.InfoCannedPolicy(ctx, name)
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case IsNoSuchPolicy(err):
		return false, nil
	}
	return false, fmt.Errorf("read policy %s: %w", name, err)
}

// UserExists reports, in one request (GetUserInfo), whether an access key is a user's: AddUser
// would overwrite it, so a create asks first.
func (c *Client) UserExists(ctx context.Context, accessKey string) (bool, error) {
	err := c.call(ctx, "admin:GetUser", accessKey, true, func(ctx context.Context) error {
		_, err := c.admin.GetUserInfo(ctx, accessKey)
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case IsNoSuchUser(err):
		return false, nil
	}
	return false, fmt.Errorf("read user %s: %w", accessKey, err)
}

// ReadGroups reads every group: one request for the names (ListGroups), then one per group
// (GetGroupDescription), Parallelism at a time, and one more (policy-entities) when a group is
// disabled: the server's description of a disabled group lists no policies, although they stay
// attached (and keep a policy from being deleted). Nothing cheaper gives a group's status: the
// members could be derived from ListUsers and the policies from one policy-entities request,
// but the status is only in the group's description (or in ExportIAM).
func (c *Client) ReadGroups(ctx context.Context) (map[string]Group, error) {
	var names []string
	err := c.call(ctx, "admin:ListGroups", "", true, func(ctx context.Context) (err error) {
		names, err = c.admin.ListGroups(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	found := make([]*Group, len(names))
	err = c.each(ctx, len(names), 0, func(ctx context.Context, i int) error {
		g, ok, err := c.readGroup(ctx, names[i])
		if ok {
			found[i] = &g
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	groups := make(map[string]Group, len(names))
	for _, g := range found {
		if g != nil { // nil: deleted since it was listed
			groups[g.Name] = *g
		}
	}
	if err := c.disabledGroupPolicies(ctx, groups); err != nil {
		return nil, err
	}
	return groups, nil
}

// ReadGroup reads one group in one request, two when it is disabled (see ReadGroups); ok is
// false when it does not exist.
func (c *Client) ReadGroup(ctx context.Context, name string) (g Group, ok bool, err error) {
	g, ok, err = c.readGroup(ctx, name)
	if !ok || err != nil {
		return g, ok, err
	}
	one := map[string]Group{name: g}
	err = c.disabledGroupPolicies(ctx, one)
	return one[name], true, err
}

// disabledGroupPolicies fills in the policies of the disabled groups in one request
// (policy-entities), which reads the policy mappings themselves.
func (c *Client) disabledGroupPolicies(ctx context.Context, groups map[string]Group) error {
	var disabled []string
	for name, g := range groups {
		if !g.Enabled {
			disabled = append(disabled, name)
		}
	}
	if len(disabled) == 0 {
		return nil
	}
	var r madmin.PolicyEntitiesResult
	err := c.call(ctx, "admin:ListGroups", "", true, func(ctx context.Context) (err error) {
		r, err = c.admin.GetPolicyEntities(ctx, madmin.PolicyEntitiesQuery{Groups: disabled})
		return err
	})
	if err != nil {
		return fmt.Errorf("read the policies of disabled groups: %w", err)
	}
	for _, m := range r.GroupMappings {
		if g, ok := groups[m.Group]; ok {
			g.Policies = slices.Sorted(slices.Values(m.Policies))
			groups[m.Group] = g
		}
	}
	return nil
}

// readGroup is ReadGroup without the policies of a disabled group.
func (c *Client) readGroup(ctx context.Context, name string) (g Group, ok bool, err error) {
	var d *madmin.GroupDesc
	err = c.call(ctx, "admin:GetGroup", name, true, func(ctx context.Context) (err error) {
		d, err = c.admin.GetGroupDescription(ctx, name)
		return err
	})
	if IsNoSuchGroup(err) {
		return Group{}, false, nil
	}
	if err != nil {
		return Group{}, false, fmt.Errorf("read group %s: %w", name, err)
	}
	members := slices.Clone(d.Members)
	sort.Strings(members)
	return Group{Name: name, Enabled: d.Status == string(madmin.GroupEnabled), Members: members, Policies: splitPolicies(d.Policy)}, true, nil
}

// ServiceAccountKeys returns the access key of every service account on the server, with its
// parent. One request (ListAccessKeysBulk).
func (c *Client) ServiceAccountKeys(ctx context.Context) (map[string]string, error) {
	var bulk map[string]madmin.ListAccessKeysResp
	err := c.call(ctx, "admin:ListServiceAccounts and admin:ListUsers", "", true, func(ctx context.Context) (err error) {
		bulk, err = c.admin.ListAccessKeysBulk(ctx, nil, madmin.ListAccessKeysOpts{ListType: madmin.AccessKeyListSvcaccOnly, All: true})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list service accounts: %w", err)
	}
	out := map[string]string{}
	for parent, r := range bulk {
		for _, a := range r.ServiceAccounts {
			out[a.AccessKey] = parent
		}
	}
	return out, nil
}

// ReadServiceAccounts reads the service accounts of the given parents (access keys of users or
// of the root user), or of everyone when parents is nil.
//
// One request (ListAccessKeysBulk, for everyone: listing it for named users skips disabled
// ones) says which accounts exist and whose they are. Then, whichever is fewer requests: either
// one InfoServiceAccount per account, or one ListServiceAccounts per parent (status, name,
// description, expiry, implied or not) and one InfoServiceAccount per account with an inline
// policy (its text).
func (c *Client) ReadServiceAccounts(ctx context.Context, parents []string) (map[string]ServiceAccount, error) {
	all, err := c.ServiceAccountKeys(ctx)
	if err != nil {
		return nil, err
	}
	var owners, keys []string
	seen := map[string]bool{}
	for key, parent := range all {
		if parents != nil && !slices.Contains(parents, parent) {
			continue
		}
		if !seen[parent] {
			seen[parent] = true
			owners = append(owners, parent)
		}
		keys = append(keys, key)
	}
	if len(owners) < len(keys) {
		return c.readServiceAccountsByParent(ctx, owners)
	}
	return c.readServiceAccountsByKey(ctx, keys)
}

func (c *Client) readServiceAccountsByKey(ctx context.Context, keys []string) (map[string]ServiceAccount, error) {
	found := make([]*ServiceAccount, len(keys))
	err := c.each(ctx, len(keys), 0, func(ctx context.Context, i int) error {
		sa, ok, err := c.ReadServiceAccount(ctx, keys[i])
		if ok {
			found[i] = &sa
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]ServiceAccount, len(keys))
	for _, sa := range found {
		if sa != nil {
			out[sa.AccessKey] = *sa
		}
	}
	return out, nil
}

func (c *Client) readServiceAccountsByParent(ctx context.Context, parents []string) (map[string]ServiceAccount, error) {
	lists := make([][]madmin.ServiceAccountInfo, len(parents))
	err := c.each(ctx, len(parents), 0, func(ctx context.Context, i int) error {
		return c.call(ctx, "admin:ListServiceAccounts", parents[i], true, func(ctx context.Context) error {
			r, err := c.admin.ListServiceAccounts(ctx, parents[i])
			lists[i] = r.Accounts
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list service accounts: %w", err)
	}
	out := map[string]ServiceAccount{}
	var inline []string
	for _, list := range lists {
		for _, a := range list {
			out[a.AccessKey] = ServiceAccount{
				AccessKey: a.AccessKey, Parent: a.ParentUser, Enabled: a.AccountStatus == "on",
				Name: a.Name, Description: a.Description, Expires: expiry(a.Expiration), Implied: a.ImpliedPolicy,
			}
			if !a.ImpliedPolicy {
				inline = append(inline, a.AccessKey)
			}
		}
	}
	found := make([]*ServiceAccount, len(inline))
	err = c.each(ctx, len(inline), 0, func(ctx context.Context, i int) error {
		sa, ok, err := c.ReadServiceAccount(ctx, inline[i])
		if ok {
			found[i] = &sa
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, sa := range found {
		if sa == nil {
			delete(out, inline[i]) // deleted since it was listed
			continue
		}
		out[sa.AccessKey] = *sa
	}
	return out, nil
}

// ReadServiceAccount reads one service account in one request (InfoServiceAccount); ok is
// false when it does not exist.
func (c *Client) ReadServiceAccount(ctx context.Context, accessKey string) (sa ServiceAccount, ok bool, err error) {
	var info madmin.InfoServiceAccountResp
	err = c.call(ctx, "admin:ListServiceAccounts", accessKey, true, func(ctx context.Context) (err error) {
		info, err = c.admin.InfoServiceAccount(ctx, accessKey)
		return err
	})
	if IsNoSuchServiceAccount(err) {
		return ServiceAccount{}, false, nil
	}
	if err != nil {
		return ServiceAccount{}, false, fmt.Errorf("read service account %s: %w", accessKey, err)
	}
	sa = ServiceAccount{
		AccessKey: accessKey, Parent: info.ParentUser, Enabled: info.AccountStatus == "on",
		Name: info.Name, Description: info.Description, Expires: expiry(info.Expiration), Implied: info.ImpliedPolicy,
	}
	if !info.ImpliedPolicy { // when implied, info.Policy is the parent's: never the account's own
		sa.Policy = compact([]byte(info.Policy))
	}
	return sa, true, nil
}

// PutUser creates a user with the given secret and status or, when the access key is already a
// user, replaces its secret and status; its policies and groups stay. One request (AddUser /
// SetUser). The server does not say which of the two happened: it overwrites an existing user
// silently. It also turns a disabled service account with that access key into a user (an
// enabled one is refused with XMinioInvalidIAMCredentials), and leaves the account's stored
// record behind, after which ExportIAM fails on that server for good: check that the key is
// not a service account's first (ReadIAM says).
func (c *Client) PutUser(ctx context.Context, accessKey, secretKey string, enabled bool) error {
	status := madmin.AccountDisabled
	if enabled {
		status = madmin.AccountEnabled
	}
	err := c.call(ctx, "admin:CreateUser", accessKey, true, func(ctx context.Context) error {
		return c.admin.SetUser(ctx, accessKey, secretKey, status)
	})
	return scrub(err, secretKey)
}

// SetUserEnabled enables or disables a user in one request (SetUserStatus; both need
// admin:EnableUser). Disabling a user also stops its service accounts from acting: they still
// authenticate, with no rights.
func (c *Client) SetUserEnabled(ctx context.Context, accessKey string, enabled bool) error {
	status := madmin.AccountDisabled
	if enabled {
		status = madmin.AccountEnabled
	}
	return c.callWaiting(ctx, "admin:EnableUser", accessKey, true, codeIn(CodeNoSuchUser), func(ctx context.Context) error {
		return c.admin.SetUserStatus(ctx, accessKey, status)
	})
}

// DeleteUser deletes a user in one request (RemoveUser). The server also deletes its service
// accounts and removes it from its groups. A missing user is not an error.
func (c *Client) DeleteUser(ctx context.Context, accessKey string) error {
	err := c.call(ctx, "admin:DeleteUser", accessKey, true, func(ctx context.Context) error {
		return c.admin.RemoveUser(ctx, accessKey)
	})
	if IsNoSuchUser(err) {
		return nil
	}
	return err
}

// PutPolicy creates or replaces a canned policy in one request (AddCannedPolicy); an existing
// policy is overwritten silently. The server rejects a document without Version
// (MalformedPolicy) or with an unknown action (XMinioMalformedIAMPolicy).
func (c *Client) PutPolicy(ctx context.Context, name string, document []byte) error {
	return c.call(ctx, "admin:CreatePolicy", name, true, func(ctx context.Context) error {
		return c.admin.AddCannedPolicy(ctx, name, document)
	})
}

// DeletePolicy deletes a canned policy in one request (RemoveCannedPolicy). The server refuses
// while the policy is attached to a user or a group (IsPolicyInUse). A missing policy is not an
// error.
func (c *Client) DeletePolicy(ctx context.Context, name string) error {
	err := c.call(ctx, "admin:DeletePolicy", name, true, func(ctx context.Context) error {
		return c.admin.RemoveCannedPolicy(ctx, name)
	})
	if IsNoSuchPolicy(err) {
		return nil
	}
	return err
}

// AttachUserPolicies attaches policies to a user in one request (AttachPolicy). Policies already
// attached are no error. A disabled user's policies cannot be changed (ErrUserDisabled).
func (c *Client) AttachUserPolicies(ctx context.Context, user string, policies ...string) error {
	return c.associate(ctx, true, madmin.PolicyAssociationReq{Policies: policies, User: user})
}

// DetachUserPolicies detaches policies from a user in one request (DetachPolicy). Policies not
// attached are no error. A disabled user's policies cannot be changed (ErrUserDisabled).
func (c *Client) DetachUserPolicies(ctx context.Context, user string, policies ...string) error {
	return c.associate(ctx, false, madmin.PolicyAssociationReq{Policies: policies, User: user})
}

// AttachGroupPolicies attaches policies to a group in one request (AttachPolicy). Policies
// already attached are no error. A disabled group's policies cannot be changed (IsGroupDisabled).
func (c *Client) AttachGroupPolicies(ctx context.Context, group string, policies ...string) error {
	return c.associate(ctx, true, madmin.PolicyAssociationReq{Policies: policies, Group: group})
}

// DetachGroupPolicies detaches policies from a group in one request (DetachPolicy). Policies not
// attached are no error. A disabled group's policies cannot be changed (IsGroupDisabled).
func (c *Client) DetachGroupPolicies(ctx context.Context, group string, policies ...string) error {
	return c.associate(ctx, false, madmin.PolicyAssociationReq{Policies: policies, Group: group})
}

// associate attaches or detaches policies. The deprecated SetPolicy (set-user-or-group-policy,
// which replaces the whole list in one request) still works on the pinned server; attach and
// detach are used instead, as madmin-go asks, at one request each for a change that both adds
// and removes.
func (c *Client) associate(ctx context.Context, attach bool, r madmin.PolicyAssociationReq) error {
	if len(r.Policies) == 0 {
		return nil
	}
	kind, name, notYet := "user", r.User, []string{CodeNoSuchUser}
	if r.Group != "" {
		kind, name, notYet = "group", r.Group, []string{CodeNoSuchGroup}
	}
	verb := "detach"
	if attach {
		verb, notYet = "attach", append(notYet, CodeNoSuchPolicy)
	}
	err := c.callWaiting(ctx, "admin:AttachUserOrGroupPolicy", name, true, codeIn(notYet...), func(ctx context.Context) error {
		var err error
		if attach {
			_, err = c.admin.AttachPolicy(ctx, r)
		} else {
			_, err = c.admin.DetachPolicy(ctx, r)
		}
		if IsNoSuchUser(err) && r.User != "" {
			return c.disabledOr(ctx, r.User, err)
		}
		return err
	})
	if Code(err) == CodePolicyChangeApplied {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s policies %s for %s %s: %w", verb, strings.Join(r.Policies, ", "), kind, name, err)
	}
	return nil
}

// disabledOr returns ErrUserDisabled when user exists and is disabled (the server answers
// XMinioAdminNoSuchUser for it), else err. It costs one request (GetUserInfo).
func (c *Client) disabledOr(ctx context.Context, user string, err error) error {
	info, ierr := c.admin.GetUserInfo(ctx, user)
	if ierr == nil && info.Status == madmin.AccountDisabled {
		return fmt.Errorf("user %s: %w", user, ErrUserDisabled)
	}
	return err
}

// AddGroupMembers adds users to a group in one request (UpdateGroupMembers), creating the group
// (enabled) if it does not exist; with no members it creates an empty group. Members already in
// the group are no error. A member must be a user (a service account is refused with
// XMinioIAMActionNotAllowed); a disabled user can be added.
func (c *Client) AddGroupMembers(ctx context.Context, group string, members ...string) error {
	err := c.callWaiting(ctx, "admin:AddUserToGroup", group, true, codeIn(CodeNoSuchUser), func(ctx context.Context) error {
		return c.admin.UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: group, Members: members})
	})
	if err != nil {
		return fmt.Errorf("add %s to group %s: %w", strings.Join(members, ", "), group, err)
	}
	return nil
}

// RemoveGroupMembers removes users from a group in one request (UpdateGroupMembers; it needs
// admin:AddUserToGroup). Users not in the group are no error; no users is nothing to do.
func (c *Client) RemoveGroupMembers(ctx context.Context, group string, members ...string) error {
	if len(members) == 0 {
		return nil // an empty list would delete the group
	}
	err := c.call(ctx, "admin:AddUserToGroup", group, true, func(ctx context.Context) error {
		return c.admin.UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: group, Members: members, IsRemove: true})
	})
	if err != nil {
		return fmt.Errorf("remove %s from group %s: %w", strings.Join(members, ", "), group, err)
	}
	return nil
}

// SetGroupEnabled enables or disables a group in one request (SetGroupStatus; both need
// admin:EnableGroup). The server refuses to change a disabled group's policies, so change them
// first when both change.
func (c *Client) SetGroupEnabled(ctx context.Context, group string, enabled bool) error {
	status := madmin.GroupDisabled
	if enabled {
		status = madmin.GroupEnabled
	}
	return c.callWaiting(ctx, "admin:EnableGroup", group, true, codeIn(CodeNoSuchGroup), func(ctx context.Context) error {
		return c.admin.SetGroupStatus(ctx, group, status)
	})
}

// DeleteGroup deletes a group in one request (UpdateGroupMembers removing no one; it needs
// admin:AddUserToGroup). The server refuses while the group has members (IsGroupNotEmpty):
// remove them first. Its policy mapping goes with it. A missing group is not an error.
func (c *Client) DeleteGroup(ctx context.Context, group string) error {
	err := c.call(ctx, "admin:AddUserToGroup", group, true, func(ctx context.Context) error {
		return c.admin.UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: group, IsRemove: true})
	})
	if IsNoSuchGroup(err) {
		return nil
	}
	return err
}

// NewServiceAccount says what service account AddServiceAccount creates.
type NewServiceAccount struct {
	AccessKey string // 3 to 20 characters
	SecretKey string // at least 8 characters
	Parent    string // a user's access key, or the root user's
	// Policy is the inline policy; nil or empty: implied (the parent's rights). Either way the
	// account can do at most what its parent can: the inline policy narrows, never widens.
	Policy      []byte
	Name        string    // at most 32 characters: letters, digits, '_' and '-', starting with a letter
	Description string    // at most 256 bytes
	Expires     time.Time // zero: never; else between 15 minutes and 365 days from now
	Disabled    bool      // create it disabled (a second request)
}

// AddServiceAccount creates a service account in one request (AddServiceAccount), two when
// Disabled (the server creates it enabled; it is disabled by the second). The server refuses an
// access key that is already a user's or service account's (IsAccessKeyTaken), and a parent
// that does not exist or is disabled (ErrUserDisabled). Creating is not idempotent: when a
// retry finds the key taken, the account is read back, and one with this parent and secret is
// taken for the earlier attempt's, whose answer was lost.
func (c *Client) AddServiceAccount(ctx context.Context, sa NewServiceAccount) error {
	req := madmin.AddServiceAccountReq{
		AccessKey: sa.AccessKey, SecretKey: sa.SecretKey, TargetUser: sa.Parent,
		Name: sa.Name, Description: sa.Description,
	}
	if len(bytes.TrimSpace(sa.Policy)) > 0 {
		req.Policy = sa.Policy
	}
	if !sa.Expires.IsZero() {
		exp := sa.Expires.UTC()
		req.Expiration = &exp
	}
	attempt := 0
	err := c.callWaiting(ctx, "admin:CreateServiceAccount", sa.AccessKey, true, codeIn(CodeNoSuchUser), func(ctx context.Context) error {
		attempt++
		_, err := c.admin.AddServiceAccount(ctx, req)
		switch {
		case IsNoSuchUser(err):
			return c.disabledOr(ctx, sa.Parent, err)
		case IsAccessKeyTaken(err) && attempt > 1 && c.createdBefore(ctx, sa):
			return nil // an earlier attempt created it and its answer was lost
		}
		return err
	})
	if err == nil && sa.Disabled {
		off := false
		err = c.UpdateServiceAccount(ctx, sa.AccessKey, ServiceAccountUpdate{Enabled: &off, Policy: sa.Policy})
	}
	if err != nil {
		return scrub(fmt.Errorf("add service account %s of %s: %w", sa.AccessKey, sa.Parent, err), sa.SecretKey)
	}
	return nil
}

// createdBefore reports whether the service account sa exists with sa's parent and secret:
// then an earlier attempt of AddServiceAccount created it. Two requests (InfoServiceAccount,
// and CheckSecret's probe), each attempted once.
func (c *Client) createdBefore(ctx context.Context, sa NewServiceAccount) bool {
	info, err := c.admin.InfoServiceAccount(ctx, sa.AccessKey)
	if err != nil || info.ParentUser != sa.Parent {
		return false
	}
	st, err := c.CheckSecret(WithoutRetry(ctx), sa.AccessKey, sa.SecretKey)
	return err == nil && st == SecretMatches
}

// ServiceAccountUpdate says what UpdateServiceAccount changes.
type ServiceAccountUpdate struct {
	SecretKey string // "": keep
	Enabled   *bool  // nil: keep
	// Policy is the inline policy the account has after the update; nil or empty: implied. It
	// is always written: the server drops an account's inline policy on every update that does
	// not repeat it (back to implied), so there is no "keep".
	Policy      []byte
	Name        string     // "": keep (the server cannot clear a name)
	Description string     // "": keep (the server cannot clear a description)
	Expires     *time.Time // nil: keep; the zero time: never expires
}

// UpdateServiceAccount changes a service account in one request (UpdateServiceAccount).
func (c *Client) UpdateServiceAccount(ctx context.Context, accessKey string, u ServiceAccountUpdate) error {
	req := madmin.UpdateServiceAccountReq{NewSecretKey: u.SecretKey, NewName: u.Name, NewDescription: u.Description}
	req.NewPolicy = json.RawMessage(`{}`) // implied: an empty policy document
	if len(bytes.TrimSpace(u.Policy)) > 0 {
		req.NewPolicy = u.Policy
	}
	if u.Enabled != nil {
		req.NewStatus = "off"
		if *u.Enabled {
			req.NewStatus = "on"
		}
	}
	if u.Expires != nil {
		exp := time.Unix(0, 0).UTC() // the server's "no expiry"
		if !u.Expires.IsZero() {
			exp = u.Expires.UTC()
		}
		req.NewExpiration = &exp
	}
	err := c.callWaiting(ctx, "admin:UpdateServiceAccount", accessKey, true, IsNoSuchServiceAccount, func(ctx context.Context) error {
		return c.admin.UpdateServiceAccount(ctx, accessKey, req)
	})
	if err != nil {
		return scrub(fmt.Errorf("update service account %s: %w", accessKey, err), u.SecretKey)
	}
	return nil
}

// DeleteServiceAccount deletes a service account in one request (DeleteServiceAccount). A
// missing one is not an error.
func (c *Client) DeleteServiceAccount(ctx context.Context, accessKey string) error {
	err := c.call(ctx, "admin:RemoveServiceAccount", accessKey, true, func(ctx context.Context) error {
		return c.admin.DeleteServiceAccount(ctx, accessKey)
	})
	if IsNoSuchServiceAccount(err) {
		return nil
	}
	return err
}

// each runs f(ctx, i) for every i in [0, n), at most limit at once (0: the client's
// Parallelism), and returns the first error; the calls not yet started are then skipped and
// the running ones see ctx cancelled.
func (c *Client) each(ctx context.Context, n, limit int, f func(ctx context.Context, i int) error) error {
	if limit <= 0 {
		limit = max(c.target.Parallelism, 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, limit)
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err() // the caller's ctx ended before every call started
	}
	return first
}

// splitPolicies splits the server's comma-separated policy list into sorted names.
func splitPolicies(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// compact returns a JSON document without insignificant white space (the server indents some
// answers and not others), or doc itself when it is not valid JSON.
func compact(doc []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return slices.Clone(doc)
	}
	return b.Bytes()
}

// expiry turns the server's expiration into a time, zero for "never" (nil, the zero time, or
// the Unix epoch that MinIO uses as "no expiry").
func expiry(t *time.Time) time.Time {
	if t == nil || t.IsZero() || t.Equal(time.Unix(0, 0)) {
		return time.Time{}
	}
	return t.UTC()
}
