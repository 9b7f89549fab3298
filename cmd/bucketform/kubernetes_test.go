package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bucketform/bucketform/config"
	bfserver "github.com/bucketform/bucketform/engine/server"
)

// The Kubernetes examples cannot be run here (no cluster, no container engine), so these tests
// check statically what can be checked: every YAML document parses, the Helm templates render
// with the subset of Helm they use, and the Jobs have the properties a bootstrap Job needs.
// TestExampleJobConverges (job_example_test.go) then runs the Job's own command line against
// a real MinIO.

const k8sDir = "../../examples/kubernetes"
const chartDir = k8sDir + "/helm/bucketform-bootstrap"

// doc is one parsed YAML document, with where it came from.
type doc struct {
	file string
	m    map[string]any
}

func parseYAML(t *testing.T, name string, data []byte) []doc {
	t.Helper()
	var docs []doc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s is not valid YAML: %v", name, err)
		}
		if m != nil {
			docs = append(docs, doc{file: name, m: m})
		}
	}
}

// get walks a path of map keys and list indexes ("spec.template.spec.containers.0").
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// chartFiles is .Files of a Helm chart, for the one method the templates use.
type chartFiles struct{ dir string }

func (f chartFiles) Get(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	return string(b), err
}

// helmFuncs are the Helm template functions the chart may use; a template that uses any other
// fails to render here, so the chart stays within what this test can check.
var helmFuncs = template.FuncMap{
	"indent": func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	},
	"nindent": func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return "\n" + pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	},
	"quote": func(s any) string { b, _ := json.Marshal(s); return string(b) },
}

// renderChart renders every template of the chart as `helm template demo CHART` would, with
// the chart's values.yaml.
func renderChart(t *testing.T) []doc {
	t.Helper()
	var values map[string]any
	data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &values); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	var chart map[string]any
	data, err = os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &chart); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	for _, k := range []string{"apiVersion", "name", "version"} {
		if chart[k] == nil {
			t.Errorf("Chart.yaml has no %s", k)
		}
	}
	top := map[string]any{
		"Values":  values,
		"Release": map[string]any{"Name": "demo", "Namespace": "default", "IsInstall": true, "IsUpgrade": false},
		"Chart":   map[string]any{"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]},
		"Files":   chartFiles{dir: chartDir},
	}
	paths, _ := filepath.Glob(filepath.Join(chartDir, "templates", "*.yaml"))
	if len(paths) == 0 {
		t.Fatal("the chart has no templates")
	}
	var docs []doc
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := template.New(filepath.Base(p)).Option("missingkey=error").Funcs(helmFuncs).Parse(string(src))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var out bytes.Buffer
		if err := tmpl.Execute(&out, top); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		docs = append(docs, parseYAML(t, p+" (rendered)", out.Bytes())...)
	}
	return docs
}

// manifests returns every Kubernetes object of examples/kubernetes: the plain manifests and the
// rendered chart. Every YAML file there, templates included, must parse as YAML as it is.
func manifests(t *testing.T) (plain, chart []doc) {
	t.Helper()
	err := filepath.WalkDir(k8sDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs := parseYAML(t, p, data)
		if len(docs) == 0 {
			t.Errorf("%s holds no YAML document", p)
		}
		if !strings.Contains(p, "/helm/") {
			for _, d := range docs {
				if str(d.m["apiVersion"]) == "" || str(d.m["kind"]) == "" || str(get(d.m, "metadata.name")) == "" {
					t.Errorf("%s: a document without apiVersion, kind or metadata.name", p)
				}
			}
			plain = append(plain, docs...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain, renderChart(t)
}

func byKind(docs []doc, kind string) []doc {
	var out []doc
	for _, d := range docs {
		if d.m["kind"] == kind {
			out = append(out, d)
		}
	}
	return out
}

func TestKubernetesManifests(t *testing.T) {
	plain, chart := manifests(t)
	want, err := os.ReadFile(filepath.Join(k8sDir, "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []struct {
		name string
		docs []doc
		hook bool
	}{{"examples/kubernetes", plain, false}, {"the Helm chart", chart, true}} {
		jobs := byKind(set.docs, "Job")
		if len(jobs) != 1 {
			t.Fatalf("%s: %d Jobs, want 1", set.name, len(jobs))
		}
		job := jobs[0]
		checkJob(t, job, set.hook)

		// The ConfigMap the Job mounts holds exactly examples/kubernetes/main.hcl.
		cmName := ""
		for _, v := range get(job.m, "spec.template.spec.volumes").([]any) {
			if n := str(get(v, "configMap.name")); n != "" {
				cmName = n
			}
		}
		found := false
		for _, cm := range byKind(set.docs, "ConfigMap") {
			if get(cm.m, "metadata.name") == cmName {
				found = true
				if got := str(get(cm.m, "data").(map[string]any)["main.hcl"]); got != string(want) {
					t.Errorf("%s: ConfigMap %s: main.hcl differs from examples/kubernetes/main.hcl", cm.file, cmName)
				}
			}
		}
		if !found {
			t.Errorf("%s: the Job mounts ConfigMap %q, which is not there", set.name, cmName)
		}
	}

	// The Secret provides the keys the plain Job reads.
	secrets := byKind(plain, "Secret")
	if len(secrets) != 1 {
		t.Fatalf("%d Secrets, want 1", len(secrets))
	}
	for _, env := range get(byKind(plain, "Job")[0].m, "spec.template.spec.containers.0.env").([]any) {
		if ref := get(env, "valueFrom.secretKeyRef"); ref != nil {
			if get(ref, "name") != get(secrets[0].m, "metadata.name") || get(secrets[0].m, "stringData."+str(get(ref, "key"))) == nil {
				t.Errorf("env %v reads a key the Secret does not have", get(env, "name"))
			}
		}
	}

	// The configuration the Job applies is valid.
	chartHCL, err := os.ReadFile(filepath.Join(chartDir, "files", "main.hcl"))
	if err != nil || !bytes.Equal(chartHCL, want) {
		t.Errorf("the chart's files/main.hcl differs from examples/kubernetes/main.hcl (%v)", err)
	}
	if _, diags := config.Load(k8sDir, config.Options{Partial: true}); diags.HasErrors() {
		t.Errorf("examples/kubernetes/main.hcl: %v", diags)
	}
}

// checkJob checks what the issue asks of a bootstrap Job.
func checkJob(t *testing.T, job doc, hook bool) {
	t.Helper()
	errorf := func(format string, args ...any) { t.Helper(); t.Errorf(job.file+": "+format, args...) }
	if n, ok := get(job.m, "spec.backoffLimit").(int); !ok || n < 1 {
		errorf("spec.backoffLimit = %v, want a positive number: a failed run is retried", get(job.m, "spec.backoffLimit"))
	}
	if _, ok := get(job.m, "spec.activeDeadlineSeconds").(int); !ok {
		errorf("no spec.activeDeadlineSeconds: a Job must not run forever")
	}
	pod := get(job.m, "spec.template.spec")
	if rp := str(get(pod, "restartPolicy")); rp != "Never" && rp != "OnFailure" {
		errorf("restartPolicy %q", rp)
	}
	if get(pod, "securityContext.runAsNonRoot") != true {
		errorf("the pod does not set securityContext.runAsNonRoot: true")
	}
	if uid, ok := get(pod, "securityContext.runAsUser").(int); !ok || uid == 0 {
		errorf("the pod's runAsUser is %v, want a non-root uid", get(pod, "securityContext.runAsUser"))
	}
	containers, _ := get(pod, "containers").([]any)
	if len(containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", job.file, len(containers))
	}
	c := containers[0]
	for _, k := range []string{"limits.cpu", "limits.memory", "requests.cpu", "requests.memory"} {
		if get(c, "resources."+k) == nil {
			errorf("no resources.%s", k)
		}
	}
	sc := get(c, "securityContext")
	if get(sc, "readOnlyRootFilesystem") != true {
		errorf("securityContext.readOnlyRootFilesystem is not true")
	}
	if get(sc, "allowPrivilegeEscalation") != false {
		errorf("securityContext.allowPrivilegeEscalation is not false")
	}
	if get(sc, "runAsNonRoot") != true {
		errorf("the container does not set securityContext.runAsNonRoot: true")
	}
	if drop, _ := get(sc, "capabilities.drop").([]any); !slices.Contains(drop, any("ALL")) {
		errorf("capabilities are not dropped")
	}

	var args []string
	for _, a := range get(c, "args").([]any) {
		args = append(args, str(a))
	}
	if len(args) == 0 || args[0] != "apply" {
		errorf("args %q do not run apply", args)
	}
	for _, flag := range []string{"-auto-approve", "-json", "-wait", "-lock-timeout"} {
		if !slices.Contains(args, flag) {
			errorf("args %q lack %s", args, flag)
		}
	}
	if i := slices.Index(args, "-wait"); i >= 0 && i+1 < len(args) {
		if d, err := time.ParseDuration(args[i+1]); err != nil || d <= 0 {
			errorf("-wait %q is not a duration", args[i+1])
		}
	}
	if slices.Contains(args, "-allow-destroy") {
		errorf("args %q pass -allow-destroy: a configuration that arrived empty would wipe the server", args)
	}

	env := map[string]any{}
	for _, e := range get(c, "env").([]any) {
		env[str(get(e, "name"))] = e
	}
	for _, k := range []string{"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"} {
		if get(env[k], "valueFrom.secretKeyRef.name") == nil || get(env[k], "value") != nil {
			errorf("%s does not come from a Secret", k)
		}
	}
	mounted := false
	for _, m := range get(c, "volumeMounts").([]any) {
		if slices.Contains(args, str(get(m, "mountPath"))) {
			mounted = true
			if get(m, "readOnly") != true {
				errorf("the configuration is not mounted read-only")
			}
		}
	}
	if !mounted {
		errorf("no volume is mounted at the directory apply is given (%q)", args[len(args)-1])
	}

	if hook {
		ann, _ := get(job.m, "metadata.annotations").(map[string]any)
		hooks := strings.Split(str(ann["helm.sh/hook"]), ",")
		if !slices.Contains(hooks, "post-install") || !slices.Contains(hooks, "post-upgrade") {
			errorf("helm.sh/hook is %q, want post-install,post-upgrade", ann["helm.sh/hook"])
		}
		if !strings.Contains(str(ann["helm.sh/hook-delete-policy"]), "before-hook-creation") {
			errorf("helm.sh/hook-delete-policy %q: without before-hook-creation the next upgrade fails on the old Job", ann["helm.sh/hook-delete-policy"])
		}
	}
}

// The minimum policy is a valid policy document that grants what bucketform needs and nothing
// on objects outside the state bucket. (minimum_policy_suffices.txtar proves it is enough.)
func TestMinimumPolicyDocument(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(k8sDir, "bucketform-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pol struct {
		Version   string
		Statement []struct {
			Sid      string
			Effect   string
			Action   []string
			Resource []string
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pol); err != nil {
		t.Fatal(err)
	}
	if pol.Version != "2012-10-17" {
		t.Errorf("Version %q", pol.Version)
	}
	granted := map[string][]string{}
	for _, s := range pol.Statement {
		if s.Effect != "Allow" {
			t.Errorf("a statement with Effect %q", s.Effect)
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("wildcard action %q in the minimum policy", a)
			}
			granted[a] = append(granted[a], s.Resource...)
		}
	}
	// Every admin action the IAM kinds' requests name (bfserver.IAMActions), and nothing more.
	need := append([]string{"admin:GetBucketQuota", "admin:SetBucketQuota", "admin:ExportBucketMetadata",
		"s3:CreateBucket", "s3:PutBucketTagging", "s3:PutLifecycleConfiguration"}, bfserver.IAMActions...)
	for _, a := range need {
		if _, ok := granted[a]; !ok {
			t.Errorf("the policy does not grant %s", a)
		}
	}
	for a := range granted {
		if strings.HasPrefix(a, "admin:") && !slices.Contains(need, a) {
			t.Errorf("the policy grants %s, which no request of bucketform needs", a)
		}
	}
	for _, a := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} {
		if !slices.Equal(granted[a], []string{"arn:aws:s3:::bucketform-state/*"}) {
			t.Errorf("%s is granted on %v, want only the state bucket's objects", a, granted[a])
		}
	}
}

// The Dockerfile cannot be built here (no container engine); check what it promises.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	var user, entrypoint string
	cgo := false
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, strings.Join(f[1:], " "))
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entrypoint = strings.Join(f[1:], " ")
		case "RUN", "ENV":
			if strings.Contains(line, "CGO_ENABLED=0") {
				cgo = true
			}
		}
	}
	if len(froms) < 2 {
		t.Errorf("%d stages, want a multi-stage build", len(froms))
	}
	final := froms[len(froms)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && !strings.HasPrefix(final, "scratch") {
		t.Errorf("final stage FROM %s, want distroless static or scratch", final)
	}
	if user == "" || user == "root" || user == "0" || strings.HasPrefix(user, "0:") {
		t.Errorf("USER %q, want a non-root user", user)
	}
	if !cgo {
		t.Error("the build does not set CGO_ENABLED=0")
	}
	if !strings.Contains(string(data), "-X main.version=") || !strings.Contains(string(data), "-X main.commit=") {
		t.Error("the build does not stamp main.version and main.commit")
	}
	if !strings.HasPrefix(entrypoint, "[") || !strings.Contains(entrypoint, "bucketform") {
		t.Errorf("ENTRYPOINT %s, want the exec form running bucketform", entrypoint)
	}
}
