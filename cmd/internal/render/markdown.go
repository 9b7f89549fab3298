package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/bucketform/bucketform/engine/plan"
)

// WriteMarkdown writes a plan summary fit for a pull-request comment or a CI job summary (GitHub
// $GITHUB_STEP_SUMMARY, a GitLab merge-request note): a status line, the refusals, a table of
// the changes with the attributes they change, and the full human plan in a collapsible block.
// It is rendered from the same values as the human and JSON plans, and never holds an output.
func WriteMarkdown(w io.Writer, p *plan.Plan) {
	s := p.Summary()
	title := "bucketform plan"
	if p.Destroy {
		title = "bucketform destroy plan"
	}
	if p.Stack != "" {
		title += " — stack " + mdCode(p.Stack)
	}
	fmt.Fprintf(w, "### %s\n\n", title)
	switch {
	case len(p.Refusals) > 0:
		fmt.Fprintf(w, ":no_entry: **Refused** — %d refusal(s): nothing can be applied until they are resolved.\n\n", len(p.Refusals))
	case p.HasChanges() && p.Destroy:
		fmt.Fprintf(w, ":warning: **Destroy** — %s\n\n", PlanLine(s))
	case p.HasChanges():
		fmt.Fprintf(w, ":warning: **The live server differs from the configuration.** %s\n\n", PlanLine(s))
	default:
		fmt.Fprintf(w, ":white_check_mark: %s\n\n", NoChangesLine)
	}
	if note := targetsNote(p); note != "" {
		fmt.Fprintf(w, "> **Note:** %s\n\n", mdText(note))
	}
	multi := multiDeployment(p)
	if len(p.Refusals) > 0 {
		header, rule := "| refused | bucket | reason |", "| --- | --- | --- |"
		if multi {
			header, rule = "| refused | minio | bucket | reason |", "| --- | --- | --- | --- |"
		}
		fmt.Fprintln(w, header)
		fmt.Fprintln(w, rule)
		for _, r := range p.Refusals {
			where := ""
			if multi {
				where = " " + mdCode(r.Deployment) + " |"
			}
			fmt.Fprintf(w, "| %s |%s %s | %s |\n", mdCode(r.Address), where, mdCode(r.Bucket), mdText(r.Reason))
		}
		fmt.Fprintln(w)
	}
	if !p.HasChanges() {
		return
	}
	header, rule := "| | address | bucket | action | changes |", "| --- | --- | --- | --- | --- |"
	if multi {
		header, rule = "| | address | minio | bucket | action | changes |", "| --- | --- | --- | --- | --- | --- |"
	}
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, rule)
	for _, c := range p.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		var cells []string
		for _, d := range Diffs(c) {
			if d.Changed && c.Action != plan.Delete {
				cells = append(cells, mdCode(d.Key)+": "+mdText(arrow(d)))
			}
		}
		for _, n := range c.Notes {
			cells = append(cells, "_"+mdText(n)+"_")
		}
		action := string(c.Action)
		if c.Release {
			action = "release"
		}
		where := ""
		if multi {
			where = " " + mdCode(c.Deployment) + " |"
		}
		fmt.Fprintf(w, "| %s | %s |%s %s | %s | %s |\n", mdText(c.Action.Symbol()), mdCode(c.Address), where, mdCode(c.Bucket), action, strings.Join(cells, "<br>"))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "**%s**\n\n", PlanLine(s))
	var sb strings.Builder
	WritePlan(&sb, p, nil, Style{})
	body := diffMarkers(sb.String())
	fence := strings.Repeat("`", max(3, longestRun(body, '`')+1))
	fmt.Fprintln(w, "<details><summary>Full plan</summary>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, fence+"diff")
	fmt.Fprint(w, body)
	fmt.Fprintln(w, fence)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "</details>")
}

func multiDeployment(p *plan.Plan) bool {
	seen := ""
	for _, c := range p.Changes {
		if seen != "" && c.Deployment != seen {
			return true
		}
		seen = c.Deployment
	}
	for _, r := range p.Refusals {
		if seen != "" && r.Deployment != seen {
			return true
		}
		seen = r.Deployment
	}
	return false
}

func arrow(d AttrDiff) string {
	if d.Before == "" {
		return d.After
	}
	return d.Before + " → " + d.After
}

// diffMarkers moves the plan's markers to the first column, where a ```diff block colours
// them: + and - as they are, ~ as ! (changed), the way Terraform PR-comment tools do.
func diffMarkers(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		indent := len(l) - len(trimmed)
		if indent == 0 || len(trimmed) < 2 || trimmed[1] != ' ' {
			continue
		}
		switch trimmed[0] {
		case '+', '-':
			lines[i] = trimmed[:1] + strings.Repeat(" ", indent) + trimmed[1:]
		case '~', '!':
			lines[i] = "!" + strings.Repeat(" ", indent) + trimmed[1:]
		}
	}
	return strings.Join(lines, "")
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// mdText escapes text for a table cell: no HTML, no cell breaks, no line breaks.
func mdText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`, "\r", "", "\n", "<br>").Replace(s)
}

// mdCode renders s as inline code in a table cell.
func mdCode(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}
