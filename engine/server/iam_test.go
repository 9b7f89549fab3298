package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

// countingProxy stands between a client and a MinIO server, counts the requests by operation
// (the admin API path, or "s3 METHOD") and can answer some of them itself.
type countingProxy struct {
	srv    *httptest.Server
	proxy  *httputil.ReverseProxy
	mu     sync.Mutex
	counts map[string]int
	// inject, when set, may answer a request instead of the server: a status other than 0 and
	// a body (JSON for the admin API, XML for S3), or loseAnswer.
	inject func(r *http.Request) (status int, body string)
}

// loseAnswer, as the status of an injected answer, passes the request to the server and closes
// the client's connection without its answer.
const loseAnswer = -1

func newCountingProxy(t testing.TB, endpoint string) *countingProxy {
	t.Helper()
	target, _ := url.Parse("http://" + endpoint)
	p := &countingProxy{proxy: httputil.NewSingleHostReverseProxy(target), counts: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func op(r *http.Request) string {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/minio/admin/v3/"); ok {
		return rest
	}
	return "s3 " + r.Method
}

func (p *countingProxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.counts[op(r)]++
	inject := p.inject
	p.mu.Unlock()
	if inject != nil {
		switch status, body := inject(r); status {
		case 0:
		case loseAnswer:
			p.proxy.ServeHTTP(httptest.NewRecorder(), r) // the server does the work; the answer is dropped
			hangUp(w)
			return
		default:
			w.WriteHeader(status)
			fmt.Fprint(w, body)
			return
		}
	}
	p.proxy.ServeHTTP(w, r)
}

// take returns the counts since the last take and starts again from zero.
func (p *countingProxy) take() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	p.counts = map[string]int{}
	return c
}

func (p *countingProxy) setInject(f func(r *http.Request) (int, string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inject = f
}

func (p *countingProxy) client(t testing.TB) *server.Client {
	t.Helper()
	return newClient(t, strings.TrimPrefix(p.srv.URL, "http://"))
}

// newClient returns a client with root credentials and the engine's default parallelism.
func newClient(t testing.TB, endpoint string) *server.Client {
	t.Helper()
	c, err := server.New(server.Target{Endpoint: endpoint, Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: 32})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sum(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}

// once answers the first request that match accepts with status and body, then lets every
// request through.
func once(match func(*http.Request) bool, status int, body string) func(*http.Request) (int, string) {
	var mu sync.Mutex
	done := false
	return func(r *http.Request) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		if done || !match(r) {
			return 0, ""
		}
		done = true
		return status, body
	}
}

func adminOp(name string) func(*http.Request) bool {
	return func(r *http.Request) bool { return op(r) == name }
}

func adminError(code, msg string) string {
	b, _ := json.Marshal(map[string]string{"Code": code, "Message": msg})
	return string(b)
}

func policyDoc(effect string, actions []string, resources ...string) []byte {
	b, _ := json.Marshal(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []any{map[string]any{"Effect": effect, "Action": actions, "Resource": resources}},
	})
	return b
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// sameJSONSets reports whether two JSON documents are equal with every array taken as a set
// (as every array of an IAM policy is).
func sameJSONSets(a, b []byte) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(sortArrays(x), sortArrays(y))
}

func sortArrays(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = sortArrays(e)
		}
	case []any:
		for i, e := range v {
			v[i] = sortArrays(e)
		}
		slices.SortFunc(v, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return bytes.Compare(ja, jb)
		})
	}
	return v
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Every read returns what the writes wrote, and every write changes exactly what it says.
func TestIAMRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	readP := policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::rt-data/*")
	writeP := policyDoc("Allow", []string{"s3:PutObject"}, "arn:aws:s3:::rt-data/runs/*")
	must(t, c.PutPolicy(ctx, "rt-read", readP))
	must(t, c.PutPolicy(ctx, "rt-write", writeP))
	must(t, c.PutUser(ctx, "rt-user", "rt-secret-1", true))
	must(t, c.AttachUserPolicies(ctx, "rt-user", "rt-read", "rt-write"))
	must(t, c.AttachUserPolicies(ctx, "rt-user", "rt-read")) // already attached: no error
	must(t, c.AddGroupMembers(ctx, "rt-group", "rt-user"))
	must(t, c.AttachGroupPolicies(ctx, "rt-group", "rt-write"))
	must(t, c.AddGroupMembers(ctx, "rt-empty")) // an empty group
	expires := time.Now().Add(48 * time.Hour).Truncate(time.Second).UTC()
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "rt-sa-implied", SecretKey: "rt-sa-secret-1",
		Parent: "rt-user", Name: "signer", Description: "signs URLs", Expires: expires}))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "rt-sa-inline", SecretKey: "rt-sa-secret-2",
		Parent: "rt-user", Policy: readP, Disabled: true}))

	s, err := c.ReadIAM(ctx)
	must(t, err)
	if u := s.Users["rt-user"]; !u.Enabled || !slices.Equal(u.Policies, []string{"rt-read", "rt-write"}) || !slices.Equal(u.Groups, []string{"rt-group"}) {
		t.Errorf("user reads as %+v", u)
	}
	if p := s.Policies["rt-read"]; !sameJSON(p.Document, readP) {
		t.Errorf("policy reads as %s, want %s", p.Document, readP)
	}
	for _, builtin := range []string{"readonly", "readwrite", "writeonly", "diagnostics", "consoleAdmin"} {
		if _, ok := s.Policies[builtin]; !ok {
			t.Errorf("built-in policy %s not listed", builtin)
		}
	}
	if g := s.Groups["rt-group"]; !g.Enabled || !slices.Equal(g.Members, []string{"rt-user"}) || !slices.Equal(g.Policies, []string{"rt-write"}) {
		t.Errorf("group reads as %+v", g)
	}
	if g, ok := s.Groups["rt-empty"]; !ok || !g.Enabled || len(g.Members) != 0 {
		t.Errorf("empty group reads as %+v (found %v)", g, ok)
	}
	implied := s.ServiceAccounts["rt-sa-implied"]
	want := server.ServiceAccount{AccessKey: "rt-sa-implied", Parent: "rt-user", Enabled: true, Name: "signer",
		Description: "signs URLs", Expires: expires, Implied: true}
	if !reflect.DeepEqual(implied, want) {
		t.Errorf("implied service account reads as\n%+v, want\n%+v", implied, want)
	}
	inline := s.ServiceAccounts["rt-sa-inline"]
	if inline.Implied || inline.Enabled || !sameJSON(inline.Policy, readP) || !inline.Expires.IsZero() || inline.Parent != "rt-user" {
		t.Errorf("inline service account reads as %+v (policy %s)", inline, inline.Policy)
	}
	if users, groups := s.PolicyUsers("rt-write"); !slices.Equal(users, []string{"rt-user"}) || !slices.Equal(groups, []string{"rt-group"}) {
		t.Errorf("rt-write used by users %v, groups %v", users, groups)
	}

	// The same through the single reads and a read of named parents.
	if sa, ok, err := c.ReadServiceAccount(ctx, "rt-sa-inline"); err != nil || !ok || !reflect.DeepEqual(sa, inline) {
		t.Errorf("ReadServiceAccount: %+v %v %v", sa, ok, err)
	}
	if _, ok, err := c.ReadServiceAccount(ctx, "rt-sa-none"); err != nil || ok {
		t.Errorf("ReadServiceAccount of a missing account: %v %v", ok, err)
	}
	of, err := c.ReadServiceAccounts(ctx, []string{"rt-user"})
	must(t, err)
	if len(of) != 2 || !reflect.DeepEqual(of["rt-sa-inline"], inline) || !reflect.DeepEqual(of["rt-sa-implied"], implied) {
		t.Errorf("service accounts of rt-user: %+v", of)
	}
	if g, ok, err := c.ReadGroup(ctx, "rt-none"); err != nil || ok {
		t.Errorf("ReadGroup of a missing group: %+v %v %v", g, ok, err)
	}

	// Updates.
	must(t, c.DetachUserPolicies(ctx, "rt-user", "rt-read"))
	must(t, c.DetachUserPolicies(ctx, "rt-user", "rt-read")) // not attached: no error
	must(t, c.PutUser(ctx, "rt-user", "rt-secret-2", true))  // a new secret keeps policies and groups
	must(t, c.DetachGroupPolicies(ctx, "rt-group", "rt-write"))
	must(t, c.SetGroupEnabled(ctx, "rt-group", false))
	on, never := true, time.Time{}
	must(t, c.UpdateServiceAccount(ctx, "rt-sa-implied", server.ServiceAccountUpdate{
		SecretKey: "rt-sa-secret-3", Policy: writeP, Name: "signer2", Description: "signs more", Expires: &never}))
	must(t, c.UpdateServiceAccount(ctx, "rt-sa-inline", server.ServiceAccountUpdate{Enabled: &on})) // back to implied
	s, err = c.ReadIAM(ctx)
	must(t, err)
	if u := s.Users["rt-user"]; !u.Enabled || !slices.Equal(u.Policies, []string{"rt-write"}) || !slices.Equal(u.Groups, []string{"rt-group"}) {
		t.Errorf("after updates, user reads as %+v", u)
	}
	if g := s.Groups["rt-group"]; g.Enabled || len(g.Policies) != 0 {
		t.Errorf("after updates, group reads as %+v", g)
	}
	if sa := s.ServiceAccounts["rt-sa-implied"]; sa.Implied || !sameJSON(sa.Policy, writeP) || sa.Name != "signer2" ||
		sa.Description != "signs more" || !sa.Expires.IsZero() || !sa.Enabled {
		t.Errorf("after updates, rt-sa-implied reads as %+v (policy %s)", sa, sa.Policy)
	}
	if sa := s.ServiceAccounts["rt-sa-inline"]; !sa.Implied || sa.Policy != nil || !sa.Enabled {
		t.Errorf("after updates, rt-sa-inline reads as %+v", sa)
	}
	for key, secret := range map[string]string{"rt-user": "rt-secret-2", "rt-sa-implied": "rt-sa-secret-3"} {
		if st, err := c.CheckSecret(ctx, key, secret); err != nil || st != server.SecretMatches {
			t.Errorf("secret of %s after update: %v %v", key, st, err)
		}
	}
	must(t, c.SetUserEnabled(ctx, "rt-user", false))
	users, err := c.ReadUsers(ctx)
	must(t, err)
	if users["rt-user"].Enabled {
		t.Errorf("disabled user reads as enabled")
	}

	// Deletions; deleting what is gone is no error.
	must(t, c.DeleteServiceAccount(ctx, "rt-sa-inline"))
	must(t, c.DeleteServiceAccount(ctx, "rt-sa-inline"))
	must(t, c.SetGroupEnabled(ctx, "rt-group", true))
	must(t, c.RemoveGroupMembers(ctx, "rt-group", "rt-user"))
	must(t, c.DeleteGroup(ctx, "rt-group"))
	must(t, c.DeleteGroup(ctx, "rt-group"))
	must(t, c.DeleteGroup(ctx, "rt-empty"))
	must(t, c.DeleteUser(ctx, "rt-user"))
	must(t, c.DeleteUser(ctx, "rt-user"))
	must(t, c.DeletePolicy(ctx, "rt-write"))
	must(t, c.DeletePolicy(ctx, "rt-read"))
	must(t, c.DeletePolicy(ctx, "rt-read"))
	s, err = c.ReadIAM(ctx)
	must(t, err)
	for name, found := range map[string]bool{
		"user": s.Users["rt-user"].AccessKey != "", "group": s.Groups["rt-group"].Name != "",
		"policy": s.Policies["rt-read"].Name != "", "service account rt-sa-inline": s.ServiceAccounts["rt-sa-inline"].AccessKey != "",
		// Deleting a user deletes its service accounts.
		"service account rt-sa-implied": s.ServiceAccounts["rt-sa-implied"].AccessKey != "",
	} {
		if found {
			t.Errorf("%s still there after deletion", name)
		}
	}
}

// PutUser overwrites an existing user silently (keeping its policies and groups, see
// TestIAMRoundTrip), and turns a disabled service account with that access key into a user; an
// enabled service account's key is refused. The conversion leaves the service account's stored
// record behind, and ExportIAM fails on that server from then on: a server of its own.
func TestPutUserOverServiceAccounts(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, miniotest.Start(t).Endpoint)
	*server.AllowPlainExport = true
	t.Cleanup(func() { *server.AllowPlainExport = false })
	must(t, c.PutUser(ctx, "po-user", "po-user-secret", true))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "po-sa-on", SecretKey: "po-sa-secret", Parent: "po-user"}))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "po-sa-off", SecretKey: "po-sa-secret", Parent: "po-user", Disabled: true}))
	if _, err := c.ReadIAMExport(ctx); err != nil {
		t.Fatalf("ReadIAMExport before: %v", err)
	}
	if err := c.PutUser(ctx, "po-sa-on", "po-new-secret", true); err == nil {
		t.Errorf("PutUser over an enabled service account succeeded")
	} else {
		t.Logf("PutUser over an enabled service account: %s: %v", server.Code(err), err)
	}
	must(t, c.PutUser(ctx, "po-sa-off", "po-new-secret", true))
	users, err := c.ReadUsers(ctx)
	must(t, err)
	if _, ok := users["po-sa-off"]; !ok {
		t.Errorf("the disabled service account's key is not a user after PutUser")
	}
	sas, err := c.ReadServiceAccounts(ctx, nil)
	must(t, err)
	t.Logf("service accounts after the conversion: %v", slices.Sorted(maps.Keys(sas)))
	_, err = c.ReadIAMExport(ctx)
	t.Logf("ReadIAMExport after the conversion: %v", err)
	if err == nil {
		t.Errorf("ReadIAMExport works after the conversion: the server was fixed, update the doc of PutUser")
	}
	must(t, c.DeleteUser(ctx, "po-sa-off"))
	_, err = c.ReadIAMExport(ctx)
	t.Logf("ReadIAMExport after deleting the user: %v", err)
	must(t, c.DeleteUser(ctx, "po-user"))
	_, err = c.ReadIAMExport(ctx)
	t.Logf("ReadIAMExport after deleting the parent: %v", err)
}

// The server refuses to delete a policy attached to a user or a group, and a group with members.
func TestIAMDeletionsRefused(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	must(t, c.PutPolicy(ctx, "dr-policy", policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::dr/*")))
	must(t, c.PutUser(ctx, "dr-user", "dr-secret-1", true))
	must(t, c.AttachUserPolicies(ctx, "dr-user", "dr-policy"))
	err := c.DeletePolicy(ctx, "dr-policy")
	if !server.IsPolicyInUse(err) {
		t.Fatalf("deleting a policy attached to a user: %v (code %q)", err, server.Code(err))
	}
	must(t, c.DetachUserPolicies(ctx, "dr-user", "dr-policy"))
	must(t, c.AddGroupMembers(ctx, "dr-group", "dr-user"))
	must(t, c.AttachGroupPolicies(ctx, "dr-group", "dr-policy"))
	if err := c.DeletePolicy(ctx, "dr-policy"); !server.IsPolicyInUse(err) {
		t.Fatalf("deleting a policy attached to a group: %v", err)
	}
	// A disabled group's policies still count, and PolicyUsers says so.
	must(t, c.SetGroupEnabled(ctx, "dr-group", false))
	if err := c.DeletePolicy(ctx, "dr-policy"); !server.IsPolicyInUse(err) {
		t.Fatalf("deleting a policy attached to a disabled group: %v", err)
	}
	s, err := c.ReadIAM(ctx)
	must(t, err)
	if users, groups := s.PolicyUsers("dr-policy"); len(users) != 0 || !slices.Equal(groups, []string{"dr-group"}) {
		t.Errorf("dr-policy is used by users %v, groups %v; want the disabled group", users, groups)
	}
	must(t, c.SetGroupEnabled(ctx, "dr-group", true))
	if err := c.DeleteGroup(ctx, "dr-group"); !server.IsGroupNotEmpty(err) {
		t.Fatalf("deleting a group with members: %v (code %q)", err, server.Code(err))
	}
	must(t, c.RemoveGroupMembers(ctx, "dr-group", "dr-user"))
	must(t, c.DeleteGroup(ctx, "dr-group")) // its policy mapping goes with it
	must(t, c.DeletePolicy(ctx, "dr-policy"))
	must(t, c.DeleteUser(ctx, "dr-user"))
}

// What the server refuses for disabled identities, and that those refusals come at once.
func TestIAMDisabledRefusals(t *testing.T) {
	ctx := context.Background()
	p := newCountingProxy(t, minioServer.Get(t).Endpoint)
	c := p.client(t)
	must(t, c.PutPolicy(ctx, "dis-policy", policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::dis/*")))
	must(t, c.PutUser(ctx, "dis-user", "dis-secret-1", false))
	must(t, c.AddGroupMembers(ctx, "dis-group", "dis-user")) // a disabled user can join a group
	must(t, c.SetGroupEnabled(ctx, "dis-group", false))
	p.take()

	err := c.AttachUserPolicies(ctx, "dis-user", "dis-policy")
	if !server.IsUserDisabled(err) {
		t.Errorf("attach to a disabled user: %v", err)
	}
	if n := p.take(); n["idp/builtin/policy/attach"] != 1 || n["user-info"] != 1 {
		t.Errorf("attach to a disabled user took %v, want one attach and one user-info", n)
	}
	err = c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "dis-sa", SecretKey: "dis-sa-secret", Parent: "dis-user"})
	if !server.IsUserDisabled(err) {
		t.Errorf("service account of a disabled user: %v", err)
	}
	p.take()
	err = c.AttachGroupPolicies(ctx, "dis-group", "dis-policy")
	if !server.IsGroupDisabled(err) {
		t.Errorf("attach to a disabled group: %v (code %q)", err, server.Code(err))
	}
	if n := p.take(); n["idp/builtin/policy/attach"] != 1 {
		t.Errorf("attach to a disabled group (a 500 InternalError) was retried: %v", n)
	}

	// A service account expiry under 15 minutes away is refused with a 500 that is not retried.
	must(t, c.SetUserEnabled(ctx, "dis-user", true))
	p.take()
	err = c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "dis-sa", SecretKey: "dis-sa-secret",
		Parent: "dis-user", Expires: time.Now().Add(time.Minute)})
	if err == nil || !strings.Contains(err.Error(), "invalid service account expiration") {
		t.Errorf("expiry in a minute: %v", err)
	}
	if n := p.take(); n["add-service-account"] != 1 {
		t.Errorf("refused expiry was retried: %v", n)
	}
	must(t, c.SetGroupEnabled(ctx, "dis-group", true))
	must(t, c.RemoveGroupMembers(ctx, "dis-group", "dis-user"))
	must(t, c.DeleteGroup(ctx, "dis-group"))
	must(t, c.DeleteUser(ctx, "dis-user"))
	must(t, c.DeletePolicy(ctx, "dis-policy"))
}

// An answer that means "not there yet" is retried; the pinned server never gave one in the
// tests (see TestIAMPropagationAcrossNodes), so the proxy answers it once.
func TestIAMNotYetIsRetried(t *testing.T) {
	ctx := context.Background()
	p := newCountingProxy(t, minioServer.Get(t).Endpoint)
	c := p.client(t)
	must(t, c.PutPolicy(ctx, "ny-policy", policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::ny/*")))
	must(t, c.PutUser(ctx, "ny-user", "ny-secret-1", true))
	cases := []struct {
		name, op, code string
		write          func() error
	}{
		{"attach to a user", "idp/builtin/policy/attach", server.CodeNoSuchUser,
			func() error { return c.AttachUserPolicies(ctx, "ny-user", "ny-policy") }},
		{"attach a policy", "idp/builtin/policy/attach", server.CodeNoSuchPolicy,
			func() error { return c.AttachGroupPolicies(ctx, "ny-group", "ny-policy") }},
		{"add a group member", "update-group-members", server.CodeNoSuchUser,
			func() error { return c.AddGroupMembers(ctx, "ny-group", "ny-user") }},
		{"set a group's status", "set-group-status", server.CodeNoSuchGroup,
			func() error { return c.SetGroupEnabled(ctx, "ny-group", true) }},
		{"add a service account", "add-service-account", server.CodeNoSuchUser, func() error {
			return c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "ny-sa", SecretKey: "ny-sa-secret", Parent: "ny-user"})
		}},
		{"update a service account", "update-service-account", server.CodeNoSuchServiceAccount, func() error {
			return c.UpdateServiceAccount(ctx, "ny-sa", server.ServiceAccountUpdate{Name: "n"})
		}},
	}
	for _, tc := range cases {
		if tc.name == "attach a policy" {
			must(t, c.AddGroupMembers(ctx, "ny-group"))
		}
		msg := "The specified resource does not exist."
		if tc.code == server.CodeNoSuchServiceAccount {
			msg = "The specified service account is not found"
		}
		p.setInject(once(adminOp(tc.op), http.StatusNotFound, adminError(tc.code, msg)))
		p.take()
		if err := tc.write(); err != nil {
			t.Errorf("%s after one %s: %v", tc.name, tc.code, err)
		}
		if n := p.take(); n[tc.op] != 2 {
			t.Errorf("%s: %v, want the request twice", tc.name, n)
		}
	}
	p.setInject(nil)
	must(t, c.RemoveGroupMembers(ctx, "ny-group", "ny-user"))
	must(t, c.DeleteGroup(ctx, "ny-group"))
	must(t, c.DeleteUser(ctx, "ny-user"))
	must(t, c.DeletePolicy(ctx, "ny-policy"))
}

// A service account created by an attempt whose answer was lost is recognised by the retry.
func TestAddServiceAccountLostAnswer(t *testing.T) {
	fastRetries(t, 3)
	ctx := context.Background()
	p := newCountingProxy(t, minioServer.Get(t).Endpoint)
	c := p.client(t)
	must(t, c.PutUser(ctx, "la-user", "la-user-secret", true))
	must(t, c.PutUser(ctx, "la-other", "la-other-secret", true))
	p.setInject(once(adminOp("add-service-account"), loseAnswer, ""))
	p.take()
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "la-sa", SecretKey: "la-sa-secret", Parent: "la-user"}))
	if n := p.take(); n["add-service-account"] != 2 {
		t.Errorf("requests: %v, want two add-service-account", n)
	}
	// Someone else's account with that key is still refused.
	err := c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "la-sa", SecretKey: "la-sa-secret", Parent: "la-other"})
	if !server.IsAccessKeyTaken(err) {
		t.Errorf("adding a taken key for another parent: %v", err)
	}
	must(t, c.DeleteUser(ctx, "la-user"))
	must(t, c.DeleteUser(ctx, "la-other"))
}

// CheckSecret classifies the answer to a request signed with a declared key pair, for users
// and service accounts, enabled and disabled, right and wrong secrets.
func TestCheckSecret(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	must(t, c.PutUser(ctx, "cs-user", "cs-user-secret", true))
	must(t, c.PutUser(ctx, "cs-off", "cs-off-secret", false))
	must(t, c.PutUser(ctx, "cs-parent-off", "cs-parent-secret", true))
	for _, sa := range []server.NewServiceAccount{
		{AccessKey: "cs-sa", SecretKey: "cs-sa-secret", Parent: "cs-user"},
		{AccessKey: "cs-sa-off", SecretKey: "cs-sa-off-secret", Parent: "cs-user", Disabled: true},
		{AccessKey: "cs-sa-orphan", SecretKey: "cs-sa-orphan-secret", Parent: "cs-parent-off"},
	} {
		must(t, c.AddServiceAccount(ctx, sa))
	}
	must(t, c.SetUserEnabled(ctx, "cs-parent-off", false))
	cases := []struct {
		key, secret string
		want        server.SecretState
	}{
		{miniotest.AccessKey, miniotest.SecretKey, server.SecretMatches}, // root: NoSuchBucket
		{miniotest.AccessKey, "not-the-root-secret", server.SecretDiffers},
		{"cs-user", "cs-user-secret", server.SecretMatches}, // AccessDenied
		{"cs-user", "cs-user-wrong", server.SecretDiffers},
		{"cs-off", "cs-off-secret", server.SecretKeyDisabled},
		{"cs-off", "cs-off-wrong", server.SecretKeyDisabled},
		{"cs-sa", "cs-sa-secret", server.SecretMatches},
		{"cs-sa", "cs-sa-wrong", server.SecretDiffers},
		{"cs-sa-off", "cs-sa-off-secret", server.SecretKeyDisabled},
		{"cs-sa-off", "cs-sa-off-wrong", server.SecretKeyDisabled},
		// A service account of a disabled user authenticates (with no rights).
		{"cs-sa-orphan", "cs-sa-orphan-secret", server.SecretMatches},
		{"cs-sa-orphan", "cs-sa-orphan-wrong", server.SecretDiffers},
		{"cs-nobody", "cs-nobody-secret", server.SecretKeyUnknown},
	}
	for _, tc := range cases {
		got, err := c.CheckSecret(ctx, tc.key, tc.secret)
		if err != nil || got != tc.want {
			t.Errorf("CheckSecret(%s, %s) = %v, %v; want %v", tc.key, tc.secret, got, err, tc.want)
		}
	}
	must(t, c.DeleteUser(ctx, "cs-user"))
	must(t, c.DeleteUser(ctx, "cs-off"))
	must(t, c.DeleteUser(ctx, "cs-parent-off"))
}

// No error of a request that carries a secret shows it: neither the server's real refusals nor
// an answer that echoes it (injected by the proxy).
func TestIAMErrorsHideSecrets(t *testing.T) {
	ctx := context.Background()
	p := newCountingProxy(t, minioServer.Get(t).Endpoint)
	c := p.client(t)
	const secret = "hs-SECRET-0123456789"
	must(t, c.PutUser(ctx, "hs-user", "hs-user-secret", true))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "hs-sa", SecretKey: "hs-sa-secret", Parent: "hs-user"}))
	writes := map[string]func() error{
		"PutUser": func() error { return c.PutUser(ctx, "hs", secret, true) }, // access key too short
		"AddServiceAccount": func() error {
			return c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "hs-sa", SecretKey: secret, Parent: "hs-user"}) // taken
		},
		"UpdateServiceAccount": func() error {
			soon := time.Now().Add(time.Minute) // refused: under 15 minutes
			return c.UpdateServiceAccount(ctx, "hs-sa", server.ServiceAccountUpdate{SecretKey: secret, Expires: &soon})
		},
		"CheckSecret": func() error {
			_, err := c.CheckSecret(ctx, "hs-sa", secret) // differs: no error, so injected below
			return err
		},
	}
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			if what != "CheckSecret" {
				t.Errorf("%s: no error", what)
			}
			return
		}
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), server.Explain(err).Error()} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: the secret appears in %q", what, text)
			}
		}
	}
	for what, write := range writes {
		check(what, write())
	}
	// The server's answer echoes the secret: the error must not.
	echo := func(r *http.Request) (int, string) {
		if strings.HasPrefix(r.URL.Path, "/minio/admin/") {
			return http.StatusBadRequest, adminError("XMinioAdminInvalidSecretKey", "rejected "+secret)
		}
		return http.StatusBadRequest, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code><Message>rejected ` +
			secret + `</Message><Resource>/` + secret + `</Resource></Error>`
	}
	p.setInject(echo)
	for what, write := range writes {
		err := write()
		if err == nil {
			t.Errorf("%s: no error for an injected refusal", what)
			continue
		}
		check(what+" (echoed)", err)
		if code := server.Code(err); code != "XMinioAdminInvalidSecretKey" && code != "InvalidRequest" {
			t.Errorf("%s: the scrubbed error lost its code: %q", what, code)
		}
		var re *server.RequestError
		if !errors.As(err, &re) {
			t.Errorf("%s: the scrubbed error lost its RequestError", what)
		}
	}
	p.setInject(nil)
	must(t, c.DeleteUser(ctx, "hs-user"))
}

// A service account acts with its inline policy intersected with its parent's rights: a PUT
// signed as the account succeeds where both allow it, and is refused where only one does. A
// disabled parent takes every right away.
func TestServiceAccountRightsAreIntersection(t *testing.T) {
	ctx := context.Background()
	srv := minioServer.Get(t)
	c := client(t)
	const bucket = "sa-rights"
	must(t, c.MakeBucket(ctx, bucket, false))
	parent := policyDoc("Allow", []string{"s3:PutObject"}, "arn:aws:s3:::"+bucket+"/runs/*", "arn:aws:s3:::"+bucket+"/shared/*")
	inline := policyDoc("Allow", []string{"s3:PutObject"}, "arn:aws:s3:::"+bucket+"/runs/*", "arn:aws:s3:::"+bucket+"/other/*")
	must(t, c.PutPolicy(ctx, "sar-parent", parent))
	must(t, c.PutUser(ctx, "sar-user", "sar-user-secret", true))
	must(t, c.AttachUserPolicies(ctx, "sar-user", "sar-parent"))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "sar-inline", SecretKey: "sar-inline-secret", Parent: "sar-user", Policy: inline}))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "sar-implied", SecretKey: "sar-implied-secret", Parent: "sar-user"}))
	put := func(key, secret, object string) int {
		t.Helper()
		mc, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(key, secret, ""), Region: "us-east-1"})
		must(t, err)
		_, err = mc.PutObject(ctx, bucket, object, bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{})
		if err == nil {
			return 200
		}
		return minio.ToErrorResponse(err).StatusCode
	}
	cases := []struct {
		key, secret, object string
		want                int
	}{
		{"sar-inline", "sar-inline-secret", "runs/a", 200},   // both allow
		{"sar-inline", "sar-inline-secret", "other/a", 403},  // only the inline policy
		{"sar-inline", "sar-inline-secret", "shared/a", 403}, // only the parent
		{"sar-implied", "sar-implied-secret", "runs/a", 200},
		{"sar-implied", "sar-implied-secret", "shared/a", 200},
		{"sar-implied", "sar-implied-secret", "other/a", 403},
	}
	for _, tc := range cases {
		if got := put(tc.key, tc.secret, tc.object); got != tc.want {
			t.Errorf("PUT %s as %s: %d, want %d", tc.object, tc.key, got, tc.want)
		}
	}
	must(t, c.SetUserEnabled(ctx, "sar-user", false))
	if got := put("sar-implied", "sar-implied-secret", "runs/b"); got != 403 {
		t.Errorf("PUT as a service account of a disabled user: %d, want 403", got)
	}
	must(t, c.DeleteUser(ctx, "sar-user"))
	must(t, c.DeletePolicy(ctx, "sar-parent"))
}

// How many requests each read and write costs (printed with -v), and that the reads cost what
// their documentation says.
func TestIAMRequestCounts(t *testing.T) {
	ctx := context.Background()
	srv := miniotest.Start(t) // its own server: the reads count every identity
	p := newCountingProxy(t, srv.Endpoint)
	c := p.client(t)
	doc := policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::rc/*")
	report := func(what string, want int) {
		t.Helper()
		n := p.take()
		t.Logf("%-44s %2d requests %v", what, sum(n), n)
		if want >= 0 && sum(n) != want {
			t.Errorf("%s: %d requests, want %d", what, sum(n), want)
		}
	}
	must(t, c.PutPolicy(ctx, "rc-policy", doc))
	report("PutPolicy", 1)
	for i := range 3 {
		must(t, c.PutUser(ctx, fmt.Sprintf("rc-user%d", i), "rc-user-secret", true))
	}
	report("PutUser x3", 3)
	must(t, c.AttachUserPolicies(ctx, "rc-user0", "rc-policy"))
	report("AttachUserPolicies", 1)
	must(t, c.DetachUserPolicies(ctx, "rc-user0", "rc-policy"))
	report("DetachUserPolicies", 1)
	must(t, c.AddGroupMembers(ctx, "rc-group", "rc-user0", "rc-user1"))
	report("AddGroupMembers (creates the group)", 1)
	must(t, c.AttachGroupPolicies(ctx, "rc-group", "rc-policy"))
	report("AttachGroupPolicies", 1)
	must(t, c.SetGroupEnabled(ctx, "rc-group", true))
	report("SetGroupEnabled", 1)
	must(t, c.SetUserEnabled(ctx, "rc-user2", true))
	report("SetUserEnabled", 1)
	for i := range 4 { // rc-user0 has 4 accounts, 2 of them inline
		sa := server.NewServiceAccount{AccessKey: fmt.Sprintf("rc-sa0-%d", i), SecretKey: "rc-sa-secret", Parent: "rc-user0"}
		if i%2 == 0 {
			sa.Policy = doc
		}
		must(t, c.AddServiceAccount(ctx, sa))
	}
	report("AddServiceAccount x4", 4)
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "rc-sa1", SecretKey: "rc-sa-secret", Parent: "rc-user1", Disabled: true}))
	report("AddServiceAccount, disabled", 2)
	must(t, c.UpdateServiceAccount(ctx, "rc-sa1", server.ServiceAccountUpdate{SecretKey: "rc-sa-secret2"}))
	report("UpdateServiceAccount", 1)
	if _, err := c.CheckSecret(ctx, "rc-sa1", "rc-sa-secret2"); err != nil {
		t.Fatal(err)
	}
	report("CheckSecret", 1)

	_, err := c.ReadUsers(ctx)
	must(t, err)
	report("ReadUsers (3 users)", 1)
	_, err = c.ReadPolicies(ctx)
	must(t, err)
	report("ReadPolicies", 1)
	_, err = c.ReadGroups(ctx)
	must(t, err)
	report("ReadGroups (1 group)", 2)
	// 5 accounts of 2 parents, 2 inline: 1 bulk + 2 lists + 2 infos beats 1 + 5 infos.
	sas, err := c.ReadServiceAccounts(ctx, nil)
	must(t, err)
	report("ReadServiceAccounts (5 of 2 parents, 2 inline)", 5)
	if len(sas) != 5 {
		t.Errorf("read %d service accounts, want 5", len(sas))
	}
	// rc-user1's single account: 1 bulk + 1 info.
	_, err = c.ReadServiceAccounts(ctx, []string{"rc-user1"})
	must(t, err)
	report("ReadServiceAccounts (rc-user1: 1 account)", 2)
	_, err = c.ReadIAM(ctx)
	must(t, err)
	report("ReadIAM", 1+1+2+5)

	must(t, c.DeleteServiceAccount(ctx, "rc-sa1"))
	report("DeleteServiceAccount", 1)
	must(t, c.RemoveGroupMembers(ctx, "rc-group", "rc-user0", "rc-user1"))
	report("RemoveGroupMembers", 1)
	must(t, c.DeleteGroup(ctx, "rc-group"))
	report("DeleteGroup", 1)
	must(t, c.DeleteUser(ctx, "rc-user0"))
	report("DeleteUser", 1)
	must(t, c.DeletePolicy(ctx, "rc-policy"))
	report("DeletePolicy", 1)
}

// ReadIAMExport reads in one request exactly what ReadIAM reads, and keeps no secret. Without
// TLS it refuses.
func TestReadIAMExport(t *testing.T) {
	ctx := context.Background()
	c := client(t)
	if _, err := c.ReadIAMExport(ctx); !errors.Is(err, server.ErrExportNeedsTLS) {
		t.Fatalf("ReadIAMExport over http: %v", err)
	}
	*server.AllowPlainExport = true
	t.Cleanup(func() { *server.AllowPlainExport = false })

	doc := policyDoc("Allow", []string{"s3:GetObject"}, "arn:aws:s3:::ex/*")
	secrets := []string{"ex-secret-user-1", "ex-secret-user-2", "ex-secret-sa-1", "ex-secret-sa-2", "ex-secret-sa-3"}
	must(t, c.PutPolicy(ctx, "ex-policy", doc))
	must(t, c.PutUser(ctx, "ex-user1", secrets[0], true))
	must(t, c.PutUser(ctx, "ex-user2", secrets[1], false))
	must(t, c.AttachUserPolicies(ctx, "ex-user1", "ex-policy", "readonly"))
	must(t, c.AddGroupMembers(ctx, "ex-group", "ex-user1", "ex-user2"))
	must(t, c.AttachGroupPolicies(ctx, "ex-group", "ex-policy"))
	must(t, c.SetGroupEnabled(ctx, "ex-group", false))
	must(t, c.AddGroupMembers(ctx, "ex-empty"))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "ex-sa1", SecretKey: secrets[2], Parent: "ex-user1",
		Name: "one", Description: "the first", Expires: time.Now().Add(30 * 24 * time.Hour)}))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "ex-sa2", SecretKey: secrets[3], Parent: "ex-user1", Policy: doc, Disabled: true}))
	must(t, c.AddServiceAccount(ctx, server.NewServiceAccount{AccessKey: "ex-sa3", SecretKey: secrets[4], Parent: miniotest.AccessKey, Policy: doc}))
	must(t, c.UpdateServiceAccount(ctx, "ex-sa3", server.ServiceAccountUpdate{})) // back to implied

	listed, err := c.ReadIAM(ctx)
	must(t, err)
	exported, err := c.ReadIAMExport(ctx)
	must(t, err)
	if g := listed.Groups["ex-group"]; !slices.Equal(g.Policies, []string{"ex-policy"}) {
		t.Errorf("a disabled group's policies read as %v", g.Policies) // the server's description omits them
	}
	// The server's documents list actions in no fixed order, one read to the next: compare
	// them as JSON with arrays as sets.
	for name, p := range listed.Policies {
		if q := exported.Policies[name]; sameJSONSets(p.Document, q.Document) {
			exported.Policies[name] = p
		}
	}
	for key, sa := range listed.ServiceAccounts {
		if q := exported.ServiceAccounts[key]; sameJSONSets(sa.Policy, q.Policy) {
			q.Policy = sa.Policy
			exported.ServiceAccounts[key] = q
		}
	}
	if !reflect.DeepEqual(listed, exported) {
		for _, diff := range []struct {
			what string
			a, b any
		}{{"users", listed.Users, exported.Users}, {"policies", listed.Policies, exported.Policies},
			{"groups", listed.Groups, exported.Groups}, {"service accounts", listed.ServiceAccounts, exported.ServiceAccounts}} {
			if !reflect.DeepEqual(diff.a, diff.b) {
				t.Errorf("%s differ:\nReadIAM       %+v\nReadIAMExport %+v", diff.what, diff.a, diff.b)
			}
		}
	}
	if len(exported.ServiceAccounts["ex-sa1"].Name) == 0 || !exported.ServiceAccounts["ex-sa3"].Implied || exported.ServiceAccounts["ex-sa2"].Implied {
		t.Errorf("exported service accounts: %+v", exported.ServiceAccounts)
	}
	text := fmt.Sprintf("%+v %#v", exported, exported)
	for _, s := range append(secrets, miniotest.SecretKey) {
		if strings.Contains(text, s) {
			t.Errorf("the secret %s is in the result of ReadIAMExport", s)
		}
	}
	must(t, c.DeleteServiceAccount(ctx, "ex-sa3"))
	must(t, c.SetGroupEnabled(ctx, "ex-group", true))
	must(t, c.RemoveGroupMembers(ctx, "ex-group", "ex-user1", "ex-user2"))
	must(t, c.DeleteGroup(ctx, "ex-group"))
	must(t, c.DeleteGroup(ctx, "ex-empty"))
	must(t, c.DeleteUser(ctx, "ex-user1"))
	must(t, c.DeleteUser(ctx, "ex-user2"))
	must(t, c.DeletePolicy(ctx, "ex-policy"))
}
