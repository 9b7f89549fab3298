package presign

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bucketform/bucketform/config"
)

// CheckResult says whether a presign instance's URLs reach MinIO unaltered through its
// signing endpoint.
type CheckResult struct {
	Address string
	// Endpoint is the scheme and host the URLs are signed for, e.g. "http://localhost:9000".
	Endpoint string
	OK       bool
	// Status is the HTTP status, 0 when no answer came.
	Status int
	// Code is MinIO's error code (the X-Minio-Error-Code header of a HEAD answer), if any.
	Code string
	// Message says what the answer proves, or what failed and the likely cause. It never holds
	// the presigned URL, which is a credential.
	Message string
}

// maxSkew is how far the server's clock may be from this machine's before Check says so: a
// URL is dated with this machine's clock and judged by the server's.
const maxSkew = time.Minute

// Check signs a HEAD request for the same bucket, host and identity as req and sends it
// through the signing endpoint. MinIO verifies the signature before anything else, so any
// answer other than SignatureDoesNotMatch (200, 404 NoSuchKey, 403 AccessDenied for an
// identity that may not read) proves that the host and the path reach it unaltered; the error
// code, which MinIO puts in the X-Minio-Error-Code header of a HEAD answer, says what is wrong
// otherwise. POST policies are checked on a key under their prefix. Redirects are not
// followed: a client that uploads with PUT does not follow them either.
func (s *Signer) Check(ctx context.Context, httpClient *http.Client, req config.PresignRequest) CheckResult {
	res := CheckResult{Address: req.Presign.Address, Endpoint: URLOf(req)}
	method := req.Presign.Method
	probe := *req.Presign
	probe.Method, probe.Expires = "HEAD", time.Minute
	probe.KeyPrefix, probe.MaxSize, probe.ContentType = "", 0, ""
	if probe.Key == "" {
		probe.Key = req.Presign.KeyPrefix + "bucketform-check"
	}
	req.Presign = &probe
	signed, err := s.Sign(req)
	if err != nil {
		res.Message = "cannot sign: " + err.Error()
		return res
	}
	_, _, region, _ := Target(req)

	client := *httpClient
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hreq, err := http.NewRequestWithContext(ctx, http.MethodHead, signed.URL, nil)
	if err != nil {
		res.Message = err.Error()
		return res
	}
	sent := time.Now()
	resp, err := client.Do(hreq)
	if err != nil {
		res.Message = fmt.Sprintf("cannot reach %s from here: %s. Check the signing endpoint's host, port and secure setting, and that this machine can reach it (clients must reach exactly this host)",
			res.Endpoint, unwrapURLError(err))
		return res
	}
	resp.Body.Close()
	res.Status, res.Code = resp.StatusCode, resp.Header.Get("X-Minio-Error-Code")
	var skew time.Duration
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		skew = date.Sub(sent.Truncate(time.Second))
	}

	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Message = fmt.Sprintf("%s answers %s with a redirect to %q: clients that upload with PUT do not follow redirects, and a URL is signed for one host. Sign for the host (and scheme: secure = true for https) that finally serves the request",
			res.Endpoint, resp.Status, withoutQuery(resp.Header.Get("Location")))
	case resp.Header.Get("Server") != "MinIO" && resp.Header.Get("X-Amz-Request-Id") == "":
		res.Message = fmt.Sprintf("%s answered %s, but not as MinIO: another service, or a proxy that does not route this path to MinIO, answers at this host. Route the whole path (/%s/...) to MinIO",
			res.Endpoint, resp.Status, probe.Bucket)
	case resp.StatusCode == http.StatusOK, res.Code == "NoSuchKey":
		res.OK = true
		res.Message = fmt.Sprintf("reached MinIO through %s; signature accepted", res.Endpoint)
	case res.Code == "AccessDenied" && abs(skew) > maxSkew:
		res.Message = fmt.Sprintf("MinIO refused the URL as expired or not yet valid: its clock differs from this machine's by %s. URLs are dated with this machine's clock; synchronise the clocks (NTP)", abs(skew).Round(time.Second))
	case res.Code == "AccessDenied" && (method == "GET" || method == "HEAD"):
		// The URL is for reading, and its signer may not read: every client would get 403.
		res.Message = fmt.Sprintf("reached MinIO through %s and the signature was accepted, but the signing identity may not read %s/%s, so this %s URL gets 403 AccessDenied: "+
			"grant it s3:GetObject on arn:aws:s3:::%s/%s (a policy grant with access = [\"read\"]), or sign with an identity that may read", res.Endpoint, probe.Bucket, probe.Key, method, probe.Bucket, probe.Key)
	case res.Code == "AccessDenied":
		res.OK = true
		res.Message = fmt.Sprintf("reached MinIO through %s; signature accepted, but the signing identity may not read this key (expected for an upload-only identity)", res.Endpoint)
	case res.Code == "NoSuchBucket":
		res.Message = fmt.Sprintf("reached MinIO through %s, but bucket %q does not exist there: run apply, or check the bucket name", res.Endpoint, probe.Bucket)
	case res.Code == "SignatureDoesNotMatch":
		res.Message = fmt.Sprintf("MinIO at %s rejected the signature (SignatureDoesNotMatch): the request reached it with another Host header or path than the URL's. "+
			"Likely causes: a reverse proxy that rewrites the Host header (pass it through: nginx `proxy_set_header Host $http_host;`) or the path (proxy the root, no prefix, no rewrite); "+
			"or a signing endpoint that names another host than the one clients use (localhost and 127.0.0.1 are different hosts to SigV4); or a wrong secret key", res.Endpoint)
	case res.Code == "InvalidAccessKeyId":
		res.Message = fmt.Sprintf("MinIO at %s does not know the signing access key: check the credentials of the signing endpoint (or of its minio block), and that %s is the right server", res.Endpoint, res.Endpoint)
	case res.Code == "AuthorizationHeaderMalformed" || res.Code == "AuthorizationQueryParametersError" || res.Code == "InvalidRegion":
		res.Message = fmt.Sprintf("MinIO at %s rejected the signing region %q (%s): set region on the minio block to the server's region (MINIO_SITE_REGION)", res.Endpoint, region, res.Code)
	case res.Code != "":
		res.Message = fmt.Sprintf("MinIO at %s answered %s %s", res.Endpoint, resp.Status, res.Code)
	default:
		res.Message = fmt.Sprintf("%s answered %s", res.Endpoint, resp.Status)
	}
	if res.OK && abs(skew) > maxSkew {
		res.Message += fmt.Sprintf("; warning: the server's clock differs from this machine's by %s, so URLs expire that much earlier or later than expires_at says", abs(skew).Round(time.Second))
	}
	return res
}

// unwrapURLError drops the "Head \"URL\": " prefix of a *url.Error: the URL is a credential.
func unwrapURLError(err error) string {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && strings.HasPrefix(err.Error(), "Head ") {
		if inner := u.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// withoutQuery drops the query of a URL, which may echo the presigned URL's signature.
func withoutQuery(location string) string {
	u, err := url.Parse(location)
	if err != nil {
		return "(an invalid URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
