package policy

import (
	"strings"
	"testing"
)

// The same identity policy as MinIO may store it back: keys in another order, single values as
// lists, statements split and reordered, actions repeated, Version written where it was left
// out. They compare equal with the machinery bucket policies use.
func TestIdentityEqualIgnoresNormalisation(t *testing.T) {
	declared := `{"Statement":[
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"},
		{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"runs/*"}}}]}`
	for name, stored := range map[string]string{
		"key order and lists": `{"Version":"2012-10-17","Statement":[
			{"Resource":["arn:aws:s3:::b"],"Condition":{"StringLike":{"s3:prefix":["runs/*"]}},"Action":["s3:ListBucket"],"Effect":"Allow"},
			{"Resource":["arn:aws:s3:::b/runs/*"],"Action":["s3:PutObject"],"Effect":"Allow"}]}`,
		"duplicated actions": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["s3:PutObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/runs/*","arn:aws:s3:::b/runs/*"]},
			{"Effect":"Allow","Action":["s3:ListBucket"],"Resource":["arn:aws:s3:::b"],"Condition":{"StringLike":{"s3:prefix":["runs/*"]}}},
			{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"}]}`,
		"single statement object": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"runs/*"}}},
			{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"}]}`,
	} {
		if !Equal(MustParseIdentity(declared), MustParseIdentity(stored)) {
			t.Errorf("%s: semantically equal identity policies compare unequal", name)
		}
	}
	// What bucketform writes parses back to the same grants.
	d := MustParseIdentity(declared)
	if d.Version != "2012-10-17" {
		t.Errorf("a policy without Version has Version %q, want 2012-10-17", d.Version)
	}
	if back := MustParseIdentity(d.JSON()); !Equal(back, d) || strings.Contains(d.JSON(), "Principal") {
		t.Errorf("does not round-trip: %s", d.JSON())
	}
}

func TestIdentityEqualSeesEverySemanticDifference(t *testing.T) {
	base := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"}]}`
	for name, other := range map[string]string{
		"extra action":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/runs/*"}]}`,
		"deny":           `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"}]}`,
		"other resource": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"condition":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
		"id":             `{"Version":"2012-10-17","Id":"x","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"}]}`,
		"extra admin":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"},{"Effect":"Allow","Action":"admin:ServerInfo"}]}`,
	} {
		if Equal(MustParseIdentity(base), MustParseIdentity(other)) {
			t.Errorf("%s: different identity policies compare equal", name)
		}
	}
	// A bucket policy granting the same to everyone is another policy.
	bucket := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"}]}`)
	if Equal(MustParseIdentity(base), bucket) {
		t.Error("an identity policy equals a bucket policy")
	}
}

func TestParseIdentity(t *testing.T) {
	admin := MustParseIdentity(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:ServerInfo","kms:Status"]}]}`)
	if g := admin.Grants(); len(g) != 2 || g[0].String() != "Allow admin:ServerInfo" {
		t.Errorf("admin grants %v", g)
	}
	if d, err := ParseIdentity(""); err != nil || !d.IsEmpty() {
		t.Errorf("empty text: %v %v", d, err)
	}
	for name, text := range map[string]string{
		"principal":             `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"old version":           `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"s3 without resource":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`,
		"star without resource": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}`,
		"unknown service":       `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"arn:aws:s3:::b/*"}]}`,
		"empty action":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:","Resource":"arn:aws:s3:::b/*"}]}`,
		"no statement":          `{"Version":"2012-10-17","Statement":[]}`,
		"bad resource":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"b/*"}]}`,
	} {
		if _, err := ParseIdentity(text); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
	// A bucket policy still needs its Principal and its Version.
	if _, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`); err == nil {
		t.Error("a bucket policy without Principal parsed")
	}
}
