package policy

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
	anyone := Principal{"AWS": {"*"}}
	return Document{
		Version: "2012-10-17",
		Statements: []Statement{
			{Effect: "Allow", Principal: anyone, Action: sortedSet(bucketActions), Resource: []string{"arn:aws:s3:::" + bucket}},
			{Effect: "Allow", Principal: anyone, Action: sortedSet(objectActions), Resource: []string{"arn:aws:s3:::" + bucket + "/*"}},
		},
	}, true
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
