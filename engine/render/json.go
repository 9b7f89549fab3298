package render

import (
	"encoding/json"
	"io"

	"github.com/bucketform/bucketform/engine/model"
	"github.com/bucketform/bucketform/engine/plan"
)

// FormatVersion is the version of the JSON plan document. It changes only when a key changes
// meaning or disappears; new keys may be added within a version.
const FormatVersion = "1"

// Output is an output as plans show it: never its value when it is sensitive or not yet known.
type Output struct {
	Name      string
	Sensitive bool
	// Known is false for a value that only `bucketform output` computes (presigned URLs).
	Known bool
	// Value is the JSON value of a known, non-sensitive output.
	Value json.RawMessage
}

// PlanDocument is the JSON form of a plan (`plan -json`, `show -json`).
type PlanDocument struct {
	FormatVersion string                `json:"format_version"`
	Stack         string                `json:"stack"`
	Destroy       bool                  `json:"destroy"`
	Changes       []ChangeDocument      `json:"changes"`
	Refusals      []RefusalDocument     `json:"refusals"`
	Summary       plan.Summary          `json:"summary"`
	Outputs       map[string]OutputJSON `json:"outputs"`
}

// ChangeDocument is one change of a JSON plan.
type ChangeDocument struct {
	Address    string         `json:"address"`
	Action     plan.Action    `json:"action"`
	Deployment string         `json:"deployment"`
	Bucket     string         `json:"bucket"`
	Before     map[string]any `json:"before"`
	After      map[string]any `json:"after"`
	// ChangedAttributes names the attributes written (their keys in before/after).
	ChangedAttributes []string `json:"changed_attributes"`
	Notes             []string `json:"notes,omitempty"`
}

// RefusalDocument is one refusal of a JSON plan.
type RefusalDocument struct {
	Address    string `json:"address"`
	Deployment string `json:"deployment"`
	Bucket     string `json:"bucket"`
	Reason     string `json:"reason"`
}

// OutputJSON is one output of a JSON plan.
type OutputJSON struct {
	Sensitive bool            `json:"sensitive"`
	Known     bool            `json:"known"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// Document builds the JSON document of p.
func Document(p *plan.Plan, outputs []Output) PlanDocument {
	doc := PlanDocument{
		FormatVersion: FormatVersion,
		Stack:         p.Stack,
		Destroy:       p.Destroy,
		Changes:       []ChangeDocument{},
		Refusals:      []RefusalDocument{},
		Summary:       p.Summary(),
		Outputs:       map[string]OutputJSON{},
	}
	for _, c := range p.Changes {
		cd := ChangeDocument{Address: c.Address, Action: c.Action, Deployment: c.Deployment, Bucket: c.Bucket,
			Before: BucketJSON(c.Before), After: BucketJSON(c.After), ChangedAttributes: []string{}, Notes: c.Notes}
		if c.Action == plan.Create {
			for _, a := range c.After.Attrs.Sorted() {
				cd.ChangedAttributes = append(cd.ChangedAttributes, attrKey(a, c.After))
			}
		}
		for _, w := range c.Writes {
			if c.Action != plan.Create {
				cd.ChangedAttributes = append(cd.ChangedAttributes, attrKey(w.Attr, pick(w.Attr, c)))
			}
		}
		doc.Changes = append(doc.Changes, cd)
	}
	for _, r := range p.Refusals {
		doc.Refusals = append(doc.Refusals, RefusalDocument(r))
	}
	for _, o := range outputs {
		oj := OutputJSON{Sensitive: o.Sensitive, Known: o.Known}
		if o.Known && !o.Sensitive {
			oj.Value = o.Value
		}
		doc.Outputs[o.Name] = oj
	}
	return doc
}

// pick returns the side of a change whose policy decides the attribute's key: "policy" when
// either side is a custom policy.
func pick(a model.Attr, c plan.Change) *model.Bucket {
	if a == model.AttrPolicy && attrKey(a, c.Before) == "policy" {
		return c.Before
	}
	return c.After
}

// WriteJSON writes the JSON document of p, indented, followed by a newline.
func WriteJSON(w io.Writer, p *plan.Plan, outputs []Output) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Document(p, outputs))
}
