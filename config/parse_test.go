package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// trickyBlock is a top-level block whose strings, heredocs and comments hold braces, quotes and
// things that look like block starts.
const trickyBlock = `# comment with { and "
bucket "b%[1]d" { // another { comment
  name = "b-%[1]d-${"}"}-{" # "quoted }"
  tags = {
    a = "x\"}{"
    b = "$${not_interpolated} %%%%{ nor this }"
    c = "${ { k = "}" }.k }"
  }
  /* block comment
  } still a comment {
  */
  policy = <<EOT
{ "unbalanced": "{{{" }
}
EOT
  quota = <<-EOT
    1GiB
    EOT
}

`

func trickySource(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, trickyBlock, i)
	}
	return []byte(b.String())
}

func TestChunkedParseMatchesWholeParse(t *testing.T) {
	src := trickySource(600)
	if len(src) < 4*chunkSize {
		t.Fatalf("source of %d bytes is too small to be split", len(src))
	}
	starts := chunkStarts(src)
	if len(starts) < 3 {
		t.Fatalf("only %d pieces", len(starts))
	}
	whole, diags := hclsyntax.ParseConfig(src, "main.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	wb := whole.Body.(*hclsyntax.Body)
	for _, s := range starts[1:] {
		if src[s.Byte-1] != '\n' {
			t.Errorf("piece at byte %d does not start a line", s.Byte)
		}
		if want := strings.Count(string(src[:s.Byte]), "\n") + 1; s.Line != want {
			t.Errorf("piece at byte %d says line %d, want %d", s.Byte, s.Line, want)
		}
		for _, b := range wb.Blocks {
			r := b.Range()
			if r.Start.Byte < s.Byte && s.Byte < r.End.Byte {
				t.Errorf("piece at byte %d splits the block at line %d", s.Byte, r.Start.Line)
			}
		}
	}
	chunked, diags := parseFile(src, "main.hcl")
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got, want := describeBody(chunked.Body.(*hclsyntax.Body)), describeBody(wb); !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("first difference at item %d:\n got %s\nwant %s", i, got[i], want[i])
			}
		}
		t.Fatalf("%d items, want %d", len(got), len(want))
	}
	if string(chunked.Bytes) != string(src) {
		t.Error("the file's bytes are not the whole source")
	}
}

// describeBody renders every block, attribute and expression range of a body.
func describeBody(b *hclsyntax.Body) []string {
	var out []string
	for _, blk := range b.Blocks {
		out = append(out, fmt.Sprintf("block %s %v %v %v", blk.Type, blk.Labels, blk.DefRange(), blk.Range()))
		out = append(out, describeBody(blk.Body)...)
	}
	var attrs []string
	for name, a := range b.Attributes {
		attrs = append(attrs, fmt.Sprintf("attr %s %v %v", name, a.SrcRange, a.Expr.Range()))
	}
	return append(out, sortedStrings(attrs)...)
}

func TestChunkedParseFallsBackOnErrors(t *testing.T) {
	src := trickySource(600)
	broken := append(append([]byte(nil), src[:len(src)/2]...), []byte("bucket \"x\" {\n  name = \n}\n")...)
	broken = append(broken, src[len(src)/2:]...)
	_, want := hclsyntax.ParseConfig(broken, "main.hcl", hcl.InitialPos)
	_, got := parseFile(broken, "main.hcl")
	if !want.HasErrors() || got.Error() != want.Error() {
		t.Errorf("diagnostics differ:\n got %v\nwant %v", got, want)
	}
	// A top-level argument defined in two pieces is an error of the whole parse.
	dup := append([]byte("x = 1\n"), src...)
	dup = append(dup, []byte("x = 2\n")...)
	_, want = hclsyntax.ParseConfig(dup, "main.hcl", hcl.InitialPos)
	_, got = parseFile(dup, "main.hcl")
	if !want.HasErrors() || got.Error() != want.Error() {
		t.Errorf("duplicate argument:\n got %v\nwant %v", got, want)
	}
}

func TestChunkStartsStopsWhenUnsure(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("x = 1\n", 20000) + "y = \"unterminated\n" + strings.Repeat("z = 1\n", 20000),
		strings.Repeat("x = 1\n", 20000) + "/* open comment\n" + strings.Repeat("z = 1\n", 20000),
		strings.Repeat("x = 1\n", 20000) + "}\n" + strings.Repeat("z = 1\n", 20000),
	} {
		starts := chunkStarts([]byte(src))
		last := starts[len(starts)-1].Byte
		if last > 20000*6 {
			t.Errorf("a piece starts at %d, after the point the scan could not understand", last)
		}
	}
}
