// Package planfile saves a plan for `apply PLANFILE` and `show`: the plan document (the same
// versioned document `plan -json` prints), the configuration directory, -target and -destroy,
// and which servers it was made against. A plan file becomes a CI artifact, so it holds no
// credentials, no sensitive values, no output values and no presigned URLs, and it is written
// with mode 0600.
//
// Nothing in a plan file is trusted for applying: `apply PLANFILE` plans again from the
// recorded configuration and the live servers, and applies only if it gets the same plan.
package planfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/bucketform/bucketform/engine/plan"
)

// FormatVersion is the version of the plan file format.
const FormatVersion = "2"

// File is a saved plan.
type File struct {
	FormatVersion     string    `json:"format_version"`
	BucketformVersion string    `json:"bucketform_version"`
	CreatedAt         time.Time `json:"created_at"`
	// Dir is the configuration directory, as an absolute path; apply plans again from there
	// (and reads the credentials of its minio blocks, which are never stored here).
	Dir         string                `json:"dir"`
	Stack       string                `json:"stack"`
	Targets     []string              `json:"targets,omitempty"`
	Destroy     bool                  `json:"destroy"`
	Deployments map[string]Deployment `json:"deployments"`
	// Plan is the plan document, without output values.
	Plan *plan.Document `json:"plan"`

	// Redact, when set, filters the encoded file before Write saves it: the caller's last
	// line of defence, which replaces every secret it knows.
	Redact func([]byte) []byte `json:"-"`
}

// Deployment says which server a plan was made against.
type Deployment struct {
	Endpoint string `json:"endpoint"`
	Secure   bool   `json:"secure"`
	Region   string `json:"region"`
}

// Write saves f to path with mode 0600. The file is written next to path and renamed over it,
// so an existing file is replaced whole (its wider mode with it) and a reader never sees half a
// plan.
func Write(path string, f *File) (err error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	f.FormatVersion = FormatVersion
	if f.Plan != nil {
		doc := *f.Plan
		doc.Outputs = map[string]plan.OutputDoc{}
		for name, o := range f.Plan.Outputs {
			o.Value = nil // output values are never stored
			doc.Outputs[name] = o
		}
		saved := *f
		saved.Plan = &doc
		f = &saved
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if f.Redact != nil {
		data = f.Redact(data)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file with mode 0600; Chmod makes sure of it whatever the umask.
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Read loads a plan file.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var version struct {
		FormatVersion string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &version); err != nil {
		return nil, fmt.Errorf("%s is not a bucketform plan file: %v", path, err)
	}
	if version.FormatVersion == "" {
		return nil, fmt.Errorf("%s is not a bucketform plan file: it has no format_version", path)
	}
	if version.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%s has plan format %q; this bucketform reads %q: make the plan again with this version", path, version.FormatVersion, FormatVersion)
	}
	// Unknown fields are an error: a plan written by a bucketform whose plan model differs (a
	// field renamed or removed) must not be read with zero values where it had data.
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s cannot be read by this bucketform (%s): make the plan again with this version", path, err)
	}
	if f.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("%s has plan format %q; this bucketform reads %q: make the plan again with this version", path, f.FormatVersion, FormatVersion)
	}
	if f.Plan == nil {
		return nil, errors.New(path + " is not a complete bucketform plan file: make the plan again")
	}
	return &f, nil
}
