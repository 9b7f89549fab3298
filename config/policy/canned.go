package policy

import "strings"

// Anonymous access modes, as `mc anonymous set` names them.
const (
	None     = "none"
	Download = "download"
	Upload   = "upload"
	Public   = "public"
	// Custom names a policy that is none of the canned ones; it is for display only.
	Custom = "custom"
)

// AnonymousModes lists the values the `anonymous` attribute accepts.
var AnonymousModes = []string{None, Download, Upload, Public}

var (
	downloadBucketActions = []string{"s3:GetBucketLocation", "s3:ListBucket"}
	downloadObjectActions = []string{"s3:GetObject"}
	uploadBucketActions   = []string{"s3:GetBucketLocation", "s3:ListBucketMultipartUploads"}
	uploadObjectActions   = []string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:ListMultipartUploadParts", "s3:PutObject"}
)

// Canned returns the policy document that `mc anonymous set MODE` writes for bucket: every
// statement allows the anonymous principal {"AWS": ["*"]} with no condition. It returns the
// empty Document for "none" and ok=false for an unknown mode.
func Canned(mode, bucket string) (doc Document, ok bool) {
	var bucketActions, objectActions []string
	switch mode {
	case None:
		return Document{}, true
	case Download:
		bucketActions, objectActions = downloadBucketActions, downloadObjectActions
	case Upload:
		bucketActions, objectActions = uploadBucketActions, uploadObjectActions
	case Public:
		bucketActions = sortedSet(append(append([]string(nil), downloadBucketActions...), uploadBucketActions...))
		objectActions = sortedSet(append(append([]string(nil), downloadObjectActions...), uploadObjectActions...))
	default:
		return Document{}, false
	}
	return Document{
		Version: version2012,
		Statements: []Statement{
			{Effect: allow, Principal: anyone, Action: internSet(sortedSet(bucketActions)), Resource: []string{"arn:aws:s3:::" + bucket}},
			{Effect: allow, Principal: anyone, Action: internSet(sortedSet(objectActions)), Resource: []string{"arn:aws:s3:::" + bucket + "/*"}},
		},
	}, true
}

// Documents are values: nothing modifies the maps and slices of a Document once it is built.
// So documents share what they have in common — the anonymous principal, the canned action
// lists, well-known strings — instead of each holding copies: a plan of 10,000 buckets holds
// 20,000 policies (declared and live), and sharing keeps them to a fraction of the memory.
const (
	version2012 = "2012-10-17"
	allow       = "Allow"
	deny        = "Deny"
)

// anyone is the anonymous principal, in the form the server writes back. Shared: never modify.
var anyone = Principal{"AWS": {"*"}}

// shared holds the action lists of the canned policies and every action in them, by value,
// so that an equal list or string parsed from a server's answer is replaced by the shared one.
var (
	sharedLists   = map[string][]string{}
	sharedStrings = map[string]string{}
)

func init() {
	lists := [][]string{downloadBucketActions, downloadObjectActions, uploadBucketActions, uploadObjectActions,
		sortedSet(append(append([]string(nil), downloadBucketActions...), uploadBucketActions...)),
		sortedSet(append(append([]string(nil), downloadObjectActions...), uploadObjectActions...))}
	for _, l := range lists {
		l = sortedSet(l)
		sharedLists[strings.Join(l, "\x00")] = l
		for _, a := range l {
			sharedStrings[a] = a
		}
	}
	for _, s := range []string{version2012, "2008-10-17", allow, deny, "AWS", "*"} {
		sharedStrings[s] = s
	}
}

// intern returns the shared copy of s when there is one.
func intern(s string) string {
	if t, ok := sharedStrings[s]; ok {
		return t
	}
	return s
}

// internSet returns the shared copy of a sorted list when there is one, else the list with
// its well-known strings shared.
func internSet(l []string) []string {
	if len(l) == 0 {
		return l
	}
	if t, ok := sharedLists[strings.Join(l, "\x00")]; ok {
		return t
	}
	for i, s := range l {
		l[i] = intern(s)
	}
	return l
}

// internPrincipal returns the shared anonymous principal when p is it.
func internPrincipal(p Principal) Principal {
	if len(p) == 1 && len(p["AWS"]) == 1 && p["AWS"][0] == "*" {
		return anyone
	}
	return p
}

// Name returns the anonymous mode whose canned policy for bucket is semantically equal to doc,
// or Custom. Unlike `mc anonymous get`, which names a policy by superset, a policy with one extra
// action or a Deny statement is Custom here: the name is for display, never for a diff.
func Name(doc Document, bucket string) string {
	for _, mode := range AnonymousModes {
		canned, _ := Canned(mode, bucket)
		if Equal(doc, canned) {
			return mode
		}
	}
	return Custom
}
