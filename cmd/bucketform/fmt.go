package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/bucketform/bucketform/config"
)

func runFmt(u *ui, args []string) int {
	var check, showDiff bool
	fset := newFlagSet("fmt", "fmt [-check] [-diff] [PATH...]", u.stderr)
	fset.BoolVar(&check, "check", false, "do not rewrite files; exit 3 if any is not formatted")
	fset.BoolVar(&showDiff, "diff", false, "print the changes as a unified diff")
	paths, code, ok := parseArgs(u, fset, args)
	if !ok {
		return code
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
		// Only regular files of a bounded size: a pipe or a device must not hang fmt.
		src, err := config.ReadSource(name)
		if err != nil {
			u.errorf("cannot read %s: %v", name, err)
			failed = true
			continue
		}
		// Never reformat a file that does not parse: report where it is broken instead. Deep
		// input is refused before the parser, which would overflow its stack.
		diags := config.CheckSource(src, name, false)
		var f *hcl.File
		if !diags.HasErrors() {
			f, diags = hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		}
		if f == nil {
			f = &hcl.File{Bytes: src}
		}
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
			_, _ = u.stdout.Write(diff.Diff(name, src, name+" (formatted)", out))
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
	slices.Sort(files)
	return files, nil
}
