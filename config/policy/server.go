package policy

import (
	"errors"
	"strings"

	minio "github.com/minio/pkg/v3/policy"
)

// ServerProblem says why MinIO would refuse, or mishandle, text as an IAM policy, or returns ""
// when it accepts it; doc is text as ParseIdentity parsed it. It runs the server's own parser
// (github.com/minio/pkg/v3/policy, at the version the pinned server is built with), which knows
// every action and condition key the server accepts: "s3:getobject" and "s3:Nonsense" are
// refused there, not only when an apply writes them. It also refuses NotAction, which the
// server stores but then cannot list: every later listing of the server's policies fails
// ("empty actions not allowed").
func ServerProblem(text string, doc Document) string {
	if _, err := minio.ParseConfig(strings.NewReader(text)); err != nil {
		if strings.Contains(err.Error(), "unsupported action") {
			return "MinIO refuses it (" + err.Error() + `); actions are written as MinIO names them, like "s3:GetObject" or "s3:Get*", and case matters`
		}
		return "MinIO refuses it (" + err.Error() + ")"
	}
	for _, st := range doc.Statements {
		if len(st.NotAction) > 0 {
			return errNotAction.Error()
		}
	}
	return ""
}

var errNotAction = errors.New(`a statement uses "NotAction", which MinIO stores but then cannot list (every later listing of the server's policies fails); name the actions with "Action" instead`)
