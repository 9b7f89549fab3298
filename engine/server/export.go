package server

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

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

// bucketFiles holds the files of one bucket's folder that the model is read from, as the
// archive held them once decompressed (nil: absent); the others (notification.xml,
// bucket-targets.json, ...) are not kept. errs holds, per file, why it could not be read (a
// checksum that does not match): an error for that bucket, not for the whole export.
type bucketFiles struct {
	data [numExportFiles][]byte
	errs [numExportFiles]error
}

// kindError puts a sentinel (ErrExportDenied, ErrExportUnsupported) in front of the error
// that shows it, keeping both in the error tree: errors.Is finds the sentinel, Code and the
// permission hints (Explain) find the request.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.kind.Error() + ": " + e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// Export is the bucket metadata of a whole server from one export. The archive is read as it
// arrives and not kept: only the six files the model is read from, decompressed, are (a few
// hundred bytes per configured bucket, against about 1.5 KB per bucket of archive, most of it
// zip headers). Buckets are parsed when asked for, so a caller that needs a few buckets of many
// pays for those only. It is safe for concurrent use.
type Export struct {
	size    int64
	buckets map[string]*bucketFiles
}

// ExportAllBuckets exports the metadata of every bucket of the server in one request. The
// error wraps ErrExportDenied or ErrExportUnsupported when the export cannot be used (see
// ExportUnavailable).
//
// Its cost grows with the buckets of the server, not with those the caller needs: on the
// project's 2-core machine it took 0.05 s for 1,000 buckets and 0.6 to 0.8 s for 10,000, about
// as long as ExportBucket for a sixth to a quarter of them at parallelism 16 to 32
// (cmd/bucketform-bench-export, docs/benchmarks.md). So it pays when the caller needs more than
// that share of the server's buckets, or cannot tell how many the server holds and needs many.
func (c *Client) ExportAllBuckets(ctx context.Context) (*Export, error) {
	exp, _, err := c.export(ctx, "")
	return exp, err
}

// ExportBucket reads bucket name with one export request: the same model.Live as ReadBucket
// reading every attribute (a missing bucket reads as not existing, with no error). It is meant
// to be called for many buckets at once. The error wraps ErrExportDenied or
// ErrExportUnsupported when the export cannot be used (see ExportUnavailable).
func (c *Client) ExportBucket(ctx context.Context, name string) (model.BucketLive, error) {
	exp, missing, err := c.export(ctx, name)
	if err != nil {
		return missingBucket(name), err
	}
	if missing {
		return missingBucket(name), nil
	}
	// The server answered 200, so the bucket exists, even in the unexpected case of a folder
	// without files.
	files := exp.buckets[name]
	if files == nil {
		files = &bucketFiles{}
	}
	return parseBucket(name, files)
}

// Bucket returns what the export holds for bucket name, as ReadBucket reading every attribute
// would return it: Exists false when the bucket did not exist at the time of the export, and
// ReadBucket's error when an attribute cannot be read (a policy that does not parse).
func (e *Export) Bucket(name string) (model.BucketLive, error) {
	files, ok := e.buckets[name]
	if !ok {
		return missingBucket(name), nil
	}
	return parseBucket(name, files)
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
func (e *Export) Size() int { return int(e.size) }

// missingBucket is what ReadBucket returns for a bucket that does not exist.
func missingBucket(name string) model.BucketLive {
	return model.BucketLive{State: model.Bucket{Name: name, Attrs: model.AttrSet{}}}
}

// export makes one export request, for one bucket or (bucket "") for all, and returns what the
// archive holds. missing is true when the bucket does not exist.
func (c *Client) export(ctx context.Context, bucket string) (exp *Export, missing bool, err error) {
	resource := bucket
	if resource == "" {
		resource = "every bucket"
	}
	err = c.call(ctx, exportActionName, resource, true, func(ctx context.Context) (err error) {
		exp, err = c.exportOnce(ctx, bucket)
		return err
	})
	if err == nil {
		return exp, false, nil
	}
	if errors.Is(err, ErrExportUnsupported) {
		return nil, false, err
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
// they see any other answer. The archive is parsed as it arrives (readExport): an answer that
// is not MinIO's archive is ErrExportUnsupported, while a failure to read the answer (the
// connection broke) is returned as it is, so that it is retried as any request's would be.
func (c *Client) exportOnce(ctx context.Context, bucket string) (*Export, error) {
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
	r := newArchiveReader(resp.Body)
	exp, err := readExport(r)
	if err != nil {
		if r.err != nil {
			return nil, r.err
		}
		return nil, &kindError{kind: ErrExportUnsupported, err: err}
	}
	return exp, nil
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

// parseBucket builds the model of one existing bucket from its folder of the archive, as
// ReadBucket would read every attribute. Errors name the attribute as ReadBucket's do.
func parseBucket(name string, files *bucketFiles) (model.BucketLive, error) {
	live := model.BucketLive{Exists: true, State: model.Bucket{Name: name, Attrs: model.NewAttrSet(model.AllAttrs...)}}
	b := &live.State
	fail := func(a model.Attr, err error) (model.BucketLive, error) {
		return missingBucket(name), fmt.Errorf("read %s of bucket %s: %w", a, name, err)
	}

	text, err := files.file(exportPolicy)
	if err != nil {
		return fail(model.AttrPolicy, err)
	}
	if b.Policy, err = policy.Parse(string(text)); err != nil {
		// The same words as readPolicy.
		return fail(model.AttrPolicy, fmt.Errorf("the server's policy cannot be parsed (%w): replace it with anonymous or policy in the configuration, or remove it with `mc anonymous set none`", err))
	}

	all := map[string]string{}
	if text, err = files.file(exportTagging); err != nil {
		return fail(model.AttrTags, err)
	}
	if m, ok := fastTags(text); ok {
		all = m
	} else if text != nil {
		t, err := tags.ParseBucketXML(bytes.NewReader(text))
		if err != nil {
			return fail(model.AttrTags, err)
		}
		all = t.ToMap()
	}
	live.Owner = all[model.OwnerTag]
	delete(all, model.OwnerTag)
	b.Tags = all

	if text, err = files.file(exportVersioning); err != nil {
		return fail(model.AttrVersioning, err)
	}
	if status, ok := fastVersioning(text); ok {
		b.Versioning = model.Versioning(status)
	} else if text != nil {
		var v minio.BucketVersioningConfiguration
		if err := xml.Unmarshal(text, &v); err != nil {
			return fail(model.AttrVersioning, err)
		}
		b.Versioning = model.Versioning(v.Status)
	}

	if text, err = files.file(exportQuota); err != nil {
		return fail(model.AttrQuota, err)
	}
	if text != nil {
		var q madmin.BucketQuota
		if err := json.Unmarshal(text, &q); err != nil {
			return fail(model.AttrQuota, err)
		}
		b.Quota = hardQuota(q)
	}

	if text, err = files.file(exportObjectLock); err != nil {
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

	if text, err = files.file(exportLifecycle); err != nil {
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

// file returns the content of one file of a bucket's folder, nil when it is absent, or why it
// could not be read.
func (f *bucketFiles) file(which int) ([]byte, error) {
	if err := f.errs[which]; err != nil {
		return nil, fmt.Errorf("%s in the export: %w", exportFileNames[which], err)
	}
	return f.data[which], nil
}
