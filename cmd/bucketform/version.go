package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time: go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc123".
var (
	version = "dev"
	commit  = ""
)

// versionString returns the version, with the commit when known.
func versionString() string {
	c := commit
	if c == "" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					c = s.Value[:12]
				}
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, %s)", version, c, runtime.Version())
}

func runVersion(u *ui, args []string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintln(u.stdout, "Usage: bucketform version\n\nPrints the version, the commit it was built from, and the platform.")
		return exitOK
	}
	if len(args) > 0 {
		u.errorf("version takes no arguments; got %q", args[0])
		u.hint("run `bucketform version`")
		return exitError
	}
	fmt.Fprintf(u.stdout, "bucketform %s %s/%s\n", versionString(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
