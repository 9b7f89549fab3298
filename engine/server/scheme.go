package server

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// SchemeMismatchError says that bucketform and the server disagree about TLS: plain http was
// spoken to a server that speaks https (ServerTLS), or https to a server that speaks plain
// http. No retry or wait can fix it; the secure setting (or the endpoint's scheme) must change.
type SchemeMismatchError struct {
	// URL is the URL bucketform used, e.g. http://minio:9000.
	URL string
	// ServerTLS is true when the server speaks TLS and was spoken to in plain http.
	ServerTLS bool
	// Answer is what the server sent that gave it away, for the message.
	Answer string
}

// Error says which side speaks what, and how the server gave it away. It does not repeat the
// URL: the error always comes wrapped in the *url.Error of the request, which names it.
func (e *SchemeMismatchError) Error() string {
	if e.ServerTLS {
		return fmt.Sprintf("the server speaks https but was spoken to in plain http (it answered %s)", e.Answer)
	}
	return fmt.Sprintf("the server does not speak https but was spoken to in https (it answered %s)", e.Answer)
}

// Hint says which setting to change.
func (e *SchemeMismatchError) Hint() string {
	if e.ServerTLS {
		return "the server speaks TLS: set secure = true in the minio block, or use an https:// endpoint"
	}
	return "the server does not speak TLS: set secure = false in the minio block, or use an http:// endpoint"
}

// tlsPlainPhrases are what servers with TLS answer to a plain http request: Go's net/http
// (MinIO), nginx, Apache.
var tlsPlainPhrases = []string{
	"Client sent an HTTP request to an HTTPS server",
	"The plain HTTP request was sent to HTTPS port",
	"speaking plain HTTP to an SSL-enabled server port",
}

// schemeCheck is the RoundTripper of every client: it turns the ways a server shows that it
// speaks the other scheme into a *SchemeMismatchError, at the first request, for S3, admin and
// health requests alike. Without it, a TLS server spoken to in plain http is just "400 Bad
// Request", which -wait took for a server still starting.
type schemeCheck struct {
	base   http.RoundTripper
	url    string
	secure bool
}

func (s *schemeCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	if err != nil {
		if m := s.mismatch(err); m != nil {
			return nil, m
		}
		return nil, err
	}
	// A TLS server's answer to plain http is a bare 400 without MinIO's request ID; an S3 400
	// (InvalidArgument and the like) always carries one, and passes unread.
	if s.secure || resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amz-Request-Id") != "" {
		return resp, nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	for _, phrase := range tlsPlainPhrases {
		if bytes.Contains(head, []byte(phrase)) {
			resp.Body.Close()
			return nil, &SchemeMismatchError{URL: s.url, ServerTLS: true,
				Answer: fmt.Sprintf("%s %q", resp.Status, strings.TrimSpace(string(head)))}
		}
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return resp, nil
}

// mismatch recognises a transport error that comes from the other scheme: over https, a
// first record that is not TLS (an HTTP answer, typically); over http, an answer that is a
// TLS record (an alert or a handshake) instead of a status line.
func (s *schemeCheck) mismatch(err error) *SchemeMismatchError {
	if s.secure {
		var rec tls.RecordHeaderError
		if !errors.As(err, &rec) {
			return nil
		}
		if string(rec.RecordHeader[:]) == "HTTP/" {
			return &SchemeMismatchError{URL: s.url, Answer: "in plain HTTP to the TLS handshake"}
		}
		return &SchemeMismatchError{URL: s.url, Answer: fmt.Sprintf("%q to the TLS handshake, which is not TLS", rec.RecordHeader[:])}
	}
	// net/http: `malformed HTTP response "\x15\x03\x01\x00\x02\x02("`: a TLS alert (0x15) or
	// handshake (0x16) record of TLS 1.0 to 1.3 (0x03 0x01..0x04).
	msg := err.Error()
	const malformed = `malformed HTTP response "`
	i := strings.Index(msg, malformed)
	if i < 0 {
		return nil
	}
	rest := msg[i+len(malformed):]
	if strings.HasPrefix(rest, `\x15\x03`) || strings.HasPrefix(rest, `\x16\x03`) {
		return &SchemeMismatchError{URL: s.url, ServerTLS: true, Answer: "with a TLS record instead of an HTTP status line"}
	}
	return nil
}
