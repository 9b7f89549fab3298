// Package config reads a bucketform configuration — every *.hcl file of one directory, read
// together like Terraform reads *.tf — into a typed, validated desired state. It resolves
// variables, evaluates expressions in dependency order, expands for_each and checks everything
// that can be checked without a server. It never opens a network connection.
//
// Problems are reported as hcl.Diagnostics, each with the exact source range, a one-line
// summary and a detail that says how to fix it; WriteDiagnostics renders them for humans.
package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/bucketform/bucketform/config/funcs"
)

// Load reads every *.hcl file of dir (in name order; files starting with "." are editor
// leftovers and skipped; .bfvars files are never configuration) and returns the desired state
// it declares.
//
// The returned Config is never nil and its Files map always holds the files that were read, so
// the caller can render the diagnostics. When diags has errors the rest of the Config is
// incomplete and must not be used.
func Load(dir string, opts Options) (*Config, hcl.Diagnostics) {
	l := newLoader(dir, opts)
	l.load()
	return l.cfg, l.finishDiagnostics()
}

// loader holds the state of one Load.
type loader struct {
	dir  string
	opts Options
	env  func(string) (string, bool)
	// secretEnv holds the environment variables some secret_key reads with env(): their
	// values are sensitive wherever else the configuration uses them (see noteSecretEnv).
	secretEnv map[string]bool
	cfg       *Config
	mu        sync.Mutex // guards diags and invariant while instances are evaluated concurrently
	diags     hcl.Diagnostics
	funcs     map[string]function.Function
	static    *hcl.EvalContext // functions only: for arguments that may not refer to anything

	fileOrder []string // file names in the order they were read, for sorting diagnostics

	stackBlock *hcl.Block
	vars       []*variable
	locals     []*localDecl
	minios     []*minioDecl
	signers    []*signerDecl
	buckets    []*bucketDecl
	removeds   []*removedDecl
	presigns   []*presignDecl
	outputs    []*outputDecl

	nodes map[string]*node        // by address: var.x, local.y, bucket.z, ...
	order []*node                 // declaration order
	bad   map[hcl.Expression]bool // expressions with an invalid reference: never evaluated

	usesEach  map[hcl.Expression]bool   // expressions that refer to each.key or each.value
	invariant map[hcl.Expression]cached // while a for_each block is evaluated: see eval

	// mayMark says whether a marked value can reach the expressions being evaluated: values
	// are searched for marks only then. It is always true outside the evaluation of a node,
	// and for a node it is node.mayMark.
	mayMark bool

	files *reader // reads every file of this Load within MaxTotalBytes

	secretSet map[string]bool        // the secrets of cfg.secrets, guarded by mu
	tainted   map[hcl.Range][]string // expressions whose values must not be quoted, guarded by mu

	deployments map[string]*Deployment      // evaluated minio blocks
	signing     map[string]*SigningEndpoint // evaluated signing_endpoint blocks

	iam iamState // policy, user, group and service_account blocks

	missingCreds map[string]missingCredentials // minio blocks without keys, while signing: see deferCredentials
}

func newLoader(dir string, opts Options) *loader {
	env := opts.LookupEnv
	if env == nil {
		env = os.LookupEnv
	}
	l := &loader{
		dir:         dir,
		opts:        opts,
		env:         env,
		cfg:         &Config{Dir: dir, Files: map[string]*hcl.File{}},
		nodes:       map[string]*node{},
		bad:         map[hcl.Expression]bool{},
		usesEach:    map[hcl.Expression]bool{},
		deployments: map[string]*Deployment{},
		signing:     map[string]*SigningEndpoint{},
		mayMark:     true,
		files:       &reader{},
	}
	l.funcs = funcs.Table(funcs.Options{
		BaseDir: dir, LookupEnv: env, Partial: opts.Partial,
		SecretMark:   markSensitive,
		SecretName:   func(name string) bool { return l.secretEnv[name] },
		ExternalMark: markExternal,
		ReadFile:     l.files.read,
		Limits:       valueLimits,
	})
	l.static = &hcl.EvalContext{Functions: l.funcs}
	return l
}

func (l *loader) load() {
	files := l.readFiles()
	if l.diags.HasErrors() {
		// A file that does not parse would only produce follow-up errors.
		return
	}
	for _, f := range files {
		l.noteSecretEnv(f)
		l.decodeFile(f)
	}
	if l.stackBlock == nil {
		l.missingBucketformBlock(files)
	}
	l.assignVariables()
	l.buildGraph()
	l.dropSyntax()
	l.evaluate()
	l.checkBuckets()
	l.checkRemoved()
	l.checkIAM()
	l.checkSigningCredentials()
	l.checkDeploymentsDistinct()
	l.collect()
}

// readFiles parses the *.hcl files of the directory in name order.
func (l *loader) readFiles() []*hcl.File {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		l.errorf(hcl.Range{Filename: l.dir}, "Failed to read configuration directory",
			"Could not list %s: %s. Run the command in a directory with *.hcl files, or pass that directory.", l.dir, errText(err))
		return nil
	}
	var files []*hcl.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".hcl") || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(l.dir, name)
		src, err := l.files.read(path)
		if err != nil {
			l.errorf(hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos}, "Failed to read configuration file",
				"Could not read %s: %s.%s", path, errText(err), readHint(err))
			continue
		}
		f, diags := parseFile(src, path) // checks the nesting limits first
		l.addFile(path, f)
		l.add(diags, hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos})
		files = append(files, f)
	}
	return files
}

// dropSyntax keeps only the source of each file in cfg.Files, once every declaration has
// been decoded: diagnostics need no more, and the syntax trees of expressions that are
// evaluated once (locals) can then be freed as soon as they are.
func (l *loader) dropSyntax() {
	for name, f := range l.cfg.Files {
		l.cfg.Files[name] = &hcl.File{Bytes: f.Bytes}
	}
}

func (l *loader) addFile(name string, f *hcl.File) {
	if _, seen := l.cfg.Files[name]; !seen {
		l.fileOrder = append(l.fileOrder, name)
	}
	l.cfg.Files[name] = f
}

// missingBucketformBlock reports that no file has a bucketform block.
func (l *loader) missingBucketformBlock(files []*hcl.File) {
	if len(files) == 0 {
		l.errorf(hcl.Range{Filename: l.dir}, "No configuration files",
			"The directory %s has no *.hcl files. Write the configuration in files ending in .hcl, starting with a bucketform { stack = \"NAME\" } block.", l.dir)
		return
	}
	start := files[0].Body.MissingItemRange()
	start.End = start.Start
	l.errorf(start, "Missing bucketform block",
		"Every configuration has exactly one bucketform block naming its stack: bucketform { stack = \"NAME\" }. The stack records which buckets this configuration owns on the server.")
}

// readHint says how to fix a failed read when the error does not say it already.
func readHint(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return " Check the file's permissions."
	case errors.Is(err, fs.ErrNotExist):
		return " Check the path."
	}
	return ""
}

// errText renders an operating-system error without its "op path:" prefix, which the detail
// already says.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
