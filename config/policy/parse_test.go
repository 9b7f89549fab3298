package policy

import (
	"slices"
	"testing"
)

// Parse decodes the text once and checks it in Go; these pin the corners of JSON it must keep
// treating as before.
func TestParseKeepsItsCorners(t *testing.T) {
	const stmt = `{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"`
	for name, text := range map[string]string{
		"a closing brace after the object": `{"Version":"2012-10-17","Statement":[` + stmt + `}]} }`,
		"a second object":                  `{"Version":"2012-10-17","Statement":[` + stmt + `}]} {}`,
		"an array":                         `[]`,
		"null":                             `null`,
		"a number as Version":              `{"Version":5,"Statement":[` + stmt + `}]}`,
		"a number as Effect":               `{"Version":"2012-10-17","Statement":[{"Effect":1,"Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`,
		"an object in an action list":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":[{}],"Resource":"arn:aws:s3:::b"}]}`,
		"a list as a condition value":      `{"Version":"2012-10-17","Statement":[` + stmt + `,"Condition":{"StringLike":{"s3:prefix":[["a"]]}}}]}`,
	} {
		if _, err := Parse(text); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
	doc, err := Parse(`{"Version":"2012-10-17","Statement":` + stmt + `,"Condition":{"NumericLessThan":{"s3:max-keys":[10, 2.50, true, "x"]}}}} ` + "\n")
	if err != nil {
		t.Fatal(err)
	}
	// A single statement object is a list of one; numbers keep the text they were written as.
	if got := doc.Statements[0].Condition["NumericLessThan"]["s3:max-keys"]; !slices.Equal(got, []string{"10", "2.50", "true", "x"}) {
		t.Errorf("condition values %q", got)
	}
}

// Parsed documents share their common parts; Canned and Parse must still hand out documents
// that compare equal and render the same.
func TestSharedPartsCompareAndRender(t *testing.T) {
	canned, _ := Canned(Download, "b")
	parsed := MustParse(canned.JSON())
	if !Equal(canned, parsed) || canned.JSON() != parsed.JSON() {
		t.Fatalf("canned %s, parsed %s", canned.JSON(), parsed.JSON())
	}
	other, _ := Canned(Download, "c")
	if Equal(canned, other) {
		t.Fatal("the download policies of two buckets compare equal")
	}
}
