package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/bucketform/bucketform/engine/plan"
)

// WriteMarkdown writes a plan summary fit for a pull-request comment or a CI job summary: the
// closing line, a table of changes with the attributes they change, the refusals, and the
// detailed diff in a collapsible block.
func WriteMarkdown(w io.Writer, p *plan.Plan) {
	s := p.Summary()
	title := "bucketform plan"
	if p.Stack != "" {
		title += " — stack `" + p.Stack + "`"
	}
	fmt.Fprintf(w, "### %s\n\n", title)
	switch {
	case len(p.Refusals) > 0:
		fmt.Fprintf(w, ":no_entry: **Refused** — %d change(s) will not be made, so nothing can be applied.\n\n", len(p.Refusals))
	case p.HasChanges():
		fmt.Fprintf(w, ":warning: **Drift** — %s\n\n", PlanLine(s))
	default:
		fmt.Fprintf(w, ":white_check_mark: %s\n\n", NoChangesLine)
	}
	if len(p.Refusals) > 0 {
		fmt.Fprintln(w, "| refused | reason |")
		fmt.Fprintln(w, "| --- | --- |")
		for _, r := range p.Refusals {
			fmt.Fprintf(w, "| `%s` | %s |\n", r.Address, mdCell(r.Reason))
		}
		fmt.Fprintln(w)
	}
	if !p.HasChanges() {
		return
	}
	fmt.Fprintln(w, "| | address | bucket | action | attributes |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, c := range p.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		var attrs []string
		for _, d := range Diffs(c) {
			if d.Changed {
				attrs = append(attrs, fmt.Sprintf("`%s`: %s", d.Key, mdCell(arrow(d))))
			}
		}
		fmt.Fprintf(w, "| %s | `%s` | `%s` | %s | %s |\n", c.Action.Symbol(), c.Address, c.Bucket, c.Action, strings.Join(attrs, "<br>"))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "**%s**\n\n", PlanLine(s))
	fmt.Fprintln(w, "<details><summary>Full plan</summary>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "```diff")
	var sb strings.Builder
	WritePlan(&sb, p, nil, Style{})
	fmt.Fprint(w, sb.String())
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "</details>")
}

func arrow(d AttrDiff) string {
	if d.Before == "" {
		return d.After
	}
	return d.Before + " → " + d.After
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", "<br>").Replace(s)
}
