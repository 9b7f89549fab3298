package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

func runFmt(u *ui, args []string) int {
	var check, showDiff bool
	fset := newFlagSet("fmt", "fmt [-check] [-diff] [PATH...]", u.stderr)
	fset.BoolVar(&check, "check", false, "do not rewrite files; exit 3 if any is not formatted")
	fset.BoolVar(&showDiff, "diff", false, "print the changes as a unified diff")
	paths, err := parse(fset, args)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		u.errorf("%v", err)
		return exitError
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files, err := formatTargets(paths)
	if err != nil {
		u.errorf("%v", err)
		return exitError
	}
	unformatted := 0
	failed := false
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			u.errorf("%v", err)
			failed = true
			continue
		}
		// Never reformat a file that does not parse: report where it is broken instead.
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			u.diagnostics(map[string]*hcl.File{name: f}, diags)
			failed = true
			continue
		}
		out := hclwrite.Format(src)
		if bytes.Equal(src, out) {
			continue
		}
		unformatted++
		fmt.Fprintln(u.stdout, name)
		if showDiff {
			fmt.Fprint(u.stdout, unifiedDiff(name, string(src), string(out)))
		}
		if !check {
			info, err := os.Stat(name)
			if err == nil {
				err = os.WriteFile(name, out, info.Mode().Perm())
			}
			if err != nil {
				u.errorf("rewrite %s: %v", name, err)
				failed = true
			}
		}
	}
	switch {
	case failed:
		return exitError
	case check && unformatted > 0:
		return exitUnformatted
	}
	return exitOK
}

// formatTargets expands paths into the .hcl and .bfvars files to format: a directory means its
// files (not its subdirectories, as for loading); a file is taken as given.
func formatTargets(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, errors.Unwrap(err))
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type()&fs.ModeType == 0 && (strings.HasSuffix(e.Name(), ".hcl") || strings.HasSuffix(e.Name(), ".bfvars")) {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

// unifiedDiff renders the line differences between a and b as a unified diff with three lines
// of context.
func unifiedDiff(name, a, b string) string {
	al, bl := splitLines(a), splitLines(b)
	ops := lineDiff(al, bl)
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s (formatted)\n", name, name)
	const context = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-context)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*context || run == len(ops) {
				end = min(len(ops), end+context)
				break
			}
			end = run
		}
		aStart, bStart, aLen, bLen := ops[start].a, ops[start].b, 0, 0
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", aStart+1, aLen, bStart+1, bLen)
		for _, op := range ops[start:end] {
			fmt.Fprintf(&sb, "%c%s\n", op.kind, op.text)
		}
		i = end
	}
	return sb.String()
}

type diffOp struct {
	kind rune // ' ', '-', '+'
	text string
	a, b int // line index in a and b where the op starts
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lineDiff returns an edit script from a to b: common prefix and suffix are kept, and the
// middle is diffed by longest common subsequence when small, else replaced as a whole.
func lineDiff(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', a[i], i, i})
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(am)*len(bm) <= 4_000_000 {
		ops = append(ops, lcsDiff(am, bm, pre)...)
	} else {
		for i, l := range am {
			ops = append(ops, diffOp{'-', l, pre + i, pre})
		}
		for j, l := range bm {
			ops = append(ops, diffOp{'+', l, pre + len(am), pre + j})
		}
	}
	for k := 0; k < suf; k++ {
		i, j := len(a)-suf+k, len(b)-suf+k
		ops = append(ops, diffOp{' ', a[i], i, j})
	}
	return ops
}

func lcsDiff(a, b []string, offset int) []diffOp {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], offset + i, offset + j})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, diffOp{'+', b[j], offset + i, offset + j})
			j++
		default:
			ops = append(ops, diffOp{'-', a[i], offset + i, offset + j})
			i++
		}
	}
	return ops
}
