package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
)

// varFlags collects -var and -var-file in command-line order: later ones win.
type varFlags struct{ sources []config.VarSource }

type varAssignment struct{ v *varFlags }

// String implements flag.Value.
func (a varAssignment) String() string { return "" }

// Set implements flag.Value: it records one -var NAME=VALUE.
func (a varAssignment) Set(s string) error {
	if !strings.Contains(s, "=") {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	a.v.sources = append(a.v.sources, config.VarSource{Assignment: s})
	return nil
}

type varFile struct{ v *varFlags }

// String implements flag.Value.
func (f varFile) String() string { return "" }

// Set implements flag.Value: it records one -var-file path.
func (f varFile) Set(s string) error {
	f.v.sources = append(f.v.sources, config.VarSource{File: s})
	return nil
}

func (v *varFlags) register(fs *flag.FlagSet) {
	fs.Var(varAssignment{v}, "var", "set a variable: -var NAME=VALUE (repeatable)")
	fs.Var(varFile{v}, "var-file", "read variables from a .bfvars file (repeatable)")
}

// stringList is a repeatable string flag.
type stringList []string

// String implements flag.Value.
func (l *stringList) String() string { return strings.Join(*l, ",") }

// Set implements flag.Value: it appends one value.
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// engineFlags are the flags plan and apply share.
type engineFlags struct {
	vars        varFlags
	targets     stringList
	destroy     bool
	parallelism int
	wait        time.Duration
}

func (e *engineFlags) register(fs *flag.FlagSet) {
	e.vars.register(fs)
	fs.Var(&e.targets, "target", "limit to a resource address, e.g. bucket.data or bucket.tenant[\"acme\"] (repeatable)")
	fs.BoolVar(&e.destroy, "destroy", false, "plan the deletion of everything this stack owns")
	fs.IntVar(&e.parallelism, "parallelism", engine.DefaultParallelism, "requests in flight at once")
	fs.DurationVar(&e.wait, "wait", 0, "wait up to this long for MinIO to be ready, e.g. 2m")
}

func (e *engineFlags) options() engine.Options {
	return engine.Options{Parallelism: e.parallelism, Targets: e.targets, Destroy: e.destroy}
}

// newFlagSet returns a flag set whose errors and usage go to w.
func newFlagSet(name, usageLine string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: bucketform %s\n\nOptions:\n", usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and positional arguments in any order (`plan DIR -var a=b` and
// `plan -var a=b DIR` both work) and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseArgs parses the flags and positional arguments of a command and returns the positional
// ones. ok is false when the command is done: -help was asked for (code 0), or the flags are
// wrong (code 1, reported).
func parseArgs(u *ui, fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitOK, false
	}
	if err != nil {
		u.errorf("%v", err)
		return nil, exitError, false
	}
	return pos, 0, true
}

// parseDir parses the flags of a command that takes at most one DIR argument (default ".").
func parseDir(u *ui, fs *flag.FlagSet, args []string) (dir string, code int, ok bool) {
	pos, code, ok := parseArgs(u, fs, args)
	if !ok {
		return "", code, false
	}
	switch len(pos) {
	case 0:
		return ".", 0, true
	case 1:
		return pos[0], 0, true
	}
	u.errorf("too many arguments: %s", strings.Join(pos, " "))
	u.hint("this command takes at most one directory")
	return "", exitError, false
}
