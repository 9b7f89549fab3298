// Package schematest validates bucketform's JSON output against the JSON Schema files published
// in docs/schema, for tests: the plan document, plan files, apply -json events and
// validate -json. It uses github.com/santhosh-tekuri/jsonschema (draft 2020-12), a maintained
// validator with precise error locations, rather than hand-written checks of the same keys.
package schematest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schema files, by what they describe.
const (
	Plan        = "plan.schema.json"
	PlanFile    = "planfile.schema.json"
	ApplyEvents = "apply-events.schema.json"
	Validate    = "validate.schema.json"
)

// Schemas holds the compiled schemas of docs/schema.
type Schemas struct {
	byName map[string]*jsonschema.Schema
}

// TB is the part of testing.TB that Load uses.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// Load compiles every schema of docs/schema (found above the working directory) or fails t.
func Load(t TB) *Schemas {
	t.Helper()
	dir, err := schemaDir()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const base = "https://bucketform.dev/schema/"
	names := []string{Plan, PlanFile, ApplyEvents, Validate}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(base+name, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	s := &Schemas{byName: map[string]*jsonschema.Schema{}}
	for _, name := range names {
		sch, err := c.Compile(base + name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		s.byName[name] = sch
	}
	return s
}

// Check validates one JSON document against schema name.
func (s *Schemas) Check(name string, data []byte) error {
	sch := s.byName[name]
	if sch == nil {
		return fmt.Errorf("no schema %s", name)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}

// CheckLines validates every non-empty line of data (apply -json) against schema name.
func (s *Schemas) CheckLines(name string, data []byte) error {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := s.Check(name, line); err != nil {
			return fmt.Errorf("line %d %s: %w", i+1, line, err)
		}
	}
	return nil
}

func schemaDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "docs", "schema"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
