// Package presign mints presigned URLs and browser POST policies for the host a client will use
// — the signing endpoint — while bucketform itself may talk to a private endpoint.
//
// SigV4 signs the Host header, so a URL must be signed for exactly the host that will receive
// it. Signing here is pure computation: the minio-go client for the signing endpoint has static
// credentials and its region set, so it never asks the server for a bucket's location and
// works from a machine that can reach neither the public host nor the server.
package presign

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/bucketform/bucketform/config"
)

// MaxExpiry is the longest a SigV4 presigned URL can live.
const MaxExpiry = 7 * 24 * time.Hour

// Signer signs presign requests, keeping one minio-go client per host and identity.
type Signer struct {
	mu      sync.Mutex
	clients map[clientKey]*minio.Client
}

type clientKey struct {
	endpoint, region, accessKey, secretKey string
	secure                                 bool
}

// NewSigner returns a Signer.
func NewSigner() *Signer { return &Signer{clients: map[clientKey]*minio.Client{}} }

// Target returns the host, scheme, region and credentials a request is signed with: the
// signing endpoint's, or the deployment's own when the request names no endpoint. A signing
// endpoint without credentials signs with the deployment's.
func Target(req config.PresignRequest) (endpoint string, secure bool, region string, creds config.Credentials) {
	d := req.Deployment
	endpoint, secure, region, creds = d.Endpoint, d.Secure, d.Region, d.Creds
	if ep := req.Endpoint; ep != nil {
		endpoint, secure = ep.Endpoint, ep.Secure
		if ep.Region != "" {
			region = ep.Region
		}
		if ep.Creds.Known && ep.Creds.AccessKey != "" {
			creds = ep.Creds
		}
	}
	return endpoint, secure, region, creds
}

func (s *Signer) client(req config.PresignRequest) (*minio.Client, error) {
	endpoint, secure, region, creds := Target(req)
	if !creds.Known || creds.AccessKey == "" || creds.SecretKey == "" {
		return nil, fmt.Errorf("%s: no credentials to sign with: set access_key and secret_key on the minio or signing_endpoint block, or MINIO_ACCESS_KEY and MINIO_SECRET_KEY", req.Presign.Address)
	}
	key := clientKey{endpoint: endpoint, region: region, accessKey: creds.AccessKey, secretKey: creds.SecretKey, secure: secure}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	c, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(creds.AccessKey, creds.SecretKey, ""),
		Secure: secure,
		Region: region, // set: no GetBucketLocation call before signing
	})
	if err != nil {
		return nil, fmt.Errorf("%s: signing endpoint %s: %w", req.Presign.Address, endpoint, err)
	}
	s.clients[key] = c
	return c, nil
}

// Sign mints the URL (and, for POST, the form fields) of one presign instance. It makes no
// network call.
func (s *Signer) Sign(req config.PresignRequest) (config.PresignResult, error) {
	p := req.Presign
	if p.Expires < time.Second || p.Expires > MaxExpiry {
		return config.PresignResult{}, fmt.Errorf("%s: expires must be between 1s and 7d, got %s", p.Address, p.Expires)
	}
	c, err := s.client(req)
	if err != nil {
		return config.PresignResult{}, err
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	res := config.PresignResult{ExpiresAt: now.UTC().Add(p.Expires).Truncate(time.Second)}
	ctx := context.Background()
	var u *url.URL
	switch p.Method {
	case "GET", "PUT", "HEAD":
		u, err = c.Presign(ctx, p.Method, p.Bucket, p.Key, p.Expires, nil)
	case "POST":
		u, res.FormFields, err = s.postPolicy(ctx, c, p, now)
	default:
		err = fmt.Errorf("method %q cannot be presigned; use GET, PUT, HEAD or POST", p.Method)
	}
	if err != nil {
		return config.PresignResult{}, fmt.Errorf("%s: %w", p.Address, err)
	}
	res.URL = u.String()
	return res, nil
}

// postPolicy builds a browser form upload policy: a fixed key, or any key under KeyPrefix
// (the form sends key=PREFIX${filename}); MaxSize becomes a content-length-range.
func (s *Signer) postPolicy(ctx context.Context, c *minio.Client, p *config.Presign, now time.Time) (*url.URL, map[string]string, error) {
	pp := minio.NewPostPolicy()
	if err := pp.SetBucket(p.Bucket); err != nil {
		return nil, nil, err
	}
	if p.Key != "" {
		if err := pp.SetKey(p.Key); err != nil {
			return nil, nil, err
		}
	} else if err := pp.SetKeyStartsWith(p.KeyPrefix); err != nil {
		return nil, nil, err
	}
	if err := pp.SetExpires(now.UTC().Add(p.Expires)); err != nil {
		return nil, nil, err
	}
	if p.MaxSize > 0 {
		if err := pp.SetContentLengthRange(0, p.MaxSize); err != nil {
			return nil, nil, err
		}
	}
	if p.ContentType != "" {
		if err := pp.SetContentType(p.ContentType); err != nil {
			return nil, nil, err
		}
	}
	u, fields, err := c.PresignedPostPolicy(ctx, pp)
	if err != nil {
		return nil, nil, err
	}
	if p.Key == "" {
		// A browser names the file: the form's key field takes ${filename} under the prefix.
		fields["key"] = p.KeyPrefix + "${filename}"
	}
	return u, fields, nil
}
