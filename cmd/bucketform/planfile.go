package main

import (
	"path/filepath"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/plan"
	"github.com/bucketform/bucketform/engine/planfile"
)

// writePlanFile saves p for `apply PLANFILE`. It records no variable values (they may be
// secret), no credentials and no output values.
func writePlanFile(path string, cfg *config.Config, dir string, _ []config.VarSource, p *plan.Plan, snap *engine.Snapshot, opts engine.Options) error {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	f := &planfile.File{
		BucketformVersion: versionString(),
		CreatedAt:         time.Now().UTC().Truncate(time.Second),
		Dir:               absDir,
		Stack:             cfg.Stack,
		StateBucket:       cfg.StateBucket,
		Targets:           opts.Targets,
		Destroy:           opts.Destroy,
		Deployments:       map[string]planfile.Deployment{},
		Plan:              p,
		Snapshot:          snap,
	}
	for _, d := range cfg.Deployments {
		f.Deployments[d.Name] = planfile.Deployment{Endpoint: d.Endpoint, Secure: d.Secure, Region: d.Region}
	}
	for _, o := range cfg.Outputs {
		f.Outputs = append(f.Outputs, planfile.Output{Name: o.Name, Sensitive: o.Sensitive})
	}
	return planfile.Write(path, f)
}
