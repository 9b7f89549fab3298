package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/bucketform/bucketform/cmd/internal/schematest"
)

// TestSchemaValidatesEveryPlanDocument: the published schema of the plan document accepts the
// golden plan documents (the render goldens and the JSON goldens of the CLI scripts) and a
// document with a change of every action; it rejects documents with an unknown key, a missing
// key or an unknown action, so that a renamed Go field cannot silently change the format.
func TestSchemaValidatesEveryPlanDocument(t *testing.T) {
	s := schematest.Load(t)
	goldens, _ := filepath.Glob("testdata/*.json")
	for _, path := range goldens {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Check(schematest.Plan, data); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	scripts, _ := filepath.Glob("../../bucketform/testdata/script/*.txtar")
	checked := 0
	for _, path := range scripts {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".json") || !bytes.Contains(f.Data, []byte(`"format_version": "1"`)) || !bytes.Contains(f.Data, []byte(`"changes"`)) {
				continue
			}
			checked++
			data := bytes.ReplaceAll(f.Data, []byte("$MINIO_ENDPOINT"), []byte("127.0.0.1:9000"))
			if err := s.Check(schematest.Plan, data); err != nil {
				t.Errorf("%s, %s: %v", path, f.Name, err)
			}
		}
	}
	if len(goldens) < 2 || checked < 2 {
		t.Fatalf("found %d golden documents and %d in scripts: the test checks nothing", len(goldens), checked)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, exampleDocument()); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	if err := s.Check(schematest.Plan, good); err != nil {
		t.Fatalf("the example document: %v", err)
	}
	for name, edit := range map[string]func(map[string]any){
		"unknown key":    func(d map[string]any) { d["changez"] = []any{} },
		"missing key":    func(d map[string]any) { delete(d, "summary") },
		"unknown action": func(d map[string]any) { d["changes"].([]any)[0].(map[string]any)["action"] = "obliterate" },
		"renamed field": func(d map[string]any) {
			c := d["changes"].([]any)[0].(map[string]any)
			c["Address"] = c["address"]
			delete(c, "address")
		},
		"sensitive output value": func(d map[string]any) {
			d["outputs"].(map[string]any)["upload_url"] = map[string]any{"sensitive": true, "known": true, "value": "https://x"}
		},
	} {
		var d map[string]any
		if err := json.Unmarshal(good, &d); err != nil {
			t.Fatal(err)
		}
		edit(d)
		bad, _ := json.Marshal(d)
		if err := s.Check(schematest.Plan, bad); err == nil {
			t.Errorf("%s: the schema accepts a broken document", name)
		}
	}
}
