package funcs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

type testMark string

const secret testMark = "secret"

func eval(t *testing.T, fns Options, src string, vars map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %s: %s", src, diags.Error())
	}
	return expr.Value(&hcl.EvalContext{Functions: Table(fns), Variables: vars})
}

func TestFunctions(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "policy.json"), []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin"), []byte{0xff, 0xfe}, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"REGION": "eu-west-1", "MINIO_SECRET_KEY": "s3cr3t"}
	opts := Options{
		BaseDir:    dir,
		LookupEnv:  func(n string) (string, bool) { v, ok := env[n]; return v, ok },
		SecretMark: secret,
	}
	tests := []struct {
		src     string
		want    cty.Value
		wantErr string
	}{
		{src: `length("héllo")`, want: cty.NumberIntVal(5)},
		{src: `length([1, 2, 3])`, want: cty.NumberIntVal(3)},
		{src: `length({a = 1, b = 2})`, want: cty.NumberIntVal(2)},
		{src: `length(toset(["a", "a", "b"]))`, want: cty.NumberIntVal(2)},
		{src: `length(tomap({a = "x"}))`, want: cty.NumberIntVal(1)},
		{src: `length(5)`, wantErr: "must be a string, a collection"},
		{src: `index(["a", "b", "c"], "b")`, want: cty.NumberIntVal(1)},
		{src: `index(["a"], "z")`, wantErr: "not in the list"},
		{src: `index([], "z")`, wantErr: "empty list"},
		{src: `lookup({a = 1}, "a")`, want: cty.NumberIntVal(1)},
		{src: `lookup({a = 1}, "b", 2)`, want: cty.NumberIntVal(2)},
		{src: `lookup(tomap({a = "x"}), "b", "d")`, want: cty.StringVal("d")},
		{src: `lookup({a = 1}, "b")`, wantErr: `no attribute "b"`},
		{src: `lookup(tomap({a = 1}), "b")`, wantErr: `no element "b"`},
		{src: `replace("a-b-c", "-", "_")`, want: cty.StringVal("a_b_c")},
		{src: `replace("a1b22c", "/[0-9]+/", "#")`, want: cty.StringVal("a#b#c")},
		{src: `replace("x", "/(/", "#")`, wantErr: "invalid regular expression"},
		{src: `startswith("bucket-a", "bucket")`, want: cty.True},
		{src: `endswith("bucket-a", "bucket")`, want: cty.False},
		{src: `strcontains("bucket-a", "et-")`, want: cty.True},
		{src: `base64encode("hi")`, want: cty.StringVal("aGk=")},
		{src: `base64decode("aGk=")`, want: cty.StringVal("hi")},
		{src: `base64decode("!!")`, wantErr: "not valid Base64"},
		{src: `env("REGION")`, want: cty.StringVal("eu-west-1")},
		{src: `env("NOPE", "dflt")`, want: cty.StringVal("dflt")},
		{src: `env("NOPE")`, wantErr: `environment variable "NOPE" is not set`},
		{src: `env("A", "b", "c")`, wantErr: "at most one default"},
		{src: `env("MINIO_SECRET_KEY")`, want: cty.StringVal("s3cr3t").Mark(secret)},
		{src: `upper(env("MINIO_SECRET_KEY"))`, want: cty.StringVal("S3CR3T").Mark(secret)},
		{src: `tonumber(env("MINIO_SECRET_KEY"))`, wantErr: "details of this error are hidden"},
		{src: `tonumber("abc")`, wantErr: `cannot convert "abc" to number`},
		{src: `file("policy.json")`, want: cty.StringVal(`{"a":1}`)},
		{src: `jsondecode(file("policy.json")).a`, want: cty.NumberIntVal(1)},
		{src: `file("missing.json")`, wantErr: "cannot read missing.json"},
		{src: `file(".")`, wantErr: "not a regular file"},
		{src: `file("bin")`, wantErr: "not valid UTF-8"},
		{src: `format("%s-%03d", "t", 7)`, want: cty.StringVal("t-007")},
		{src: `join(",", formatlist("b-%s", ["x", "y"]))`, want: cty.StringVal("b-x,b-y")},
		{src: `trimprefix(trimsuffix("[x]", "]"), "[")`, want: cty.StringVal("x")},
		{src: `title(lower(trimspace("  HELLO ")))`, want: cty.StringVal("Hello")},
		{src: `substr("bucketform", 0, 6)`, want: cty.StringVal("bucket")},
		{src: `can(regex("^[a-z]+$", "abc"))`, want: cty.True},
		{src: `can(regex("^[a-z]+$", "ABC"))`, want: cty.False},
		{src: `try(tonumber("x"), 7)`, want: cty.NumberIntVal(7)},
		{src: `jsonencode({b = [1, true]})`, want: cty.StringVal(`{"b":[1,true]}`)},
		{src: `keys(merge({a = 1}, {b = 2}))`, want: cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{src: `contains(distinct(flatten([["a"], ["a", "b"]])), "b")`, want: cty.True},
		{src: `coalesce("", "x")`, want: cty.StringVal("x")},
		{src: `coalesce(null, 1)`, want: cty.NumberIntVal(1)},
		{src: `coalesce("", "")`, wantErr: "every argument is null"},
		{src: `lookup({a = 1}, "a", 0)`, want: cty.NumberIntVal(1)},
		{src: `max(min(3, 9), abs(-2), ceil(1.5), floor(2.5))`, want: cty.NumberIntVal(3)},
		{src: `length(range(3))`, want: cty.NumberIntVal(3)},
		{src: `element(reverse(sort(["b", "a", "c"])), 0)`, want: cty.StringVal("c")},
		{src: `zipmap(["a"], [1]).a`, want: cty.NumberIntVal(1)},
		{src: `tobool("true")`, want: cty.True},
		{src: `tostring(5)`, want: cty.StringVal("5")},
		{src: `slice(compact(["a", "", "b"]), 1, 2)[0]`, want: cty.StringVal("b")},
		{src: `join("/", split(",", "a,b"))`, want: cty.StringVal("a/b")},
		{src: `length(coalescelist([], ["x"]))`, want: cty.NumberIntVal(1)},
		{src: `values({a = "x"})[0]`, want: cty.StringVal("x")},
		{src: `regexall("[0-9]", "a1b2")`, want: cty.ListVal([]cty.Value{cty.StringVal("1"), cty.StringVal("2")})},
		{src: `length(tolist(toset(["a"])))`, want: cty.NumberIntVal(1)},
		{src: `trim("--x--", "-")`, want: cty.StringVal("x")},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got, diags := eval(t, opts, tt.src, nil)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("got %#v, %v; want error containing %q", got, diags, tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("unexpected error: %s", diags.Error())
			}
			if !got.RawEquals(tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEnvPartial(t *testing.T) {
	opts := Options{LookupEnv: func(string) (string, bool) { return "", false }, Partial: true, SecretMark: secret}
	got, diags := eval(t, opts, `env("HOME_DIR")`, nil)
	if diags.HasErrors() || got.IsKnown() || got.IsMarked() {
		t.Fatalf("env of an unset variable in partial mode = %#v, %v; want an unmarked unknown string", got, diags)
	}
	got, diags = eval(t, opts, `env("MINIO_SECRET_KEY")`, nil)
	if diags.HasErrors() || got.IsKnown() || !got.HasMark(secret) {
		t.Fatalf("env of an unset secret in partial mode = %#v, %v; want a marked unknown string", got, diags)
	}
}

func TestMarksPropagate(t *testing.T) {
	vars := map[string]cty.Value{
		"s": cty.ObjectVal(map[string]cty.Value{
			"list": cty.ListVal([]cty.Value{cty.StringVal("a").Mark(secret), cty.StringVal("b")}),
		}),
	}
	for _, src := range []string{`join(",", s.list)`, `length(s.list[0])`, `jsonencode(s)`, `format("%s", s.list[0])`, `upper(s.list[0])`} {
		got, diags := eval(t, Options{}, src, vars)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags.Error())
		}
		if !got.ContainsMarked() {
			t.Errorf("%s = %#v: the mark of an argument was lost", src, got)
		}
	}
	_, diags := eval(t, Options{}, `tonumber(s.list[0])`, vars)
	if !diags.HasErrors() || strings.Contains(diags.Error(), `"a"`) {
		t.Fatalf("error of a function with a marked argument must hide the value, got %v", diags)
	}
}

func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"MINIO_SECRET_KEY": true, "MINIO_ROOT_PASSWORD": true, "github_token": true, "SERVICE_API_KEY": true,
		"MINIO_ACCESS_KEY": false, "REGION": false, "HOME": false,
	} {
		if got := IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestToCollection(t *testing.T) {
	big := make([]string, 10000)
	for i := range big {
		big[i] = fmt.Sprintf("%q", fmt.Sprintf("name-%05d", i))
	}
	tests := []struct {
		src  string
		want cty.Value
	}{
		{`toset(["b", "a", "b"])`, cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{`tolist(["b", "a"])`, cty.ListVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")})},
		{`tomap({a = 1, b = 2})`, cty.MapVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NumberIntVal(2)})},
		{`toset(["a", 1])`, cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("1")})},
		{`tolist(["a", null])`, cty.ListVal([]cty.Value{cty.StringVal("a"), cty.NullVal(cty.String)})},
		{`tomap({a = "x", b = 1})`, cty.MapVal(map[string]cty.Value{"a": cty.StringVal("x"), "b": cty.StringVal("1")})},
		{`toset([])`, cty.SetValEmpty(cty.DynamicPseudoType)},
		{`tolist([["a"], ["b"]])`, cty.ListVal([]cty.Value{cty.TupleVal([]cty.Value{cty.StringVal("a")}), cty.TupleVal([]cty.Value{cty.StringVal("b")})})},
		{`toset(toset(["a"]))`, cty.SetVal([]cty.Value{cty.StringVal("a")})},
		{`length(toset([` + strings.Join(big, ",") + `]))`, cty.NumberIntVal(10000)},
	}
	for _, tt := range tests {
		name := tt.src
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			got, diags := eval(t, Options{}, tt.src, nil)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if !got.RawEquals(tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	// Unknown elements stay unknown; a marked element marks the collection.
	got, diags := eval(t, Options{}, `toset([v, "a"])`, map[string]cty.Value{"v": cty.UnknownVal(cty.String).Mark(secret)})
	if diags.HasErrors() || got.IsWhollyKnown() || !got.ContainsMarked() {
		t.Errorf("toset with an unknown marked element = %#v, %v", got, diags)
	}
}
