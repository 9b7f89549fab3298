package main

import (
	"bytes"
	"strings"
	"testing"
)

// A command line that names no command, or gives version an argument, fails: a script whose
// variable came out empty must not pass for success. help asked for is no failure.
func TestCommandLineWithoutCommand(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, exitError, "", "Usage: bucketform <command>"},
		{[]string{"help"}, exitOK, "Usage: bucketform <command>", ""},
		{[]string{"-h"}, exitOK, "Usage: bucketform <command>", ""},
		{[]string{"version"}, exitOK, "bucketform ", ""},
		{[]string{"version", "-h"}, exitOK, "Usage: bucketform version", ""},
		{[]string{"version", "extra"}, exitError, "", `version takes no arguments; got "extra"`},
		{[]string{"plna"}, exitError, "", `unknown command "plna"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != tc.code {
			t.Errorf("bucketform %q: exit %d, want %d", tc.args, code, tc.code)
		}
		if !strings.Contains(stdout.String(), tc.stdout) || (tc.stdout == "" && stdout.Len() > 0) {
			t.Errorf("bucketform %q: stdout %q, want it to hold %q", tc.args, stdout.String(), tc.stdout)
		}
		if !strings.Contains(stderr.String(), tc.stderr) || (tc.stderr == "" && stderr.Len() > 0) {
			t.Errorf("bucketform %q: stderr %q, want it to hold %q", tc.args, stderr.String(), tc.stderr)
		}
	}
}
