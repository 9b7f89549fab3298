package policy

import (
	"fmt"
	"strings"
)

// ARNPrefix starts the ARN of every bucket and object: arn:aws:s3:::BUCKET and
// arn:aws:s3:::BUCKET/KEY.
const ARNPrefix = "arn:aws:s3:::"

// identityActionPrefixes are the services whose actions an IAM policy on MinIO may name.
var identityActionPrefixes = []string{"s3:", "admin:", "kms:", "sts:"}

// IdentityActionProblem says what is wrong with an action of an IAM policy, or returns "" when
// it is valid: "*", or an action of the s3, admin, kms or sts service such as "s3:GetObject",
// "s3:*" or "admin:ServerInfo".
func IdentityActionProblem(action string) string {
	if action == "*" {
		return ""
	}
	for _, p := range identityActionPrefixes {
		if strings.HasPrefix(action, p) && len(action) > len(p) {
			return ""
		}
	}
	return fmt.Sprintf("action %q is not an action MinIO knows; IAM policies take actions like \"s3:GetObject\", \"s3:*\" or \"admin:ServerInfo\"", action)
}

// ResourceProblem says what is wrong with a resource of a policy statement, or returns "" when
// it is an S3 ARN (arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/KEY, with * and ? wildcards).
func ResourceProblem(resource string) string {
	if strings.HasPrefix(resource, ARNPrefix) {
		return ""
	}
	return fmt.Sprintf("resource %q is not an S3 ARN; use \"arn:aws:s3:::BUCKET\" for a bucket or \"arn:aws:s3:::BUCKET/*\" for its objects", resource)
}
