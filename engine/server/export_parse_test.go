package server

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/tags"
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

// A file whose content does not match the archive's checksum is an error for its bucket. The
// entry is stored (not compressed) with its sizes and CRC-32 in its header, so that one byte of
// its content can be changed in place.
func TestParseExportChecksum(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	content := `{"quota":0,"size":1234,"quotatype":"hard"}`
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "a/quota.json", Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte(content)),
		CompressedSize64: uint64(len(content)), UncompressedSize64: uint64(len(content))})
	if err != nil {
		t.Fatal(err)
	}
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
	if exp, err = parseExport(data); err != nil {
		t.Fatal(err)
	}
	if _, err := exp.Bucket("a"); !errors.Is(err, zip.ErrChecksum) || !strings.HasPrefix(err.Error(), "read quota of bucket a: ") {
		t.Fatalf("damaged file: %v, want a checksum error naming the attribute", err)
	}
}

// An archive of more than 65,535 entries (which Go's writer, like MinIO's, ends with zip64
// records), read as it arrives in small pieces, holds what archive/zip finds in it; a
// damaged directory is refused.
func TestParseExportLikeArchiveZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	const buckets = 11000 // 6 entries each: 66,000
	for i := range buckets {
		for _, f := range []string{"policy.json", "notification.xml", "quota.json", "tagging.xml", "versioning.xml", "bucket-targets.json"} {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("b%05d/%s", i, f), Method: zip.Deflate})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(w, "%s of bucket %d %s", f, i, strings.Repeat("x", i%300))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	exp, err := readExport(newArchiveReader(iotest.HalfReader(bytes.NewReader(data))))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 6*buckets || exp.Len() != buckets || exp.Size() != len(data) {
		t.Fatalf("%d entries, %d buckets, size %d of %d", len(zr.File), exp.Len(), exp.Size(), len(data))
	}
	for _, f := range zr.File {
		bucket, file, _ := strings.Cut(f.Name, "/")
		which := slices.Index(exportFileNames[:], file)
		if which < 0 {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(rc)
		rc.Close()
		got, err := exp.buckets[bucket].file(which)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %q, %v; archive/zip reads %q", f.Name, got, err, want)
		}
	}
	// One byte of the directory changed: the name of its last entry.
	damaged := slices.Clone(data)
	i := bytes.LastIndex(damaged, []byte("b10999/bucket-targets.json"))
	damaged[i] = 'c'
	if _, err := parseExport(damaged); err == nil || !strings.Contains(err.Error(), "does not describe") {
		t.Errorf("a damaged directory: %v", err)
	}
	// Data after the end of the archive.
	if _, err := parseExport(append(slices.Clone(data), 'x')); err == nil {
		t.Error("an archive followed by more data parses")
	}
}

// The fast readers of tagging.xml and versioning.xml read what encoding/xml reads, and say no
// to what they cannot read exactly so.
func TestFastTagsAndVersioning(t *testing.T) {
	for _, text := range []string{
		"<Tagging><TagSet></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Key>a b</Key><Value></Value></Tag><Tag><Key>bucketform-stack</Key><Value>x/y:z@w=+-._</Value></Tag></TagSet></Tagging>",
	} {
		got, ok := fastTags([]byte(text))
		want, err := tags.ParseBucketXML(strings.NewReader(text))
		if !ok || err != nil || !maps.Equal(got, want.ToMap()) {
			t.Errorf("%s: fast %v %v, encoding/xml %v %v", text, got, ok, want, err)
		}
	}
	many := "<Tagging><TagSet>"
	for i := range 51 {
		many += fmt.Sprintf("<Tag><Key>k%d</Key><Value>v</Value></Tag>", i)
	}
	many += "</TagSet></Tagging>"
	for _, text := range []string{
		`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet></TagSet></Tagging>`,
		"<Tagging><TagSet><Tag><Key>a&amp;b</Key><Value>1</Value></Tag></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Key>a</Key><Value>1\r\n</Value></Tag></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Key>\xff</Key><Value>1</Value></Tag></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Key>ü</Key><Value>1</Value></Tag></TagSet></Tagging>", // refused by pkg/tags
		"<Tagging><TagSet><Tag><Key></Key><Value>1</Value></Tag></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Key>a</Key><Value>" + strings.Repeat("v", 257) + "</Value></Tag></TagSet></Tagging>",
		"<Tagging><TagSet><Tag><Value>1</Value><Key>a</Key></Tag></TagSet></Tagging>",
		"<Tagging><TagSet></TagSet></Tagging> ",
		many,
	} {
		if got, ok := fastTags([]byte(text)); ok {
			t.Errorf("%s: fast reads %v", text, got)
		}
	}
	for _, status := range []string{"Enabled", "Suspended"} {
		text := "<VersioningConfiguration><Status>" + status + "</Status></VersioningConfiguration>"
		var v minio.BucketVersioningConfiguration
		got, ok := fastVersioning([]byte(text))
		if err := xml.Unmarshal([]byte(text), &v); err != nil || !ok || got != v.Status {
			t.Errorf("%s: fast %q, encoding/xml %q %v", text, got, v.Status, err)
		}
	}
	if _, ok := fastVersioning([]byte("<VersioningConfiguration><Status>Enabled</Status><ExcludeFolders>true</ExcludeFolders></VersioningConfiguration>")); ok {
		t.Error("fast reads a versioning with excluded folders")
	}
}
