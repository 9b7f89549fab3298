package config

import (
	"bytes"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestWriteDiagnostics(t *testing.T) {
	src := []byte("bucket \"data\" {\n  quota = \"10 gigs\"   \r\n}\n")
	files := map[string]*hcl.File{"dir/main.hcl": {Bytes: src}}
	quota := hcl.Range{Filename: "dir/main.hcl", Start: hcl.Pos{Line: 2, Column: 11, Byte: 26}, End: hcl.Pos{Line: 2, Column: 20, Byte: 35}}
	noByte := hcl.Range{Filename: "dir/main.hcl", Start: hcl.Pos{Line: 3, Column: 1}}
	elsewhere := hcl.Range{Filename: "<value for var.x>", Start: hcl.InitialPos}
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Invalid quota", Detail: "The quota is not valid.", Subject: &quota},
		{Severity: hcl.DiagWarning, Summary: "Value for undeclared variable", Detail: "It is ignored.", Subject: &noByte},
		{Severity: hcl.DiagError, Summary: "No subject", Detail: "Nowhere."},
		{Severity: hcl.DiagError, Summary: "No source", Detail: "The file is not known.", Subject: &elsewhere},
		{Severity: hcl.DiagError, Summary: "No detail", Subject: &quota},
	}
	var out bytes.Buffer
	WriteDiagnostics(&out, files, diags)
	want := `Error: Invalid quota

  on dir/main.hcl line 2:
  2:   quota = "10 gigs"

The quota is not valid.

Warning: Value for undeclared variable

  on dir/main.hcl line 3:
  3: }

It is ignored.

Error: No subject

Nowhere.

Error: No source

  on <value for var.x> line 1:

The file is not known.

Error: No detail

  on dir/main.hcl line 2:
  2:   quota = "10 gigs"

`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
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

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"nmae", "name", 2}, {"bukcet", "bucket", 2}, {"", "abc", 3}, {"kitten", "sitting", 3}} {
		if got := levenshtein(tt.a, tt.b); got != tt.d {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
	if got := didYouMean("regoin", []string{"name", "region"}); got != ` Did you mean "region"?` {
		t.Errorf("didYouMean = %q", got)
	}
	if got := didYouMean("zzzzzz", []string{"name", "region"}); got != "" {
		t.Errorf("didYouMean of a far name = %q", got)
	}
}
