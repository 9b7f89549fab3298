// Package server is bucketform's only way to talk to a MinIO server: a small client over
// minio-go and madmin-go that reads a bucket's attributes into the model, writes them back,
// and reads and writes the small objects of the ownership index.
//
// It speaks in model types and translates the server's "unset" answers (NoSuchTagSet,
// NoSuchLifecycleConfiguration, an empty policy, a zero quota ...) into model zero values, so
// callers never see those error codes.
package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Target says where a server is and who to talk to it as.
type Target struct {
	Endpoint  string // host[:port]
	Secure    bool
	Region    string
	AccessKey string
	SecretKey string
	CAFile    string // PEM bundle to trust in addition to the system roots
	Insecure  bool   // skip TLS verification
	// Parallelism is the number of requests the caller runs at once; the HTTP transport keeps
	// that many idle connections so that no request waits for a new one.
	Parallelism int
}

// Client talks to one MinIO server.
type Client struct {
	target Target
	s3     *minio.Client
	core   minio.Core
	admin  *madmin.AdminClient
	http   *http.Client
}

// New returns a client for t. It does no I/O.
func New(t Target) (*Client, error) {
	base, err := newTransport(t)
	if err != nil {
		return nil, err
	}
	c := &Client{target: t}
	transport := &schemeCheck{base: base, url: c.BaseURL(), secure: t.Secure}
	creds := credentials.NewStaticV4(t.AccessKey, t.SecretKey, "")
	s3, err := minio.New(t.Endpoint, &minio.Options{
		Creds:     creds,
		Secure:    t.Secure,
		Region:    t.Region, // known region: no GetBucketLocation before each request
		Transport: transport,
		// One attempt: bucketform retries each request itself (retry.go), so the two do not multiply.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("minio client for %s: %w", t.Endpoint, err)
	}
	admin, err := madmin.NewWithOptions(t.Endpoint, &madmin.Options{Creds: creds, Secure: t.Secure, Transport: transport})
	if err != nil {
		return nil, fmt.Errorf("minio admin client for %s: %w", t.Endpoint, err)
	}
	c.s3, c.core, c.admin = s3, minio.Core{Client: s3}, admin
	// Health requests are bounded by their caller's context (the -wait probe's 5 s); this is
	// a backstop.
	c.http = &http.Client{Transport: transport, Timeout: 10 * time.Second}
	return c, nil
}

// Endpoint returns the server's host[:port].
func (c *Client) Endpoint() string { return c.target.Endpoint }

// BaseURL returns the server's URL, e.g. http://127.0.0.1:9000.
func (c *Client) BaseURL() string {
	if c.target.Secure {
		return "https://" + c.target.Endpoint
	}
	return "http://" + c.target.Endpoint
}

// Transport timeouts; the package comment of retry.go explains them.
const (
	connectTimeout   = 5 * time.Second
	handshakeTimeout = 5 * time.Second
)

func newTransport(t Target) (*http.Transport, error) {
	idle := t.Parallelism * 2
	if idle < 16 {
		idle = 16
	}
	responseTimeout := Retry.ResponseTimeout
	if responseTimeout <= 0 {
		responseTimeout = time.Minute
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          idle,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   handshakeTimeout,
		ResponseHeaderTimeout: responseTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	if t.Secure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.Insecure} //nolint:gosec // the user's explicit choice
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, fmt.Errorf("read ca_file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca_file %s holds no PEM certificate", t.CAFile)
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	return tr, nil
}

// Error codes the server answers with that callers act on.
const (
	CodeNoSuchBucket        = "NoSuchBucket"
	CodeNoSuchKey           = "NoSuchKey"
	CodePreconditionFailed  = "PreconditionFailed"
	CodeBucketExists        = "BucketAlreadyOwnedByYou"
	CodeBucketExistsForeign = "BucketAlreadyExists"
	CodeBucketNotEmpty      = "BucketNotEmpty"
	CodeAccessDenied        = "AccessDenied"
)

// Code returns the S3 error code of err, or "".
func Code(err error) string {
	if err == nil {
		return ""
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code
	}
	var ae madmin.ErrorResponse
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// Explain wraps err with a hint for the errors a user can fix (credentials, permissions,
// region, TLS), so an apply that fails says what to change. Other errors pass through, and so
// does an error that already carries a hint.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var h *hinted
	if errors.As(err, &h) {
		return err
	}
	if hint := hintFor(err); hint != "" {
		return &hinted{err: err, hint: hint}
	}
	return err
}
