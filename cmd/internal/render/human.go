package render

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
)

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
		return s.paint("32", a.Symbol())
	case plan.Update, plan.Adopt:
		return s.paint("33", a.Symbol())
	case plan.Release:
		return s.paint("36", a.Symbol())
	case plan.Replace, plan.Delete:
		return s.paint("31", a.Symbol())
	}
	return " "
}

func (s Style) bold(text string) string { return s.paint("1", text) }

var headlines = map[plan.Action]string{
	plan.Create:  "will be created",
	plan.Update:  "will be updated in place",
	plan.Adopt:   "will be adopted",
	plan.Release: "will be released from this stack",
	plan.Replace: "must be replaced",
	plan.Delete:  "will be destroyed",
}

// WritePlan writes the human plan: the plan's notes, each change with Terraform's markers,
// the refusals, the outputs, and the closing line.
func WritePlan(w io.Writer, doc *plan.Document, st Style) {
	for _, n := range doc.Notes {
		fmt.Fprintln(w, st.bold("Note:")+" "+esc(n.Text))
		fmt.Fprintln(w)
	}
	multi := multiDeployment(doc)
	first := true
	for _, c := range doc.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		if first {
			fmt.Fprintln(w, "bucketform will perform the following actions:")
			fmt.Fprintln(w)
			first = false
		}
		writeChange(w, c, multi, st)
	}
	if len(doc.Refusals) > 0 {
		fmt.Fprintln(w, st.bold(st.paint("31", "Refused: the plan contains changes that will not be made, so nothing will be applied:")))
		fmt.Fprintln(w)
		for _, r := range doc.Refusals {
			fmt.Fprintf(w, "  %s %s: %s\n", st.paint("31", "!"), st.bold(esc(r.Address)), esc(r.Reason))
			if where := Where(r.Range); where != "" {
				fmt.Fprintf(w, "      %s\n", where)
			}
		}
		fmt.Fprintln(w)
	}
	if hasChanges(doc) && !doc.Destroy {
		writeOutputs(w, doc.Outputs, "Outputs:")
	}
	fmt.Fprintln(w, st.bold(PlanLine(doc)))
}

func writeChange(w io.Writer, c plan.ChangeDoc, multi bool, st Style) {
	fmt.Fprintf(w, "  %s\n", st.bold(fmt.Sprintf("# %s %s", esc(c.Address), headlines[c.Action])))
	for _, n := range c.Notes {
		fmt.Fprintf(w, "  # (%s)\n", esc(n))
	}
	where := ""
	if multi {
		where = " (minio." + c.Deployment + ")"
	}
	fmt.Fprintf(w, "  %s %s %q%s {\n", st.symbol(c.Action), esc(string(c.Kind)), c.ID, esc(where))
	width := 0
	for _, a := range c.Attributes {
		width = max(width, len(a.Attribute))
	}
	hidden := 0
	for _, a := range c.Attributes {
		switch {
		case c.Action == plan.Create:
			fmt.Fprintf(w, "      %s %-*s = %s\n", st.symbol(plan.Create), width, esc(a.Attribute), esc(a.AfterText))
		case c.Action == plan.Delete:
			fmt.Fprintf(w, "      %s %-*s = %s\n", st.symbol(plan.Delete), width, esc(a.Attribute), esc(a.BeforeText))
			continue
		case a.Changed && a.Sensitive:
			fmt.Fprintf(w, "      %s %-*s = %s\n", st.symbol(plan.Update), width, esc(a.Attribute), esc(a.AfterText))
		case a.Changed:
			suffix := ""
			switch {
			case a.Reset:
				suffix = " # no longer declared: back to the server default"
			case a.ForcesReplacement:
				suffix = " # forces replacement"
			}
			fmt.Fprintf(w, "      %s %-*s = %s -> %s%s\n", st.symbol(plan.Update), width, esc(a.Attribute), esc(orAbsent(a.BeforeText)), esc(orAbsent(a.AfterText)), suffix)
		default:
			hidden++
			continue
		}
		for _, e := range a.Elements {
			fmt.Fprintf(w, "          %s\n", elementLine(e, a.Keyed, st))
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

func orAbsent(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// elementLine renders one changed element of a map or list: `- key = "v"`, `+ rule {...}`,
// `~ key = "a" -> "b"`.
func elementLine(e plan.ElementDoc, keyed bool, st Style) string {
	label := func(text string) string {
		if keyed {
			return esc(model.QuoteKey(e.Key)) + " = " + esc(text)
		}
		return esc(text)
	}
	switch {
	case e.BeforeText == "":
		return st.paint("32", "+") + " " + label(e.AfterText)
	case e.AfterText == "":
		return st.paint("31", "-") + " " + label(e.BeforeText)
	}
	return st.paint("33", "~") + " " + label(e.BeforeText) + " -> " + esc(e.AfterText)
}

// writeOutputs lists outputs, sorted by name, without their values: plan and apply never mint
// presigned URLs.
func writeOutputs(w io.Writer, outputs map[string]plan.OutputDoc, title string) {
	if len(outputs) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	names := make([]string, 0, len(outputs))
	width := 0
	for name := range outputs {
		names = append(names, name)
		width = max(width, len(name))
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-*s = %s\n", width, esc(name), esc(OutputPlaceholder(outputs[name])))
	}
	fmt.Fprintln(w)
}

// OutputPlaceholder is how plan and apply show an output's value.
func OutputPlaceholder(o plan.OutputDoc) string {
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

// WriteOutputs lists outputs after an apply.
func WriteOutputs(w io.Writer, outputs map[string]plan.OutputDoc) {
	writeOutputs(w, outputs, "Outputs:")
}

// esc escapes what in a text could act on a terminal (control characters, newlines included,
// bidirectional controls, invalid UTF-8): values and names come from the server and from
// input, and a bucket policy with an escape sequence must not rewrite the plan shown before
// "yes".
func esc(s string) string {
	return strings.ReplaceAll(string(config.EscapeControls([]byte(s))), "\n", `\n`)
}
