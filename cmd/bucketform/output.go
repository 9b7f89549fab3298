package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine/presign"
)

func runOutput(u *ui, args []string) int {
	var (
		vars   varFlags
		asJSON bool
		raw    string
		check  bool
	)
	fs := newFlagSet("output", "output [DIR] [-json] [-raw NAME] [-check] [-var NAME=VALUE]... [-var-file FILE]...", u.stderr)
	vars.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print every output as JSON: {\"NAME\": {\"value\": ..., \"sensitive\": ...}}")
	fs.StringVar(&raw, "raw", "", "print the bare value of one string output")
	fs.BoolVar(&check, "check", false, "send a HEAD request through each signing endpoint to prove URLs reach MinIO unaltered")
	dir, code, ok := parseDir(u, fs, args)
	if !ok {
		return code
	}
	if strings.HasPrefix(raw, "-") {
		u.errorf("-raw needs an output name, got %q", raw)
		u.hint("write the name right after -raw: bucketform output -var k=v -raw NAME")
		return exitError
	}
	if asJSON && raw != "" {
		u.errorf("-json and -raw cannot be used together")
		return exitError
	}
	// Signing is local: output needs no connection to the server.
	signer := presign.NewSigner()
	cfg, ok := loadConfig(u, dir, config.Options{Vars: vars.sources, Presign: signer.Sign, Now: time.Now()})
	if !ok {
		return exitError
	}
	if check {
		if code := runOutputCheck(u, cfg, signer); code != exitOK {
			return code
		}
	}
	switch {
	case raw != "":
		return writeRawOutput(u, cfg, raw)
	case asJSON:
		out := map[string]any{}
		for _, o := range cfg.Outputs {
			out[o.Name] = map[string]any{"value": plainJSON(ctyJSON(o.Value)), "sensitive": o.Sensitive}
		}
		// What the user asked for by name is printed as it is: not through the secret filter.
		enc := json.NewEncoder(u.rawStdout)
		enc.SetIndent("", "  ")
		// URLs keep their "&" as it is (not \u0026), so that grep, sed and shell scripts that
		// cut a URL out of the document get a working one.
		enc.SetEscapeHTML(false)
		_ = enc.Encode(out)
	default:
		// Like terraform output: sensitive values (presigned URLs are credentials) are shown
		// only on request, with -json or -raw, never on a terminal or in a CI log by default.
		outs := append([]*config.Output(nil), cfg.Outputs...)
		sort.Slice(outs, func(i, j int) bool { return outs[i].Name < outs[j].Name })
		hidden := false
		for _, o := range outs {
			if o.Sensitive {
				fmt.Fprintf(u.stdout, "%s = (sensitive)\n", o.Name)
				hidden = true
				continue
			}
			fmt.Fprintf(u.stdout, "%s = %s\n", o.Name, humanValue(o.Value))
		}
		if hidden {
			fmt.Fprintln(u.stderr, "Sensitive values are hidden: print them with bucketform output -json, or one string with -raw NAME.")
		}
	}
	return exitOK
}

func writeRawOutput(u *ui, cfg *config.Config, name string) int {
	for _, o := range cfg.Outputs {
		if o.Name != name {
			continue
		}
		if o.Value.IsNull() || !o.Value.Type().Equals(cty.String) {
			u.errorf("output %q is not a string; -raw prints only string outputs", name)
			u.hint("use -json to print it, e.g. bucketform output -json | jq '." + name + ".value'")
			return exitError
		}
		fmt.Fprint(u.rawStdout, o.Value.AsString()) // asked for by name: not through the secret filter
		return exitOK
	}
	u.errorf("no output named %q", name)
	var names []string
	for _, o := range cfg.Outputs {
		names = append(names, o.Name)
	}
	sort.Strings(names)
	if len(names) > 0 {
		u.hint(fmt.Sprintf("the outputs are: %v", names))
	}
	return exitError
}

// plainJSON decodes JSON produced by ctyjson (which escapes <, > and & as \u003c, \u003e and
// \u0026) so that an encoder without HTML escaping writes those characters as they are.
// Numbers keep their exact text.
func plainJSON(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	return v
}

// humanValue renders an output value: a string quoted, everything else as indented JSON.
func humanValue(v cty.Value) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if !v.IsNull() && v.Type().Equals(cty.String) {
		_ = enc.Encode(v.AsString())
	} else {
		_ = enc.Encode(plainJSON(ctyJSON(v)))
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
