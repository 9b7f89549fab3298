// Command bucketform provisions MinIO declaratively: HCL files declare deployments, buckets and
// presigned URLs; `plan` diffs them against the live server, `apply` converges it, and `output`
// prints presigned URLs signed for the public host. See README.md and docs/.
package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit codes, documented in docs/commands.md: scripts and CI jobs depend on them.
const (
	exitOK          = 0
	exitError       = 1
	exitChanges     = 2 // plan -detailed-exitcode: there are changes
	exitUnformatted = 3 // fmt -check: some files are not formatted
)

// command is one subcommand.
type command struct {
	synopsis string
	run      func(ui *ui, args []string) int
}

var commands = map[string]command{
	"validate":     {"Check the configuration without a server or secrets", runValidate},
	"fmt":          {"Rewrite configuration files in the canonical format", runFmt},
	"plan":         {"Show what apply would change on the live server", runPlan},
	"apply":        {"Converge the live server to the configuration", runApply},
	"output":       {"Print outputs, minting presigned URLs locally", runOutput},
	"show":         {"Show a saved plan file", runShow},
	"force-unlock": {"Remove a stuck lease on the stack", runForceUnlock},
	"version":      {"Print the version", runVersion},
}

// run is the whole program; main only supplies the process's streams and exits with its code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	u := newUI(stdin, stdout, stderr)
	defer u.flush()
	defer func() {
		// A panic is a bug, but the user still gets a one-line error and exit code 1,
		// never a Go stack trace.
		if r := recover(); r != nil {
			u.errorf("internal error: %v", r)
			u.hint("this is a bug in bucketform; please report it with the command you ran")
			code = exitError
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return exitOK
	}
	if args[0] == "-version" || args[0] == "--version" || args[0] == "-v" {
		return runVersion(u, nil)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		u.errorf("unknown command %q", args[0])
		u.hint("run `bucketform help` for the list of commands")
		return exitError
	}
	return cmd.run(u, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: bucketform <command> [options] [DIR]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].synopsis)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `bucketform <command> -help` for a command's options.")
}

// joinLines indents every line of s by prefix.
func joinLines(prefix, s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
