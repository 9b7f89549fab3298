package main

import (
	"encoding/json"
	"fmt"
	"sort"

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
	fs := newFlagSet("output", "output [DIR] [-json] [-raw NAME] [-check]", u.stderr)
	vars.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print every output as JSON: {\"NAME\": {\"value\": ..., \"sensitive\": ...}}")
	fs.StringVar(&raw, "raw", "", "print the bare value of one string output")
	fs.BoolVar(&check, "check", false, "send a HEAD request through each signing endpoint to prove URLs reach MinIO unaltered")
	dir, code, ok := parseDir(u, fs, args)
	if !ok {
		return code
	}
	if asJSON && raw != "" {
		u.errorf("-json and -raw cannot be used together")
		return exitError
	}
	// Signing is local: output needs no connection to the server.
	signer := presign.NewSigner()
	cfg, ok := loadConfig(u, dir, config.Options{Vars: vars.sources, Presign: signer.Sign})
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
			out[o.Name] = map[string]any{"value": ctyJSON(o.Value), "sensitive": o.Sensitive}
		}
		enc := json.NewEncoder(u.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	default:
		outs := append([]*config.Output(nil), cfg.Outputs...)
		sort.Slice(outs, func(i, j int) bool { return outs[i].Name < outs[j].Name })
		for _, o := range outs {
			fmt.Fprintf(u.stdout, "%s = %s\n", o.Name, humanValue(o.Value))
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
		fmt.Fprint(u.stdout, o.Value.AsString())
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

// humanValue renders an output value: strings bare-quoted, everything else as indented JSON.
func humanValue(v cty.Value) string {
	if !v.IsNull() && v.Type().Equals(cty.String) {
		b, _ := json.Marshal(v.AsString())
		return string(b)
	}
	var buf json.RawMessage = ctyJSON(v)
	var anyV any
	if err := json.Unmarshal(buf, &anyV); err != nil {
		return string(buf)
	}
	b, _ := json.MarshalIndent(anyV, "", "  ")
	return string(b)
}
