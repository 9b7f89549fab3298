package server

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

// zipOf builds an archive as MinIO's export handler writes it; between the entries and the
// central directory it writes tail straight to the answer, as the handler does when a bucket
// fails half-way (it writes an error document and returns, and the deferred Close still writes
// the directory).
func zipOf(t *testing.T, files map[string]string, order []string, tail string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(tail)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseExportRefusesBrokenArchives(t *testing.T) {
	files := map[string]string{
		"a/policy.json":      "",
		"a/notification.xml": "<NotificationConfiguration/>",
		"b/quota.json":       `{"quota":0,"size":5,"quotatype":"hard"}`,
	}
	order := []string{"a/policy.json", "a/notification.xml", "b/quota.json"}
	exp, err := parseExport(zipOf(t, files, order, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(exp.Names(), ","); got != "a,b" {
		t.Fatalf("names %s", got)
	}
	if live, err := exp.Bucket("b"); err != nil || !live.Exists || live.State.Quota != 5 {
		t.Fatalf("b reads as %+v, %v", live, err)
	}
	if live, err := exp.Bucket("c"); err != nil || live.Exists {
		t.Fatalf("c reads as %+v, %v", live, err)
	}

	// A failure half-way through the answer: an error document between entries and directory.
	broken := zipOf(t, files, order, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code></Error>`)
	if _, err := parseExport(broken); err == nil {
		t.Error("an archive with an error document inside parses")
	}
	// Cut short.
	whole := zipOf(t, files, order, "")
	if _, err := parseExport(whole[:len(whole)/2]); err == nil {
		t.Error("half an archive parses")
	}
	// Not MinIO's layout.
	if _, err := parseExport(zipOf(t, map[string]string{"policy.json": "{}"}, []string{"policy.json"}, "")); err == nil {
		t.Error("an entry outside a bucket folder parses")
	}
	if _, err := parseExport(zipOf(t, map[string]string{"a/b/c": "{}"}, []string{"a/b/c"}, "")); err == nil {
		t.Error("a nested entry parses")
	}
}

// A policy that does not parse gives the words of readPolicy, prefixed as ReadBucket prefixes
// them (TestExportMatchesReadBucket compares the two against the server).
func TestParseBucketPolicyError(t *testing.T) {
	data := zipOf(t, map[string]string{"a/policy.json": `{"Version":"2012-10-17","Statement":[]}`}, []string{"a/policy.json"}, "")
	exp, err := parseExport(data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = exp.Bucket("a")
	if err == nil || !strings.HasPrefix(err.Error(), "read policy of bucket a: the server's policy cannot be parsed (") ||
		!strings.HasSuffix(err.Error(), "remove it with `mc anonymous set none`") {
		t.Fatalf("error %v", err)
	}
}

// A file whose content does not match the archive's checksum is an error for its bucket.
func TestParseExportChecksum(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "a/quota.json", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	content := `{"quota":0,"size":1234,"quotatype":"hard"}`
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	exp, err := parseExport(data)
	if err != nil {
		t.Fatal(err)
	}
	if live, err := exp.Bucket("a"); err != nil || live.State.Quota != 1234 {
		t.Fatalf("intact archive: %+v, %v", live, err)
	}
	i := bytes.Index(data, []byte("1234"))
	data[i] = '9'
	if _, err := exp.Bucket("a"); !errors.Is(err, zip.ErrChecksum) || !strings.HasPrefix(err.Error(), "read quota of bucket a: ") {
		t.Fatalf("damaged file: %v, want a checksum error naming the attribute", err)
	}
}
