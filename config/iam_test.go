package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/policy"
)

// iamEnv is the environment of the IAM fixtures: the MinIO keys and the identities' secrets.
var iamEnv = envMap(map[string]string{
	EnvAccessKey: "root", EnvSecretKey: "root-secret",
	"TENANT_SECRET_KEY": "tenant-secret", "SIGNER_SECRET_KEY": "signer-secret", "CI_SECRET_KEY": "ci-secret-1",
})

func loadIAM(t *testing.T) *Config {
	t.Helper()
	// The fixture's expiry is fixed, and MinIO takes one at most a year ahead: load it then.
	return loadValid(t, "iam", Options{LookupEnv: iamEnv, Vars: []VarSource{{Assignment: "api_secret=api-secret-1"}}, Now: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
}

func TestValidIAM(t *testing.T) {
	cfg := loadIAM(t)

	var policies []string
	for _, p := range cfg.Policies {
		policies = append(policies, p.Address+" "+p.Name)
	}
	wantPolicies := []string{"policy.artifact_writer bitflow-artifact-writer", "policy.reader reader",
		`policy.tenant["acme"] tenant-acme`, `policy.tenant["globex"] tenant-globex`, "policy.signer signer"}
	if !reflect.DeepEqual(policies, wantPolicies) {
		t.Errorf("policies = %q\nwant       %q", policies, wantPolicies)
	}
	writer := cfg.Policies[0]
	wantWriter := policy.MustParseIdentity(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bitflow-data/runs/*"},
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bitflow-data","Condition":{"StringLike":{"s3:prefix":"runs/*"}}},
		{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bitflow-data/*"}]}`)
	if !policy.Equal(writer.Document, wantWriter) || writer.Deployment != "main" {
		t.Errorf("artifact_writer = %s", writer.Document.JSON())
	}
	if got := writer.Attrs.Sorted(); !reflect.DeepEqual(got, []IAMAttr{IAMDocument, IAMName}) || writer.Attrs[IAMName].Start.Line != 24 {
		t.Errorf("artifact_writer declares %v (name at line %d)", got, writer.Attrs[IAMName].Start.Line)
	}
	if cfg.Policies[1].Attrs.Has(IAMName) {
		t.Error("policy.reader declares no name; it defaults to the label")
	}

	if len(cfg.Users) != 3 {
		t.Fatalf("%d users", len(cfg.Users))
	}
	api := cfg.Users[0]
	if api.Address != "user.api" || api.AccessKey != "bitflow-api" || api.SecretKey.Value() != "api-secret-1" || !api.Enabled ||
		!reflect.DeepEqual(api.Policies, []IAMRef{{Name: "bitflow-artifact-writer", Address: "policy.artifact_writer"}}) ||
		!reflect.DeepEqual(api.Attrs.Sorted(), []IAMAttr{IAMAccessKey, IAMEnabled, IAMPolicies, IAMSecretKey}) {
		t.Errorf("user.api = %+v %v", api, api.Attrs.Sorted())
	}
	acme := cfg.Users[1]
	if acme.Address != `user.tenant["acme"]` || acme.AccessKey != "tenant-acme" || acme.Attrs.Has(IAMEnabled) ||
		!reflect.DeepEqual(acme.Policies, []IAMRef{{Name: "tenant-acme", Address: `policy.tenant["acme"]`}}) {
		t.Errorf("user.tenant[acme] = %+v", acme)
	}

	readers, auditors := cfg.Groups[0], cfg.Groups[1]
	if readers.Name != "bitflow-readers" || !reflect.DeepEqual(readers.Members, []IAMRef{{Name: "bitflow-api", Address: "user.api"}, {Name: "someone-else"}}) ||
		!reflect.DeepEqual(readers.Policies, []IAMRef{{Name: "reader", Address: "policy.reader"}}) || readers.Attrs.Has(IAMEnabled) {
		t.Errorf("group.readers = %+v", readers)
	}
	if auditors.Name != "auditors" || !auditors.Attrs.Has(IAMEnabled) || auditors.Enabled ||
		auditors.Attrs.Has(IAMMembers) || auditors.Attrs.Has(IAMPolicies) {
		t.Errorf("group.auditors = %+v", auditors)
	}

	signer, ci := cfg.ServiceAccounts[0], cfg.ServiceAccounts[1]
	if signer.User != (IAMRef{Name: "bitflow-api", Address: "user.api"}) || signer.AccessKey != "bitflow-signer" ||
		signer.SecretKey.Value() != "signer-secret" || signer.PolicyFrom != "policy.signer" ||
		!policy.Equal(signer.Policy, cfg.Policies[4].Document) || !signer.Expires.Equal(time.Date(2099, 6, 30, 0, 0, 0, 0, time.UTC)) ||
		signer.Name != "signer" || signer.Description != "signs BitFlow upload URLs" || signer.Attrs.Has(IAMEnabled) {
		t.Errorf("service_account.signer = %+v", signer)
	}
	if ci.User != (IAMRef{Name: "ci-bot"}) || ci.PolicyFrom != "" || !ci.Attrs.Has(IAMPolicy) || ci.Attrs.Has(IAMExpires) ||
		!policy.Equal(ci.Policy, policy.MustParseIdentity(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bitflow-data/*"}]}`)) {
		t.Errorf("service_account.ci = %+v", ci)
	}

	public, reader := cfg.SigningEndpoints[0], cfg.SigningEndpoints[1]
	if public.Identity != "service_account.signer" || public.Creds != (Credentials{AccessKey: "bitflow-signer", SecretKey: "signer-secret", Known: true}) {
		t.Errorf("signing_endpoint.public = %+v", public)
	}
	if reader.Identity != "user.api" || reader.Creds.AccessKey != "bitflow-api" || reader.Creds.SecretKey != "api-secret-1" {
		t.Errorf("signing_endpoint.reader = %+v", reader)
	}

	var removed []string
	for _, r := range cfg.Removed {
		removed = append(removed, fmt.Sprintf("%s %s %s keep=%v", r.Deployment, r.Kind, r.Name, r.Keep))
	}
	wantRemoved := []string{"main policy old-policy keep=false", "main user old-user keep=true", "main group old-group keep=false", "main service_account old-sa keep=false"}
	if !reflect.DeepEqual(removed, wantRemoved) || cfg.Removed[0].Bucket != "" {
		t.Errorf("removed = %q", removed)
	}

	if v := outputValue(t, cfg, "signer_access_key").Value; !v.RawEquals(cty.StringVal("bitflow-signer")) {
		t.Errorf("service_account.signer.access_key = %#v", v)
	}
	if v := outputValue(t, cfg, "writer_policy").Value; !v.RawEquals(cty.StringVal("bitflow-artifact-writer")) {
		t.Errorf("policy.artifact_writer.name = %#v", v)
	}
	if v := outputValue(t, cfg, "tenant_users").Value; !v.RawEquals(cty.TupleVal([]cty.Value{cty.StringVal("tenant-acme"), cty.StringVal("tenant-globex")})) {
		t.Errorf("tenant users = %#v", v)
	}
}

// References to identities expose their name and access key, never a secret.
func TestIAMReferencesHoldNoSecret(t *testing.T) {
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": header + `
variable "s" {
  type      = string
  sensitive = true
  default   = "the-secret-value"
}
user "u" {
  access_key = "some-user"
  secret_key = var.s
}
service_account "sa" {
  user       = user.u
  access_key = "some-sa"
  secret_key = var.s
}
output "u" {
  value = user.u
}
output "sa" {
  value = service_account.sa
}
output "secret" {
  value = user.u.secret_key
}
`}, Options{})
	if len(diags) != 1 || diags[0].Summary != "Unsupported attribute" || !strings.Contains(diags[0].Detail, "secret_key") ||
		strings.Contains(diags[0].Detail, "the-secret-value") {
		t.Fatalf("want one error for user.u.secret_key, got %v", diags)
	}
	for _, o := range cfg.Outputs[:2] {
		if strings.Contains(o.Value.GoString(), "the-secret-value") || o.Value.ContainsMarked() {
			t.Errorf("output %s = %#v", o.Name, o.Value)
		}
	}
	if got := cfg.Outputs[0].Value; !got.RawEquals(cty.ObjectVal(map[string]cty.Value{"access_key": cty.StringVal("some-user"), "minio": cty.StringVal("main")})) {
		t.Errorf("user.u = %#v", got)
	}
}

// No printer shows a secret key: not fmt with any verb, not JSON.
func TestSecretsNeverPrinted(t *testing.T) {
	cfg := loadIAM(t)
	secrets := []string{"api-secret-1", "signer-secret", "tenant-secret", "ci-secret-1"}
	var out strings.Builder
	for _, u := range cfg.Users {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
			fmt.Fprintf(&out, verb+"\n", u)
			fmt.Fprintf(&out, verb+"\n", *u)
			fmt.Fprintf(&out, verb+"\n", u.SecretKey)
		}
		b, _ := json.Marshal(u)
		out.Write(b)
	}
	for _, s := range cfg.ServiceAccounts {
		for _, verb := range []string{"%v", "%+v", "%#v", "%d"} {
			fmt.Fprintf(&out, verb+"\n", s)
			fmt.Fprintf(&out, verb+"\n", *s)
		}
		b, _ := json.Marshal(s)
		out.Write(b)
	}
	for _, s := range cfg.SigningEndpoints {
		fmt.Fprintf(&out, "%v %+v %#v\n", s, *s, *s)
	}
	for _, secret := range secrets {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("a printer shows the secret %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "(sensitive)") {
		t.Errorf("secrets print as:\n%s", out.String())
	}
	if (Secret{}).String() != "(unknown secret)" || NewSecret("x").Value() != "x" || !NewSecret("x").Known() {
		t.Error("Secret accessors")
	}
}

// Not declared is not the same as false or empty.
func TestIAMDeclaredAndUndeclared(t *testing.T) {
	cfg := mustLoad(t, `
variable "s" {
  type      = string
  sensitive = true
  default   = "secret-value"
}
user "bare" {
  access_key = "bare-user"
  secret_key = var.s
}
user "off" {
  access_key = "off-user"
  secret_key = var.s
  enabled    = false
  policies   = []
}
group "bare" {}
group "empty" {
  members  = []
  policies = []
}
`, Options{})
	bare, off := cfg.Users[0], cfg.Users[1]
	if bare.Attrs.Has(IAMEnabled) || bare.Attrs.Has(IAMPolicies) || bare.Policies != nil {
		t.Errorf("user.bare declares %v", bare.Attrs.Sorted())
	}
	if !off.Attrs.Has(IAMEnabled) || off.Enabled || !off.Attrs.Has(IAMPolicies) || off.Policies == nil || len(off.Policies) != 0 {
		t.Errorf("user.off = %+v, declares %v", off, off.Attrs.Sorted())
	}
	if r := off.Attrs[IAMEnabled]; r.Start.Line != 22 {
		t.Errorf("enabled declared at line %d, want 22", r.Start.Line)
	}
	gb, ge := cfg.Groups[0], cfg.Groups[1]
	if len(gb.Attrs) != 0 || gb.Name != "bare" {
		t.Errorf("group.bare = %+v", gb)
	}
	if !ge.Attrs.Has(IAMMembers) || !ge.Attrs.Has(IAMPolicies) || len(ge.Members) != 0 || len(ge.Policies) != 0 {
		t.Errorf("group.empty = %+v", ge)
	}
}

func TestCompileGrant(t *testing.T) {
	for _, c := range []struct {
		prefix string
		access []string
		want   string
	}{
		{"runs/", []string{"write"}, `[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/runs/*"}]`},
		{"", []string{"read"}, `[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]`},
		{"runs/", []string{"delete", "read", "write"}, `[{"Effect":"Allow","Action":["s3:DeleteObject","s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/runs/*"}]`},
		{"runs/", []string{"list"}, `[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"runs/*"}}}]`},
		{"", []string{"list"}, `[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]`},
		{"logs", []string{"read", "list"}, `[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/logs*"},
			{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"logs*"}}}]`},
	} {
		got := policy.Document{Version: "2012-10-17", Statements: CompileGrant("b", c.prefix, c.access)}
		want := policy.MustParseIdentity(`{"Version":"2012-10-17","Statement":` + c.want + `}`)
		if !policy.Equal(got, want) || len(got.Statements) != len(want.Statements) {
			t.Errorf("grant %q %v = %s\nwant %s", c.prefix, c.access, got.JSON(), want.JSON())
		}
	}
	// A grant allows what it says and nothing more.
	doc := policy.Document{Version: "2012-10-17", Statements: CompileGrant("b", "runs/", []string{"write"})}
	for req, want := range map[policy.Request]policy.Decision{
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/runs/1/x"}:            policy.Allowed,
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/runs/", Prefix: true}: policy.Allowed,
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/other"}:               policy.ImplicitDeny,
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/runs/1/x"}:            policy.ImplicitDeny,
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::bb/runs/1/x"}:           policy.ImplicitDeny,
	} {
		if got := policy.Decide(policy.Evaluate(doc, req)); got != want {
			t.Errorf("%+v: %s, want %s", req, got, want)
		}
	}
}

// rightsConfig is a signing endpoint that signs as user.u or service_account.sa, and a presign
// through it; body declares the rest.
func rightsConfig(identity, method, key, body string) string {
	return header + `
variable "s" {
  type      = string
  sensitive = true
  default   = "secret-value"
}
bucket "data" {
  name = "data-bucket"
}
signing_endpoint "public" {
  endpoint = "localhost:9000"
  identity = ` + identity + `
}
presign "p" {
  bucket   = bucket.data
  key      = ` + key + `
  method   = "` + method + `"
  expires  = "1h"
  endpoint = signing_endpoint.public
}
` + body
}

const (
	userWith = `
user "u" {
  access_key = "the-user"
  secret_key = var.s
  policies   = %s
}
`
	writerPolicy = `
policy "writer" {
  grant {
    bucket = bucket.data
    prefix = "runs/"
    access = ["write"]
  }
}
`
)

// The least-privilege check: an error where a denial is certain offline, a warning saying
// what could not be checked where it is not, nothing when the identity may do it.
func TestPresignRights(t *testing.T) {
	for _, c := range []struct {
		name, src string
		partial   bool
		severity  hcl.DiagnosticSeverity // 0: no diagnostic
		summary   string
		detail    []string
	}{
		{name: "allowed", src: rightsConfig("user.u", "PUT", `"runs/1/out"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy)},
		{name: "denied", src: rightsConfig("user.u", "PUT", `"other/out"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy),
			severity: hcl.DiagError, summary: "Signing identity lacks s3:PutObject",
			detail: []string{"arn:aws:s3:::data-bucket/other/out", "policy.writer", "bucket = bucket.data", `prefix = "other/"`, `access = ["write"]`}},
		{name: "no policies", src: rightsConfig("user.u", "GET", `"runs/1/out"`, fmt.Sprintf(userWith, "[]")),
			severity: hcl.DiagError, summary: "Signing identity lacks s3:GetObject", detail: []string{"user.u has no policies", "Attach to user.u a policy with:"}},
		{name: "policy by name", src: rightsConfig("user.u", "PUT", `"other/out"`, fmt.Sprintf(userWith, `[policy.writer, "readwrite"]`)+writerPolicy),
			severity: hcl.DiagWarning, summary: "Signing rights not proven", detail: []string{`policy "readwrite" (attached to user.u) is given by name`}},
		{name: "allowed, and a policy by name", src: rightsConfig("user.u", "PUT", `"runs/x"`, fmt.Sprintf(userWith, `[policy.writer, "readwrite"]`)+writerPolicy),
			severity: hcl.DiagWarning, summary: "Signing rights not proven"},
		{name: "policies not declared", src: rightsConfig("user.u", "PUT", `"runs/x"`, `
user "u" {
  access_key = "the-user"
  secret_key = var.s
}
`), severity: hcl.DiagWarning, detail: []string{"user.u does not declare policies"}},
		{name: "condition", src: rightsConfig("user.u", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[policy.c]")+`
policy "c" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::data-bucket/*"]
    condition = { IpAddress = { "aws:SourceIp" = "10.0.0.0/8" } }
  }
}
`), severity: hcl.DiagWarning, detail: []string{"statement 1 of policy.c applies only under a condition"}},
		{name: "condition on another action", src: rightsConfig("user.u", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[policy.c, policy.writer]")+writerPolicy+`
policy "c" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::data-bucket/*"]
    condition = { IpAddress = { "aws:SourceIp" = "10.0.0.0/8" } }
  }
}
`)},
		{name: "through a group", src: rightsConfig("user.u", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[]")+writerPolicy+`
group "g" {
  members  = [user.u]
  policies = [policy.writer]
}
group "off" {
  enabled  = false
  members  = [user.u]
  policies = ["consoleAdmin"]
}
`)},
		{name: "group of others", src: rightsConfig("user.u", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[]")+writerPolicy+`
group "g" {
  members  = ["someone"]
  policies = [policy.writer]
}
`), severity: hcl.DiagError, summary: "Signing identity lacks s3:PutObject"},
		{name: "membership only on the server", src: rightsConfig("user.u", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[]")+writerPolicy+`
group "g" {
  policies = [policy.writer]
}
`), severity: hcl.DiagWarning, detail: []string{"applies only if user.u is a member of group.g, which declares no members"}},
		{name: "service account narrowed", src: rightsConfig("service_account.sa", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[policy.all]")+`
policy "all" {
  grant {
    bucket = bucket.data
    access = ["read", "write"]
  }
}
service_account "sa" {
  user       = user.u
  access_key = "the-sa"
  secret_key = var.s
  policy     = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::data-bucket/*" }] })
}
`), severity: hcl.DiagError, summary: "Signing identity lacks s3:PutObject",
			detail: []string{"The inline policy of service_account.sa does not allow it", "Add a statement allowing s3:PutObject on arn:aws:s3:::data-bucket/runs/x to its policy"}},
		{name: "inline policy does not widen", src: rightsConfig("service_account.sa", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[]")+writerPolicy+`
service_account "sa" {
  user       = user.u
  access_key = "the-sa"
  secret_key = var.s
  policy     = policy.writer
}
`), severity: hcl.DiagError, summary: "Signing identity lacks s3:PutObject", detail: []string{"user.u has no policies", "Attach to user.u a policy with:"}},
		{name: "service account implied", src: rightsConfig("service_account.sa", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy+`
service_account "sa" {
  user       = user.u
  access_key = "the-sa"
  secret_key = var.s
}
`)},
		{name: "parent by access key", src: rightsConfig("service_account.sa", "PUT", `"runs/x"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy+`
service_account "sa" {
  user       = "the-user"
  access_key = "the-sa"
  secret_key = var.s
  policy     = policy.writer
}
`)},
		{name: "parent not declared", src: rightsConfig("service_account.sa", "PUT", `"runs/x"`, writerPolicy+`
service_account "sa" {
  user       = "someone-else"
  access_key = "the-sa"
  secret_key = var.s
  policy     = policy.writer
}
`), severity: hcl.DiagWarning, detail: []string{`the user of service_account.sa, "someone-else", is not declared here`}},
		{name: "inline denies whatever the parent", src: rightsConfig("service_account.sa", "PUT", `"other/x"`, writerPolicy+`
service_account "sa" {
  user       = "someone-else"
  access_key = "the-sa"
  secret_key = var.s
  policy     = policy.writer
}
`), severity: hcl.DiagError, detail: []string{"Add to policy.writer:"}},
		{name: "unknown key", partial: true, src: rightsConfig("user.u", "PUT", `"runs/${var.run}"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy+`
variable "run" {
  type = string
}
`), severity: hcl.DiagWarning, detail: []string{"covers only some of the keys under the prefix", "the bucket or key of presign.p is not known yet"}},
		{name: "unknown key, whole bucket", partial: true, src: rightsConfig("user.u", "PUT", `var.key`, fmt.Sprintf(userWith, "[policy.all]")+`
variable "key" {
  type = string
}
policy "all" {
  grant {
    bucket = bucket.data
    access = ["write"]
  }
}
`)},
		{name: "unknown key, no right at all", partial: true, src: rightsConfig("user.u", "GET", `var.key`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy+`
variable "key" {
  type = string
}
`), severity: hcl.DiagError, summary: "Signing identity lacks s3:GetObject"},
		{name: "post prefix inside", src: rightsConfig("user.u", "POST", `null
  key_prefix = "runs/forms/"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy)},
		{name: "post prefix wider", src: rightsConfig("user.u", "POST", `null
  key_prefix = "ru"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy),
			severity: hcl.DiagWarning, detail: []string{"statement 1 of policy.writer covers only some of the keys under the prefix"}},
		{name: "signs with keys, not an identity", src: strings.Replace(rightsConfig("user.u", "PUT", `"other/x"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy),
			"identity = user.u", "access_key = \"the-user\"\n  secret_key = var.s", 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := fixtureEnv
			if c.partial {
				env = noEnv
			}
			cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": c.src}, Options{Partial: c.partial, LookupEnv: env})
			var got []*hcl.Diagnostic
			for _, d := range diags {
				if strings.HasPrefix(d.Summary, "Signing ") {
					got = append(got, d)
				} else {
					t.Errorf("unexpected diagnostic %s: %s", d.Summary, d.Detail)
				}
			}
			checkDiagnosticShape(t, cfg.Files, diags)
			if c.severity == 0 {
				if len(got) > 0 {
					t.Fatalf("want no diagnostic, got %s: %s", got[0].Summary, got[0].Detail)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one diagnostic, got %v", diagSummaries(diags))
			}
			d := got[0]
			if d.Severity != c.severity || (c.summary != "" && d.Summary != c.summary) || d.Subject.Start.Line != 22 {
				t.Errorf("got %v %q on line %d, want %v %q on line 22 (the presign block)", d.Severity, d.Summary, d.Subject.Start.Line, c.severity, c.summary)
			}
			for _, want := range c.detail {
				if !strings.Contains(d.Detail, want) {
					t.Errorf("detail does not say %q:\n%s", want, d.Detail)
				}
			}
			if strings.Contains(d.Detail, "secret-value") {
				t.Errorf("detail shows the secret:\n%s", d.Detail)
			}
		})
	}
}

// The grant a denial suggests allows the presign once added.
func TestSuggestedGrantAllows(t *testing.T) {
	src := rightsConfig("user.u", "PUT", `"other/deep/out.tar"`, fmt.Sprintf(userWith, "[policy.writer]")+writerPolicy)
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
	if len(diags) != 1 {
		t.Fatalf("want one error, got %v", diagSummaries(diags))
	}
	detail := diags[0].Detail
	grant := detail[strings.Index(detail, "  grant {"):]
	fixed := strings.Replace(src, "  grant {", grant+"\n  grant {", 1)
	if _, diags, _ := loadSource(t, map[string]string{"main.hcl": fixed}, Options{}); len(diags) != 0 {
		t.Fatalf("with the suggested grant:\n%s\nstill: %v", grant, diagSummaries(diags))
	}
}

// validate needs no secrets: unknown secrets are no error, and the identity's keys are unknown.
func TestIAMPartial(t *testing.T) {
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": header + `
variable "api_secret" {
  type      = string
  sensitive = true
}
user "api" {
  access_key = "api-user"
  secret_key = var.api_secret
}
service_account "sa" {
  user       = user.api
  access_key = "sa-key"
  secret_key = env("SA_SECRET")
}
signing_endpoint "public" {
  endpoint = "localhost:9000"
  identity = service_account.sa
}
`}, Options{Partial: true, LookupEnv: noEnv})
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diagSummaries(diags))
	}
	if cfg.Users[0].SecretKey.Known() || cfg.ServiceAccounts[0].SecretKey.Known() || cfg.SigningEndpoints[0].Creds.Known ||
		cfg.SigningEndpoints[0].Identity != "service_account.sa" {
		t.Errorf("user %v, service account %v, signing endpoint %+v", cfg.Users[0].SecretKey, cfg.ServiceAccounts[0].SecretKey, *cfg.SigningEndpoints[0])
	}
}

// Signing (bucketform output) needs a minio block's keys only for what it signs with them.
func TestSigningNeedsOnlyTheKeysItSignsWith(t *testing.T) {
	src := `
bucketform {
  stack = "test"
}
minio "main" {
  endpoint = "minio:9000"
}
variable "s" {
  type      = string
  sensitive = true
  default   = "secret-value"
}
user "signer" {
  access_key = "signer"
  secret_key = var.s
  policies   = [policy.reader]
}
policy "reader" {
  grant {
    bucket = bucket.data
    access = ["read"]
  }
}
signing_endpoint "public" {
  endpoint = "localhost:9000"
  identity = user.signer
}
bucket "data" {}
presign "p" {
  bucket   = bucket.data
  key      = "k"
  expires  = "1h"
  endpoint = signing_endpoint.public
}
`
	var signed []string
	signer := func(req PresignRequest) (PresignResult, error) {
		creds := req.Deployment.Creds
		if req.Endpoint != nil && req.Endpoint.Creds.Known {
			creds = req.Endpoint.Creds
		}
		signed = append(signed, req.Presign.Address+" as "+creds.AccessKey)
		return PresignResult{URL: "https://signed.example/", ExpiresAt: req.Now.Add(req.Presign.Expires)}, nil
	}
	opts := Options{LookupEnv: noEnv, Presign: signer, Now: time.Unix(1e9, 0)}
	if _, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, opts); len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diagSummaries(diags))
	}
	if !reflect.DeepEqual(signed, []string{"presign.p as signer"}) {
		t.Errorf("signed %v", signed)
	}
	// Without Presign (plan, apply), the keys are required as before.
	if _, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{LookupEnv: noEnv}); len(diags) != 1 || diags[0].Summary != "Missing credentials" {
		t.Errorf("without signing: %v", diagSummaries(diags))
	}
	// A presign signed with the deployment's keys needs them.
	signed = nil
	more := src + `
presign "own" {
  bucket  = bucket.data
  key     = "k"
  expires = "1h"
}
`
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": more}, opts)
	if len(diags) != 1 || diags[0].Summary != "Missing credentials" || !strings.Contains(diags[0].Detail, "presign.own") ||
		strings.Contains(diags[0].Detail, "presign.p,") || diags[0].Subject.Start.Line != 5 {
		t.Errorf("with a presign signed by the minio block's keys: %v", diags)
	}
}
