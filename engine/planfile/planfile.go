// Package planfile saves a plan for `apply PLANFILE` and `show`: the changes, what the servers
// looked like when the plan was made (so a stale plan can be refused), and which deployments it
// was made against. A plan file becomes a CI artifact, so it holds no credentials, no sensitive
// values and no presigned URLs, and it is written with mode 0600.
package planfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/plan"
)

// FormatVersion is the version of the plan file format.
const FormatVersion = "1"

// File is a saved plan.
type File struct {
	FormatVersion     string    `json:"format_version"`
	BucketformVersion string    `json:"bucketform_version"`
	CreatedAt         time.Time `json:"created_at"`
	// Dir is the configuration directory, as given to plan; apply reads the credentials of its
	// minio blocks from there (credentials are never stored here).
	Dir         string                `json:"dir"`
	Stack       string                `json:"stack"`
	StateBucket string                `json:"state_bucket"`
	Targets     []string              `json:"targets,omitempty"`
	Destroy     bool                  `json:"destroy"`
	Deployments map[string]Deployment `json:"deployments"`
	// Outputs are the names and sensitivity of the outputs, never their values.
	Outputs  []Output         `json:"outputs"`
	Plan     *plan.Plan       `json:"plan"`
	Snapshot *engine.Snapshot `json:"snapshot"`
}

// Deployment says which server a plan was made against.
type Deployment struct {
	Endpoint string `json:"endpoint"`
	Secure   bool   `json:"secure"`
	Region   string `json:"region"`
}

// Output is an output's name and whether it is sensitive.
type Output struct {
	Name      string `json:"name"`
	Sensitive bool   `json:"sensitive"`
}

// Write saves f to path with mode 0600 (an existing file is replaced and its mode tightened).
func Write(path string, f *File) error {
	f.FormatVersion = FormatVersion
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Read loads a plan file.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s is not a bucketform plan file: %v", path, err)
	}
	if f.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%s has plan format %q; this bucketform reads %q: make the plan again with this version", path, f.FormatVersion, FormatVersion)
	}
	if f.Plan == nil || f.Snapshot == nil {
		return nil, errors.New(path + " is not a complete bucketform plan file: make the plan again")
	}
	return &f, nil
}
