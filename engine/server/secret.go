package server

import (
	"context"
	"errors"
	"strings"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// SecretState is what the server's answer to a request signed with a declared key pair says
// about the declared secret.
type SecretState int

// The answers of CheckSecret.
const (
	// SecretMatches: the server accepted the signature (the request succeeded, or was refused
	// for lack of permission or for a missing bucket, which the server checks only after the
	// signature).
	SecretMatches SecretState = iota + 1
	// SecretDiffers: SignatureDoesNotMatch. The access key exists and is enabled, and its
	// secret is not the declared one.
	SecretDiffers
	// SecretKeyUnknown: InvalidAccessKeyId, "does not exist". No user, service account or root
	// user has this access key.
	SecretKeyUnknown
	// SecretKeyDisabled: InvalidAccessKeyId, "Your account is disabled". The access key is a
	// disabled user's or disabled service account's; the server refuses it whatever the
	// secret, so the secret cannot be checked. (A service account of a disabled user is not
	// disabled itself: its secret is checked as usual.) The two InvalidAccessKeyId answers are
	// told apart by their message; were the message to change, a disabled key would read as
	// SecretKeyUnknown, which says the same to a caller: the secret is unknown.
	SecretKeyDisabled
)

// String names the state for messages.
func (s SecretState) String() string {
	switch s {
	case SecretMatches:
		return "matches"
	case SecretDiffers:
		return "differs"
	case SecretKeyUnknown:
		return "unknown access key"
	case SecretKeyDisabled:
		return "disabled access key"
	}
	return "unchecked"
}

// secretProbeBucket is the bucket whose policy CheckSecret asks for. Any name does: the server
// checks the signature first, then the permission, then that the bucket exists. It need not
// exist, and usually does not.
const secretProbeBucket = "bucketform-secret-check"

// CheckSecret tells whether secretKey is accessKey's secret without reading any secret: it
// signs one harmless request with the pair (GetBucketPolicy of a bucket that usually does not
// exist: a small answer whatever the identity may list) and classifies the answer. Success,
// AccessDenied and NoSuchBucket mean the secret matches. The request needs no permission.
//
// The secret never appears in an error (errors of this path are scrubbed of it, see scrub),
// and nothing here logs. Existence of the identity is for ReadUsers and ReadServiceAccounts to
// say, not for this probe: an unknown and a disabled key answer alike but for the message.
func (c *Client) CheckSecret(ctx context.Context, accessKey, secretKey string) (SecretState, error) {
	region := c.target.Region
	if region == "" {
		region = "us-east-1" // a known region: no location request before the probe
	}
	probe, err := minio.New(c.target.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(accessKey, secretKey, ""),
		Secure:     c.target.Secure,
		Region:     region,
		Transport:  c.http.Transport,
		MaxRetries: 1,
	})
	if err != nil {
		return 0, scrub(err, secretKey)
	}
	err = c.call(ctx, "", accessKey, true, func(ctx context.Context) error {
		_, err := probe.GetBucketPolicy(ctx, secretProbeBucket)
		return err
	})
	if err == nil {
		return SecretMatches, nil
	}
	switch Code(err) {
	case CodeAccessDenied, CodeNoSuchBucket:
		return SecretMatches, nil
	case "SignatureDoesNotMatch":
		return SecretDiffers, nil
	case "InvalidAccessKeyId":
		var me minio.ErrorResponse
		if errors.As(err, &me) && strings.Contains(strings.ToLower(me.Message), "disabled") {
			return SecretKeyDisabled, nil
		}
		return SecretKeyUnknown, nil
	}
	return 0, scrub(err, secretKey)
}

// redacted replaces a secret in scrubbed errors.
const redacted = "(sensitive)"

// scrub returns err with every occurrence of secret replaced, in its message and in every
// field of the server's error answer; nil stays nil. The result keeps what callers act on: the
// RequestError (action, attempts), the server's error code (Code), context cancellation and
// ErrUserDisabled (errors.Is). It drops the rest of the chain, which could hold the secret
// where no message shows it. Errors of requests that carry a secret (creating a user or a
// service account, changing a secret, checking one) go through it.
func scrub(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	clean := func(s string) string { return strings.ReplaceAll(s, secret, redacted) }
	var re *RequestError
	if errors.As(err, &re) {
		// Keep the request's identity for hints (Explain); the message is the scrubbed one.
		inner := &RequestError{Action: re.Action, Resource: clean(re.Resource), Attempts: re.Attempts, Elapsed: re.Elapsed, Err: scrubLeaf(re.Err, clean)}
		return &scrubbed{msg: clean(err.Error()), leaf: inner}
	}
	return scrubLeaf(err, clean)
}

// scrubLeaf is scrub below the RequestError: the server's answer, or a sentinel error.
func scrubLeaf(err error, clean func(string) string) error {
	var leaf error
	var me minio.ErrorResponse
	var ae madmin.ErrorResponse
	switch {
	case errors.As(err, &me):
		me.Code, me.Message, me.BucketName, me.Key, me.Resource = clean(me.Code), clean(me.Message), clean(me.BucketName), clean(me.Key), clean(me.Resource)
		me.RequestID, me.HostID, me.Region, me.Server = clean(me.RequestID), clean(me.HostID), clean(me.Region), clean(me.Server)
		leaf = me
	case errors.As(err, &ae):
		ae.Code, ae.Message, ae.BucketName, ae.Key = clean(ae.Code), clean(ae.Message), clean(ae.BucketName), clean(ae.Key)
		ae.RequestID, ae.HostID, ae.Region = clean(ae.RequestID), clean(ae.HostID), clean(ae.Region)
		leaf = ae
	default:
		for _, sentinel := range []error{context.Canceled, context.DeadlineExceeded, ErrUserDisabled} {
			if errors.Is(err, sentinel) {
				leaf = sentinel
			}
		}
	}
	return &scrubbed{msg: clean(err.Error()), leaf: leaf}
}

// scrubbed is an error whose message had a secret removed. It unwraps to what scrub kept.
type scrubbed struct {
	msg  string
	leaf error
}

// Error returns the scrubbed message.
func (e *scrubbed) Error() string { return e.msg }

// Unwrap returns what scrub kept of the original error.
func (e *scrubbed) Unwrap() error { return e.leaf }
