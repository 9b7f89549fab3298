package main

import (
	"errors"

	"github.com/bucketform/bucketform/engine/planfile"
	"github.com/bucketform/bucketform/engine/render"
)

func runShow(u *ui, args []string) int {
	var asJSON, asMarkdown, noColor bool
	fs := newFlagSet("show", "show [-json] PLANFILE", u.stderr)
	fs.BoolVar(&asJSON, "json", false, "print the plan as one JSON document")
	fs.BoolVar(&asMarkdown, "markdown", false, "print the plan as Markdown")
	fs.BoolVar(&noColor, "no-color", false, "do not colour the output")
	pos, err := parse(fs, args)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		u.errorf("%v", err)
		return exitError
	}
	if len(pos) != 1 {
		u.errorf("show needs exactly one plan file")
		u.hint("make one with: bucketform plan -out PLANFILE")
		return exitError
	}
	pf, err := planfile.Read(pos[0])
	if err != nil {
		u.errorf("%v", err)
		return exitError
	}
	var outputs []render.Output
	for _, o := range pf.Outputs {
		outputs = append(outputs, render.Output{Name: o.Name, Sensitive: o.Sensitive})
	}
	switch {
	case asJSON:
		if err := render.WriteJSON(u.stdout, pf.Plan, outputs); err != nil {
			u.errorf("%v", err)
			return exitError
		}
	case asMarkdown:
		render.WriteMarkdown(u.stdout, pf.Plan)
	default:
		render.WritePlan(u.stdout, pf.Plan, outputs, render.Style{Color: u.color && !noColor})
	}
	return exitOK
}
