package main

import (
	"fmt"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
)

func runForceUnlock(u *ui, args []string) int {
	var vars varFlags
	fs := newFlagSet("force-unlock", "force-unlock [DIR]", u.stderr)
	vars.register(fs)
	dir, code, ok := parseDir(u, fs, args)
	if !ok {
		return code
	}
	cfg, ok := loadConfig(u, dir, config.Options{Vars: vars.sources})
	if !ok {
		return exitError
	}
	e, err := engine.New(cfg, engine.Options{})
	if err != nil {
		u.errorf("%v", err)
		return exitError
	}
	in := newInterrupts()
	defer in.done()
	ctx := in.ctx
	msgs, err := e.ForceUnlock(ctx)
	for _, m := range msgs {
		fmt.Fprintln(u.stdout, m)
	}
	if err != nil {
		u.errorf("%v", err)
		return exitError
	}
	fmt.Fprintf(u.stdout, "Stack %q is unlocked. If an apply was still running, run plan to see what it left.\n", cfg.Stack)
	return exitOK
}
