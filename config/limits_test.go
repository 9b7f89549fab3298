package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// loadWithin loads dir and fails the test when Load takes longer than a minute: a hang is a
// bug. Load runs in this goroutine's stead so that a stack overflow still shows as a crash.
func loadWithin(t *testing.T, dir string, opts Options) (*Config, hcl.Diagnostics) {
	t.Helper()
	type result struct {
		cfg   *Config
		diags hcl.Diagnostics
	}
	done := make(chan result, 1)
	go func() {
		cfg, diags := Load(dir, opts)
		done <- result{cfg, diags}
	}()
	select {
	case r := <-done:
		return r.cfg, r.diags
	case <-time.After(time.Minute):
		t.Fatal("Load did not return within a minute")
		return nil, nil
	}
}

// wantLimitError checks that diags has an error with summary at file:line whose detail
// documents the limits.
func wantLimitError(t *testing.T, diags hcl.Diagnostics, summary, file string, line int) {
	t.Helper()
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Summary != summary {
			continue
		}
		if d.Subject == nil || filepath.Base(d.Subject.Filename) != file || (line > 0 && d.Subject.Start.Line != line) {
			t.Errorf("%q at %v, want %s line %d", summary, d.Subject, file, line)
		}
		if !strings.Contains(d.Detail, "bucketform reads files of at most 8 MiB") {
			t.Errorf("detail of %q does not document the limits: %s", summary, d.Detail)
		}
		return
	}
	t.Errorf("no %q error at %s:%d; got %v", summary, file, line, diagSummaries(diags))
}

func writeMain(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.hcl"), header+src)
	return dir
}

var headerLines = strings.Count(header, "\n")

func TestDeepNestingIsALocatedError(t *testing.T) {
	for name, src := range map[string]string{
		"80,000 parentheses": "locals {\n  x = " + strings.Repeat("(", 80000) + "1" + strings.Repeat(")", 80000) + "\n}\n",
		"100,000 brackets":   "locals {\n  x = " + strings.Repeat("[", 100000) + "\n}\n",
		"nested templates":   "locals {\n  x = " + strings.Repeat(`"${`, 300) + "1" + strings.Repeat(`}"`, 300) + "\n}\n",
		"nested directives":  "locals {\n  x = <<EOT\n" + strings.Repeat("%{ if true }", 2000) + "\nEOT\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := loadWithin(t, writeMain(t, src), Options{LookupEnv: fixtureEnv})
			summary := "Configuration nested too deeply"
			if name == "nested directives" {
				summary = "Expression too long"
			}
			wantLimitError(t, diags, summary, "main.hcl", 0)
		})
	}
}

func TestLongOperatorChainIsALocatedError(t *testing.T) {
	for name, src := range map[string]string{
		"binary":  "locals {\n  x = 1" + strings.Repeat("+1", 300000) + "\n}\n",
		"unary":   "locals {\n  x = " + strings.Repeat("!", 2000000) + "true\n}\n",
		"indexes": "locals {\n  l = [0]\n  x = local.l" + strings.Repeat("[local.l[0]]", 2000) + "\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := loadWithin(t, writeMain(t, src), Options{LookupEnv: fixtureEnv})
			wantLimitError(t, diags, "Expression too long", "main.hcl", headerLines+2+strings.Count(src[:strings.Index(src, "x =")], "\n")-1)
		})
	}
	// Chains as long as real configurations write them are fine.
	mustLoad(t, "locals {\n  x = 1"+strings.Repeat("+1", 200)+"\n  l = ["+strings.Repeat("1+1,\n", 5000)+"]\n}\n", Options{})
}

func TestHugeNumberIsALocatedError(t *testing.T) {
	_, diags := loadWithin(t, writeMain(t, "locals {\n  x = \"${1e10000000}\"\n}\n"), Options{LookupEnv: fixtureEnv})
	wantLimitError(t, diags, "Number too large", "main.hcl", headerLines+2)
	// Arithmetic cannot build one either: each local is checked.
	src := "locals {\n  a = 1e900\n  b = local.a * local.a\n  c = \"${local.b * local.b * local.b}\"\n}\n"
	_, diags = loadWithin(t, writeMain(t, src), Options{LookupEnv: fixtureEnv})
	wantLimitError(t, diags, "Value too large", "main.hcl", headerLines+3)
}

func TestDoublingLocalsStopAtTheValueLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("locals {\n  l0 = \"xxxxxxxxxxxxxxxx\"\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "  l%d = \"${local.l%d}${local.l%d}\"\n", i, i-1, i-1)
	}
	b.WriteString("}\n")
	_, diags := loadWithin(t, writeMain(t, b.String()), Options{LookupEnv: fixtureEnv})
	// 16 bytes doubled 21 times is 32 MiB, the first value over 16 MiB.
	wantLimitError(t, diags, "Value too large", "main.hcl", headerLines+2+21)

	// Lists double as well.
	b.Reset()
	b.WriteString("locals {\n  l0 = [1, 2]\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "  l%d = concat(local.l%d, local.l%d)\n", i, i-1, i-1)
	}
	b.WriteString("}\n")
	_, diags = loadWithin(t, writeMain(t, b.String()), Options{LookupEnv: fixtureEnv})
	wantLimitAt(t, diags, headerLines+2+19)
}

// wantLimitAt checks that diags has an error at line of main.hcl that names a limit.
func wantLimitAt(t *testing.T, diags hcl.Diagnostics, line int) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && d.Subject.Start.Line == line &&
			(strings.Contains(d.Detail, "the limit for one value") || strings.Contains(d.Detail, "bucketform reads files")) {
			return
		}
	}
	t.Errorf("no limit error at line %d; got %v", line, diags)
}

func TestAmplifyingFunctionsRefuseBeforeBuilding(t *testing.T) {
	for name, expr := range map[string]string{
		"format width":  `format("%999999999d", 1)`,
		"replace":       `replace(local.s, "a", local.s)`,
		"join":          `join("", [for i in range(1000) : local.s])`,
		"indent":        `indent(1000000000, "a\nb")`,
		"setproduct":    `setproduct(range(1000), range(1000), range(1000))`,
		"jsondecode":    `jsondecode(join("", [for i in range(300) : "["]))`,
		"split":         `length(split("", local.s))`,
		"nested values": `jsonencode([for i in range(1000) : [for j in range(1000) : local.s]])`,
	} {
		t.Run(name, func(t *testing.T) {
			src := "locals {\n  s = \"" + strings.Repeat("a", 1<<20) + "\"\n  x = " + expr + "\n}\n"
			_, diags := loadWithin(t, writeMain(t, src), Options{LookupEnv: fixtureEnv})
			wantLimitAt(t, diags, headerLines+3)
		})
	}
}

func TestDeepValueFromLocalsIsALocatedError(t *testing.T) {
	var b strings.Builder
	b.WriteString("locals {\n  l0 = 1\n")
	for i := 1; i <= 300; i++ {
		fmt.Fprintf(&b, "  l%d = [local.l%d]\n", i, i-1)
	}
	b.WriteString("}\n")
	_, diags := loadWithin(t, writeMain(t, b.String()), Options{LookupEnv: fixtureEnv})
	wantLimitError(t, diags, "Value too large", "main.hcl", headerLines+2+256)
}

// commentLine is a long comment line: large files made of it lex into few tokens.
var commentLine = "# " + strings.Repeat("c", 1000) + "\n"

// specialFiles makes, in dir, a named pipe "fifo", a link "zero" to /dev/zero and a file
// "huge" larger than MaxFileBytes.
func specialFiles(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Skipf("cannot make a named pipe: %v", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "huge"), strings.Repeat(commentLine, MaxFileBytes/len(commentLine)+1))
}

func TestConfigurationFilesMustBeRegularAndSmall(t *testing.T) {
	for name, detail := range map[string]string{
		"fifo": "named pipe", "zero": "a device", "huge": "larger than 8 MiB",
	} {
		t.Run(name, func(t *testing.T) {
			src := t.TempDir()
			specialFiles(t, src)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.hcl"), header)
			target, err := filepath.Abs(filepath.Join(src, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, "main.hcl")); err != nil {
				t.Fatal(err)
			}
			_, diags := loadWithin(t, dir, Options{LookupEnv: fixtureEnv})
			if len(diags) == 0 || diags[0].Summary != "Failed to read configuration file" || !strings.Contains(diags[0].Detail, detail) ||
				diags[0].Subject == nil || filepath.Base(diags[0].Subject.Filename) != "main.hcl" {
				t.Fatalf("want a located read error saying %q, got %v", detail, diags)
			}
		})
	}
}

func TestVariableFilesAndFileFunctionMustBeRegularAndSmall(t *testing.T) {
	for name, detail := range map[string]string{
		"fifo": "named pipe", "zero": "a device", "huge": "larger than 8 MiB",
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeMain(t, "variable \"v\" {\n  default = \"\"\n}\nlocals {\n  x = file(\""+name+"\")\n}\n")
			specialFiles(t, dir)
			_, diags := loadWithin(t, dir, Options{LookupEnv: fixtureEnv, Vars: []VarSource{{File: filepath.Join(dir, name)}}})
			var varFile, fileFunc bool
			for _, d := range diags {
				if d.Subject == nil || !strings.Contains(d.Detail, detail) {
					continue
				}
				if d.Summary == "Failed to read variable file" && filepath.Base(d.Subject.Filename) == name {
					varFile = true
				}
				if filepath.Base(d.Subject.Filename) == "main.hcl" && d.Subject.Start.Line == headerLines+5 {
					fileFunc = true
				}
			}
			if !varFile || !fileFunc {
				t.Errorf("want located errors saying %q for -var-file (%v) and file() (%v); got %v", detail, varFile, fileFunc, diags)
			}
		})
	}
}

func TestTotalInputIsBounded(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.hcl"), header)
	chunk := strings.Repeat(commentLine, (MaxFileBytes-1024)/len(commentLine))
	n := MaxTotalBytes/len(chunk) + 1
	for i := range n {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%02d.hcl", i)), chunk)
	}
	_, diags := loadWithin(t, dir, Options{LookupEnv: fixtureEnv})
	last := fmt.Sprintf("f%02d.hcl", n-1)
	if len(diags) != 1 || diags[0].Subject == nil || filepath.Base(diags[0].Subject.Filename) != last ||
		!strings.Contains(diags[0].Detail, "64 MiB in all") {
		t.Fatalf("want one error on %s about the total, got %v", last, diags)
	}
}

func TestVarValuesAreBounded(t *testing.T) {
	dir := writeMain(t, "variable \"s\" {\n  default = \"\"\n}\nvariable \"l\" {\n  type = list(any)\n  default = []\n}\nvariable \"n\" {\n  type = number\n  default = 0\n}\n")
	_, diags := loadWithin(t, dir, Options{LookupEnv: fixtureEnv, Vars: []VarSource{
		{Assignment: "s=" + strings.Repeat("x", MaxFileBytes+1)},
		{Assignment: "l=" + strings.Repeat("[", 100000)},
		{Assignment: "n=1e99999999"},
	}})
	for _, want := range []struct{ summary, file string }{
		{"Value too large", "<value for var.s>"},
		{"Configuration nested too deeply", "<value for var.l>"},
		{"Value too large", "<value for var.n>"},
	} {
		found := false
		for _, d := range diags {
			if d.Summary == want.summary && d.Subject != nil && d.Subject.Filename == want.file {
				found = true
			}
		}
		if !found {
			t.Errorf("no %q on %s; got %v", want.summary, want.file, diags)
		}
	}
}

func TestFileReadTwiceCountsOnce(t *testing.T) {
	// 1,000 instances reading the same 100 KiB file would read 100 MB if each read counted.
	dir := writeMain(t, "bucket \"b\" {\n  for_each = toset([for i in range(1000) : \"b-${i}\"])\n  tags = { x = substr(file(\"big.txt\"), 0, 3), k = each.key }\n}\n")
	writeFile(t, filepath.Join(dir, "big.txt"), strings.Repeat("y", 100<<10))
	_, diags := loadWithin(t, dir, Options{LookupEnv: fixtureEnv})
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %v", diags)
	}
}
