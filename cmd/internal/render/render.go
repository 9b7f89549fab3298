// Package render turns plan documents and apply results into what people and machines read:
// the human plan in Terraform's style, the JSON plan document, and a Markdown summary. All
// three are rendered from one value, the plan.Document computed once by package plan, so they
// never disagree and no view decides anything of its own: what changes, how an attribute is
// named and how a value is spelled are all in the document.
package render

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/bucketform/bucketform/engine/plan"
)

// The closing lines of plan and apply. Scripts match them: never change their wording.
const (
	NoChangesLine = "No changes. The live server matches the configuration."
	planLine      = "Plan: %d to add, %d to change, %d to destroy."
	applyLine     = "Apply complete! Resources: %d added, %d changed, %d destroyed."
)

// PlanLine returns the closing line of a plan: "Plan: ..." or, when nothing changes and
// nothing is refused, NoChangesLine (a plan with refusals never says the server matches).
func PlanLine(doc *plan.Document) string {
	s := doc.Summary
	if s.Add+s.Change+s.Destroy == 0 && len(doc.Refusals) == 0 {
		return NoChangesLine
	}
	return fmt.Sprintf(planLine, s.Add, s.Change, s.Destroy)
}

// ApplyLine returns the "Apply complete! ..." closing line.
func ApplyLine(s plan.Summary) string {
	return fmt.Sprintf(applyLine, s.Add, s.Change, s.Destroy)
}

// hasChanges reports whether the document changes anything.
func hasChanges(doc *plan.Document) bool {
	s := doc.Summary
	return s.Add+s.Change+s.Destroy > 0
}

// WriteJSON writes the document, indented, followed by a newline: `plan -json` and
// `show -json`.
func WriteJSON(w io.Writer, doc *plan.Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// multiDeployment reports whether the document concerns several deployments, in which case
// views say which one each change is on.
func multiDeployment(doc *plan.Document) bool {
	seen := ""
	for _, c := range doc.Changes {
		if seen != "" && c.Deployment != seen {
			return true
		}
		seen = c.Deployment
	}
	for _, r := range doc.Refusals {
		if seen != "" && r.Deployment != seen {
			return true
		}
		seen = r.Deployment
	}
	return false
}

// Where renders a source range as plans show it: "on main.hcl line 12"; "" for none.
func Where(r *plan.Range) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("on %s line %d", r.Filename, r.Start.Line)
}
