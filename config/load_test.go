package config

import (
	"bytes"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

var validEnv = envMap(map[string]string{
	EnvAccessKey:          "root",
	EnvSecretKey:          "root-secret",
	"PRIMARY_SECRET_KEY":  "primary-secret",
	"UPLOADER_SECRET_KEY": "uploader-secret",
})

// loadValid loads a valid fixture and fails the test on any error or warning.
func loadValid(t *testing.T, name string, opts Options) *Config {
	t.Helper()
	dir := filepath.Join("..", "testdata", "valid", name)
	if opts.LookupEnv == nil {
		opts.LookupEnv = validEnv
	}
	cfg, diags := Load(dir, opts)
	if len(diags) > 0 {
		var out bytes.Buffer
		WriteDiagnostics(&out, cfg.Files, diags)
		t.Fatalf("loading %s:\n%s", dir, out.String())
	}
	return cfg
}

func bucketByAddress(t *testing.T, cfg *Config, addr string) *Bucket {
	t.Helper()
	for _, b := range cfg.Buckets {
		if b.Address == addr {
			return b
		}
	}
	t.Fatalf("no bucket %s; have %v", addr, addresses(cfg))
	return nil
}

func addresses(cfg *Config) []string {
	var out []string
	for _, b := range cfg.Buckets {
		out = append(out, b.Address)
	}
	return out
}

func attrs(b *Bucket) []model.Attr { return b.State.Attrs.Sorted() }

func TestValidSpecExample(t *testing.T) {
	cfg := loadValid(t, "spec-example", Options{})
	if cfg.Stack != "bitflow" {
		t.Errorf("stack %q", cfg.Stack)
	}
	if len(cfg.Deployments) != 1 {
		t.Fatalf("%d deployments", len(cfg.Deployments))
	}
	dep := cfg.Deployments[0]
	wantDep := Deployment{Name: "main", Endpoint: "minio:9000", Region: "us-east-1",
		Creds: Credentials{AccessKey: "root", SecretKey: "root-secret", Known: true}, DeclRange: dep.DeclRange}
	if !reflect.DeepEqual(*dep, wantDep) {
		t.Errorf("deployment = %#v, want %#v", *dep, wantDep)
	}
	se := cfg.SigningEndpoints[0]
	if se.Name != "public" || se.Deployment != "main" || se.Endpoint != "localhost:9000" || se.Secure || se.Region != "us-east-1" || se.Creds != dep.Creds {
		t.Errorf("signing endpoint = %+v", *se)
	}

	b := bucketByAddress(t, cfg, "bucket.data")
	want := model.Bucket{
		Name:       "bitflow-data",
		Attrs:      model.NewAttrSet(model.AttrPolicy, model.AttrVersioning, model.AttrQuota, model.AttrTags, model.AttrObjectLock, model.AttrLifecycle),
		Versioning: model.VersioningEnabled,
		Quota:      100 << 30,
		Tags:       map[string]string{"team": "ml"},
		Lifecycle:  []model.LifecycleRule{{ID: "expire-tmp", Prefix: "tmp/", ExpirationDays: 7, NoncurrentExpirationDays: 30}},
	}
	if !reflect.DeepEqual(b.State, want) {
		t.Errorf("state = %+v\nwant    %+v", b.State, want)
	}
	if b.Deployment != "main" || b.ForceDestroy {
		t.Errorf("deployment %q, force_destroy %v", b.Deployment, b.ForceDestroy)
	}

	p := cfg.Presigns[0]
	wantP := Presign{Address: "presign.artifact_upload", Key: "runs/dev/output.tar.gz",
		Bucket: "bitflow-data", Deployment: "main", Method: "PUT", Expires: 24 * time.Hour, Endpoint: "public", DeclRange: p.DeclRange}
	if !reflect.DeepEqual(*p, wantP) {
		t.Errorf("presign = %+v\nwant      %+v", *p, wantP)
	}

	out := cfg.Outputs[0]
	if !out.Sensitive || out.Value.IsWhollyKnown() || out.Value.ContainsMarked() {
		t.Errorf("output = %+v; want sensitive, unmarked, with unknown URL", out)
	}
	if v := out.Value.GetAttr("max_file_size"); !v.RawEquals(cty.NumberIntVal(1073741824)) {
		t.Errorf("max_file_size = %#v", v)
	}
}

func TestValidMultiDeployment(t *testing.T) {
	cfg := loadValid(t, "multi-deployment", Options{})
	if cfg.Stack != "platform-prod" {
		t.Errorf("stack %q", cfg.Stack)
	}
	primary, archive := cfg.Deployments[0], cfg.Deployments[1]
	absCA, _ := filepath.Abs(filepath.Join("..", "testdata", "valid", "multi-deployment", "certs", "ca.pem"))
	if primary.Endpoint != "minio.internal:9000" || !primary.Secure || primary.Region != "eu-central-1" ||
		primary.CAFile != absCA || primary.Creds.AccessKey != "provisioner" || primary.Creds.SecretKey != "primary-secret" {
		t.Errorf("primary = %+v", *primary)
	}
	if archive.Endpoint != "archive.internal" || !archive.Secure || !archive.Insecure || archive.Creds.AccessKey != "root" {
		t.Errorf("archive = %+v", *archive)
	}
	se := cfg.SigningEndpoints[0]
	if se.Endpoint != "files.example.com" || !se.Secure || se.Region != "eu-central-1" || se.Creds.AccessKey != "uploader" || se.Creds.SecretKey != "uploader-secret" {
		t.Errorf("signing endpoint = %+v", *se)
	}

	uploads := bucketByAddress(t, cfg, "bucket.uploads")
	if uploads.State.Name != "uploads" || uploads.Deployment != "primary" || !uploads.State.Policy.IsEmpty() ||
		!uploads.State.Attrs.Has(model.AttrPolicy) || uploads.State.Quota != 1<<40 {
		t.Errorf("uploads = %+v", uploads.State)
	}
	wantRules := []model.LifecycleRule{
		{ID: "expire-incoming", Prefix: "incoming/", ExpirationDays: 2},
		{ID: "old-versions", Disabled: true, NoncurrentExpirationDays: 90},
	}
	if !reflect.DeepEqual(uploads.State.Lifecycle, wantRules) {
		t.Errorf("lifecycle = %+v", uploads.State.Lifecycle)
	}
	if !reflect.DeepEqual(uploads.State.Tags, map[string]string{"team": "web", "cost:unit": "cu-42"}) {
		t.Errorf("tags = %v", uploads.State.Tags)
	}

	logs := bucketByAddress(t, cfg, "bucket.logs")
	if logs.State.Name != "logs-us-east-1" || logs.Deployment != "archive" || !logs.State.ObjectLock ||
		!logs.State.Attrs.Has(model.AttrQuota) || logs.State.Quota != 0 ||
		!logs.State.Attrs.Has(model.AttrTags) || len(logs.State.Tags) != 0 {
		t.Errorf("logs = %+v", logs.State)
	}

	assets := bucketByAddress(t, cfg, "bucket.public_assets")
	canned, _ := policy.Canned(policy.Download, "public-assets")
	if !policy.Equal(assets.State.Policy, canned) || !assets.ForceDestroy {
		t.Errorf("public_assets = %+v", assets)
	}
	if got := attrs(assets); !reflect.DeepEqual(got, []model.Attr{model.AttrPolicy}) {
		t.Errorf("public_assets declares %v; only policy is written", got)
	}

	if len(cfg.Removed) != 1 || *cfg.Removed[0] != (Removed{Deployment: "archive", Kind: KindBucket, Name: "old-logs", Bucket: "old-logs", ForceDestroy: true, DeclRange: cfg.Removed[0].DeclRange}) {
		t.Errorf("removed = %+v", cfg.Removed)
	}

	upload, download := cfg.Presigns[0], cfg.Presigns[1]
	if upload.Method != "POST" || upload.KeyPrefix != "incoming/" || upload.Key != "" || upload.MaxSize != 50<<20 ||
		upload.ContentType != "image/png" || upload.Endpoint != "public" || upload.Deployment != "primary" || upload.Expires != 15*time.Minute {
		t.Errorf("browser_upload = %+v", *upload)
	}
	if download.Bucket != "logs-us-east-1" || download.Deployment != "archive" || download.Expires != 7*24*time.Hour || download.Endpoint != "" {
		t.Errorf("archive_download = %+v", *download)
	}

	if o := cfg.Outputs[1]; o.Sensitive || o.Description != "Where public assets are served" ||
		!o.Value.RawEquals(cty.StringVal("https://files.example.com/public-assets/")) {
		t.Errorf("asset_base = %+v", o)
	}
}

func TestValidTenants(t *testing.T) {
	dir := filepath.Join("..", "testdata", "valid", "tenants")
	cfg := loadValid(t, "tenants", Options{Vars: []VarSource{{File: filepath.Join(dir, "prod.bfvars")}}})
	got := addresses(cfg)
	want := []string{`bucket.tenant["acme"]`, `bucket.tenant["globex"]`, `bucket.premium_backup["acme"]`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("buckets = %v, want %v", got, want)
	}
	acme := bucketByAddress(t, cfg, `bucket.tenant["acme"]`)
	if acme.State.Name != "tenant-acme" || acme.State.Versioning != model.VersioningEnabled || acme.State.Quota != 100<<30 ||
		!reflect.DeepEqual(acme.State.Tags, map[string]string{"team": "sales", "tier": "premium"}) {
		t.Errorf("acme = %+v", acme.State)
	}
	globex := bucketByAddress(t, cfg, `bucket.tenant["globex"]`)
	if globex.State.Versioning != model.VersioningSuspended || globex.State.Quota != 10<<30 || globex.State.Tags["tier"] != "standard" {
		t.Errorf("globex = %+v (optional() defaults not applied?)", globex.State)
	}
	if b := bucketByAddress(t, cfg, `bucket.premium_backup["acme"]`); b.State.Name != "backup-acme" {
		t.Errorf("premium backup = %+v", b.State)
	}
	var ps []string
	for _, p := range cfg.Presigns {
		ps = append(ps, p.Address+" "+p.Bucket+" "+p.Key+" "+p.Expires.String())
	}
	wantPs := []string{
		`presign.upload["acme"] tenant-acme incoming/acme/data.tar 2h0m0s`,
		`presign.upload["globex"] tenant-globex incoming/globex/data.tar 2h0m0s`,
	}
	if !reflect.DeepEqual(ps, wantPs) {
		t.Errorf("presigns = %q", ps)
	}
	arns := cfg.Outputs[0].Value
	if !arns.GetAttr("acme").RawEquals(cty.StringVal("arn:aws:s3:::tenant-acme")) {
		t.Errorf("bucket_arns = %#v", arns)
	}
}

func TestValidCustomPolicy(t *testing.T) {
	cfg := loadValid(t, "custom-policy", Options{})
	reports := bucketByAddress(t, cfg, "bucket.reports")
	grants := reports.State.Policy.Grants()
	if len(grants) != 4 {
		t.Fatalf("grants = %v", grants)
	}
	var s []string
	for _, g := range grants {
		s = append(s, g.String())
	}
	sort.Strings(s)
	if !strings.Contains(strings.Join(s, "\n"), "Allow AWS:arn:aws:iam:::user/auditor s3:ListBucket on arn:aws:s3:::reports") {
		t.Errorf("grants = %v", s)
	}
	static := bucketByAddress(t, cfg, "bucket.static")
	canned, _ := policy.Canned(policy.Download, "static")
	if policy.Equal(static.State.Policy, canned) || len(static.State.Policy.Statements) != 1 {
		t.Errorf("static policy = %+v", static.State.Policy)
	}
}

func TestValidMinimalDeclaresNothing(t *testing.T) {
	cfg := loadValid(t, "minimal", Options{})
	b := bucketByAddress(t, cfg, "bucket.scratch")
	if b.State.Name != "scratch" || len(b.State.Attrs) != 0 || b.Deployment != "local" {
		t.Errorf("scratch = %+v; an unwritten attribute must not be declared", b.State)
	}
}

func TestLoadFilesMap(t *testing.T) {
	dir := filepath.Join("..", "testdata", "valid", "multi-deployment")
	cfg, _ := Load(dir, Options{LookupEnv: validEnv})
	var names []string
	for name, f := range cfg.Files {
		if f == nil || len(f.Bytes) == 0 {
			t.Errorf("file %s has no source", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{filepath.Join(dir, "buckets.hcl"), filepath.Join(dir, "main.hcl")}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("Files = %v, want %v", names, want)
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	cfg, diags := Load(filepath.Join(t.TempDir(), "nope"), Options{})
	if cfg == nil || cfg.Files == nil || !diags.HasErrors() || diags[0].Summary != "Failed to read configuration directory" {
		t.Fatalf("cfg = %v, diags = %v", cfg, diags)
	}
}

func TestLoadEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "vars.bfvars"), `x = 1`)
	writeFile(t, filepath.Join(dir, ".hidden.hcl"), `this is not hcl`)
	_, diags := Load(dir, Options{})
	if len(diags) != 1 || diags[0].Summary != "No configuration files" {
		t.Fatalf("diags = %v; .bfvars and hidden files are not configuration", diags)
	}
}

// diagSummaries lists "summary @ line" of the errors, for compact assertions.
func diagSummaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		s := d.Summary
		if d.Subject != nil {
			s += " @ " + itoa(d.Subject.Start.Line)
		}
		if d.Severity == hcl.DiagWarning {
			s = "warning: " + s
		}
		out = append(out, s)
	}
	return out
}
