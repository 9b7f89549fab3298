package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestForEachExpansion(t *testing.T) {
	tests := []struct {
		name    string
		forEach string
		body    string
		want    map[string]string // address → bucket name
	}{
		{
			name:    "set of strings",
			forEach: `toset(["globex", "acme"])`,
			want:    map[string]string{`bucket.t["acme"]`: "acme", `bucket.t["globex"]`: "globex"},
		},
		{
			name:    "map with each.value",
			forEach: `{ a = "alpha-bucket", b = "beta-bucket" }`,
			body:    `name = each.value`,
			want:    map[string]string{`bucket.t["a"]`: "alpha-bucket", `bucket.t["b"]`: "beta-bucket"},
		},
		{
			name:    "map of objects",
			forEach: `{ x = { n = "one" }, y = { n = "two" } }`,
			body:    `name = "b-${each.key}-${each.value.n}"`,
			want:    map[string]string{`bucket.t["x"]`: "b-x-one", `bucket.t["y"]`: "b-y-two"},
		},
		{
			name:    "keys that need quoting",
			forEach: `{ "a\"b" = "quoted-key" }`,
			body:    `name = each.value`,
			want:    map[string]string{`bucket.t["a\"b"]`: "quoted-key"},
		},
		{
			name:    "toset with repeated names",
			forEach: `toset(["bbb", "aaa", "bbb", "ccc"])`,
			want:    map[string]string{`bucket.t["aaa"]`: "aaa", `bucket.t["bbb"]`: "bbb", `bucket.t["ccc"]`: "ccc"},
		},
		{
			name:    "toset of mixed types converts to strings",
			forEach: `toset(["aaa", 123])`,
			want:    map[string]string{`bucket.t["aaa"]`: "aaa", `bucket.t["123"]`: "123"},
		},
		{
			name:    "toset of a computed list",
			forEach: `toset([for i in range(3) : "n-${i}"])`,
			want:    map[string]string{`bucket.t["n-0"]`: "n-0", `bucket.t["n-1"]`: "n-1", `bucket.t["n-2"]`: "n-2"},
		},
		{
			name:    "empty set",
			forEach: `toset([])`,
			want:    map[string]string{},
		},
		{
			name:    "for expression",
			forEach: `{ for n in ["xx1", "xx2"] : n => upper(n) }`,
			body:    `tags = { label = each.value }`,
			want:    map[string]string{`bucket.t["xx1"]`: "xx1", `bucket.t["xx2"]`: "xx2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, "bucket \"t\" {\n  for_each = "+tt.forEach+"\n  "+tt.body+"\n}\n", Options{})
			got := map[string]string{}
			for _, b := range cfg.Buckets {
				got[b.Address] = b.State.Name
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("instances = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForEachErrors(t *testing.T) {
	tests := []struct {
		forEach string
		want    []string
	}{
		{`["a", "b"]`, []string{"Invalid for_each argument @ 11"}},
		{`tolist(["a"])`, []string{"Invalid for_each argument @ 11"}},
		{`toset([1, 2])`, []string{"Invalid for_each argument @ 11"}},
		{`"a"`, []string{"Invalid for_each argument @ 11"}},
		{`null`, []string{"Invalid for_each argument @ 11"}},
		{`toset(["Bad_Name"])`, []string{"Invalid bucket name @ 11"}},
		{`toset([each.key])`, []string{`Invalid "each" reference @ 11`}},
	}
	for _, tt := range tests {
		_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + "\nbucket \"t\" {\n  for_each = " + tt.forEach + "\n}\n"}, Options{})
		if got := diagSummaries(diags); !equalStrings(got, tt.want) {
			t.Errorf("for_each = %s: %v, want %v", tt.forEach, got, tt.want)
		}
	}
}

func TestForEachReferences(t *testing.T) {
	cfg := mustLoad(t, `
bucket "tenant" {
  for_each = toset(["acme", "globex"])
  name     = "tenant-${each.key}"
}

presign "upload" {
  for_each = bucket.tenant
  bucket   = each.value
  key      = "in/${each.key}"
  expires  = "1h"
}

presign "one" {
  bucket  = bucket.tenant["acme"]
  key     = "x"
  expires = "1h"
}

output "names" {
  value = [for k, b in bucket.tenant : b.name]
}

output "arn" {
  value = bucket.tenant["globex"].arn
}

output "count" {
  value = length(bucket.tenant)
}
`, Options{})
	if got := outputValue(t, cfg, "names").Value; !got.RawEquals(cty.TupleVal([]cty.Value{cty.StringVal("tenant-acme"), cty.StringVal("tenant-globex")})) {
		t.Errorf("names = %#v", got)
	}
	if got := outputValue(t, cfg, "arn").Value; !got.RawEquals(cty.StringVal("arn:aws:s3:::tenant-globex")) {
		t.Errorf("arn = %#v", got)
	}
	if got := outputValue(t, cfg, "count").Value; !got.RawEquals(cty.NumberIntVal(2)) {
		t.Errorf("count = %#v", got)
	}
	var got []string
	for _, p := range cfg.Presigns {
		got = append(got, p.Address+" → "+p.Bucket+"/"+p.Key)
	}
	want := []string{
		`presign.upload["acme"] → tenant-acme/in/acme`,
		`presign.upload["globex"] → tenant-globex/in/globex`,
		`presign.one → tenant-acme/x`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("presigns = %q, want %q", got, want)
	}
}

func TestPresignBucketLookalike(t *testing.T) {
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + `
presign "a" {
  bucket  = { name = tostring(null), minio = "main", arn = "x" }
  key     = "k"
  expires = "1h"
}

presign "b" {
  bucket  = { name = "data", minio = "nope", arn = "x" }
  key     = "k"
  expires = "1h"
}
`}, Options{})
	if got := diagSummaries(diags); !equalStrings(got, []string{"Invalid presign bucket @ 11", "Invalid presign bucket @ 17"}) {
		t.Errorf("%v", got)
	}
}

func TestForEachInvariantArgumentsReportOnce(t *testing.T) {
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + `
bucket "t" {
  for_each   = toset(["aa1", "aa2", "aa3"])
  versioning = "on"
  quota      = "${each.key}GiB"
}
`}, Options{})
	want := []string{"Invalid versioning value @ 12", "Invalid quota @ 13", "Invalid quota @ 13", "Invalid quota @ 13"}
	if got := diagSummaries(diags); !equalStrings(got, want) {
		t.Errorf("%v, want %v: an argument without each is reported once, one with each per instance", got, want)
	}
}

// TestTosetShortcutMatchesSet checks that the for_each = toset(LIST) shortcut gives the keys, in
// the order, that iterating the cty set gives.
func TestTosetShortcutMatchesSet(t *testing.T) {
	lists := []string{
		`["b", "a", "b", "", "Z", "é", "a-1", "a.1"]`,
		`[]`,
		`["only"]`,
	}
	for _, list := range lists {
		l := newLoader(t.TempDir(), Options{})
		expr, diags := hclsyntax.ParseExpression([]byte("toset("+list+")"), "x.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		keys, ok := l.tosetKeys(expr, l.static)
		if !ok {
			t.Fatalf("toset(%s): no shortcut", list)
		}
		set, diags := expr.Value(l.static)
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		var want []string
		for it := set.ElementIterator(); it.Next(); {
			_, e := it.Element()
			want = append(want, e.AsString())
		}
		if !reflect.DeepEqual(keys, want) && !(len(keys) == 0 && len(want) == 0) {
			t.Errorf("toset(%s): shortcut keys %q, set order %q", list, keys, want)
		}
	}
	for _, src := range []string{`toset([1, 2])`, `toset(["a", null])`, `tolist(["a"])`, `toset("a")`} {
		l := newLoader(t.TempDir(), Options{})
		expr, _ := hclsyntax.ParseExpression([]byte(src), "x.hcl", hcl.InitialPos)
		if _, ok := l.tosetKeys(expr, l.static); ok {
			t.Errorf("%s takes the shortcut", src)
		}
	}
}

// TestManyInstances evaluates for_each blocks large enough to be spread over goroutines (run it
// with -race): every instance is there, in key order, and the diagnostics are the same on
// every run.
func TestManyInstances(t *testing.T) {
	var names []string
	for i := range 1500 {
		n := fmt.Sprintf("tenant-%04d", i)
		if i%500 == 7 {
			n = fmt.Sprintf("Bad_%d", i) // an invalid bucket name
		}
		names = append(names, fmt.Sprintf("%q", n))
	}
	src := header + `
variable "team" {
  default = "ml"
}

bucket "t" {
  for_each   = toset([` + strings.Join(names, ", ") + `])
  versioning = "enabled"
  quota      = "${length(each.key)}GiB"
  tags       = { team = var.team, key = each.key, env = env("STAGE", "dev") }
  lifecycle_rule {
    id              = "tmp"
    expiration_days = 1
  }
}

presign "get" {
  for_each = bucket.t
  bucket   = each.value
  key      = "${each.key}/index.html"
  expires  = "1h"
}
`
	var first []string
	for run := range 3 {
		cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
		var got []string
		for _, d := range diags {
			got = append(got, d.Summary+": "+d.Detail)
		}
		if len(got) != 3 {
			t.Fatalf("%d diagnostics, want 3 invalid names: %v", len(got), diagSummaries(diags))
		}
		if run == 0 {
			first = got
		} else if !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d reports %v, run 0 %v", run, got, first)
		}
		if len(cfg.Buckets) != 1500 || len(cfg.Presigns) != 1500 {
			t.Fatalf("%d buckets, %d presigns", len(cfg.Buckets), len(cfg.Presigns))
		}
		for i := 1; i < len(cfg.Buckets); i++ {
			if cfg.Buckets[i-1].Address >= cfg.Buckets[i].Address {
				t.Fatalf("buckets out of order: %s before %s", cfg.Buckets[i-1].Address, cfg.Buckets[i].Address)
			}
		}
		b := cfg.Buckets[len(cfg.Buckets)-1]
		if b.Address != `bucket.t["tenant-1499"]` || b.State.Name != "tenant-1499" || b.State.Quota != 11<<30 || b.State.Tags["env"] != "dev" || len(b.State.Lifecycle) != 1 {
			t.Errorf("bucket = %+v", b.State)
		}
		if p := cfg.Presigns[1499]; p.Key != p.Bucket+"/index.html" {
			t.Errorf("presign = %+v", p)
		}
	}
}
