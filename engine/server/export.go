package server

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"
	"github.com/minio/minio-go/v7/pkg/tags"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/config/policy"
)

// Reading buckets from MinIO's bucket metadata export (madmin ExportBucketMetadata): one admin
// request answers with a zip archive holding, for each bucket, one folder with the files the
// server keeps for it (policy.json, versioning.xml, tagging.xml, lifecycle.xml,
// object-lock.xml, quota.json, notification.xml, bucket-targets.json, ...). The handler reads
// the same in-memory bucket metadata that the attribute GET handlers read, and each file holds
// what the matching GET would answer, so the bucket parses into exactly the model.Live that
// ReadBucket builds from six requests.
//
// What the archive holds for an unset attribute (checked by TestExportMatchesReadBucket):
//
//   - policy.json, tagging.xml, lifecycle.xml, object-lock.xml: absent when unset (also after
//     the attribute was removed);
//   - versioning.xml: absent for a bucket that was never versioned;
//   - quota.json: always present; a cleared quota is a zero document, and a quota without the
//     hard type is not enforced, so both read as no quota, as in readQuota;
//   - notification.xml and bucket-targets.json (which holds XML despite its name): always
//     present. So every bucket the server lists has a folder, and a bucket without one did
//     not exist when the export was made.
//
// madmin-go's ExportBucketMetadata is not used: on an error it drains the saved answer before
// decoding it, so every error reads as "Failed to parse server response" with the HTTP status
// as its code, and AccessDenied cannot be told from a wrong signature, nor a missing bucket
// from a server that is not MinIO. The request is made with madmin's ExecuteMethod, which keeps
// the answer's body, and the error document (JSON from MinIO's admin API) is decoded here.

// ErrExportDenied is in the error of ExportAllBuckets and ExportBucket (test with errors.Is)
// when the identity may not export bucket metadata: it lacks admin:ExportBucketMetadata. Read
// the buckets attribute by attribute (ReadBucket) instead.
var ErrExportDenied = errors.New("the identity may not export bucket metadata (admin:ExportBucketMetadata)")

// ErrExportUnsupported is in the error of ExportAllBuckets and ExportBucket (test with
// errors.Is) when the server offers no bucket metadata export that bucketform can read: it is
// not MinIO (the admin path answers 404, 405, 426 or 501, or NotImplemented), or its answer is
// not the zip archive MinIO sends. Read the buckets attribute by attribute (ReadBucket) instead.
var ErrExportUnsupported = errors.New("the server has no bucket metadata export bucketform can read")

// ExportUnavailable reports whether err says that the export cannot be used with this server
// and identity (ErrExportDenied or ErrExportUnsupported), so that the caller should fall back
// to ReadBucket. Other errors (network, wrong credentials, a server error) are real errors:
// reading attribute by attribute would meet them too.
func ExportUnavailable(err error) bool {
	return errors.Is(err, ErrExportDenied) || errors.Is(err, ErrExportUnsupported)
}

// ExportReason says in a few words why the export is unavailable: the identity may not
// export, or the server has none.
func ExportReason(err error) string {
	switch {
	case errors.Is(err, ErrExportDenied):
		return "the identity lacks admin:ExportBucketMetadata"
	case errors.Is(err, ErrExportUnsupported):
		return "the server has no bucket metadata export bucketform can read"
	}
	return "unknown"
}

// exportActionName is the permission the export needs; it names the request in RequestError.
const exportActionName = "admin:ExportBucketMetadata"

// exportPath is the admin API path of the export, relative to /minio/admin.
const exportPath = "/" + madmin.AdminAPIVersion + "/export-bucket-metadata"

// maxExportFile bounds one file of the archive once decompressed. MinIO's largest bucket
// configuration (a lifecycle of 1,000 rules) is far below it; it guards against an archive
// that is not MinIO's.
const maxExportFile = 16 << 20

// The files of a bucket's folder that the model is read from, as indexes into bucketFiles.
const (
	exportPolicy = iota
	exportTagging
	exportVersioning
	exportQuota
	exportObjectLock
	exportLifecycle
	numExportFiles
)

// exportFileNames names the files of a bucket's folder that the model is read from.
var exportFileNames = [numExportFiles]string{
	exportPolicy:     "policy.json",
	exportTagging:    "tagging.xml",
	exportVersioning: "versioning.xml",
	exportQuota:      "quota.json",
	exportObjectLock: "object-lock.xml",
	exportLifecycle:  "lifecycle.xml",
}

// exportFile locates one file of the archive, as the archive's directory describes it.
type exportFile struct {
	present bool
	method  uint16
	crc     uint32
	offset  int64 // of the (compressed) data in the archive
	size    int64 // compressed
	usize   int64 // uncompressed
}

// bucketFiles locates the files of one bucket's folder that the model is read from; the
// others (notification.xml, bucket-targets.json, ...) are not kept.
type bucketFiles [numExportFiles]exportFile

// kindError puts a sentinel (ErrExportDenied, ErrExportUnsupported) in front of the error
// that shows it, keeping both in the error tree: errors.Is finds the sentinel, Code and the
// permission hints (Explain) find the request.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.kind.Error() + ": " + e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// Export is the bucket metadata of a whole server from one export. Buckets are parsed when
// asked for, so a caller that needs a few buckets of many pays for those only. It is safe for
// concurrent use.
type Export struct {
	data    []byte
	buckets map[string]*bucketFiles
}

// ExportAllBuckets exports the metadata of every bucket of the server in one request. The
// error wraps ErrExportDenied or ErrExportUnsupported when the export cannot be used (see
// ExportUnavailable).
//
// Its cost grows with the buckets of the server, not with those the caller needs: on the
// project's 2-core machine it took 0.05 s for 1,000 buckets and 0.6 s for 10,000, about as long
// as ExportBucket for a quarter of them at parallelism 16 to 32 (cmd/bucketform-bench-export).
// So it pays when the caller needs more than about a quarter of the server's buckets, or
// cannot tell how many the server holds and needs many.
func (c *Client) ExportAllBuckets(ctx context.Context) (*Export, error) {
	data, _, err := c.export(ctx, "")
	if err != nil {
		return nil, err
	}
	exp, err := parseExport(data)
	if err != nil {
		return nil, &kindError{kind: ErrExportUnsupported, err: err}
	}
	return exp, nil
}

// ExportBucket reads bucket name with one export request: the same model.Live as ReadBucket
// reading every attribute (a missing bucket reads as not existing, with no error). It is meant
// to be called for many buckets at once. The error wraps ErrExportDenied or
// ErrExportUnsupported when the export cannot be used (see ExportUnavailable).
func (c *Client) ExportBucket(ctx context.Context, name string) (model.BucketLive, error) {
	data, missing, err := c.export(ctx, name)
	if err != nil {
		return missingBucket(name), err
	}
	if missing {
		return missingBucket(name), nil
	}
	exp, err := parseExport(data)
	if err != nil {
		return missingBucket(name), &kindError{kind: ErrExportUnsupported, err: err}
	}
	// The server answered 200, so the bucket exists, even in the unexpected case of a folder
	// without files.
	files := exp.buckets[name]
	if files == nil {
		files = &bucketFiles{}
	}
	return exp.parseBucket(name, files)
}

// Bucket returns what the export holds for bucket name, as ReadBucket reading every attribute
// would return it: Exists false when the bucket did not exist at the time of the export, and
// ReadBucket's error when an attribute cannot be read (a policy that does not parse).
func (e *Export) Bucket(name string) (model.BucketLive, error) {
	files, ok := e.buckets[name]
	if !ok {
		return missingBucket(name), nil
	}
	return e.parseBucket(name, files)
}

// Names returns the names of every bucket in the export, sorted.
func (e *Export) Names() []string {
	names := make([]string, 0, len(e.buckets))
	for n := range e.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Len returns the number of buckets in the export.
func (e *Export) Len() int { return len(e.buckets) }

// Size returns the size of the export's zip archive in bytes.
func (e *Export) Size() int { return len(e.data) }

// missingBucket is what ReadBucket returns for a bucket that does not exist.
func missingBucket(name string) model.BucketLive {
	return model.BucketLive{State: model.Bucket{Name: name, Attrs: model.AttrSet{}}}
}

// export makes one export request, for one bucket or (bucket "") for all, and returns the zip
// archive. missing is true when the bucket does not exist.
func (c *Client) export(ctx context.Context, bucket string) (data []byte, missing bool, err error) {
	resource := bucket
	if resource == "" {
		resource = "every bucket"
	}
	err = c.call(ctx, exportActionName, resource, true, func(ctx context.Context) (err error) {
		data, err = c.exportOnce(ctx, bucket)
		return err
	})
	if err == nil {
		return data, false, nil
	}
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return nil, false, err // network, timeout, cancelled
	}
	switch {
	case er.Code == CodeAccessDenied || er.Code == "XMinioAdminAccessDenied":
		return nil, false, &kindError{kind: ErrExportDenied, err: err}
	case er.StatusCode == http.StatusNotFound && bucket != "":
		if er.Code == CodeNoSuchBucket && er.Resource == "/minio/admin"+exportPath {
			// MinIO's admin API says so; another S3 server would read the path as bucket
			// "minio" and answer in XML, without the admin path as the resource.
			return nil, true, nil
		}
		var exists bool
		herr := c.call(ctx, "s3:ListBucket", bucket, true, func(ctx context.Context) (err error) {
			exists, err = c.s3.BucketExists(ctx, bucket)
			return err
		})
		if herr != nil {
			return nil, false, fmt.Errorf("check bucket %s: %w", bucket, herr)
		}
		if !exists {
			return nil, true, nil
		}
		return nil, false, &kindError{kind: ErrExportUnsupported, err: err}
	case unsupportedAnswer(er):
		return nil, false, &kindError{kind: ErrExportUnsupported, err: err}
	}
	return nil, false, err
}

// unsupportedAnswer reports whether an error answer to the export says that the server has no
// such API (rather than refusing this request).
func unsupportedAnswer(er minio.ErrorResponse) bool {
	switch er.Code {
	case "NotImplemented", "XMinioAdminVersionMismatch", "XMinioInvalidAPIVersion", "MethodNotAllowed":
		return true
	}
	switch er.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUpgradeRequired, http.StatusNotImplemented:
		return true
	}
	// A 4xx answer that is no error document (a proxy's HTML page, say) comes from something
	// that is not MinIO's admin API.
	return er.Code == "" && er.StatusCode >= 400 && er.StatusCode < 500
}

// exportOnce is one attempt of an export request. An error answer is returned as a
// minio.ErrorResponse with its HTTP status, so that Code, Transient and the hints see it as
// they see any other answer.
func (c *Client) exportOnce(ctx context.Context, bucket string) ([]byte, error) {
	resp, err := c.admin.ExecuteMethod(ctx, http.MethodGet, madmin.RequestData{
		RelPath:     exportPath,
		QueryValues: url.Values{"bucket": []string{bucket}},
	})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, exportErrorResponse(resp, bucket)
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 && resp.ContentLength < 1<<30 {
		buf.Grow(int(resp.ContentLength))
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// exportErrorResponse decodes an error answer: MinIO's admin API answers in JSON, S3 servers
// in XML; anything else keeps only the status.
func exportErrorResponse(resp *http.Response, bucket string) minio.ErrorResponse {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var doc struct {
		Code      string `json:"Code" xml:"Code"`
		Message   string `json:"Message" xml:"Message"`
		Resource  string `json:"Resource" xml:"Resource"`
		RequestID string `json:"RequestId" xml:"RequestId"`
		HostID    string `json:"HostId" xml:"HostId"`
	}
	if json.Unmarshal(body, &doc) != nil && xml.Unmarshal(body, &doc) != nil {
		doc.Code, doc.Message = "", ""
	}
	er := minio.ErrorResponse{
		StatusCode: resp.StatusCode,
		Code:       doc.Code,
		Message:    doc.Message,
		BucketName: bucket,
		Resource:   doc.Resource,
		RequestID:  doc.RequestID,
		HostID:     doc.HostID,
		Server:     resp.Header.Get("Server"),
	}
	if er.Message == "" {
		snippet := strings.TrimSpace(string(body))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "..."
		}
		er.Message = "export-bucket-metadata answered " + resp.Status
		if snippet != "" {
			er.Message += ": " + snippet
		}
	}
	return er
}

// parseExport indexes an export archive by bucket and file. It checks the archive's structure
// (every entry named BUCKET/FILE, every local header where the directory says, every entry
// inside the archive), so that a broken answer fails here rather than bucket by bucket. The
// index keeps the location of the six files the model is read from, not the zip.Reader and
// its record of every entry, so an export of 10,000 buckets holds little more than the
// archive; the files are decompressed when a bucket is asked for.
func parseExport(data []byte) (*Export, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("the answer is not a zip archive (%d bytes): %w", len(data), err)
	}
	exp := &Export{data: data, buckets: map[string]*bucketFiles{}}
	for _, f := range zr.File {
		bucket, file, ok := strings.Cut(f.Name, "/")
		if !ok || bucket == "" || file == "" || strings.Contains(file, "/") {
			return nil, fmt.Errorf("the archive holds %q, not BUCKET/FILE", f.Name)
		}
		offset, err := f.DataOffset()
		if err != nil {
			return nil, fmt.Errorf("the archive is damaged at %s: %w", f.Name, err)
		}
		size := int64(f.CompressedSize64)
		if f.CompressedSize64 > uint64(len(data)) || offset+size > int64(len(data)) {
			return nil, fmt.Errorf("the archive is damaged at %s: its data lies outside the archive", f.Name)
		}
		files := exp.buckets[bucket]
		if files == nil {
			files = &bucketFiles{}
			exp.buckets[bucket] = files
		}
		for i, n := range exportFileNames {
			if n == file {
				files[i] = exportFile{present: true, method: f.Method, crc: f.CRC32, offset: offset, size: size,
					usize: int64(min(f.UncompressedSize64, maxExportFile+1))}
			}
		}
	}
	return exp, nil
}

// parseBucket builds the model of one existing bucket from its folder of the archive, as
// ReadBucket would read every attribute. Errors name the attribute as ReadBucket's do.
func (e *Export) parseBucket(name string, files *bucketFiles) (model.BucketLive, error) {
	live := model.BucketLive{Exists: true, State: model.Bucket{Name: name, Attrs: model.NewAttrSet(model.AllAttrs...)}}
	b := &live.State
	fail := func(a model.Attr, err error) (model.BucketLive, error) {
		return missingBucket(name), fmt.Errorf("read %s of bucket %s: %w", a, name, err)
	}

	text, err := e.file(files, exportPolicy)
	if err != nil {
		return fail(model.AttrPolicy, err)
	}
	if b.Policy, err = policy.Parse(string(text)); err != nil {
		// The same words as readPolicy.
		return fail(model.AttrPolicy, fmt.Errorf("the server's policy cannot be parsed (%w): replace it with anonymous or policy in the configuration, or remove it with `mc anonymous set none`", err))
	}

	all := map[string]string{}
	if text, err = e.file(files, exportTagging); err != nil {
		return fail(model.AttrTags, err)
	}
	if text != nil {
		t, err := tags.ParseBucketXML(bytes.NewReader(text))
		if err != nil {
			return fail(model.AttrTags, err)
		}
		all = t.ToMap()
	}
	live.Owner = all[model.OwnerTag]
	delete(all, model.OwnerTag)
	b.Tags = all

	if text, err = e.file(files, exportVersioning); err != nil {
		return fail(model.AttrVersioning, err)
	}
	if text != nil {
		var v minio.BucketVersioningConfiguration
		if err := xml.Unmarshal(text, &v); err != nil {
			return fail(model.AttrVersioning, err)
		}
		b.Versioning = model.Versioning(v.Status)
	}

	if text, err = e.file(files, exportQuota); err != nil {
		return fail(model.AttrQuota, err)
	}
	if text != nil {
		var q madmin.BucketQuota
		if err := json.Unmarshal(text, &q); err != nil {
			return fail(model.AttrQuota, err)
		}
		b.Quota = hardQuota(q)
	}

	if text, err = e.file(files, exportObjectLock); err != nil {
		return fail(model.AttrObjectLock, err)
	}
	if text != nil {
		var ol struct {
			ObjectLockEnabled string `xml:"ObjectLockEnabled"`
		}
		if err := xml.Unmarshal(text, &ol); err != nil {
			return fail(model.AttrObjectLock, err)
		}
		b.ObjectLock = ol.ObjectLockEnabled == "Enabled"
	}

	if text, err = e.file(files, exportLifecycle); err != nil {
		return fail(model.AttrLifecycle, err)
	}
	if text != nil {
		cfg := lifecycle.NewConfiguration()
		if err := xml.Unmarshal(text, cfg); err != nil {
			return fail(model.AttrLifecycle, err)
		}
		rules := make([]model.LifecycleRule, 0, len(cfg.Rules))
		for _, r := range cfg.Rules {
			rules = append(rules, ruleFromServer(r))
		}
		b.Lifecycle = model.SortLifecycle(rules)
	}
	return live, nil
}

// hardQuota is readQuota's reading of a quota document: the enforced hard quota in bytes, 0
// for none. A quota without the hard type is not enforced, so it reads as none.
func hardQuota(q madmin.BucketQuota) uint64 {
	if q.Type != madmin.HardQuota {
		return 0
	}
	if q.Size > 0 {
		return q.Size
	}
	return q.Quota
}

// flateReaders reuses decompressors: a parse of every bucket of a large export opens tens of
// thousands of small files, and a new decompressor for each would allocate gigabytes.
var flateReaders sync.Pool

// file returns the content of one file of a bucket's folder, nil when it is absent. It checks
// the size and CRC-32 the archive's directory records, as archive/zip does.
func (e *Export) file(files *bucketFiles, which int) ([]byte, error) {
	f := files[which]
	name := exportFileNames[which]
	if !f.present {
		return nil, nil
	}
	if f.usize > maxExportFile {
		return nil, fmt.Errorf("%s in the export is more than %d bytes, more than bucket metadata can be", name, maxExportFile)
	}
	raw := bytes.NewReader(e.data[f.offset : f.offset+f.size])
	var r io.Reader
	switch f.method {
	case zip.Store:
		r = raw
	case zip.Deflate:
		fr, ok := flateReaders.Get().(io.ReadCloser)
		if ok {
			if err := fr.(flate.Resetter).Reset(raw, nil); err != nil {
				return nil, fmt.Errorf("%s in the export: %w", name, err)
			}
		} else {
			fr = flate.NewReader(raw)
		}
		defer flateReaders.Put(fr)
		r = fr
	default:
		return nil, fmt.Errorf("%s in the export is compressed with method %d, which MinIO does not use", name, f.method)
	}
	data := make([]byte, f.usize)
	if _, err := io.ReadFull(r, data); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = zip.ErrChecksum // shorter than the directory says
		}
		return nil, fmt.Errorf("%s in the export: %w", name, err)
	}
	var more [1]byte
	if n, _ := r.Read(more[:]); n > 0 || crc32.ChecksumIEEE(data) != f.crc {
		return nil, fmt.Errorf("%s in the export: %w", name, zip.ErrChecksum)
	}
	return data, nil
}
