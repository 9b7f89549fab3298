package server

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"
)

// ErrExportNeedsTLS is returned by ReadIAMExport on a connection without TLS.
var ErrExportNeedsTLS = errors.New("ExportIAM answers with every secret key in plain text, which over http is on the wire: read with ReadIAM, or connect with TLS")

// allowPlainExport lets tests, which run MinIO over http, use ReadIAMExport.
var allowPlainExport = false

// maxExport bounds the size of an ExportIAM answer read into memory.
const maxExport = 512 << 20

// ReadIAMExport reads what ReadIAM reads, in one request (ExportIAM) instead of one per group
// and about one per service account. It is the fast read of a large IAM: ReadIAM's service
// account requests are encrypted by madmin-go and the server with a key derived by argon2id for
// each message, one at a time per process, so 1,000 service accounts take a minute or more
// whatever the parallelism, where the export takes well under a second (iam_figures_test.go).
//
// The price: the server's answer holds every user's and service account's secret key in plain
// text, not encrypted by the admin API. So:
//   - it refuses to run without TLS (ErrExportNeedsTLS), where the secrets would be on the wire;
//   - the decoder never keeps a secret: it decodes into types without secret fields, and
//     clears its copy of the raw answer before returning (best effort: buffers of the HTTP
//     and zip readers are left to the garbage collector);
//   - it needs admin:ExportIAM, the right to read every secret. A denied export answers
//     AccessDenied: fall back to ReadIAM.
//
// The result equals ReadIAM's (a test compares the two). The server builds the export from
// storage rather than from its cache, one read per identity on its side, and fails on a record
// it cannot resolve (one left by PutUser over a disabled service account): fall back to ReadIAM
// on any error.
func (c *Client) ReadIAMExport(ctx context.Context) (IAM, error) {
	if !c.target.Secure && !allowPlainExport {
		return IAM{}, ErrExportNeedsTLS
	}
	var raw []byte
	err := c.call(ctx, "admin:ExportIAM", "", true, func(ctx context.Context) error {
		body, err := c.admin.ExportIAM(ctx)
		if err != nil {
			return err
		}
		defer body.Close()
		clear(raw) // a failed earlier attempt
		raw, err = io.ReadAll(io.LimitReader(body, maxExport+1))
		return err
	})
	defer clear(raw)
	if err != nil {
		return IAM{}, fmt.Errorf("export IAM: %w", err)
	}
	if len(raw) > maxExport {
		return IAM{}, fmt.Errorf("export IAM: the answer is larger than %d MiB", maxExport>>20)
	}
	s, err := decodeExport(raw)
	if err != nil {
		return IAM{}, fmt.Errorf("export IAM: %w", err)
	}
	return s, nil
}

// The files of an ExportIAM zip that ReadIAMExport reads, and how it decodes them: into types
// without the secretKey fields the server writes in users.json and svcaccts.json, so that the
// secrets are skipped by the JSON decoder and never stored.
type (
	exportUser struct {
		Status string `json:"status"` // enabled | disabled
	}
	exportGroup struct {
		Status  string   `json:"status"` // enabled | disabled
		Members []string `json:"members"`
	}
	exportMapping struct {
		Policies string `json:"policy"` // comma-separated
	}
	exportServiceAccount struct {
		Parent        string          `json:"parent"`
		AccessKey     string          `json:"accessKey"`
		SessionPolicy json.RawMessage `json:"sessionPolicy"`
		Status        string          `json:"status"` // on | off
		Name          string          `json:"name"`
		Description   string          `json:"description"`
		Expiration    *time.Time      `json:"expiration"`
	}
)

func decodeExport(raw []byte) (IAM, error) {
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return IAM{}, err
	}
	var (
		policies       map[string]json.RawMessage
		users          map[string]exportUser
		groups         map[string]exportGroup
		userMappings   map[string]exportMapping
		groupMappings  map[string]exportMapping
		serviceAccount map[string]exportServiceAccount
	)
	files := map[string]any{
		"iam-assets/policies.json": &policies, "iam-assets/users.json": &users, "iam-assets/groups.json": &groups,
		"iam-assets/user_mappings.json": &userMappings, "iam-assets/group_mappings.json": &groupMappings,
		"iam-assets/svcaccts.json": &serviceAccount,
	}
	for _, f := range zr.File {
		into, ok := files[f.Name]
		if !ok {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return IAM{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		err = json.NewDecoder(r).Decode(into)
		r.Close()
		if err != nil {
			return IAM{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		delete(files, f.Name)
	}
	for name := range files {
		return IAM{}, fmt.Errorf("the export has no %s", name)
	}

	s := IAM{
		Users:           make(map[string]User, len(users)),
		Policies:        make(map[string]Policy, len(policies)),
		Groups:          make(map[string]Group, len(groups)),
		ServiceAccounts: make(map[string]ServiceAccount, len(serviceAccount)),
	}
	for name, doc := range policies {
		s.Policies[name] = Policy{Name: name, Document: compact(doc)}
	}
	memberOf := map[string][]string{}
	for name, g := range groups {
		members := slices.Clone(g.Members)
		sort.Strings(members)
		for _, m := range members {
			memberOf[m] = append(memberOf[m], name)
		}
		s.Groups[name] = Group{Name: name, Enabled: g.Status == "enabled", Members: members, Policies: splitPolicies(groupMappings[name].Policies)}
	}
	for key, u := range users {
		in := memberOf[key]
		sort.Strings(in)
		s.Users[key] = User{AccessKey: key, Enabled: u.Status == "enabled", Policies: splitPolicies(userMappings[key].Policies), Groups: in}
	}
	for key, a := range serviceAccount {
		sa := ServiceAccount{
			AccessKey: key, Parent: a.Parent, Enabled: a.Status == "on", Name: a.Name, Description: a.Description,
			Expires: expiry(a.Expiration), Implied: impliedPolicy(a.SessionPolicy),
		}
		if !sa.Implied {
			sa.Policy = compact(a.SessionPolicy)
		}
		s.ServiceAccounts[key] = sa
	}
	return s, nil
}

// impliedPolicy reports whether a service account's session policy leaves it with its parent's
// rights, by the server's rule: no policy, or one without version and statements.
func impliedPolicy(doc json.RawMessage) bool {
	if len(bytes.TrimSpace(doc)) == 0 || bytes.Equal(bytes.TrimSpace(doc), []byte("null")) {
		return true
	}
	var p struct {
		Version   string
		Statement []json.RawMessage
	}
	if json.Unmarshal(doc, &p) != nil {
		return false
	}
	return p.Version == "" && len(p.Statement) == 0
}
