package config

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestWriteDiagnostics(t *testing.T) {
	src := []byte("bucket \"data\" {\n  quota = \"10 gigs\"\r\n  tags = { \"\x1b]0;pwned\x07\" = \"\u202e\" }\n}\n")
	vars := []byte("secret = \"s3cr3t-in-a-var-file\"\n")
	parsed, _ := hclsyntax.ParseConfig(src, "dir/main.hcl", hcl.InitialPos) // with a Nav: no ", in bucket" may follow "line N"
	files := map[string]*hcl.File{
		"dir/main.hcl":       parsed,
		"dir/prod.bfvars":    {Bytes: vars},
		"dir/other-vars.txt": {Body: hcl.EmptyBody()}, // a variable file, held without its source
	}
	quota := hcl.Range{Filename: "dir/main.hcl", Start: hcl.Pos{Line: 2, Column: 11, Byte: 26}, End: hcl.Pos{Line: 2, Column: 20, Byte: 35}}
	tags := hcl.Range{Filename: "dir/main.hcl", Start: hcl.Pos{Line: 3, Column: 10, Byte: 46}, End: hcl.Pos{Line: 3, Column: 11, Byte: 47}}
	elsewhere := hcl.Range{Filename: "<value for var.x>", Start: hcl.InitialPos}
	inVars := hcl.Range{Filename: "dir/prod.bfvars", Start: hcl.InitialPos, End: hcl.Pos{Line: 1, Column: 7, Byte: 6}}
	inOther := hcl.Range{Filename: "dir/other-vars.txt", Start: hcl.InitialPos, End: hcl.Pos{Line: 1, Column: 7, Byte: 6}}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Invalid quota", Detail: "The quota is not valid.", Subject: &quota},
		{Severity: hcl.DiagWarning, Summary: "Odd tag", Detail: "It says \x1b[2J.", Subject: &tags},
		{Severity: hcl.DiagError, Summary: "No subject", Detail: "Nowhere."},
		{Severity: hcl.DiagError, Summary: "No source", Detail: "The file is not known.", Subject: &elsewhere},
		{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable", Detail: "It is ignored.", Subject: &inVars},
		{Severity: hcl.DiagError, Summary: "Syntax error", Detail: "Broken.", Subject: &inOther},
		{Severity: hcl.DiagError, Summary: "No detail", Subject: &quota},
	}
	var out bytes.Buffer
	WriteDiagnostics(&out, files, diags)
	want := `Error: Invalid quota

  on dir/main.hcl line 2:
   2:   quota = "10 gigs"

The quota is not valid.

Warning: Odd tag

  on dir/main.hcl line 3:
   3:   tags = { "\x1b]0;pwned\a" = "\u202e" }

It says \x1b[2J.

Error: No subject

Nowhere.

Error: No source

  on <value for var.x> line 1:
  (source code not available)

The file is not known.

Warning: Value for undeclared variable

  on dir/prod.bfvars line 1:
  (source not shown: variable files hold secrets)

It is ignored.

Error: Syntax error

  on dir/other-vars.txt line 1:
  (source not shown: variable files hold secrets)

Broken.

Error: No detail

  on dir/main.hcl line 2:
   2:   quota = "10 gigs"

`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), "s3cr3t") {
		t.Error("the source of a variable file was shown")
	}
}

func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain text\twith tab\n": "plain text\twith tab\n",
		"\x1b[31mred\r":          `\x1b[31mred\r`,
		"bell\x07 del\x7f":       `bell\a del\x7f`,
		"csi \u009b2J":           `csi \u009b2J`,
		"bidi \u202eevil":        `bidi \u202eevil`,
		"bad \xff utf8":          `bad \xff utf8`,
		"ünïcödé ok":             "ünïcödé ok",
	} {
		if got := string(EscapeControls([]byte(in))); got != want {
			t.Errorf("EscapeControls(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiagnosticsAreSortedAndDeduplicated(t *testing.T) {
	l := newLoader(".", Options{})
	l.fileOrder = []string{"b.hcl", "a.hcl"}
	at := func(file string, b int) hcl.Range {
		return hcl.Range{Filename: file, Start: hcl.Pos{Line: 1, Column: b + 1, Byte: b}, End: hcl.Pos{Line: 1, Column: b + 2, Byte: b + 1}}
	}
	l.errorf(at("a.hcl", 5), "A5", "d")
	l.errorf(at("b.hcl", 9), "B9", "d")
	l.errorf(at("a.hcl", 1), "A1", "d")
	l.errorf(at("b.hcl", 9), "B9", "d")     // repeated: dropped
	l.errorf(at("b.hcl", 9), "B9", "other") // another detail: kept
	l.errorf(at("<value for var.x>", 0), "V", "d")
	l.errorf(at("b.hcl", 2), "B2", "d")
	var got []string
	for _, d := range l.finishDiagnostics() {
		got = append(got, d.Summary)
	}
	want := []string{"B2", "B9", "B9", "A1", "A5", "V"}
	if !equalStrings(got, want) {
		t.Errorf("%v, want %v (files in reading order, then position)", got, want)
	}
}

func TestDidYouMean(t *testing.T) {
	for _, tt := range []struct {
		name       string
		candidates []string
		want       string
	}{
		{"regoin", []string{"name", "region"}, ` Did you mean "region"?`},
		{"bukcet", []string{"bucket", "presign"}, ` Did you mean "bucket"?`},
		{"zzzzzz", []string{"name", "region"}, ""},
		{"naem", nil, ""},
	} {
		if got := didYouMean(tt.name, tt.candidates); got != tt.want {
			t.Errorf("didYouMean(%q, %q) = %q, want %q", tt.name, tt.candidates, got, tt.want)
		}
	}
}
