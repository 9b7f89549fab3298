package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// ErrConflict is returned by PutSmall when the object changed since it was read (compare-and-swap
// lost) or, for a create, when it already exists.
var ErrConflict = errors.New("the object was changed by someone else")

// GetSmall reads a small object in one request. found is false when the object or its bucket
// does not exist.
func (c *Client) GetSmall(ctx context.Context, bucket, key string) (data []byte, etag string, found bool, err error) {
	err = c.call(ctx, "s3:GetObject", bucket+"/"+key, true, func(ctx context.Context) error {
		data, etag, found, err = c.getSmall(ctx, bucket, key)
		return err
	})
	return data, etag, found, err
}

// getSmall is one attempt of GetSmall.
func (c *Client) getSmall(ctx context.Context, bucket, key string) (data []byte, etag string, found bool, err error) {
	body, info, _, err := c.core.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		// Code is "" for a network error: only the two codes below mean "not there".
		switch Code(err) {
		case CodeNoSuchKey, CodeNoSuchBucket:
			return nil, "", false, nil
		}
		return nil, "", false, err
	}
	defer body.Close()
	data, err = io.ReadAll(io.LimitReader(body, 16<<20))
	if err != nil {
		return nil, "", false, err
	}
	return data, info.ETag, true, nil
}

// PutSmall writes a small object with compare-and-swap: with ifMatch set it replaces the object
// only if its ETag is still ifMatch; with ifMatch empty it creates the object only if absent. It
// returns the new ETag, or ErrConflict when the condition failed.
//
// A conditional write is the one request that is not safe to repeat blindly: when an attempt
// reaches the server but its answer is lost (a reset connection, a server killed just after
// the write), the retry finds the condition failed by its own write. So when an attempt after
// the first meets PreconditionFailed, PutSmall reads the object back: if it holds exactly data,
// the earlier attempt succeeded and its ETag is returned. (Another writer cannot have written
// these bytes: every lease carries a random ID, and an index written byte for byte the same
// by someone else is the outcome this write wanted.)
func (c *Client) PutSmall(ctx context.Context, bucket, key string, data []byte, ifMatch string) (string, error) {
	return c.PutSmallMeta(ctx, bucket, key, data, ifMatch, nil)
}

// PutSmallMeta is PutSmall with user metadata (x-amz-meta-NAME: VALUE), which ListSmall returns.
func (c *Client) PutSmallMeta(ctx context.Context, bucket, key string, data []byte, ifMatch string, meta map[string]string) (string, error) {
	var etag string
	attempt := 0
	err := c.call(ctx, "s3:PutObject", bucket+"/"+key, true, func(ctx context.Context) error {
		attempt++
		opts := minio.PutObjectOptions{ContentType: "application/json", DisableMultipart: true, UserMetadata: meta}
		if ifMatch == "" {
			opts.SetMatchETagExcept("*")
		} else {
			opts.SetMatchETag(ifMatch)
		}
		info, err := c.s3.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), opts)
		if err == nil {
			etag = info.ETag
			return nil
		}
		if Code(err) != CodePreconditionFailed && minio.ToErrorResponse(err).StatusCode != http.StatusPreconditionFailed {
			return err
		}
		if attempt > 1 {
			cur, curETag, found, err := c.getSmall(ctx, bucket, key)
			if err != nil {
				return err
			}
			if found && bytes.Equal(cur, data) {
				etag = curETag
				return nil
			}
		}
		return ErrConflict
	})
	if errors.Is(err, ErrConflict) {
		return "", ErrConflict
	}
	return etag, err
}

// Listed is one object of a listing.
type Listed struct {
	Key  string
	ETag string
	// Meta holds the object's user metadata by lower-case name without the x-amz-meta-
	// prefix, when the server returns it in listings (MinIO does); nil otherwise.
	Meta map[string]string
}

// ListSmall lists every object under prefix with its user metadata (MinIO's listing
// extension), one request per thousand objects. A missing bucket lists nothing.
func (c *Client) ListSmall(ctx context.Context, bucket, prefix string) ([]Listed, error) {
	var out []Listed
	err := c.call(ctx, "s3:ListBucket", bucket, false, func(ctx context.Context) error {
		out = out[:0]
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for obj := range c.s3.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithMetadata: true}) {
			if obj.Err != nil {
				if Code(obj.Err) == CodeNoSuchBucket {
					out = nil
					return nil
				}
				return obj.Err
			}
			l := Listed{Key: obj.Key, ETag: obj.ETag}
			for k, v := range obj.UserMetadata {
				lk := strings.ToLower(k)
				if name, ok := strings.CutPrefix(lk, "x-amz-meta-"); ok {
					if l.Meta == nil {
						l.Meta = map[string]string{}
					}
					l.Meta[name] = v
				}
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// DeleteSmall deletes an object; a missing object is not an error.
func (c *Client) DeleteSmall(ctx context.Context, bucket, key string) error {
	err := c.call(ctx, "s3:DeleteObject", bucket+"/"+key, true, func(ctx context.Context) error {
		return c.s3.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{})
	})
	if Code(err) == CodeNoSuchKey || Code(err) == CodeNoSuchBucket {
		return nil
	}
	return err
}

// EnsureBucket creates bucket unless it exists.
func (c *Client) EnsureBucket(ctx context.Context, bucket string) error {
	if err := c.MakeBucket(ctx, bucket, false); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

// Healthy asks /minio/health/cluster, which answers 200 only once the object layer and IAM are
// initialised and write quorum is met (/minio/health/live and /ready answer earlier). It needs
// no credentials. A server that speaks the other scheme (https spoken to in http, or the
// reverse) fails with a *SchemeMismatchError, and one that does not answer before ctx's
// deadline with a *NoAnswerError.
func (c *Client) Healthy(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL()+"/minio/health/cluster", nil)
	if err != nil {
		return err
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if silent := c.noAnswer(ctx, err, time.Since(start)); silent != nil {
			return silent
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/minio/health/cluster answered %s", c.BaseURL(), resp.Status)
	}
	return nil
}
