package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

const presignSrc = `
signing_endpoint "public" {
  endpoint = "https://files.example.com"
}

bucket "data" {}

presign "get" {
  bucket   = bucket.data
  key      = "report.pdf"
  expires  = "1h"
  endpoint = signing_endpoint.public
}

presign "form" {
  bucket     = "data"
  key_prefix = "up/"
  method     = "POST"
  expires    = "10m"
  max_size   = "1MiB"
}

output "get" {
  value     = presign.get
  sensitive = true
}

output "form_fields" {
  value     = presign.form.form_fields
  sensitive = true
}

output "method" {
  value     = presign.get.method
  sensitive = true
}
`

func TestPresignValuesUnknownWithoutSigner(t *testing.T) {
	cfg := mustLoad(t, presignSrc, Options{})
	get := outputValue(t, cfg, "get").Value
	if get.ContainsMarked() {
		t.Fatal("Output.Value must be unmarked")
	}
	if get.GetAttr("url").IsKnown() || get.GetAttr("expires_at").IsKnown() {
		t.Errorf("url and expires_at must be unknown without Options.Presign: %#v", get)
	}
	for attr, want := range map[string]cty.Value{
		"method": cty.StringVal("GET"), "bucket": cty.StringVal("data"), "key": cty.StringVal("report.pdf"),
		"form_fields": cty.MapValEmpty(cty.String),
	} {
		if got := get.GetAttr(attr); !got.RawEquals(want) {
			t.Errorf("presign.get.%s = %#v, want %#v", attr, got, want)
		}
	}
	if ff := outputValue(t, cfg, "form_fields").Value; ff.IsKnown() {
		t.Errorf("form fields of an unsigned POST = %#v, want unknown", ff)
	}
}

func TestPresignWithSigner(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	var reqs []PresignRequest
	signer := func(req PresignRequest) (PresignResult, error) {
		reqs = append(reqs, req)
		res := PresignResult{URL: "https://signed/" + req.Presign.Bucket + "/" + req.Presign.Key + req.Presign.KeyPrefix, ExpiresAt: req.Now.Add(req.Presign.Expires)}
		if req.Presign.Method == "POST" {
			res.FormFields = map[string]string{"policy": "p", "x-amz-signature": "s"}
		}
		return res, nil
	}
	cfg := mustLoad(t, presignSrc, Options{Presign: signer, Now: now})
	if len(reqs) != 2 {
		t.Fatalf("%d presign requests, want 2", len(reqs))
	}
	get, form := reqs[0], reqs[1]
	if get.Deployment == nil || get.Deployment.Name != "main" || get.Endpoint == nil || get.Endpoint.Endpoint != "files.example.com" ||
		!get.Now.Equal(now) || get.Presign != cfg.Presigns[0] {
		t.Errorf("GET request = %+v", get)
	}
	if form.Endpoint != nil || form.Presign.MaxSize != 1<<20 || form.Presign.KeyPrefix != "up/" {
		t.Errorf("POST request = %+v / %+v", form, form.Presign)
	}
	v := outputValue(t, cfg, "get").Value
	if got := v.GetAttr("url"); !got.RawEquals(cty.StringVal("https://signed/data/report.pdf")) {
		t.Errorf("url = %#v", got)
	}
	if got := v.GetAttr("expires_at"); !got.RawEquals(cty.StringVal("2026-11-23T10:00:00Z")) {
		t.Errorf("expires_at = %#v, want RFC 3339 in UTC", got)
	}
	ff := outputValue(t, cfg, "form_fields").Value
	if !ff.RawEquals(cty.MapVal(map[string]cty.Value{"policy": cty.StringVal("p"), "x-amz-signature": cty.StringVal("s")})) {
		t.Errorf("form_fields = %#v", ff)
	}
}

func TestPresignFailure(t *testing.T) {
	signer := func(PresignRequest) (PresignResult, error) { return PresignResult{}, errors.New("no route to signer") }
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + presignSrc}, Options{Presign: signer})
	got := diagSummaries(diags)
	if !equalStrings(got, []string{"Failed to presign @ 16", "Failed to presign @ 23"}) {
		t.Errorf("%v", got)
	}
}

func TestSensitiveOutputs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"presign without sensitive", `
bucket "data" {}
presign "p" {
  bucket  = bucket.data
  key     = "k"
  expires = "1h"
}
output "o" {
  value = { url = presign.p.url }
}`, []string{"Output refers to sensitive values @ 17"}},
		{"presign through a local", `
bucket "data" {}
presign "p" {
  bucket  = bucket.data
  key     = "k"
  expires = "1h"
}
locals {
  urls = [presign.p.url]
}
output "o" {
  value = join(",", local.urls)
}`, []string{"Output refers to sensitive values @ 20"}},
		{"sensitive variable in a template", `
variable "token" {
  default   = "t"
  sensitive = true
}
output "o" {
  value = "Bearer ${var.token}"
}`, []string{"Output refers to sensitive values @ 15"}},
		{"sensitive output through another output", `
output "a" {
  value     = "x"
  sensitive = true
}
output "b" {
  value = output.a
}`, []string{"Output refers to sensitive values @ 15"}},
		{"secret from env", `
output "o" {
  value = env("MINIO_SECRET_KEY")
}`, []string{"Output refers to sensitive values @ 11"}},
		{"ordinary env is fine", `
output "o" {
  value = env("MINIO_ACCESS_KEY")
}`, nil},
		{"conditional on a sensitive value", `
variable "flag" {
  default   = true
  sensitive = true
}
output "o" {
  value = var.flag ? "a" : "b"
}`, []string{"Output refers to sensitive values @ 15"}},
		{"marked and declared sensitive", `
variable "token" {
  default   = "t"
  sensitive = true
}
output "o" {
  value     = var.token
  sensitive = true
}`, nil},
		{"presign used in a signing endpoint", `
bucket "data" {}
presign "p" {
  bucket  = bucket.data
  key     = "k"
  expires = "1h"
}
locals {
  host = presign.p.url
}
signing_endpoint "s" {
  endpoint = local.host
}`, []string{"Invalid reference to a presign block @ 20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + tt.src}, Options{})
			if got := diagSummaries(diags); !equalStrings(got, tt.want) {
				t.Errorf("%v, want %v", got, tt.want)
			}
		})
	}
}

func TestSensitiveOutputValueIsUnmarked(t *testing.T) {
	cfg := mustLoad(t, `
variable "token" {
  default   = "t0k3n"
  sensitive = true
}
output "o" {
  value     = { header = "Bearer ${var.token}" }
  sensitive = true
}
`, Options{})
	o := outputValue(t, cfg, "o")
	if !o.Sensitive || o.Value.ContainsMarked() || !o.Value.GetAttr("header").RawEquals(cty.StringVal("Bearer t0k3n")) {
		t.Errorf("output = %+v", o)
	}
}

func TestSecretsNeverInDiagnostics(t *testing.T) {
	src := header + `
variable "pw" {
  default   = "hunter2-secret"
  sensitive = true
}

output "a" {
  value = tonumber(var.pw)
}

output "b" {
  value = tonumber(env("MINIO_SECRET_KEY"))
}

output "c" {
  value = regex("^x$", env("MINIO_SECRET_KEY"))
}
`
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
	if !diags.HasErrors() {
		t.Fatal("want errors")
	}
	var out strings.Builder
	WriteDiagnostics(&out, cfg.Files, diags)
	for _, secret := range []string{"hunter2-secret", fixtureSecret} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("diagnostics show a secret:\n%s", out.String())
		}
	}
}

// TestMarkedValuesThroughExpressions runs sensitive and presign values through every kind of
// expression and many functions: none may fail or lose the mark.
func TestMarkedValuesThroughExpressions(t *testing.T) {
	src := header + `
variable "s" {
  default   = { a = "x", b = ["y", "z"] }
  sensitive = true
}
variable "flag" {
  default = true
  sensitive = true
}
variable "k" {
  default = "a"
  sensitive = true
}
bucket "data" {}
presign "p" {
  bucket = bucket.data
  key = "k"
  expires = "1h"
}
locals {
  a = var.flag ? "x" : "y"
  b = [for x in var.s.b : upper(x)]
  c = { (var.k) = 1 }
  d = var.s[var.k]
  e = var.s.b[*]
  f = "%{ if var.flag }yes%{ endif }"
  g = { for k, v in var.s : k => v }
  h = length(var.s)
  i = jsonencode(var.s)
  j = try(var.s.zzz, "fallback")
  k = can(var.s.zzz)
  l = presign.p.url == "" ? 1 : 2
  m = merge(var.s, {x = presign.p.url})
  n = keys(var.s)
  o = [for k in keys(var.s) : k if var.flag]
  p = tostring(var.flag)
  q = coalesce(var.k, "z")
  r = lookup(var.s, "a")
  s = lookup(var.s, var.k, "d")
  t = index(var.s.b, "z")
  u = contains(var.s.b, "y")
  v = toset(var.s.b)
  w = concat(var.s.b, ["q"])
  x = var.s.b[0]
  y = element(var.s.b, 1)
  z = format("%s", var.k)
}
output "all" {
  value = [local.a, local.b, local.c, local.d, local.e, local.f, local.g, local.h, local.i, local.j, local.k, local.l, local.m, local.n, local.o, local.p, local.q, local.r, local.s, local.t, local.u, local.v, local.w, local.x, local.y, local.z]
  sensitive = true
}
`
	signer := func(req PresignRequest) (PresignResult, error) {
		return PresignResult{URL: "https://signed", ExpiresAt: req.Now}, nil
	}
	for _, opts := range []Options{{}, {Partial: true}, {Presign: signer}} {
		cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, opts)
		if len(diags) > 0 {
			t.Fatalf("%+v: %v", opts, diagSummaries(diags))
		}
		all := outputValue(t, cfg, "all").Value
		if all.ContainsMarked() {
			t.Error("Output.Value is marked")
		}
		if got := all.Index(cty.NumberIntVal(5)); !got.RawEquals(cty.StringVal("yes")) {
			t.Errorf("local.f = %#v", got)
		}
	}
}
