package policy

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"a*", "abc", true},
		{"a*c", "ac", true},
		{"a*c", "abcd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "aéc", true}, // ? is one character, not one byte
		{"", "", true},
		{"", "a", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true}, // * crosses "/"
		{"arn:aws:s3:::b", "arn:aws:s3:::b/x", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::*", "arn:aws:s3:::b/x", true},
		{"arn:aws:s3:::b/*.txt", "arn:aws:s3:::b/d/e.txt", true},
		{"arn:aws:s3:::b/*.txt", "arn:aws:s3:::b/d/e.txt.gz", false},
		{"s3:Put*", "s3:PutObject", true},
		{"s3:putobject", "s3:PutObject", false}, // case-sensitive, as MinIO matches
		{"**a**", "xxaxx", true},
	} {
		if got := Match(c.pattern, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestCoversAndIntersects(t *testing.T) {
	for _, c := range []struct {
		pattern, prefix   string
		covers, intersect bool
	}{
		{"b/runs/*", "b/runs/", true, true},
		{"b/runs/*", "b/runs/42/", true, true},
		{"b/runs/*", "b/run", false, true},
		{"b/runs/*", "b/other/", false, false},
		{"b/*", "b/runs/", true, true},
		{"b/r*", "b/runs/", true, true},
		{"b/runs/*.tar", "b/runs/", false, true},
		{"b/runs/", "b/runs/", false, true}, // only the prefix itself
		{"b/ru", "b/runs/", false, false},
		{"b/?*", "b/", false, true}, // the empty rest is not matched
		{"b/**", "b/", true, true},
		{"b/r?ns/x", "b/runs/", false, true},
		{"*", "", true, true},
		{"b/*/x", "b/", false, true},
	} {
		if got := Covers(c.pattern, c.prefix); got != c.covers {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.pattern, c.prefix, got, c.covers)
		}
		if got := Intersects(c.pattern, c.prefix, true); got != c.intersect {
			t.Errorf("Intersects(%q, %q) = %v, want %v", c.pattern, c.prefix, got, c.intersect)
		}
	}
}

// stmt builds a one-statement identity policy.
func stmt(t *testing.T, effect, actions, resources string, extra ...string) string {
	t.Helper()
	s := `{"Effect":"` + effect + `","Action":` + actions
	if resources != "" {
		s += `,"Resource":` + resources
	}
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func doc(t *testing.T, stmts ...string) Document {
	t.Helper()
	d, err := ParseIdentity(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEvaluate(t *testing.T) {
	const (
		put = "s3:PutObject"
		get = "s3:GetObject"
		del = "s3:DeleteObject"
		b   = "arn:aws:s3:::b/"
	)
	allowRuns := stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::b/runs/*"`)
	for _, c := range []struct {
		name  string
		stmts []string
		req   Request
		want  Decision
	}{
		{"allowed", []string{allowRuns}, Request{put, b + "runs/1/x", false}, Allowed},
		{"another action", []string{allowRuns}, Request{get, b + "runs/1/x", false}, ImplicitDeny},
		{"another key", []string{allowRuns}, Request{put, b + "other/x", false}, ImplicitDeny},
		{"another bucket", []string{allowRuns}, Request{put, "arn:aws:s3:::c/runs/x", false}, ImplicitDeny},
		{"everything", []string{stmt(t, "Allow", `"s3:*"`, `"arn:aws:s3:::*"`)}, Request{del, b + "x", false}, Allowed},
		{"star action", []string{stmt(t, "Allow", `"*"`, `"arn:aws:s3:::b/*"`)}, Request{put, b + "x", false}, Allowed},
		{"action wildcard", []string{stmt(t, "Allow", `"s3:Put*"`, `"arn:aws:s3:::b/*"`)}, Request{put, b + "x", false}, Allowed},
		{"bucket ARN is not its objects", []string{stmt(t, "Allow", `"s3:*"`, `"arn:aws:s3:::b"`)}, Request{put, b + "x", false}, ImplicitDeny},
		{"deny wins", []string{allowRuns, stmt(t, "Deny", `"s3:PutObject"`, `"arn:aws:s3:::b/runs/secret/*"`)}, Request{put, b + "runs/secret/x", false}, ExplicitDeny},
		{"deny elsewhere", []string{allowRuns, stmt(t, "Deny", `"s3:PutObject"`, `"arn:aws:s3:::b/runs/secret/*"`)}, Request{put, b + "runs/open/x", false}, Allowed},
		{"deny alone", []string{stmt(t, "Deny", `"s3:*"`, `"arn:aws:s3:::*"`)}, Request{put, b + "x", false}, ExplicitDeny},
		{"conditional deny", []string{allowRuns, stmt(t, "Deny", `"s3:PutObject"`, `"arn:aws:s3:::b/*"`, `"Condition":{"Bool":{"aws:SecureTransport":"false"}}`)}, Request{put, b + "runs/x", false}, Undecided},
		{"conditional allow", []string{stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::b/*"`, `"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)}, Request{put, b + "x", false}, Undecided},
		{"conditional allow of another action", []string{stmt(t, "Allow", `"s3:GetObject"`, `"arn:aws:s3:::b/*"`, `"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)}, Request{put, b + "x", false}, ImplicitDeny},
		{"not action", []string{`{"Effect":"Allow","NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}`}, Request{put, b + "x", false}, Allowed},
		{"not action excludes", []string{`{"Effect":"Allow","NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}`}, Request{del, b + "x", false}, ImplicitDeny},
		{"not resource", []string{`{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/private/*"}`}, Request{put, b + "x", false}, Allowed},
		{"not resource excludes", []string{`{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/private/*"}`}, Request{put, b + "private/x", false}, ImplicitDeny},
		{"not resource, part of a prefix", []string{`{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/private/*"}`}, Request{put, b, true}, Undecided},
		{"not resource, all of a prefix", []string{`{"Effect":"Allow","Action":"s3:PutObject","NotResource":"arn:aws:s3:::b/private/*"}`}, Request{put, b + "public/", true}, Allowed},
		{"prefix inside", []string{allowRuns}, Request{put, b + "runs/2024/", true}, Allowed},
		{"prefix wider than the grant", []string{allowRuns}, Request{put, b, true}, Undecided},
		{"prefix elsewhere", []string{allowRuns}, Request{put, b + "other/", true}, ImplicitDeny},
		{"deny over part of a prefix", []string{stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::b/*"`), stmt(t, "Deny", `"s3:PutObject"`, `"arn:aws:s3:::b/runs/secret/*"`)}, Request{put, b + "runs/", true}, Undecided},
		{"deny over all of a prefix", []string{stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::b/*"`), stmt(t, "Deny", `"s3:PutObject"`, `"arn:aws:s3:::b/runs/*"`)}, Request{put, b + "runs/x/", true}, ExplicitDeny},
		{"policy variable", []string{stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::b/${aws:username}/*"`)}, Request{put, b + "alice/x", false}, Undecided},
		{"policy variable elsewhere", []string{stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::c/${aws:username}/*"`)}, Request{put, b + "alice/x", false}, ImplicitDeny},
		{"admin statement", []string{stmt(t, "Allow", `"admin:*"`, "")}, Request{put, b + "x", false}, ImplicitDeny},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := doc(t, c.stmts...)
			e := Evaluate(d, c.req)
			if got := Decide(e); got != c.want {
				t.Errorf("Decide(Evaluate(%s, %+v)) = %s, want %s (%+v)", d.JSON(), c.req, got, c.want, e)
			}
		})
	}
}

func TestEvaluateNamesTheStatements(t *testing.T) {
	d := doc(t,
		stmt(t, "Allow", `"s3:GetObject"`, `"arn:aws:s3:::b/*"`),
		stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::b/*"`),
		stmt(t, "Deny", `"s3:PutObject"`, `"arn:aws:s3:::b/x/*"`, `"Condition":{"Bool":{"aws:SecureTransport":"false"}}`),
	)
	e := Evaluate(d, Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/x/1"})
	if !e.Allowed || e.AllowedBy != 1 || e.Denied || e.DeniedBy != -1 || len(e.MayDeny) != 1 || e.MayDeny[0].Statement != 2 ||
		!strings.Contains(e.MayDeny[0].Reason, "condition") {
		t.Errorf("evaluation = %+v", e)
	}
}

func TestDecideCombinesPolicies(t *testing.T) {
	allow := Evaluate(doc(t, stmt(t, "Allow", `"s3:PutObject"`, `"arn:aws:s3:::b/*"`)), Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/x"})
	deny := Evaluate(doc(t, stmt(t, "Deny", `"s3:*"`, `"arn:aws:s3:::b/*"`)), Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/x"})
	none := Evaluate(doc(t, stmt(t, "Allow", `"s3:GetObject"`, `"arn:aws:s3:::b/*"`)), Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/x"})
	unknown := Unknown("policy given by name")
	for _, c := range []struct {
		name  string
		evals []Evaluation
		want  Decision
	}{
		{"nothing attached", nil, ImplicitDeny},
		{"one allows", []Evaluation{none, allow}, Allowed},
		{"one denies", []Evaluation{allow, deny}, ExplicitDeny},
		{"deny beats unknown", []Evaluation{unknown, deny}, ExplicitDeny},
		{"allow with unknown", []Evaluation{allow, unknown}, Undecided},
		{"unknown alone", []Evaluation{none, unknown}, Undecided},
		{"maybe attached allow", []Evaluation{none, allow.Maybe("membership")}, Undecided},
		{"maybe attached deny", []Evaluation{allow, deny.Maybe("membership")}, Undecided},
		{"maybe attached deny, nothing allows", []Evaluation{none, deny.Maybe("membership")}, ImplicitDeny},
		{"maybe attached, irrelevant", []Evaluation{allow, none.Maybe("membership")}, Allowed},
	} {
		if got := Decide(c.evals...); got != c.want {
			t.Errorf("%s: Decide = %s, want %s", c.name, got, c.want)
		}
	}
}
