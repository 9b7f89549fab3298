package presign

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bucketform/bucketform/config"
)

// CheckResult says whether a presign instance's URLs reach MinIO unaltered through its
// signing endpoint.
type CheckResult struct {
	Address string
	URL     string // the HEAD URL that was sent (it is presigned: treat it as a secret)
	OK      bool
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// Code is MinIO's error code (X-Minio-Error-Code), if any.
	Code string
	// Message says what the answer proves, or what failed and the likely cause.
	Message string
}

// Check signs a HEAD request for the same bucket, key, host and identity as req and sends it
// through the signing endpoint. MinIO only answers 200 or 404 NoSuchKey when the signature
// matches, which proves the host and the path reach it unaltered; the answer's error code says
// what is wrong otherwise. POST policies are checked on a key under their prefix.
func (s *Signer) Check(ctx context.Context, httpClient *http.Client, req config.PresignRequest) CheckResult {
	probe := *req.Presign
	probe.Method = "HEAD"
	probe.Expires = time.Minute
	if probe.Key == "" {
		probe.Key = probe.KeyPrefix + ".bucketform-check"
	}
	req.Presign = &probe
	res := CheckResult{Address: req.Presign.Address}
	signed, err := s.Sign(req)
	if err != nil {
		res.Message = err.Error()
		return res
	}
	res.URL = signed.URL
	endpoint, _, region, _ := Target(req)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodHead, signed.URL, nil)
	if err != nil {
		res.Message = err.Error()
		return res
	}
	resp, err := httpClient.Do(hreq)
	if err != nil {
		res.Message = fmt.Sprintf("cannot reach %s from here: %v (check the signing endpoint's host and port, and that this machine can reach it)", endpoint, err)
		return res
	}
	resp.Body.Close()
	res.Status, res.Code = resp.StatusCode, resp.Header.Get("X-Minio-Error-Code")
	if resp.Header.Get("Server") != "MinIO" && resp.Header.Get("X-Amz-Request-Id") == "" {
		res.Message = fmt.Sprintf("%s answered %s, but not as MinIO: a proxy or another service answers at this host and path", endpoint, resp.Status)
		return res
	}
	switch {
	case resp.StatusCode == http.StatusOK, res.Code == "NoSuchKey":
		res.OK = true
		res.Message = fmt.Sprintf("reached MinIO through %s; signature accepted", endpoint)
	case res.Code == "AccessDenied":
		res.OK = true
		res.Message = fmt.Sprintf("reached MinIO through %s; signature accepted, but the signing identity may not read this key (expected for an upload-only identity)", endpoint)
	case res.Code == "NoSuchBucket":
		res.Message = fmt.Sprintf("reached MinIO through %s, but bucket %q does not exist there: run apply, or check the bucket name", endpoint, req.Presign.Bucket)
	case res.Code == "SignatureDoesNotMatch":
		res.Message = fmt.Sprintf("MinIO rejected the signature at %s: the Host header or the path was changed on the way "+
			"(a reverse proxy must pass the original Host, e.g. nginx `proxy_set_header Host $http_host;`, and must not rewrite the path), "+
			"or the signing endpoint names a host that is not the one clients use, or the secret key is wrong", endpoint)
	case res.Code == "InvalidAccessKeyId":
		res.Message = "the server does not know the signing access key: check the credentials of the signing endpoint"
	case res.Code == "AuthorizationHeaderMalformed" || res.Code == "AuthorizationQueryParametersError" || res.Code == "InvalidRegion":
		res.Message = fmt.Sprintf("MinIO rejected the signing region %q: set region on the minio block to the server's region (MINIO_SITE_REGION)", region)
	default:
		res.Message = fmt.Sprintf("%s answered %s %s", endpoint, resp.Status, res.Code)
	}
	return res
}
