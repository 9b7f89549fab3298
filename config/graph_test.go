package config

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestCycles(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string
		members []string // every address the cycle error must name
	}{
		{
			name:    "self reference",
			src:     "locals {\n  a = local.a\n}",
			want:    []string{"Cycle in references @ 11"},
			members: []string{"local.a"},
		},
		{
			name:    "two locals",
			src:     "locals {\n  a = local.b\n  b = local.a\n}",
			want:    []string{"Cycle in references @ 11"},
			members: []string{"local.a", "local.b"},
		},
		{
			name:    "across block types",
			src:     "locals {\n  n = bucket.b.name\n}\nbucket \"b\" {\n  tags = { n = local.n }\n}",
			want:    []string{"Cycle in references @ 11"},
			members: []string{"local.n", "bucket.b"},
		},
		{
			name:    "bucket on itself",
			src:     "bucket \"b\" {\n  tags = { arn = bucket.b.arn }\n}",
			want:    []string{"Cycle in references @ 10"},
			members: []string{"bucket.b"},
		},
		{
			name: "two separate cycles and a bystander",
			src:  "locals {\n  a = local.b\n  b = local.a\n  c = local.d\n  d = local.c\n  e = \"${local.a}-x\"\n}",
			want: []string{"Cycle in references @ 11", "Cycle in references @ 13"},
		},
		{
			name: "outputs",
			src:  "output \"a\" {\n  value = output.b\n}\noutput \"b\" {\n  value = output.a\n}",
			want: []string{"Cycle in references @ 10"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + "\n" + tt.src + "\n"}, Options{})
			if got := diagSummaries(diags); !equalStrings(got, tt.want) {
				t.Fatalf("%v, want %v", got, tt.want)
			}
			for _, m := range tt.members {
				if !strings.Contains(diags[0].Detail, m) {
					t.Errorf("cycle detail %q does not name %s", diags[0].Detail, m)
				}
			}
		})
	}
}

func TestReferencesAcrossFilesInAnyOrder(t *testing.T) {
	files := map[string]string{
		"a.hcl": `
output "name" {
  value = bucket.data.name
}

bucket "data" {
  name = local.name
}
`,
		"b.hcl": `
locals {
  name = "${local.prefix}-data"
}
`,
		"c.hcl": header + `
locals {
  prefix = var.prefix
}

variable "prefix" {
  default = "team"
}
`,
	}
	cfg, diags, _ := loadSource(t, files, Options{})
	if len(diags) > 0 {
		t.Fatal(diagSummaries(diags))
	}
	if got := outputValue(t, cfg, "name").Value; !got.RawEquals(cty.StringVal("team-data")) {
		t.Errorf("name = %#v", got)
	}
}

func TestInvalidReferences(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"var.nope", "Reference to undeclared input variable"},
		{"local.nope", "Reference to undeclared local value"},
		{"bucket.nope.name", "Reference to undeclared bucket block"},
		{"presign.nope.url", "Reference to undeclared presign block"},
		{"signing_endpoint.nope.endpoint", "Reference to undeclared signing_endpoint block"},
		{"minio.nope.region", "Reference to undeclared minio block"},
		{"output.nope", "Reference to undeclared output value"},
		{"buckets.data", "Invalid reference"},
		{"path.module", "Invalid reference"},
		{"var", "Invalid reference"},
		{`var["x"]`, "Invalid reference"},
		{"each.key", `Invalid "each" reference`},
		{"minio.main.secret_key", "Unsupported attribute"},
	}
	for _, tt := range tests {
		_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + "\noutput \"o\" {\n  value = " + tt.expr + "\n}\n"}, Options{})
		if got := diagSummaries(diags); !equalStrings(got, []string{tt.want + " @ 11"}) {
			t.Errorf("%s: %v, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestReferenceSuggestions(t *testing.T) {
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + `
variable "region" {
  default = "x"
}

output "o" {
  value = [var.regoin, buckets.x]
}
`}, Options{})
	details := ""
	for _, d := range diags {
		details += d.Detail + "\n"
	}
	if !strings.Contains(details, `Did you mean "region"?`) || !strings.Contains(details, `Did you mean "bucket"?`) {
		t.Errorf("no suggestions in:\n%s", details)
	}
}

func TestMinioValueHasNoSecrets(t *testing.T) {
	cfg := mustLoad(t, `
output "m" {
  value = minio.main
}
`, Options{})
	v := outputValue(t, cfg, "m").Value
	want := cty.ObjectVal(map[string]cty.Value{
		"name": cty.StringVal("main"), "endpoint": cty.StringVal("minio:9000"),
		"secure": cty.False, "region": cty.StringVal("us-east-1"),
	})
	if !v.RawEquals(want) {
		t.Errorf("minio.main = %#v, want %#v", v, want)
	}
}
