package config

import (
	"strings"
	"testing"
)

func noEnv(string) (string, bool) { return "", false }

func TestPartialMode(t *testing.T) {
	src := header + `
variable "tenants" {
  type = set(string)
}

minio "other" {
  endpoint   = env("OTHER_ENDPOINT")
  secret_key = env("OTHER_SECRET")
}

bucket "data" {
  minio = minio.main
  name  = "data-${env("SUFFIX")}"
  quota = "10GiB"
}

bucket "tenant" {
  minio     = minio.main
  for_each  = var.tenants
  name      = "t-${each.key}"
  anonymous = "bogus"
}

output "suffix" {
  value = env("SUFFIX")
}
`
	// validate: no environment at all.
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{Partial: true, LookupEnv: noEnv})
	// The body of a for_each with unknown keys is still checked.
	if got := diagSummaries(diags); !equalStrings(got, []string{"Invalid anonymous value @ 29"}) {
		t.Fatalf("partial: %v", got)
	}
	for _, d := range cfg.Deployments {
		if d.Creds.Known || d.Creds.SecretKey != "" {
			t.Errorf("minio.%s credentials = %v, want unknown", d.Name, d.Creds)
		}
	}
	if other := cfg.Deployments[1]; other.Endpoint != "" {
		t.Errorf("an unknown endpoint resolved to %q", other.Endpoint)
	}
	if len(cfg.Buckets) != 1 || cfg.Buckets[0].Address != "bucket.data" {
		t.Fatalf("buckets = %v; a for_each with unknown keys has no instances yet", addresses(cfg))
	}
	data := cfg.Buckets[0]
	if data.State.Name != "" || data.State.Quota != 10<<30 {
		t.Errorf("bucket.data = %+v", data.State)
	}
	if v := outputValue(t, cfg, "suffix").Value; v.IsKnown() {
		t.Errorf("output = %#v, want unknown", v)
	}

	// The same configuration without Partial reports what is missing.
	_, diags, _ = loadSource(t, map[string]string{"main.hcl": src}, Options{LookupEnv: noEnv})
	want := []string{
		"Missing credentials @ 6",
		"No value for required variable @ 10",
		"Missing credentials @ 14",
		"Error in function call @ 15",
		"Error in function call @ 16",
		"Error in function call @ 21",
		"Invalid anonymous value @ 29",
		"Error in function call @ 33",
	}
	if got := diagSummaries(diags); !equalStrings(got, want) {
		t.Errorf("non-partial: %v\nwant %v", got, want)
	}
}

func TestPartialKnownValuesStillChecked(t *testing.T) {
	src := header + `
bucket "data" {
  name       = "Bad_Name"
  versioning = env("VERSIONING")
}
`
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{Partial: true, LookupEnv: noEnv})
	if got := diagSummaries(diags); !equalStrings(got, []string{"Invalid bucket name @ 11"}) {
		t.Errorf("%v", got)
	}
}

func TestCredentialsFromEnvironment(t *testing.T) {
	src := header + `
minio "explicit" {
  endpoint   = "other:9000"
  access_key = "ak"
  secret_key = "sk"
}

minio "half" {
  endpoint   = "half:9000"
  access_key = "half-ak"
}

signing_endpoint "inherits" {
  minio    = minio.half
  endpoint = "public:9000"
}
`
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{LookupEnv: envMap(map[string]string{EnvAccessKey: "env-ak", EnvSecretKey: "env-sk"})})
	if len(diags) > 0 {
		t.Fatal(diagSummaries(diags))
	}
	want := map[string]Credentials{
		"main":     {AccessKey: "env-ak", SecretKey: "env-sk", Known: true},
		"explicit": {AccessKey: "ak", SecretKey: "sk", Known: true},
		"half":     {AccessKey: "half-ak", SecretKey: "env-sk", Known: true},
	}
	for _, d := range cfg.Deployments {
		if d.Creds != want[d.Name] {
			t.Errorf("minio.%s credentials = %+v, want %+v", d.Name, d.Creds, want[d.Name])
		}
	}
	if se := cfg.SigningEndpoints[0]; se.Creds != want["half"] {
		t.Errorf("signing endpoint credentials = %+v, want those of minio.half", se.Creds)
	}
	// Only the secret is missing: the error names it and not the access key.
	_, diags, _ = loadSource(t, map[string]string{"main.hcl": header}, Options{LookupEnv: envMap(map[string]string{EnvAccessKey: "x"})})
	if len(diags) != 1 || diags[0].Summary != "Missing credentials" ||
		!strings.Contains(diags[0].Detail, "has no secret key") || !strings.Contains(diags[0].Detail, EnvSecretKey) ||
		strings.Contains(diags[0].Detail, EnvAccessKey) {
		t.Errorf("%v: %q", diagSummaries(diags), diags[0].Detail)
	}
}
