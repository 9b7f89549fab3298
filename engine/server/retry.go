package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
)

// Retries happen at exactly one layer: here, once per request, under one policy for S3 and
// admin requests alike. minio-go and madmin-go are told not to retry (minio-go MaxRetries 1,
// madmin-go MaxRetry 1), because their own policies differ and would multiply with ours:
// minio-go makes 10 attempts at most 1 s apart (it rides out only 4 to 7 s of outage), while
// madmin-go gives up at once on a refused connection, never retries a 500, and sleeps up to
// 30 s between attempts, so the quota calls behaved unlike every other call.
//
// Every request bucketform makes is safe to repeat: reads, PUTs that replace a whole
// configuration, deletes that treat "already gone" as done, MakeBucket that treats
// BucketAlreadyOwnedByYou as done. The conditional writes of the ownership index and lease
// are the exception, and PutSmall handles them (see there).
//
// # How long a request may take
//
// A healthy MinIO answers a metadata request (a bucket attribute, the index, the lease) in
// milliseconds, also with 32 requests in flight on a small machine. What must not happen is a
// server that accepts connections and never answers holding a plan for minutes: with the
// earlier 30 s per attempt and 8 attempts, a plan against such a server took 4 min 12 s
// (252.6 s measured). The bounds now are:
//
//	connect                      5 s   (Dialer.Timeout; loopback and in-cluster connects take < 1 ms)
//	TLS handshake                5 s   (Transport.TLSHandshakeTimeout)
//	one attempt of a request    10 s   (Retry.AttemptTimeout, for every single-request call)
//	timed-out attempts           2     (Retry.Timeouts: one retry after a timeout, then give up)
//	whole retry sequence        30 s   (Retry.Budget, for every single-request call)
//	answer to one request of    60 s   (Retry.ResponseTimeout, Transport.ResponseHeaderTimeout:
//	a long operation                    a listing page or a batch delete of up to 1,000 objects
//	                                    while emptying a bucket)
//
// So a request to a server that accepts and never answers fails after two attempts, about
// 20 s, with "accepted the connection but did not answer within 10s": a plan against a
// silent server measured 20.2 s (`time bucketform plan` against a listener that accepts and
// never reads), an apply 30.3 s (it then spends up to 10 s trying to remove the lease its
// unanswered write may have stored). A MinIO restart is still ridden out: while it is down connections are
// refused at once and while it starts it answers 503 at once, so the 8 attempts spend their
// 8 to 16 s of backoff well inside the 30 s budget.

// RetryPolicy bounds the attempts of one request. A zero bound means no bound.
type RetryPolicy struct {
	// Attempts is the number of attempts, the first included.
	Attempts int
	// First is the delay before the second attempt; each further delay doubles, up to Max.
	// Every delay is drawn at random between half and all of its value, so that many clients
	// do not retry in step.
	First, Max time.Duration
	// AttemptTimeout bounds one attempt of a single-request call, so a server that accepts
	// connections and never answers cannot hold an apply.
	AttemptTimeout time.Duration
	// Timeouts is how many attempts of one request may time out (no connection, no TLS
	// handshake or no answer in time) before it gives up: a server that did not answer twice
	// is not answering, and more attempts would only multiply the wait.
	Timeouts int
	// Budget bounds the whole retry sequence of a single-request call: no attempt runs past
	// Budget after the first one started.
	Budget time.Duration
	// ResponseTimeout bounds the wait for the answer to each request of an operation made of
	// many requests (emptying a bucket: listing pages and batch deletes), which may take longer
	// than a metadata request. It is read when a Client is made.
	ResponseTimeout time.Duration
}

// Retry is the policy of every request; the package comment explains the figures. With these
// values a request survives an outage of roughly 8 to 16 seconds (a MinIO restart), fails
// after at most 8 attempts or 30 s, and gives up on a silent server after two attempts of 10 s.
var Retry = RetryPolicy{
	Attempts: 8, First: 250 * time.Millisecond, Max: 4 * time.Second,
	AttemptTimeout: 10 * time.Second, Timeouts: 2, Budget: 30 * time.Second,
	ResponseTimeout: time.Minute,
}

func init() {
	// madmin-go has no per-client option; bucketform's retries replace its own (see above).
	madmin.MaxRetry = 1
}

type noRetryKey struct{}

// WithoutRetry returns a context whose requests are attempted once: for callers that poll and
// back off themselves (the -wait readiness loop).
func WithoutRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

// RequestError is a request that failed: after Attempts attempts, when it was transient, or at
// once when it was not. Action names the permission the request needs (e.g.
// s3:PutBucketTagging), so that a denied request says what to grant.
type RequestError struct {
	Action   string
	Resource string // bucket or bucket/key
	Attempts int
	Elapsed  time.Duration
	Err      error
}

func (e *RequestError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("%v (gave up after %d attempts in %s)", e.Err, e.Attempts, e.Elapsed.Round(100*time.Millisecond))
	}
	return e.Err.Error()
}

func (e *RequestError) Unwrap() error { return e.Err }

// Propagation bounds the extra attempts of a request refused because something it names was
// written a moment before (a user, group, policy or service account) and has not reached the
// node that answered; see iam.go for which requests and codes. With these values it waits at
// most about 3.5 s in all. These attempts do not count against Retry.
var Propagation = RetryPolicy{Attempts: 8, First: 50 * time.Millisecond, Max: time.Second}

// call runs one request under the retry policy. action and resource say what the request
// needs permission for. single is true when f makes one request: then AttemptTimeout bounds
// each attempt and Budget the whole sequence.
func (c *Client) call(ctx context.Context, action, resource string, single bool, f func(ctx context.Context) error) error {
	return c.callWaiting(ctx, action, resource, single, nil, f)
}

// callWaiting is call that also retries, under Propagation, the errors for which notYet is true.
func (c *Client) callWaiting(ctx context.Context, action, resource string, single bool, notYet func(error) bool, f func(ctx context.Context) error) error {
	p, w := Retry, Propagation
	if ctx.Value(noRetryKey{}) != nil || p.Attempts < 1 {
		p.Attempts, w.Attempts = 1, 1
	}
	start := time.Now()
	var deadline time.Time // end of the budget; zero: none
	if single && p.Budget > 0 {
		deadline = start.Add(p.Budget)
	}
	delay, wait := p.First, w.First
	tries, waits, timeouts := 1, 1, 0
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if single && p.AttemptTimeout > 0 {
			limit := p.AttemptTimeout
			if !deadline.IsZero() {
				limit = min(limit, max(time.Until(deadline), time.Millisecond))
			}
			actx, cancel = context.WithTimeout(ctx, limit)
		}
		began := time.Now()
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		if noAnswer := c.noAnswer(ctx, err, time.Since(began)); noAnswer != nil {
			err = noAnswer
			timeouts++
		}
		var sleep time.Duration
		giveUp := false
		switch {
		case notYet != nil && ctx.Err() == nil && waits < w.Attempts && notYet(err):
			waits++
			sleep, wait = wait/2+rand.N(wait/2+1), min(wait*2, w.Max)
		case tries < p.Attempts && Transient(ctx, err) && (p.Timeouts == 0 || timeouts < p.Timeouts):
			tries++
			sleep, delay = delay/2+rand.N(delay/2+1), min(delay*2, p.Max)
			giveUp = !deadline.IsZero() && time.Now().Add(sleep).After(deadline)
		default:
			giveUp = true
		}
		if giveUp {
			if ctx.Err() != nil && attempt > 1 {
				err = fmt.Errorf("%w (interrupted while retrying: %v)", ctx.Err(), err)
			}
			return &RequestError{Action: action, Resource: resource, Attempts: attempt, Elapsed: time.Since(start), Err: err}
		}
		select {
		case <-ctx.Done():
			return &RequestError{Action: action, Resource: resource, Attempts: attempt, Elapsed: time.Since(start),
				Err: fmt.Errorf("%w (interrupted while retrying: %v)", ctx.Err(), err)}
		case <-time.After(sleep):
		}
	}
}

// NoAnswerError is an attempt that ran out of time: the server did not accept the connection,
// did not complete the TLS handshake, or accepted the connection and did not answer.
type NoAnswerError struct {
	// URL is the server's base URL, e.g. http://minio:9000.
	URL string
	// Stage is what did not happen in time: "connect", "handshake" or "answer".
	Stage string
	// After is how long the attempt waited.
	After time.Duration
	Err   error
}

// Error says what the server did not do, and within how long.
func (e *NoAnswerError) Error() string {
	after := e.After.Round(100 * time.Millisecond)
	switch e.Stage {
	case "connect":
		return fmt.Sprintf("%s did not accept a connection within %s", e.URL, after)
	case "handshake":
		return fmt.Sprintf("%s accepted the connection but did not complete the TLS handshake within %s", e.URL, after)
	}
	return fmt.Sprintf("%s accepted the connection but did not answer within %s", e.URL, after)
}

// Unwrap returns the transport's or the context's error.
func (e *NoAnswerError) Unwrap() error { return e.Err }

// noAnswer returns err as a *NoAnswerError when the attempt failed because it ran out of time
// (its own timeout, a deadline of ctx, or one of the transport's timeouts), and nil otherwise
// (also when ctx was cancelled: that is an interruption, not a silent server).
func (c *Client) noAnswer(ctx context.Context, err error, after time.Duration) *NoAnswerError {
	var already *NoAnswerError
	if errors.As(err, &already) || errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
		return nil
	}
	stage := "answer"
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		stage = "connect"
	case strings.Contains(err.Error(), "TLS handshake timeout"):
		stage = "handshake"
	}
	return &NoAnswerError{URL: c.BaseURL(), Stage: stage, After: after, Err: err}
}

// transientCodes are the error codes of a server that is starting, overloaded or briefly
// without quorum: the same request can succeed a moment later.
var transientCodes = map[string]bool{
	"SlowDown": true, "SlowDownRead": true, "SlowDownWrite": true, "ServerBusy": true,
	"XMinioServerNotInitialized": true, "XMinioIAMNotInitialized": true, "XMinioBucketMetadataNotInitialized": true,
	"XMinioAdminConfigNoQuorum": true, // read or write quorum lost: SlowDownRead / SlowDownWrite
	"RequestTimeout":            true, "InternalError": true, "ServiceUnavailable": true,
	"Throttling": true, "ThrottlingException": true, "RequestLimitExceeded": true, "RequestThrottled": true,
}

// transientStatus are the HTTP statuses that say "try again".
var transientStatus = map[int]bool{408: true, 429: true, 500: true, 502: true, 503: true, 504: true}

// Transient reports whether err may go away if the same request is sent again: network errors
// (refused or reset connections, timeouts, a connection closed mid-answer) and the server's
// "slow down", "not initialised" and 5xx answers. Answers that refuse the request itself
// (access denied, invalid argument, no such bucket ...) and TLS or protocol mismatches are
// not: repeating the request cannot change them. Nothing is transient once ctx is done.
func Transient(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if Misconfigured(err) {
		return false
	}
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return transientCodes[er.Code] || transientStatus[er.StatusCode]
	}
	var ae madmin.ErrorResponse
	if errors.As(err, &ae) {
		if refusedAsInternalError(ae) {
			return false
		}
		// madmin-go puts the HTTP status line in Code when the body is not an error document.
		return transientCodes[ae.Code] || strings.HasPrefix(ae.Code, "5") || strings.HasPrefix(ae.Code, "429") || strings.HasPrefix(ae.Code, "408")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // one attempt timed out; ctx itself is not done
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.As(err, &ne), errors.As(err, &ue):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// Misconfigured reports whether err comes from a setting that no retry or wait can fix: wrong
// credentials, a region the server does not accept, a TLS certificate that is not trusted, or
// http spoken to an https server (and the other way round).
func Misconfigured(err error) bool {
	switch Code(err) {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidRegion", "AuthorizationHeaderMalformed":
		return true
	}
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	var scheme *SchemeMismatchError
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &record), errors.As(err, &verify), errors.As(err, &scheme):
		return true
	}
	// The client's own transport turns these into a *SchemeMismatchError; the messages are
	// still recognised for errors that come from elsewhere.
	msg := err.Error()
	return strings.Contains(msg, "server gave HTTP response to HTTPS client") || strings.Contains(msg, "HTTP request to an HTTPS server")
}

// deniedHint says what to grant for a denied request.
func deniedHint(err error) string {
	if re := deniedRequest(err); re != nil {
		on := ""
		if re.Resource != "" {
			on = " on " + re.Resource
		}
		return fmt.Sprintf("the credentials lack %s%s: grant it (examples/kubernetes/bucketform-policy.json is the minimum policy bucketform needs)", re.Action, on)
	}
	return "the identity lacks a permission: examples/kubernetes/bucketform-policy.json is the minimum policy bucketform needs"
}

// hinted is an error with a hint for the user, added by Explain.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + " (" + h.hint + ")" }
func (h *hinted) Unwrap() error { return h.err }

// hintFor says what setting to fix for err, or "".
func hintFor(err error) string {
	switch Code(err) {
	case "InvalidAccessKeyId":
		return "the access key is unknown to the server: check access_key or MINIO_ACCESS_KEY"
	case "SignatureDoesNotMatch":
		return "the secret key is wrong: check secret_key or MINIO_SECRET_KEY"
	case CodeAccessDenied, "XMinioAdminAccessDenied":
		return deniedHint(err)
	case "AuthorizationHeaderMalformed", "InvalidRegion":
		return "the region does not match the server's: set region in the minio block"
	}
	var scheme *SchemeMismatchError
	if errors.As(err, &scheme) {
		return scheme.Hint()
	}
	var silent *NoAnswerError
	if errors.As(err, &silent) {
		if silent.Stage == "connect" {
			return "check the endpoint's host and port, and that nothing between drops the connection (a firewall, a NetworkPolicy)"
		}
		return "check that endpoint names MinIO's S3 API port, that MinIO is not hung on a drive, and that no proxy or port-forward in between has lost its backend"
	}
	var unknownAuthority x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownAuthority) || (errors.As(err, &verify) && errors.As(verify.Err, &unknownAuthority)) {
		return "set ca_file to the CA that signed the server's certificate"
	}
	var record tls.RecordHeaderError
	msg := err.Error()
	switch {
	case errors.As(err, &record), strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return "the server does not speak TLS: set secure = false, or use an http:// endpoint"
	case strings.Contains(msg, "HTTP request to an HTTPS server"):
		return "the server speaks TLS: set secure = true, or use an https:// endpoint"
	}
	return ""
}

// deniedRequest returns the first request in err's tree that names its action and was denied
// (or, failing that, names its action at all).
func deniedRequest(err error) *RequestError {
	var named, denied *RequestError
	var walk func(error)
	walk = func(e error) {
		if e == nil || denied != nil {
			return
		}
		if re, ok := e.(*RequestError); ok && re.Action != "" {
			if named == nil {
				named = re
			}
			if c := Code(re.Err); c == CodeAccessDenied || c == "XMinioAdminAccessDenied" {
				denied = re
				return
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	if denied != nil {
		return denied
	}
	return named
}
