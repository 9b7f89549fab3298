// Package docs holds the tests of the repository's documentation: every HCL snippet in a
// Markdown file validates (or is marked as a fragment), the README's quickstart runs exactly as
// written, the nginx recipe of reverse-proxy.md passes presigned PUT, GET and POST uploads and
// output -check, and no Markdown file has a dead link. docs/development.md states the
// conventions these tests enforce.
package docs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// root is the repository's top directory.
var root = func() string {
	dir, err := filepath.Abs("..")
	if err != nil {
		panic(err)
	}
	return dir
}()

var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bucketform-docs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// bucketform returns the path of a bucketform binary built from this checkout, as `make build`
// builds it.
func bucketform(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(buildDir, "bucketform")
		cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/bucketform")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/bucketform: %v\n%s", err, out)
			return
		}
		buildBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// need skips t when ok is false, or fails it when CI is set: in CI a skipped test proves
// nothing.
func need(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if ok {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, so this is a failure, not a skip)", msg)
	}
	t.Skip(msg)
}

// markdownFiles returns every Markdown file of the repository, relative to root, sorted. It
// skips hidden directories (.git, .tools) and bin.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".md") {
			rel, _ := filepath.Rel(root, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no Markdown files found")
	}
	return files
}

func readFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fence is one fenced code block of a Markdown file.
type fence struct {
	file string
	line int // the line of the opening fence, from 1
	lang string
	body string // the content, with the fence's indentation removed
}

func (f fence) String() string { return fmt.Sprintf("%s:%d", f.file, f.line) }

var fenceOpen = regexp.MustCompile("^( {0,4})(```+)\\s*([A-Za-z0-9_+-]*)")

// fences returns the fenced code blocks of a Markdown text, in order, and the text with each
// block's lines blanked (for scanning prose).
func fences(file, text string) ([]fence, string) {
	lines := strings.Split(text, "\n")
	var out []fence
	prose := make([]string, len(lines))
	for i := 0; i < len(lines); i++ {
		m := fenceOpen.FindStringSubmatch(lines[i])
		if m == nil {
			prose[i] = lines[i]
			continue
		}
		indent, marker := m[1], m[2]
		f := fence{file: file, line: i + 1, lang: m[3]}
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			if strings.HasPrefix(strings.TrimLeft(lines[j], " "), marker) && strings.TrimSpace(strings.TrimLeft(lines[j], " ")) == marker {
				break
			}
			body = append(body, strings.TrimPrefix(lines[j], indent))
		}
		f.body = strings.Join(body, "\n") + "\n"
		out = append(out, f)
		i = j
	}
	return out, strings.Join(prose, "\n")
}

// isFragment reports whether an HCL block is marked as a fragment: its first line is a comment
// starting with "# fragment".
func isFragment(body string) bool {
	first, _, _ := strings.Cut(strings.TrimLeft(body, "\n"), "\n")
	return strings.HasPrefix(strings.TrimSpace(first), "# fragment")
}

// run runs the binary with args in dir under a clean environment and returns its exit code and
// combined output.
func run(t *testing.T, dir string, env []string, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1"}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if exitErr, ok := err.(*exec.ExitError); ok {
		return exitErr.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	return 0, out.String()
}

// TestHCLSnippetsValidate runs `bucketform validate` on every complete HCL snippet of every
// Markdown file, and `bucketform fmt -check` on every snippet, fragments included: a fragment
// must still parse and be formatted.
func TestHCLSnippetsValidate(t *testing.T) {
	bin := bucketform(t)
	complete, fragments := 0, 0
	for _, file := range markdownFiles(t) {
		blocks, _ := fences(file, readFile(t, file))
		for _, f := range blocks {
			if f.lang != "hcl" {
				continue
			}
			t.Run(f.String(), func(t *testing.T) {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(f.body), 0o644); err != nil {
					t.Fatal(err)
				}
				if code, out := run(t, dir, nil, bin, "fmt", "-check", "-diff", "main.hcl"); code != 0 {
					t.Errorf("%s: bucketform fmt -check exited %d (a snippet must parse and be formatted):\n%s", f, code, out)
				}
				if isFragment(f.body) {
					return
				}
				if code, out := run(t, dir, nil, bin, "validate"); code != 0 {
					t.Errorf("%s: bucketform validate exited %d (mark the snippet `# fragment` on its first line if it is not a whole configuration):\n%s", f, code, out)
				}
			})
			if isFragment(f.body) {
				fragments++
			} else {
				complete++
			}
		}
	}
	t.Logf("%d complete configurations validated, %d fragments checked for syntax and format", complete, fragments)
	if complete == 0 {
		t.Fatal("no complete HCL snippet found")
	}
}

// slug returns GitHub's anchor for a heading: lower case, punctuation dropped (but - and _),
// spaces turned into dashes.
func slug(heading string) string {
	heading = markdownLink.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	headingLine  = regexp.MustCompile(`(?m)^(#{1,6})\s+(.+?)\s*#*\s*$`)
	markdownLink = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]*)(?:\s+"[^"]*")?\)`)
	inlineCode   = regexp.MustCompile("`[^`]*`")
)

// anchors returns the anchors of the headings of a Markdown text (outside code blocks).
func anchors(file, text string) map[string]bool {
	_, prose := fences(file, text)
	out := map[string]bool{}
	for _, m := range headingLine.FindAllStringSubmatch(prose, -1) {
		s := slug(m[2])
		for n := 1; out[s]; n++ {
			s = fmt.Sprintf("%s-%d", slug(m[2]), n)
		}
		out[s] = true
	}
	return out
}

// TestMarkdownLinks checks every relative link of every Markdown file: its file or directory
// exists inside the repository, and its anchor names a heading. Mentions of docs/*.md in any
// tracked text file must name files that exist, and no Markdown file refers to documents
// outside the repository.
func TestMarkdownLinks(t *testing.T) {
	files := markdownFiles(t)
	texts := map[string]string{}
	for _, f := range files {
		texts[f] = readFile(t, f)
	}
	checked := 0
	for _, file := range files {
		_, prose := fences(file, texts[file])
		prose = inlineCode.ReplaceAllString(prose, "")
		for _, m := range markdownLink.FindAllStringSubmatch(prose, -1) {
			target := m[2]
			if target == "" {
				t.Errorf("%s: empty link target in %q", file, m[0])
				continue
			}
			if regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`).MatchString(target) {
				continue // a web address
			}
			checked++
			path, anchor, _ := strings.Cut(target, "#")
			resolved := file
			if path != "" {
				resolved = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(file), path)))
				if resolved == ".." || strings.HasPrefix(resolved, "../") || filepath.IsAbs(path) {
					t.Errorf("%s: link %q leaves the repository", file, target)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, resolved)); err != nil {
					t.Errorf("%s: link %q: %s does not exist", file, target, resolved)
					continue
				}
			}
			if anchor == "" {
				continue
			}
			text, ok := texts[resolved]
			if !ok {
				if !strings.HasSuffix(resolved, ".md") {
					continue // an anchor into a non-Markdown file (a line of code on GitHub)
				}
				text = readFile(t, resolved)
			}
			if !anchors(resolved, text)[anchor] {
				t.Errorf("%s: link %q: %s has no heading with the anchor #%s", file, target, resolved, anchor)
			}
		}
		for _, bad := range []*regexp.Regexp{regexp.MustCompile(`SPEC\.md`), regexp.MustCompile(`\.\./shared`), regexp.MustCompile(`(?i)\bthe spec\b|\binternal contract\b`)} {
			if loc := bad.FindStringIndex(prose); loc != nil {
				t.Errorf("%s: refers to a document outside the repository: %q", file, prose[loc[0]:loc[1]])
			}
		}
	}
	t.Logf("%d relative links checked in %d Markdown files", checked, len(files))

	// Mentions of docs/NAME.md (or a schema) in comments, scripts and examples.
	mention := regexp.MustCompile(`\bdocs/[a-z0-9_/-]+\.(?:md|json)\b`)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci" || d.Name() == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".hcl", ".sh", ".yml", ".yaml", ".md", ".txtar", ".json":
		default:
			if d.Name() != "Makefile" && d.Name() != "Dockerfile" && d.Name() != "run" {
				return nil
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, m := range mention.FindAllString(string(data), -1) {
			if _, err := os.Stat(filepath.Join(root, m)); err != nil {
				t.Errorf("%s mentions %s, which does not exist", rel, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDocsTableOfContents checks that each page of docs/ lists every ## heading before the
// first of them, and that the README stays short.
func TestDocsTableOfContents(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in docs/: %v", err)
	}
	h2 := regexp.MustCompile(`(?m)^## (.+?)\s*$`)
	for _, page := range pages {
		rel, _ := filepath.Rel(root, page)
		text := readFile(t, rel)
		_, prose := fences(rel, text)
		all := h2.FindAllStringSubmatchIndex(prose, -1)
		if len(all) == 0 {
			continue
		}
		toc := prose[:all[0][0]]
		for _, m := range all {
			heading := prose[m[2]:m[3]]
			if !strings.Contains(toc, "](#"+slug(heading)+")") {
				t.Errorf("%s: the table of contents before the first heading does not link ## %s (#%s)", rel, heading, slug(heading))
			}
		}
	}
	if n := strings.Count(readFile(t, "README.md"), "\n"); n > 300 {
		t.Errorf("README.md has %d lines; it is read in five minutes: keep it under 300 and move reference material to docs/", n)
	}
}

// TestNamedTestsExist checks that every Go test (TestXxx) and test script (name.txtar) that a
// Markdown file names as evidence exists, so a renamed test cannot leave a claim unbacked.
func TestNamedTestsExist(t *testing.T) {
	funcs := map[string]bool{}
	scripts := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]+)\(`)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(path, "_test.go"):
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range decl.FindAllStringSubmatch(string(data), -1) {
				funcs[m[1]] = true
			}
		case strings.HasSuffix(path, ".txtar"):
			scripts[d.Name()] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	testName := regexp.MustCompile(`\bTest[A-Z][A-Za-z0-9_]*\b`)
	scriptName := regexp.MustCompile(`\b[a-z0-9_]+\.txtar\b`)
	for _, file := range markdownFiles(t) {
		text := readFile(t, file)
		for _, name := range testName.FindAllString(text, -1) {
			if !funcs[name] {
				t.Errorf("%s names %s, but no test function has that name", file, name)
			}
		}
		for _, name := range scriptName.FindAllString(text, -1) {
			if !scripts[name] {
				t.Errorf("%s names the test script %s, which does not exist", file, name)
			}
		}
		// Evidence in brackets, as in "(*verified* [TestCheck, output_needs_no_server])".
		for _, m := range evidence.FindAllStringSubmatch(text, -1) {
			for _, name := range strings.Split(m[1], ",") {
				name = strings.TrimSpace(name)
				if scriptWord.MatchString(name) && !scripts[name+".txtar"] {
					t.Errorf("%s names the test script %s, but there is no %s.txtar", file, name, name)
				}
			}
		}
	}
}

var (
	evidence   = regexp.MustCompile(`\[([A-Za-z0-9_,\s]+)\](?:[^(]|$)`)
	scriptWord = regexp.MustCompile(`^[a-z0-9]+(?:_[a-z0-9]+)+$`)
)
