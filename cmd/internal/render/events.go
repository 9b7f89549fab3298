package render

import (
	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/plan"
)

// The events of `apply -json`: one JSON object per line, each with a "type".
// docs/schema/apply-events.schema.json describes them.

// WaitEvent is one readiness attempt of -wait.
type WaitEvent struct {
	Type          string `json:"type"` // "wait"
	Deployment    string `json:"deployment"`
	Endpoint      string `json:"endpoint"`
	Attempt       int    `json:"attempt"`
	Ready         bool   `json:"ready"`
	ElapsedMS     int64  `json:"elapsed_ms"`
	Error         string `json:"error,omitempty"`
	NextAttemptMS int64  `json:"next_attempt_ms,omitempty"`
}

// ChangeEvent is the end of one change: applied ("ok"), failed ("error") or not attempted.
type ChangeEvent struct {
	Type       string      `json:"type"` // "change"
	Address    string      `json:"address"`
	Action     plan.Action `json:"action"`
	Kind       model.Kind  `json:"kind"`
	Deployment string      `json:"deployment"`
	ID         string      `json:"id"`
	Bucket     string      `json:"bucket,omitempty"`
	// Status is "ok", "error" or "not-attempted".
	Status     string `json:"status"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// RefusalEvent is one refusal of a plan that was not applied.
type RefusalEvent struct {
	Type       string      `json:"type"` // "refusal"
	Address    string      `json:"address"`
	Kind       model.Kind  `json:"kind"`
	Deployment string      `json:"deployment"`
	ID         string      `json:"id"`
	Bucket     string      `json:"bucket,omitempty"`
	Code       string      `json:"code"`
	Reason     string      `json:"reason"`
	Range      *plan.Range `json:"range,omitempty"`
}

// SummaryEvent counts what the apply did. Complete is false when something failed or was
// not attempted.
type SummaryEvent struct {
	Type         string `json:"type"` // "summary"
	Add          int    `json:"add"`
	Change       int    `json:"change"`
	Destroy      int    `json:"destroy"`
	Complete     bool   `json:"complete"`
	Failed       int    `json:"failed"`
	NotAttempted int    `json:"not_attempted"`
	Interrupted  bool   `json:"interrupted,omitempty"`
	// Recorded is false when the ownership index could not be updated.
	Recorded bool `json:"recorded"`
}

// DiagnosticEvent is an error or a warning, with the configuration file and line it is about.
type DiagnosticEvent struct {
	Type    string `json:"type"` // "error" or "warning"
	Error   string `json:"error,omitempty"`
	Warning string `json:"warning,omitempty"`
	Detail  string `json:"detail,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// NewChangeEvent describes the end of change c.
func NewChangeEvent(c plan.Change, status string, durationMS int64, err error) ChangeEvent {
	ev := ChangeEvent{Type: "change", Address: c.Address, Action: c.Action, Kind: c.Kind, Deployment: c.Deployment, ID: c.ID,
		Status: status, DurationMS: durationMS}
	if c.Kind == model.KindBucket {
		ev.Bucket = c.ID
	}
	if err != nil {
		ev.Error = err.Error()
	}
	return ev
}

// NewRefusalEvent describes refusal r.
func NewRefusalEvent(r plan.RefusalDoc) RefusalEvent {
	return RefusalEvent{Type: "refusal", Address: r.Address, Kind: r.Kind, Deployment: r.Deployment, ID: r.ID, Bucket: r.Bucket,
		Code: r.Code, Reason: r.Reason, Range: r.Range}
}
