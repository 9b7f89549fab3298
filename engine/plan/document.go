package plan

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"

	"github.com/bucketform/bucketform/config/model"
)

// FormatVersion is the version of the plan document. It changes only when a key changes
// meaning or disappears; keys and action values are added within a version, and readers ignore
// what they do not know. docs/schema/plan.schema.json describes every key.
const FormatVersion = "1"

// Document is the plan as every view shows it: `plan -json` and `show -json` print it, the human
// and Markdown plans are rendered from it, and plan files store it. It is derived from a Plan
// once, here, so that no view decides anything on its own.
type Document struct {
	FormatVersion string `json:"format_version"`
	Stack         string `json:"stack"`
	Destroy       bool   `json:"destroy"`
	// Targets are the -target addresses the plan was limited to; empty for a whole plan.
	Targets []string `json:"targets"`
	// Deployments says, per minio block, which server was read and how.
	Deployments map[string]DeploymentDoc `json:"deployments,omitempty"`
	// Notes explain the plan as a whole (a plan limited by -target, a fallback read path).
	Notes    []NoteDoc            `json:"plan_notes,omitempty"`
	Changes  []ChangeDoc          `json:"changes"`
	Refusals []RefusalDoc         `json:"refusals"`
	Summary  Summary              `json:"summary"`
	Outputs  map[string]OutputDoc `json:"outputs"`
}

// DeploymentDoc says which server a deployment is and how the plan read it.
type DeploymentDoc struct {
	Endpoint string `json:"endpoint"`
	// Read names how the buckets were read: "export" (the server's bulk export, one request),
	// "export-each" (a bulk export per bucket) or "attributes" (one request per attribute).
	Read string `json:"read,omitempty"`
}

// ChangeDoc is one change of the document.
type ChangeDoc struct {
	Address    string     `json:"address"`
	Action     Action     `json:"action"`
	Kind       model.Kind `json:"kind"`
	Deployment string     `json:"deployment"`
	// ID is the resource's identity on the server: a bucket, policy or group name, an access key.
	ID string `json:"id"`
	// Bucket repeats the ID for a bucket (kept from the first version of the document).
	Bucket string `json:"bucket,omitempty"`
	// Before and After hold the identity and the concerned attributes, under the names the
	// configuration uses; Before is null for a create, After for a delete.
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	// ChangedAttributes names the attributes that apply writes, in plan order.
	ChangedAttributes []string `json:"changed_attributes"`
	// Attributes holds every concerned attribute with its before and after values, as JSON
	// and as the configuration would spell them, and what changes element by element.
	Attributes   []AttributeDoc `json:"attributes"`
	ForceDestroy bool           `json:"force_destroy,omitempty"`
	Notes        []string       `json:"notes,omitempty"`
	// NoteDetails repeats Notes with their stable codes.
	NoteDetails []NoteDoc `json:"note_details,omitempty"`
	// Range is the configuration block the change comes from.
	Range *Range `json:"range,omitempty"`
}

// AttributeDoc is one attribute of a change.
type AttributeDoc struct {
	Attribute string `json:"attribute"`
	// Before and After are JSON values; null when absent, or when sensitive.
	Before any `json:"before"`
	After  any `json:"after"`
	// BeforeText and AfterText are the values as the configuration would spell them; empty
	// when absent. A sensitive value is (sensitive).
	BeforeText string `json:"before_text,omitempty"`
	AfterText  string `json:"after_text,omitempty"`
	Changed    bool   `json:"changed"`
	Reset      bool   `json:"reset"`
	Sensitive  bool   `json:"sensitive"`
	// Keyed says that elements show as `key = value` (a map) rather than as the value alone.
	Keyed bool `json:"keyed,omitempty"`
	// ForcesReplacement is set on a changed attribute that the server cannot change in place.
	ForcesReplacement bool `json:"forces_replacement,omitempty"`
	// Elements lists what changes inside a changed map or list: a tag, a lifecycle rule, a
	// policy grant.
	Elements []ElementDoc `json:"elements,omitempty"`
}

// ElementDoc is one changed element of a map or list attribute. Before is null for an added
// element, After for a removed one.
type ElementDoc struct {
	Key        string `json:"key"`
	Before     any    `json:"before"`
	After      any    `json:"after"`
	BeforeText string `json:"before_text,omitempty"`
	AfterText  string `json:"after_text,omitempty"`
}

// NoteDoc is a note with its stable code.
type NoteDoc struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// RefusalDoc is one refusal of the document.
type RefusalDoc struct {
	Address    string     `json:"address"`
	Kind       model.Kind `json:"kind"`
	Deployment string     `json:"deployment"`
	ID         string     `json:"id"`
	Bucket     string     `json:"bucket,omitempty"`
	Code       string     `json:"code"`
	Reason     string     `json:"reason"`
	Range      *Range     `json:"range,omitempty"`
}

// OutputDoc is one output of the document: never its value when it is sensitive or not yet
// known (presigned URLs exist only when `bucketform output` signs them).
type OutputDoc struct {
	Sensitive bool            `json:"sensitive"`
	Known     bool            `json:"known"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// DocumentInput is what the document needs besides the plan.
type DocumentInput struct {
	Schemas     map[model.Kind]*Schema
	Deployments map[string]DeploymentDoc
	Outputs     map[string]OutputDoc
	Notes       []NoteDoc
}

// Document derives the document of p.
func (p *Plan) Document(in DocumentInput) *Document {
	doc := &Document{
		FormatVersion: FormatVersion,
		Stack:         p.Stack,
		Destroy:       p.Destroy,
		Targets:       append([]string{}, p.Targets...),
		Deployments:   in.Deployments,
		Notes:         in.Notes,
		Changes:       []ChangeDoc{},
		Refusals:      []RefusalDoc{},
		Summary:       p.Summary(),
	}
	doc.Outputs = map[string]OutputDoc{}
	for name, o := range in.Outputs {
		if o.Sensitive || !o.Known {
			o.Value = nil // never a sensitive value, whoever hands it over
		}
		doc.Outputs[name] = o
	}
	for _, c := range p.Changes {
		doc.Changes = append(doc.Changes, changeDoc(c, in.Schemas[c.Kind]))
	}
	for _, r := range p.Refusals {
		rd := RefusalDoc{Address: r.Address, Kind: r.Kind, Deployment: r.Deployment, ID: r.ID, Code: r.Code, Reason: r.Reason, Range: r.Range}
		if r.Kind == model.KindBucket {
			rd.Bucket = r.ID
		}
		doc.Refusals = append(doc.Refusals, rd)
	}
	return doc
}

func changeDoc(c Change, s *Schema) ChangeDoc {
	idName := "name"
	if s != nil && s.IDName != "" {
		idName = s.IDName
	}
	cd := ChangeDoc{Address: c.Address, Action: c.Action, Kind: c.Kind, Deployment: c.Deployment, ID: c.ID,
		ChangedAttributes: []string{}, Attributes: []AttributeDoc{}, ForceDestroy: c.ForceDestroy, Range: c.Range}
	if c.Kind == model.KindBucket {
		cd.Bucket = c.ID
	}
	if c.Before != nil {
		cd.Before = map[string]any{idName: c.ID}
	}
	if c.After != nil {
		cd.After = map[string]any{idName: c.ID}
	}
	for _, a := range c.Attrs {
		ad := AttributeDoc{Attribute: a.Name, Changed: a.Changed, Reset: a.Reset, Sensitive: a.Sensitive, ForcesReplacement: a.ForcesReplacement}
		if a.Before != nil {
			ad.Before, ad.BeforeText = jsonOf(a.Before, a.Sensitive), a.Before.Text()
			if cd.Before != nil {
				cd.Before[a.Name] = ad.Before
			}
		}
		if a.After != nil && c.After != nil {
			ad.After, ad.AfterText = jsonOf(a.After, a.Sensitive), a.After.Text()
			if !a.Changed && a.Before != nil {
				// An unchanged attribute mostly reads the same on both sides: the document
				// then holds one copy of it, not two (10,000 no-op buckets hold 40,000).
				if ad.AfterText == ad.BeforeText {
					ad.AfterText = ad.BeforeText // the same text, and now the same string
				}
				if reflect.DeepEqual(ad.After, ad.Before) {
					ad.After = ad.Before
				}
			}
			cd.After[a.Name] = ad.After
		}
		if a.Changed {
			cd.ChangedAttributes = append(cd.ChangedAttributes, a.Name)
			ad.Keyed, ad.Elements = elements(a.Before, a.After)
			if inText, ok := a.After.(interface{ ElementsInText() bool }); c.Action == Create && ok && inText.ElementsInText() {
				ad.Elements = nil // a new map's or set's text shows every element already
			}
		}
		cd.Attributes = append(cd.Attributes, ad)
	}
	if cd.Before != nil && cd.After != nil && sameEntries(cd.Before, cd.After) {
		cd.After = cd.Before
	}
	for _, n := range c.Notes {
		cd.Notes = append(cd.Notes, n.Text)
		cd.NoteDetails = append(cd.NoteDetails, NoteDoc(n))
	}
	return cd
}

// sameEntries reports whether a and b hold the very same entries: the same keys, and values
// that changeDoc shares (so comparing them is cheap) or that are equal scalars.
func sameEntries(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !reflect.DeepEqual(av, bv) {
			return false
		}
	}
	return true
}

// jsonOf returns the JSON value of v; null for a sensitive one, whatever it says.
func jsonOf(v model.Value, sensitive bool) any {
	if sensitive {
		return nil
	}
	return v.JSON()
}

// elements lists the elements that differ between two collections: every element of after
// when before is absent.
func elements(before, after model.Value) (keyed bool, out []ElementDoc) {
	bc, bok := before.(model.Collection)
	ac, aok := after.(model.Collection)
	if !bok && !aok {
		return false, nil
	}
	bm, am := map[string]model.Value{}, map[string]model.Value{}
	if bok {
		keyed = bc.KeyedElements()
		for _, e := range bc.Elements() {
			bm[e.Key] = e.Value
		}
	}
	if aok {
		keyed = ac.KeyedElements()
		for _, e := range ac.Elements() {
			am[e.Key] = e.Value
		}
	}
	keys := map[string]bool{}
	for k := range bm {
		keys[k] = true
	}
	for k := range am {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		b, inB := bm[k]
		a, inA := am[k]
		if inB && inA && a.Equal(b) {
			continue
		}
		ed := ElementDoc{Key: k}
		if inB {
			ed.Before, ed.BeforeText = b.JSON(), b.Text()
		}
		if inA {
			ed.After, ed.AfterText = a.JSON(), a.Text()
		}
		out = append(out, ed)
	}
	return keyed, out
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	return keys
}

// WithoutOutputs returns a copy of the document without its outputs (a Markdown summary never
// shows them).
func (d *Document) WithoutOutputs() *Document {
	c := *d
	c.Outputs = nil
	return &c
}
