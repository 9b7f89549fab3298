package policy

import (
	"strings"
	"testing"
)

func TestEqualIgnoresServerNormalisation(t *testing.T) {
	declared := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::b"]}]}`
	// The same grants, split differently, reordered, with arrays and duplicates.
	stored := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation"],"Resource":["arn:aws:s3:::b"]},
		{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:ListBucket","s3:ListBucket"],"Resource":["arn:aws:s3:::b"]},
		{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"]}]}`
	if !Equal(MustParse(declared), MustParse(stored)) {
		t.Fatal("semantically equal policies compare unequal")
	}
	canned, _ := Canned(Download, "b")
	if !Equal(canned, MustParse(stored)) || Name(MustParse(stored), "b") != Download {
		t.Fatalf("stored download policy not recognised: %s", Name(MustParse(stored), "b"))
	}
}

func TestEqualSeesEverySemanticDifference(t *testing.T) {
	base := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	for name, other := range map[string]string{
		"extra action":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}`,
		"deny":           `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"other resource": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/x/*"}]}`,
		"principal":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:user/u"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"condition":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		"version":        `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"not action":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"none":           ``,
	} {
		if Equal(MustParse(base), MustParse(other)) {
			t.Errorf("%s: different policies compare equal", name)
		}
	}
	if !Equal(MustParse(""), Document{}) {
		t.Error("two empty policies differ")
	}
}

func TestConditionValuesCompareAsSets(t *testing.T) {
	a := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
		"Condition":{"StringLike":{"s3:prefix":["a/*","b/*"]},"NumericLessThan":{"s3:max-keys":10}}}]}`)
	b := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
		"Condition":{"NumericLessThan":{"s3:max-keys":"10"},"StringLike":{"s3:prefix":["b/*","a/*"]}}}]}`)
	if !Equal(a, b) {
		t.Fatal("condition values in another order or as a string compare unequal")
	}
}

func TestDiffListsGrants(t *testing.T) {
	download, _ := Canned(Download, "b")
	public, _ := Canned(Public, "b")
	removed, added := Diff(download, public)
	if len(removed) != 0 || len(added) != 5 {
		t.Fatalf("download → public: removed %v added %v", removed, added)
	}
	for _, g := range added {
		if g.Principal != "AWS:*" || g.Effect != "Allow" {
			t.Errorf("unexpected grant %s", g)
		}
	}
	if !strings.Contains(added[0].String(), " on arn:aws:s3:::b") {
		t.Errorf("grant renders as %q", added[0])
	}
}

func TestCannedPolicies(t *testing.T) {
	for _, mode := range AnonymousModes {
		doc, ok := Canned(mode, "bkt")
		if !ok {
			t.Fatalf("%s not canned", mode)
		}
		if Name(doc, "bkt") != mode {
			t.Errorf("Name(Canned(%s)) = %s", mode, Name(doc, "bkt"))
		}
		if mode != None {
			// What bucketform writes must parse back to the same grants.
			back, err := Parse(doc.JSON())
			if err != nil || !Equal(back, doc) {
				t.Errorf("%s does not round-trip: %v %s", mode, err, doc.JSON())
			}
		}
	}
	if _, ok := Canned("private", "b"); ok {
		t.Error(`"private" is mc's display name, not a mode`)
	}
	upload, _ := Canned(Upload, "b")
	var actions []string
	for _, g := range upload.Grants() {
		actions = append(actions, g.Action)
	}
	// upload lets anyone write and delete objects, and read nothing.
	joined := strings.Join(actions, " ")
	if !strings.Contains(joined, "s3:DeleteObject") || !strings.Contains(joined, "s3:PutObject") || strings.Contains(joined, "s3:GetObject") {
		t.Errorf("upload grants %v", actions)
	}
	if Name(MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`), "b") != Custom {
		t.Error("a partial download policy is not custom")
	}
}

func TestParseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"no version":      `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"bad version":     `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"no statement":    `{"Version":"2012-10-17"}`,
		"bad effect":      `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"no principal":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"iam action":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:CreateUser","Resource":"arn:aws:s3:::b/*"}]}`,
		"bad resource":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"b/*"}]}`,
		"unknown key":     `{"Version":"2012-10-17","Statment":[]}`,
		"not json":        `{"Version":`,
		"trailing data":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]} {}`,
		"bad principal":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"me","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"bad condition":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":"x"}]}`,
		"statement field": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Extra":1}]}`,
	} {
		if _, err := Parse(text); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}
