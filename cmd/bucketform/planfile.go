package main

import (
	"path/filepath"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/planfile"
)

// planFileHeader returns the plan file for a plan of cfg, without the plan: it is made before
// the refresh, so that the configuration need not stay in memory while the servers are read.
// It records no variable values (they may be secret), no credentials and no output values.
func planFileHeader(cfg *config.Config, dir string, opts engine.Options) (*planfile.File, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	f := &planfile.File{
		BucketformVersion: versionString(),
		Dir:               absDir,
		Stack:             cfg.Stack,
		Targets:           opts.Targets,
		Destroy:           opts.Destroy,
		Deployments:       map[string]planfile.Deployment{},
	}
	// The last line of defence: whatever reached the plan, no secret reaches the file.
	secrets := &redactor{}
	secrets.add(cfg.Secrets())
	f.Redact = secrets.redact
	for _, d := range cfg.Deployments {
		f.Deployments[d.Name] = planfile.Deployment{Endpoint: d.Endpoint, Secure: d.Secure, Region: d.Region}
	}
	return f, nil
}

// writePlanFile saves the plan document for `apply PLANFILE` and `show`.
func writePlanFile(path string, header *planfile.File, doc *plan.Document) error {
	f := *header
	f.CreatedAt = time.Now().UTC().Truncate(time.Second)
	f.Plan = doc
	return planfile.Write(path, &f)
}
