// Package presign mints presigned URLs and browser POST policies for the host a client will use
// — the signing endpoint — while bucketform itself may talk to a private endpoint.
//
// SigV4 signs the Host header, so a URL must be signed for exactly the host that will receive
// it. Signing here is pure computation: a minio-go client for the signing endpoint, with static
// credentials and its region set, never asks the server for a bucket's location, so signing
// works from a machine that can reach neither the public host nor the server.
package presign

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/bucketform/bucketform/config"
)

// MaxExpiry is the longest a SigV4 presigned URL can live.
const MaxExpiry = 7 * 24 * time.Hour

// FilenameVar is the form-field variable S3 and MinIO replace with the name of the uploaded
// file in a POST upload's key field. Only POST uploads know it; in a URL it is a literal text.
const FilenameVar = config.FilenameVar

// defaultRegion is used when a request carries no region, so that signing never falls back to
// asking the server for the bucket's location.
const defaultRegion = "us-east-1"

// amzDateFormat is the format of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// Signer signs presign requests, keeping one signer per host and identity. It is safe for
// concurrent use.
type Signer struct {
	mu      sync.Mutex
	clients map[clientKey]*minio.Client
	buckets sync.Map // bucket name → error of s3utils.CheckValidBucketName (nil when valid)
}

type clientKey struct {
	endpoint, region, accessKey, secretKey string
	secure                                 bool
}

// NewSigner returns a Signer.
func NewSigner() *Signer { return &Signer{clients: map[clientKey]*minio.Client{}} }

// Target returns the host, scheme, region and credentials a request is signed with: the
// signing endpoint's, or the deployment's own when the request names no endpoint. A signing
// endpoint without credentials of its own signs with the deployment's (config resolves that;
// the fallback here covers a SigningEndpoint built without them).
func Target(req config.PresignRequest) (endpoint string, secure bool, region string, creds config.Credentials) {
	if d := req.Deployment; d != nil {
		endpoint, secure, region, creds = d.Endpoint, d.Secure, d.Region, d.Creds
	}
	if ep := req.Endpoint; ep != nil {
		endpoint, secure = ep.Endpoint, ep.Secure
		if ep.Region != "" {
			region = ep.Region
		}
		if ep.Creds.Known && ep.Creds.AccessKey != "" {
			creds = ep.Creds
		}
	}
	if region == "" {
		region = defaultRegion
	}
	return endpoint, secure, region, creds
}

// URLOf returns the scheme and host a request's URLs are signed for, e.g. "http://localhost:9000".
func URLOf(req config.PresignRequest) string {
	endpoint, secure, _, _ := Target(req)
	if secure {
		return "https://" + endpoint
	}
	return "http://" + endpoint
}

func (s *Signer) client(req config.PresignRequest) (*minio.Client, error) {
	endpoint, secure, region, creds := Target(req)
	if endpoint == "" {
		return nil, errors.New("no endpoint to sign for: the presign has no minio block")
	}
	if !creds.Known || creds.AccessKey == "" || creds.SecretKey == "" {
		return nil, errors.New("no credentials to sign with: set access_key and secret_key on the minio or signing_endpoint block, or MINIO_ACCESS_KEY and MINIO_SECRET_KEY")
	}
	key := clientKey{endpoint: endpoint, region: region, accessKey: creds.AccessKey, secretKey: creds.SecretKey, secure: secure}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	// minio.New does no I/O, and with Region set neither does presigning: no bucket-location
	// lookup on a host this machine may not reach.
	mc, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, ""),
		Secure: secure,
		Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("signing endpoint %s: %w", endpoint, err)
	}
	s.clients[key] = mc
	return mc, nil
}

// Sign mints the URL (and, for POST, the form fields) of one presign instance. It makes no
// network call.
//
// ExpiresAt is the moment the server starts refusing the URL: X-Amz-Date + X-Amz-Expires read
// back from the URL minio-go signed, or the expiration of a POST policy (req.Now, or the time of
// signing when zero, plus the expiry).
func (s *Signer) Sign(req config.PresignRequest) (config.PresignResult, error) {
	p := req.Presign
	if p == nil {
		return config.PresignResult{}, errors.New("nothing to sign")
	}
	if p.Expires < time.Second || p.Expires > MaxExpiry || p.Expires%time.Second != 0 {
		return config.PresignResult{}, fmt.Errorf("expires must be a whole number of seconds from 1s to 7d (604800s), got %s", p.Expires)
	}
	if err := config.CheckPresignKeys(p); err != nil {
		return config.PresignResult{}, err
	}
	c, err := s.client(req)
	if err != nil {
		return config.PresignResult{}, err
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Second)
	switch p.Method {
	case "GET", "PUT", "HEAD":
		if err := s.checkBucket(p.Bucket); err != nil {
			return config.PresignResult{}, err
		}
		if err := s3utils.CheckValidObjectName(p.Key); err != nil {
			return config.PresignResult{}, err
		}
		// minio-go dates the URL with the clock; expires_at is read back from the URL, so it
		// is exactly X-Amz-Date + X-Amz-Expires.
		u, err := c.Presign(context.Background(), p.Method, p.Bucket, p.Key, p.Expires, nil)
		if err != nil {
			return config.PresignResult{}, err
		}
		expiresAt, err := urlExpiry(u)
		if err != nil {
			return config.PresignResult{}, err
		}
		return config.PresignResult{URL: u.String(), ExpiresAt: expiresAt}, nil
	case "POST":
		return postPolicy(context.Background(), c, p, now.Add(p.Expires))
	}
	return config.PresignResult{}, fmt.Errorf("method %q cannot be presigned; use GET, PUT, HEAD or POST", p.Method)
}

// checkBucket validates a bucket name once per Signer: a for_each of thousands of URLs is
// usually in one bucket.
func (s *Signer) checkBucket(name string) error {
	if err, ok := s.buckets.Load(name); ok {
		if err == nil {
			return nil
		}
		return err.(error)
	}
	err := s3utils.CheckValidBucketName(name)
	s.buckets.Store(name, err)
	return err
}

// urlExpiry is the moment a presigned URL expires: X-Amz-Date + X-Amz-Expires. It reads the
// two parameters from the raw query (both are plain digits and letters, never escaped).
func urlExpiry(u *url.URL) (time.Time, error) {
	date, err := time.Parse(amzDateFormat, queryParam(u.RawQuery, "X-Amz-Date"))
	if err != nil {
		return time.Time{}, fmt.Errorf("signed URL has no valid X-Amz-Date: %w", err)
	}
	secs, err := strconv.ParseInt(queryParam(u.RawQuery, "X-Amz-Expires"), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("signed URL has no valid X-Amz-Expires: %w", err)
	}
	return date.Add(time.Duration(secs) * time.Second).UTC(), nil
}

// queryParam returns the raw value of the first parameter name in a raw query.
func queryParam(rawQuery, name string) string {
	for rest := rawQuery; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

// postPolicy builds a browser form upload policy: a fixed key, or any key under KeyPrefix (the
// form's key field is PREFIX${filename}, which the server replaces with the uploaded file's
// name before it checks the policy's starts-with condition); MaxSize becomes a
// content-length-range and ContentType an exact Content-Type condition. The policy expires at
// expiresAt, a whole second, so that expires_at (RFC 3339, seconds) is exact.
func postPolicy(ctx context.Context, c *minio.Client, p *config.Presign, expiresAt time.Time) (config.PresignResult, error) {
	pp := minio.NewPostPolicy()
	if err := pp.SetBucket(p.Bucket); err != nil {
		return config.PresignResult{}, err
	}
	if p.Key != "" {
		if err := pp.SetKey(p.Key); err != nil {
			return config.PresignResult{}, err
		}
	} else if err := pp.SetKeyStartsWith(p.KeyPrefix); err != nil {
		return config.PresignResult{}, err
	}
	if err := pp.SetExpires(expiresAt); err != nil {
		return config.PresignResult{}, err
	}
	if p.MaxSize > 0 {
		if err := pp.SetContentLengthRange(0, p.MaxSize); err != nil {
			return config.PresignResult{}, err
		}
	}
	if p.ContentType != "" {
		if err := pp.SetContentType(p.ContentType); err != nil {
			return config.PresignResult{}, err
		}
	}
	u, fields, err := c.PresignedPostPolicy(ctx, pp)
	if err != nil {
		return config.PresignResult{}, err
	}
	if p.Key == "" {
		fields["key"] = p.KeyPrefix + FilenameVar
	}
	return config.PresignResult{URL: u.String(), ExpiresAt: expiresAt, FormFields: fields}, nil
}
