package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestVariablePrecedence(t *testing.T) {
	src := `
variable "region" {
  default = "from-default"
}

output "region" {
  value = var.region
}
`
	tests := []struct {
		name string
		env  map[string]string
		vars func(dir string) []VarSource
		want string
	}{
		{name: "default", want: "from-default"},
		{name: "env over default", env: map[string]string{"BUCKETFORM_VAR_region": "from-env"}, want: "from-env"},
		{
			name: "-var over env",
			env:  map[string]string{"BUCKETFORM_VAR_region": "from-env"},
			vars: func(string) []VarSource { return []VarSource{{Assignment: "region=from-var"}} },
			want: "from-var",
		},
		{
			name: "-var-file over env",
			env:  map[string]string{"BUCKETFORM_VAR_region": "from-env"},
			vars: func(dir string) []VarSource { return []VarSource{{File: filepath.Join(dir, "a.bfvars")}} },
			want: "from-file-a",
		},
		{
			name: "later -var-file wins",
			vars: func(dir string) []VarSource {
				return []VarSource{{File: filepath.Join(dir, "a.bfvars")}, {File: filepath.Join(dir, "b.bfvars")}}
			},
			want: "from-file-b",
		},
		{
			name: "-var after -var-file wins",
			vars: func(dir string) []VarSource {
				return []VarSource{{File: filepath.Join(dir, "a.bfvars")}, {Assignment: "region=from-var"}}
			},
			want: "from-var",
		},
		{
			name: "-var-file after -var wins",
			vars: func(dir string) []VarSource {
				return []VarSource{{Assignment: "region=from-var"}, {File: filepath.Join(dir, "b.bfvars")}}
			},
			want: "from-file-b",
		},
		{
			name: "value with equals signs",
			vars: func(string) []VarSource { return []VarSource{{Assignment: "region=a=b"}} },
			want: "a=b",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "main.hcl"), header+src)
			writeFile(t, filepath.Join(dir, "a.bfvars"), `region = "from-file-a"`)
			writeFile(t, filepath.Join(dir, "b.bfvars"), `region = "from-file-b"`)
			env := map[string]string{EnvAccessKey: "a", EnvSecretKey: "s"}
			for k, v := range tt.env {
				env[k] = v
			}
			opts := Options{LookupEnv: envMap(env)}
			if tt.vars != nil {
				opts.Vars = tt.vars(dir)
			}
			cfg, diags := Load(dir, opts)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diagSummaries(diags))
			}
			if got := outputValue(t, cfg, "region").Value; !got.RawEquals(cty.StringVal(tt.want)) {
				t.Errorf("var.region = %#v, want %q", got, tt.want)
			}
		})
	}
}

func TestVariableTypes(t *testing.T) {
	tests := []struct {
		name    string
		decl    string
		env     string // BUCKETFORM_VAR_v
		arg     string // -var v=...
		want    cty.Value
		wantErr string
	}{
		{name: "string from -var is raw", decl: `type = string`, arg: `[1, 2]`, want: cty.StringVal("[1, 2]")},
		{name: "untyped from -var is raw", decl: ``, arg: `hello world`, want: cty.StringVal("hello world")},
		{name: "number from -var", decl: `type = number`, arg: `42`, want: cty.NumberIntVal(42)},
		{name: "bool from env", decl: `type = bool`, env: `true`, want: cty.True},
		{name: "list from -var is HCL", decl: `type = list(string)`, arg: `["a", "b"]`, want: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{name: "map from env is HCL", decl: `type = map(number)`, env: `{ a = 1 }`, want: cty.MapVal(map[string]cty.Value{"a": cty.NumberIntVal(1)})},
		{name: "number list converts", decl: `type = list(number)`, arg: `["1", 2]`, want: cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(2)})},
		{
			name: "optional attribute gets its default",
			decl: `type = object({ name = string, tier = optional(string, "standard") })`,
			arg:  `{ name = "acme" }`,
			want: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("acme"), "tier": cty.StringVal("standard")}),
		},
		{name: "default converts", decl: "type = list(string)\n  default = [\"x\"]", want: cty.ListVal([]cty.Value{cty.StringVal("x")})},
		{name: "number mismatch", decl: `type = number`, arg: `many`, wantErr: "Invalid value for input variable"},
		{name: "list mismatch", decl: `type = list(string)`, arg: `"a"`, wantErr: "Invalid value for input variable"},
		{name: "bad HCL", decl: `type = list(string)`, arg: `[`, wantErr: "Missing expression"},
		{name: "references are not values", decl: `type = list(string)`, arg: `[var.x]`, wantErr: "Variables not allowed"},
		{name: "bad type", decl: `type = lisst(string)`, arg: `x`, wantErr: "Invalid type specification"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := header + "variable \"v\" {\n  " + tt.decl + "\n}\n\noutput \"v\" {\n  value = var.v\n}\n"
			env := map[string]string{EnvAccessKey: "a", EnvSecretKey: "s"}
			if tt.env != "" {
				env["BUCKETFORM_VAR_v"] = tt.env
			}
			opts := Options{LookupEnv: envMap(env)}
			if tt.arg != "" {
				opts.Vars = []VarSource{{Assignment: "v=" + tt.arg}}
			}
			cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, opts)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(strings.Join(diagSummaries(diags), "\n"), tt.wantErr) {
					t.Fatalf("diagnostics %v; want %q", diagSummaries(diags), tt.wantErr)
				}
				for _, d := range diags {
					if d.Subject == nil {
						t.Errorf("%q has no subject", d.Summary)
					}
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diagSummaries(diags))
			}
			if got := outputValue(t, cfg, "v").Value; !got.RawEquals(tt.want) {
				t.Errorf("var.v = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestVariableErrorsOnTheCommandLine(t *testing.T) {
	src := header + `
variable "region" {
  default = "x"
}
`
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.hcl"), src)
	writeFile(t, filepath.Join(dir, "extra.bfvars"), "region = \"y\"\nregoin = \"z\"\n")
	cfg, diags := Load(dir, Options{LookupEnv: fixtureEnv, Vars: []VarSource{
		{Assignment: "regon=eu"},
		{Assignment: "no-equals-sign"},
		{File: filepath.Join(dir, "extra.bfvars")},
		{File: filepath.Join(dir, "missing.bfvars")},
	}})
	got := diagSummaries(diags)
	want := []string{
		"Value for undeclared variable @ 1",
		"warning: Value for undeclared variable @ 2",
		"Failed to read variable file @ 1",
		"Invalid -var option @ 1",
	}
	if !reflect.DeepEqual(sortedStrings(got), sortedStrings(want)) {
		t.Fatalf("diagnostics = %q, want %q", got, want)
	}
	for _, d := range diags {
		if strings.Contains(d.Summary, "undeclared") && !strings.Contains(d.Detail, `Did you mean "region"?`) {
			t.Errorf("%q: no suggestion in %q", d.Summary, d.Detail)
		}
	}
	if cfg.Files[filepath.Join(dir, "extra.bfvars")] == nil {
		t.Error("the -var-file is not in Files, so its lines cannot be shown")
	}
}

func TestRequiredVariable(t *testing.T) {
	src := header + `
variable "tenant" {
  type = string
}

bucket "data" {
  name = "${var.tenant}-data"
}
`
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
	if got := diagSummaries(diags); !reflect.DeepEqual(got, []string{"No value for required variable @ 10"}) {
		t.Errorf("non-partial: %v", got)
	}
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{Partial: true})
	if len(diags) > 0 {
		t.Fatalf("partial: %v", diagSummaries(diags))
	}
	if len(cfg.Buckets) != 1 || cfg.Buckets[0].State.Name != "" {
		t.Errorf("partial: a bucket named from an unknown variable has no name yet, got %+v", cfg.Buckets)
	}
	cfg, diags, _ = loadSource(t, map[string]string{"main.hcl": src}, Options{Vars: []VarSource{{Assignment: "tenant=acme"}}})
	if len(diags) > 0 || cfg.Buckets[0].State.Name != "acme-data" {
		t.Errorf("with -var: %v, %+v", diagSummaries(diags), cfg.Buckets)
	}
}

func TestVariableValidation(t *testing.T) {
	src := header + `
variable "env" {
  type    = string
  default = "prod"
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env is dev or prod, not ${var.env}."
  }
  validation {
    condition     = length(var.env) <= 4
    error_message = "env is short."
  }
}

variable "secret" {
  type      = string
  default   = "hunter2"
  sensitive = true
  validation {
    condition     = length(var.secret) > 10
    error_message = "too short: ${var.secret}"
  }
}

variable "other" {
  default = "x"
  validation {
    condition     = var.other == var.env
    error_message = "nope"
  }
}
`
	tests := []struct {
		arg  string
		want []string
	}{
		{arg: "env=dev", want: []string{"Invalid value for variable @ 28", "Invalid reference in variable validation @ 36"}},
		{arg: "env=staging", want: []string{"Invalid value for variable @ 14", "Invalid value for variable @ 18", "Invalid value for variable @ 28", "Invalid reference in variable validation @ 36"}},
	}
	for _, tt := range tests {
		_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{Vars: []VarSource{{Assignment: tt.arg}}})
		if got := diagSummaries(diags); !reflect.DeepEqual(sortedStrings(got), sortedStrings(tt.want)) {
			t.Errorf("-var %s: %v, want %v", tt.arg, got, tt.want)
		}
		for _, d := range diags {
			if strings.Contains(d.Detail, "hunter2") {
				t.Errorf("the error message of a sensitive variable is shown: %q", d.Detail)
			}
			if d.Subject.Start.Line == 14 && !strings.Contains(d.Detail, "env is dev or prod, not staging.") {
				t.Errorf("detail %q does not hold the error_message", d.Detail)
			}
		}
	}
	// An unknown value (partial, required) is not validated.
	src = header + `
variable "env" {
  validation {
    condition     = var.env == "prod"
    error_message = "env is prod."
  }
}
`
	if _, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{Partial: true}); len(diags) > 0 {
		t.Errorf("an unknown value was validated: %v", diagSummaries(diags))
	}
}

func TestSensitiveVariableValueNotShown(t *testing.T) {
	src := header + `
variable "token" {
  type      = number
  sensitive = true
}
`
	cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{Vars: []VarSource{{Assignment: "token=s3cr3t-value"}}})
	if !diags.HasErrors() {
		t.Fatal("want a type error")
	}
	var out strings.Builder
	WriteDiagnostics(&out, cfg.Files, diags)
	if strings.Contains(out.String(), "s3cr3t-value") {
		t.Errorf("a sensitive value is shown:\n%s", out.String())
	}
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
