package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/bucketform/bucketform/engine/plan"
)

// The closing lines of plan and apply, fixed by the product contract.
const (
	NoChangesLine = "No changes. The live server matches the configuration."
	planLine      = "Plan: %d to add, %d to change, %d to destroy."
	applyLine     = "Apply complete! Resources: %d added, %d changed, %d destroyed."
)

// PlanLine returns the "Plan: ..." closing line, or NoChangesLine.
func PlanLine(s plan.Summary) string {
	return planLineFor(s, false)
}

// planLineFor is PlanLine for a plan that may have refusals: a plan with refusals never says
// the server matches the configuration.
func planLineFor(s plan.Summary, refused bool) string {
	if s.Add+s.Change+s.Destroy == 0 && !refused {
		return NoChangesLine
	}
	return fmt.Sprintf(planLine, s.Add, s.Change, s.Destroy)
}

// ApplyLine returns the "Apply complete! ..." closing line.
func ApplyLine(s plan.Summary) string {
	return fmt.Sprintf(applyLine, s.Add, s.Change, s.Destroy)
}

// Style colours the human output; the zero Style prints plain text.
type Style struct{ Color bool }

func (s Style) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s Style) symbol(a plan.Action) string {
	switch a {
	case plan.Create:
		return s.paint("32", "+")
	case plan.Update, plan.Adopt:
		return s.paint("33", "~")
	case plan.Delete:
		return s.paint("31", "-")
	}
	return " "
}

func (s Style) bold(text string) string { return s.paint("1", text) }

var headlines = map[plan.Action]string{
	plan.Create: "will be created",
	plan.Update: "will be updated in place",
	plan.Adopt:  "will be adopted",
	plan.Delete: "will be destroyed",
}

// WritePlan writes the human plan: each change with Terraform's markers, the refusals, the
// outputs, and the closing line.
func WritePlan(w io.Writer, p *plan.Plan, outputs []Output, st Style) {
	var changes []plan.Change
	multiDeployment := false
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			changes = append(changes, c)
		}
		if c.Deployment != p.Changes[0].Deployment {
			multiDeployment = true
		}
	}
	if note := targetsNote(p); note != "" {
		fmt.Fprintln(w, st.bold("Note:")+" "+note)
		fmt.Fprintln(w)
	}
	if len(changes) > 0 {
		fmt.Fprintln(w, "bucketform will perform the following actions:")
		fmt.Fprintln(w)
		for _, c := range changes {
			writeChange(w, c, multiDeployment, st)
		}
	}
	if len(p.Refusals) > 0 {
		fmt.Fprintln(w, st.bold(st.paint("31", "Refused: the plan contains changes that will not be made, so nothing will be applied:")))
		fmt.Fprintln(w)
		for _, r := range p.Refusals {
			fmt.Fprintf(w, "  %s %s: %s\n", st.paint("31", "!"), st.bold(r.Address), r.Reason)
		}
		fmt.Fprintln(w)
	}
	if p.HasChanges() && !p.Destroy {
		writeOutputs(w, outputs, "Outputs:")
	}
	fmt.Fprintln(w, st.bold(planLineFor(p.Summary(), len(p.Refusals) > 0)))
}

func writeChange(w io.Writer, c plan.Change, multiDeployment bool, st Style) {
	headline := headlines[c.Action]
	if c.Release {
		headline = "will be released from this stack"
	}
	fmt.Fprintf(w, "  %s\n", st.bold(fmt.Sprintf("# %s %s", c.Address, headline)))
	for _, n := range c.Notes {
		fmt.Fprintf(w, "  # (%s)\n", n)
	}
	where := ""
	if multiDeployment {
		where = " (minio." + c.Deployment + ")"
	}
	fmt.Fprintf(w, "  %s bucket %q%s {\n", st.symbol(c.Action), c.Bucket, where)
	diffs := Diffs(c)
	width := 0
	for _, d := range diffs {
		width = max(width, len(d.Key))
	}
	hidden := 0
	for _, d := range diffs {
		switch {
		case c.Action == plan.Create:
			fmt.Fprintf(w, "      %s %-*s = %s\n", st.symbol(plan.Create), width, d.Key, d.After)
		case c.Action == plan.Delete:
			fmt.Fprintf(w, "      %s %-*s = %s\n", st.symbol(plan.Delete), width, d.Key, d.Before)
		case d.Changed:
			suffix := ""
			if d.Reset {
				suffix = " # no longer declared: back to the server default"
			}
			fmt.Fprintf(w, "      %s %-*s = %s -> %s%s\n", st.symbol(plan.Update), width, d.Key, d.Before, d.After, suffix)
		default:
			hidden++
			continue
		}
		for _, line := range d.Details {
			fmt.Fprintf(w, "          %s\n", colorDetail(line, st))
		}
	}
	if hidden > 0 {
		noun := "attributes"
		if hidden == 1 {
			noun = "attribute"
		}
		fmt.Fprintf(w, "        # (%d unchanged %s hidden)\n", hidden, noun)
	}
	fmt.Fprintln(w, "    }")
	fmt.Fprintln(w)
}

func colorDetail(line string, st Style) string {
	switch {
	case strings.HasPrefix(line, "+ "):
		return st.paint("32", "+") + line[1:]
	case strings.HasPrefix(line, "- "):
		return st.paint("31", "-") + line[1:]
	case strings.HasPrefix(line, "~ "):
		return st.paint("33", "~") + line[1:]
	}
	return line
}

// writeOutputs lists outputs without their values: plan and apply never mint presigned URLs.
func writeOutputs(w io.Writer, outputs []Output, title string) {
	if len(outputs) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	width := 0
	for _, o := range outputs {
		width = max(width, len(o.Name))
	}
	for _, o := range outputs {
		fmt.Fprintf(w, "  %-*s = %s\n", width, o.Name, OutputPlaceholder(o))
	}
	fmt.Fprintln(w)
}

// OutputPlaceholder is how plan and apply show an output's value.
func OutputPlaceholder(o Output) string {
	switch {
	case o.Sensitive:
		return "(sensitive)"
	case !o.Known:
		return "(known after output)"
	case o.Value == nil:
		return "(not stored in plan files)"
	}
	return string(o.Value)
}

// targetsNote says what a plan limited by -target leaves out, or "" for a whole plan.
func targetsNote(p *plan.Plan) string {
	if len(p.Targets) == 0 {
		return ""
	}
	return fmt.Sprintf("-target limits this plan to %s. Other buckets were not read, so it does not show whether they drifted.",
		strings.Join(p.Targets, ", "))
}

// WriteOutputs lists outputs after an apply.
func WriteOutputs(w io.Writer, outputs []Output) { writeOutputs(w, outputs, "Outputs:") }
