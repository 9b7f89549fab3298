package main

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/bucketform/bucketform/config"
)

func runValidate(u *ui, args []string) int {
	var asJSON bool
	fs := newFlagSet("validate", "validate [-json] [DIR]", u.stderr)
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	dir, code, ok := parseDir(u, fs, args)
	if !ok {
		return code
	}
	// validate needs neither secrets nor a server: unset env() values and required variables
	// without a value are unknown, not errors.
	cfg, diags := config.Load(dir, config.Options{Partial: true})
	u.addSecrets(cfg)
	if asJSON {
		writeValidateJSON(u, diags)
	} else {
		u.diagnostics(cfg.Files, diags)
		if !diags.HasErrors() {
			identities := ""
			if n := len(cfg.Policies) + len(cfg.Users) + len(cfg.Groups) + len(cfg.ServiceAccounts); n > 0 {
				identities = fmt.Sprintf(", %d policies, %d users, %d groups, %d service accounts",
					len(cfg.Policies), len(cfg.Users), len(cfg.Groups), len(cfg.ServiceAccounts))
			}
			fmt.Fprintf(u.stdout, "Success! The configuration is valid (%d buckets%s, %d presigned URLs, %d outputs).\n",
				len(cfg.Buckets), identities, len(cfg.Presigns), len(cfg.Outputs))
		}
	}
	if diags.HasErrors() {
		return exitError
	}
	return exitOK
}

// validateDiagnostic is one diagnostic of `validate -json`.
type validateDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
}

func writeValidateJSON(u *ui, diags hcl.Diagnostics) {
	out := struct {
		FormatVersion string               `json:"format_version"`
		Valid         bool                 `json:"valid"`
		ErrorCount    int                  `json:"error_count"`
		WarningCount  int                  `json:"warning_count"`
		Diagnostics   []validateDiagnostic `json:"diagnostics"`
	}{FormatVersion: "1", Valid: !diags.HasErrors(), Diagnostics: []validateDiagnostic{}}
	for _, d := range diags {
		vd := validateDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			vd.Severity = "warning"
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if d.Subject != nil {
			vd.File, vd.Line, vd.Column = d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column
		}
		out.Diagnostics = append(out.Diagnostics, vd)
	}
	enc := json.NewEncoder(u.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}
