package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine/plan"
)

// WriteMarkdown writes a plan summary fit for a pull-request comment or a CI job summary (GitHub
// $GITHUB_STEP_SUMMARY, a GitLab merge-request note): a status line, the plan's notes, the
// refusals, a table of the changes with the attributes they change, and the full human plan in
// a collapsible block. It never holds an output.
func WriteMarkdown(w io.Writer, doc *plan.Document) {
	title := "bucketform plan"
	if doc.Destroy {
		title = "bucketform destroy plan"
	}
	if doc.Stack != "" {
		title += " — stack " + mdCode(doc.Stack)
	}
	fmt.Fprintf(w, "### %s\n\n", title)
	switch {
	case len(doc.Refusals) > 0:
		fmt.Fprintf(w, ":no_entry: **Refused** — %d refusal(s): nothing can be applied until they are resolved.\n\n", len(doc.Refusals))
	case hasChanges(doc) && doc.Destroy:
		fmt.Fprintf(w, ":warning: **Destroy** — %s\n\n", PlanLine(doc))
	case hasChanges(doc):
		fmt.Fprintf(w, ":warning: **The live server differs from the configuration.** %s\n\n", PlanLine(doc))
	default:
		fmt.Fprintf(w, ":white_check_mark: %s\n\n", NoChangesLine)
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(w, "> **Note:** %s\n\n", mdText(n.Text))
	}
	multi := multiDeployment(doc)
	if len(doc.Refusals) > 0 {
		header, rule := "| refused | name | reason |", "| --- | --- | --- |"
		if multi {
			header, rule = "| refused | minio | name | reason |", "| --- | --- | --- | --- |"
		}
		fmt.Fprintln(w, header)
		fmt.Fprintln(w, rule)
		for _, r := range doc.Refusals {
			where := ""
			if multi {
				where = " " + mdCode(r.Deployment) + " |"
			}
			reason := mdText(r.Reason)
			if loc := Where(r.Range); loc != "" {
				reason += " _(" + mdText(loc) + ")_"
			}
			fmt.Fprintf(w, "| %s |%s %s | %s |\n", mdCode(r.Address), where, mdCode(r.ID), reason)
		}
		fmt.Fprintln(w)
	}
	if !hasChanges(doc) {
		return
	}
	header, rule := "| | address | name | action | changes |", "| --- | --- | --- | --- | --- |"
	if multi {
		header, rule = "| | address | minio | name | action | changes |", "| --- | --- | --- | --- | --- | --- |"
	}
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, rule)
	for _, c := range doc.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		var cells []string
		if c.Action != plan.Delete {
			for _, a := range c.Attributes {
				if a.Changed {
					cells = append(cells, mdCode(a.Attribute)+": "+mdText(arrow(a)))
				}
			}
		}
		for _, n := range c.Notes {
			cells = append(cells, "_"+mdText(n)+"_")
		}
		where := ""
		if multi {
			where = " " + mdCode(c.Deployment) + " |"
		}
		fmt.Fprintf(w, "| %s | %s |%s %s | %s | %s |\n", mdText(c.Action.Symbol()), mdCode(c.Address), where, mdCode(c.ID), c.Action, strings.Join(cells, "<br>"))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "**%s**\n\n", PlanLine(doc))
	var sb strings.Builder
	WritePlan(&sb, doc.WithoutOutputs(), Style{})
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

func arrow(a plan.AttributeDoc) string {
	switch {
	case a.Sensitive:
		return a.AfterText
	case a.BeforeText == "":
		return a.AfterText
	}
	return a.BeforeText + " → " + orAbsent(a.AfterText)
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
	s = string(config.EscapeControls([]byte(s)))
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", `\|`, "\r", "", "\n", "<br>").Replace(s)
}

// mdCode renders s as inline code in a table cell.
func mdCode(s string) string {
	s = string(config.EscapeControls([]byte(s)))
	s = strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}
