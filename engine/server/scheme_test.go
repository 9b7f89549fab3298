package server_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/bucketform/bucketform/config/model"
	"github.com/bucketform/bucketform/engine/miniotest"
	"github.com/bucketform/bucketform/engine/server"
)

func targetFor(endpoint string, secure bool, caFile string) server.Target {
	return server.Target{Endpoint: endpoint, Secure: secure, CAFile: caFile, Region: "us-east-1",
		AccessKey: miniotest.AccessKey, SecretKey: miniotest.SecretKey, Parallelism: 4}
}

// checkMismatch checks that err is a scheme mismatch of the right direction, that no wait or
// retry would repeat it, and that its hint names the setting to change.
func checkMismatch(t *testing.T, what string, err error, serverTLS bool, hint string) {
	t.Helper()
	var m *server.SchemeMismatchError
	if !errors.As(err, &m) || m.ServerTLS != serverTLS {
		t.Errorf("%s: %v, want a SchemeMismatchError with ServerTLS %v", what, err, serverTLS)
		return
	}
	if !server.Misconfigured(err) || server.Transient(context.Background(), err) {
		t.Errorf("%s: misconfigured %v, transient %v; want a permanent error", what, server.Misconfigured(err), server.Transient(context.Background(), err))
	}
	if msg := server.Explain(err).Error(); !strings.Contains(msg, hint) {
		t.Errorf("%s: the error does not say %q: %s", what, hint, msg)
	}
	var re *server.RequestError
	if errors.As(err, &re) && re.Attempts != 1 {
		t.Errorf("%s: %d attempts, want 1", what, re.Attempts)
	}
}

// MinIO with TLS answers a plain http request with a bare 400 "Client sent an HTTP request to
// an HTTPS server." Health checks and S3 requests must both call that a scheme mismatch at
// the first attempt and say to set secure = true; -wait took it for a server still starting.
func TestTLSServerSpokenToInPlainHTTP(t *testing.T) {
	srv := miniotest.Start(t, miniotest.WithTLS(t.TempDir()))
	ctx := context.Background()

	right, err := server.New(targetFor(srv.Endpoint, true, srv.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := right.Healthy(ctx); err != nil {
		t.Fatalf("https with the server's CA: %v", err)
	}
	if err := right.MakeBucket(ctx, "tls-ok", false); err != nil {
		t.Fatalf("MakeBucket over https: %v", err)
	}

	plain, err := server.New(targetFor(srv.Endpoint, false, ""))
	if err != nil {
		t.Fatal(err)
	}
	const hint = "the server speaks TLS: set secure = true in the minio block, or use an https:// endpoint"
	checkMismatch(t, "Healthy", plain.Healthy(ctx), true, hint)
	_, _, _, err = plain.GetSmall(ctx, "bucketform-state", "stacks/s/index.json")
	checkMismatch(t, "GetSmall", err, true, hint)
	_, err = plain.ReadBucket(ctx, "tls-ok", only(model.AttrQuota))
	checkMismatch(t, "ReadBucket (admin)", err, true, hint)
	if err != nil && !strings.Contains(err.Error(), "Client sent an HTTP request to an HTTPS server") {
		t.Errorf("the error does not quote the server's answer: %v", err)
	}
}

// https spoken to a plain-http MinIO: the TLS handshake gets an HTTP answer.
func TestPlainServerSpokenToInHTTPS(t *testing.T) {
	srv := minioServer.Get(t)
	ctx := context.Background()
	c, err := server.New(targetFor(srv.Endpoint, true, ""))
	if err != nil {
		t.Fatal(err)
	}
	const hint = "the server does not speak TLS: set secure = false in the minio block, or use an http:// endpoint"
	checkMismatch(t, "Healthy", c.Healthy(ctx), false, hint)
	_, _, _, err = c.GetSmall(ctx, "bucketform-state", "stacks/s/index.json")
	checkMismatch(t, "GetSmall", err, false, hint)
	checkMismatch(t, "SetQuota (admin)", c.SetQuota(ctx, "no-such-bucket", 1<<20), false, hint)
}

// A TLS server that answers plain http with a TLS record (an alert) instead of an HTTP status
// line is a scheme mismatch too.
func TestTLSRecordAnswerToPlainHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				_, _ = conn.Read(buf)
				// alert record, TLS 1.2, length 2: fatal (2), protocol_version (70)
				_, _ = conn.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46})
			}()
		}
	}()
	c, err := server.New(targetFor(ln.Addr().String(), false, ""))
	if err != nil {
		t.Fatal(err)
	}
	checkMismatch(t, "Healthy", c.Healthy(context.Background()), true, "set secure = true")
	_, _, _, err = c.GetSmall(context.Background(), "bucketform-state", "k")
	checkMismatch(t, "GetSmall", err, true, "set secure = true")
}

// An S3 error answer with status 400 from a plain server passes through the scheme check
// untouched: it carries MinIO's request ID.
func TestS3BadRequestIsNotAMismatch(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	if err := c.MakeBucket(ctx, "bad-request", false); err != nil {
		t.Fatal(err)
	}
	err := c.SetLifecycle(ctx, "bad-request", []model.LifecycleRule{{ID: "no-action"}})
	var m *server.SchemeMismatchError
	if err == nil || errors.As(err, &m) || server.Code(err) == "" {
		t.Fatalf("lifecycle rule without an action: %v (code %q), want an S3 error answer", err, server.Code(err))
	}
	var er minio.ErrorResponse
	if !errors.As(err, &er) || er.StatusCode != 400 || er.RequestID == "" {
		t.Fatalf("lifecycle rule without an action: %#v, want a 400 answer from MinIO", err)
	}
}
