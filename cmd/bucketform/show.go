package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bucketform/bucketform/cmd/internal/render"
	"github.com/bucketform/bucketform/engine/planfile"
)

func runShow(u *ui, args []string) int {
	var asJSON, asMarkdown, noColor bool
	fs := newFlagSet("show", "show [-json | -markdown] PLANFILE", u.stderr)
	fs.BoolVar(&asJSON, "json", false, "print the plan as one JSON document, as plan -json does")
	fs.BoolVar(&asMarkdown, "markdown", false, "print the plan as Markdown, as plan -markdown does")
	fs.BoolVar(&noColor, "no-color", false, "do not colour the output")
	pos, code, ok := parseArgs(u, fs, args)
	if !ok {
		return code
	}
	if asJSON && asMarkdown {
		u.errorf("-json and -markdown cannot be used together")
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
	// A plan file holds no output values: outputs show as sensitive, unknown, or "not stored".
	switch {
	case asJSON:
		if err := render.WriteJSON(u.stdout, pf.Plan); err != nil {
			u.errorf("%v", err)
			return exitError
		}
	case asMarkdown:
		render.WriteMarkdown(u.stdout, pf.Plan)
	default:
		fmt.Fprintf(u.stdout, "%s\n\n", planFileSummary(pos[0], pf))
		render.WritePlan(u.stdout, pf.Plan, render.Style{Color: u.color && !noColor})
	}
	return exitOK
}

// planFileSummary says what a plan file was made against, for a reviewer.
func planFileSummary(path string, pf *planfile.File) string {
	var deps []string
	for name, d := range pf.Deployments {
		scheme := "http"
		if d.Secure {
			scheme = "https"
		}
		deps = append(deps, fmt.Sprintf("minio %q (%s://%s)", name, scheme, d.Endpoint))
	}
	sort.Strings(deps)
	return fmt.Sprintf("Saved plan %s: stack %q, made %s by bucketform %s against %s.\nApply exactly this plan with: bucketform apply %s",
		path, pf.Stack, pf.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), pf.BucketformVersion, strings.Join(deps, ", "), path)
}
