package policy

import (
	"strings"
	"unicode/utf8"
)

// Request is one thing an identity asks the server to do: Action on Resource (an ARN), or, when
// Prefix is set, Action on every resource whose ARN starts with Resource — a browser form
// upload under a key prefix, or a key that is not known yet.
type Request struct {
	Action   string
	Resource string
	Prefix   bool
}

// Decision is what the policies of an identity decide about a request.
type Decision int

const (
	// ImplicitDeny means no statement allows the request, and none of those that might apply
	// could: the server refuses it (AccessDenied).
	ImplicitDeny Decision = iota
	// Allowed means an unconditional Allow statement covers the request and no Deny statement
	// may apply to it.
	Allowed
	// ExplicitDeny means an unconditional Deny statement covers the request: nothing can allow
	// it, whatever else is attached to the identity.
	ExplicitDeny
	// Undecided means the answer depends on what is not known offline: a condition, a policy
	// variable, statements that cover only part of a prefix request, or (see Unknown) a policy
	// whose statements are not known.
	Undecided
)

// String names the decision: "allowed", "implicitly denied", "explicitly denied", "undecided".
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitly denied"
	case Undecided:
		return "undecided"
	}
	return "implicitly denied"
}

// Doubt is a statement that may or may not apply to a request, and why.
type Doubt struct {
	// Statement is the index of the statement in its Document, or -1 for a doubt about a whole
	// policy (see Unknown).
	Statement int
	// Reason says why it may or may not apply, e.g. "applies only under a condition".
	Reason string
}

// Evaluation is what one policy document says about a request.
type Evaluation struct {
	// Allowed is set when an Allow statement without a condition covers the whole request;
	// AllowedBy is the index of the first one (-1 when none).
	Allowed   bool
	AllowedBy int
	// Denied is set when a Deny statement without a condition covers the whole request;
	// DeniedBy is the index of the first one (-1 when none).
	Denied   bool
	DeniedBy int
	// MayAllow and MayDeny are the Allow and Deny statements that apply to the request only
	// under a condition, through a policy variable, or to only part of a prefix request.
	MayAllow []Doubt
	MayDeny  []Doubt
}

// Unknown is the evaluation of a policy whose statements are not known (a policy given by
// name, or one whose document is only known later): it may allow and may deny anything.
func Unknown(reason string) Evaluation {
	d := []Doubt{{Statement: -1, Reason: reason}}
	return Evaluation{AllowedBy: -1, DeniedBy: -1, MayAllow: d, MayDeny: d}
}

// Maybe turns an evaluation into that of a policy that may or may not apply to the identity
// (a group it may be a member of): what it allows or denies becomes a doubt, for reason.
func (e Evaluation) Maybe(reason string) Evaluation {
	out := Evaluation{AllowedBy: -1, DeniedBy: -1, MayAllow: e.MayAllow, MayDeny: e.MayDeny}
	if e.Allowed {
		out.MayAllow = append(append([]Doubt(nil), e.MayAllow...), Doubt{Statement: e.AllowedBy, Reason: reason})
	}
	if e.Denied {
		out.MayDeny = append(append([]Doubt(nil), e.MayDeny...), Doubt{Statement: e.DeniedBy, Reason: reason})
	}
	return out
}

// Decide combines the evaluations of every policy that applies to one identity, the way the
// server does: an explicit Deny wins; otherwise the request is allowed when some statement
// allows it. Doubts decide nothing: a request that is allowed but may be denied, or not allowed
// but may be, is Undecided. A request that nothing allows and nothing may allow is ImplicitDeny
// even when some statement may deny it.
func Decide(evals ...Evaluation) Decision {
	var allowed, mayAllow, mayDeny bool
	for _, e := range evals {
		if e.Denied {
			return ExplicitDeny
		}
		allowed = allowed || e.Allowed
		mayAllow = mayAllow || len(e.MayAllow) > 0
		mayDeny = mayDeny || len(e.MayDeny) > 0
	}
	switch {
	case allowed && !mayDeny:
		return Allowed
	case allowed || mayAllow:
		return Undecided
	}
	return ImplicitDeny
}

// coverage is how much of a request a statement's resources take in.
type coverage int

const (
	coversNone coverage = iota
	coversSome          // part of a prefix request, or through a policy variable
	coversAll
)

// Evaluate says what d's statements decide about req: which ones allow or deny it outright
// and which ones may. Actions and resources match as MinIO matches them: case-sensitive, with
// "*" for any run of characters (across "/" too) and "?" for any one character. A resource
// holding a policy variable such as ${aws:username} may apply; a statement with a condition
// applies only under it, which is never known offline.
func Evaluate(d Document, req Request) Evaluation {
	e := Evaluation{AllowedBy: -1, DeniedBy: -1}
	for i := range d.Statements {
		st := &d.Statements[i]
		if !actionMatches(st, req.Action) {
			continue
		}
		cov, variable := resourceCoverage(st, req)
		if cov == coversNone {
			continue
		}
		reason := ""
		switch {
		case len(st.Condition) > 0:
			reason, cov = "applies only under a condition", coversSome
		case variable:
			reason = "names its resources with a policy variable"
		case cov == coversSome:
			reason = "covers only some of the keys under the prefix"
		}
		switch {
		case st.Effect == deny && cov == coversAll:
			if !e.Denied {
				e.Denied, e.DeniedBy = true, i
			}
		case st.Effect == deny:
			e.MayDeny = append(e.MayDeny, Doubt{Statement: i, Reason: reason})
		case cov == coversAll:
			if !e.Allowed {
				e.Allowed, e.AllowedBy = true, i
			}
		default:
			e.MayAllow = append(e.MayAllow, Doubt{Statement: i, Reason: reason})
		}
	}
	return e
}

func actionMatches(st *Statement, action string) bool {
	if len(st.Action) > 0 {
		for _, a := range st.Action {
			if Match(a, action) {
				return true
			}
		}
		return false
	}
	if len(st.NotAction) == 0 {
		return false
	}
	for _, a := range st.NotAction {
		if Match(a, action) {
			return false
		}
	}
	return true
}

// resourceCoverage says how much of req the resources of st take in, and whether a policy
// variable decides it.
func resourceCoverage(st *Statement, req Request) (coverage, bool) {
	if len(st.Resource) > 0 {
		best, variable := coversNone, false
		for _, r := range st.Resource {
			c, v := patternCoverage(r, req)
			if c > best {
				best, variable = c, v
			}
		}
		return best, variable
	}
	if len(st.NotResource) == 0 {
		return coversNone, false
	}
	// The statement applies to what matches none of the patterns.
	out, variable := coversAll, false
	for _, r := range st.NotResource {
		c, v := patternCoverage(r, req)
		switch {
		case c == coversAll:
			return coversNone, false
		case c == coversSome:
			out, variable = coversSome, variable || v
		}
	}
	return out, variable
}

// patternCoverage says how much of req one resource pattern takes in, and whether that depends
// on a policy variable.
func patternCoverage(pattern string, req Request) (coverage, bool) {
	if strings.Contains(pattern, "${") {
		if Intersects(withoutVariables(pattern), req.Resource, req.Prefix) {
			return coversSome, true
		}
		return coversNone, false
	}
	if !req.Prefix {
		if Match(pattern, req.Resource) {
			return coversAll, false
		}
		return coversNone, false
	}
	switch {
	case Covers(pattern, req.Resource):
		return coversAll, false
	case Intersects(pattern, req.Resource, true):
		return coversSome, false
	}
	return coversNone, false
}

// withoutVariables replaces each ${...} of a pattern with "*": what it can match whatever the
// variables are.
func withoutVariables(pattern string) string {
	var b strings.Builder
	for {
		i := strings.Index(pattern, "${")
		if i < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:i])
		b.WriteByte('*')
		pattern = pattern[i+j+1:]
	}
}

// Match reports whether s matches pattern, in which "*" stands for any run of characters
// (including none, and including "/") and "?" for exactly one character.
func Match(pattern, s string) bool {
	states := consume(pattern, s)
	return states != nil && states[len(states)-1]
}

// Covers reports whether pattern matches every string that starts with prefix.
func Covers(pattern, prefix string) bool {
	states := consume(pattern, prefix)
	for i, ok := range states {
		if rest := pattern[i:]; ok && rest != "" && strings.Trim(rest, "*") == "" {
			return true
		}
	}
	return false
}

// Intersects reports whether pattern matches s, or, when prefix is set, some string that
// starts with s.
func Intersects(pattern, s string, prefix bool) bool {
	if !prefix {
		return Match(pattern, s)
	}
	// After s, any rest of the pattern can be matched by a suitable continuation.
	return consume(pattern, s) != nil
}

// consume runs pattern as an automaton over s: it returns, for each byte offset i of pattern,
// whether pattern[:i] can match all of s; nil when no offset can. Offsets fall on character
// boundaries of pattern, and "?" takes one character (rune) of s.
func consume(pattern, s string) []bool {
	states := make([]bool, len(pattern)+1)
	states[0] = true
	closeStars(pattern, states)
	next := make([]bool, len(pattern)+1)
	for _, c := range s {
		alive := false
		clear(next)
		for i := 0; i < len(pattern); {
			r, size := utf8.DecodeRuneInString(pattern[i:])
			if states[i] {
				switch {
				case r == '*':
					next[i] = true
				case r == '?' || r == c:
					next[i+size] = true
				}
			}
			i += size
		}
		closeStars(pattern, next)
		for _, ok := range next {
			alive = alive || ok
		}
		if !alive {
			return nil
		}
		states, next = next, states
	}
	return states
}

// closeStars adds to states the offsets reachable by letting "*" match nothing.
func closeStars(pattern string, states []bool) {
	for i := 0; i < len(pattern); i++ {
		if states[i] && pattern[i] == '*' {
			states[i+1] = true
		}
	}
}
