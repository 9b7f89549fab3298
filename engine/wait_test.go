package engine_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine"
	"github.com/bucketform/bucketform/engine/miniotest"
)

// engineFor loads a one-deployment configuration whose minio block holds minioBody.
func engineFor(t *testing.T, minioBody string) *engine.Engine {
	t.Helper()
	dir := t.TempDir()
	hcl := "bucketform {\n  stack = \"wait\"\n}\nminio \"main\" {\n" + minioBody + "\n}\nbucket \"b\" {\n  name = \"wait-b\"\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MINIO_ACCESS_KEY": miniotest.AccessKey, "MINIO_SECRET_KEY": miniotest.SecretKey}
	cfg, diags := config.Load(dir, config.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	e, err := engine.New(cfg, engine.Options{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// waitOnce runs a -wait of two minutes and requires it to end at the first attempt with an
// error that says every one of want.
func waitOnce(t *testing.T, e *engine.Engine, want ...string) {
	t.Helper()
	var mu sync.Mutex
	var attempts []engine.WaitAttempt
	start := time.Now()
	err := e.Wait(context.Background(), 2*time.Minute, func(a engine.WaitAttempt) {
		mu.Lock()
		attempts = append(attempts, a)
		mu.Unlock()
	})
	took := time.Since(start)
	if err == nil {
		t.Fatal("the wait succeeded")
	}
	if len(attempts) != 1 || took > 10*time.Second {
		t.Errorf("the wait made %d attempts in %s, want it to stop at the first", len(attempts), took.Round(100*time.Millisecond))
	}
	for _, w := range append(want, "(waiting cannot fix this)") {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q: %v", w, err)
		}
	}
}

// docs/failures.md, "Waiting for MinIO": http spoken to https ends the wait at the first attempt and says
// which setting to fix. A TLS MinIO answers plain http with 400 Bad Request, which the wait
// took for a server still starting and retried for the whole -wait.
func TestWaitStopsAtHTTPToTLSServer(t *testing.T) {
	srv := miniotest.Start(t, miniotest.WithTLS(t.TempDir()))
	waitOnce(t, engineFor(t, `endpoint = "`+srv.Endpoint+`"`), "speaks https but was spoken to in plain http", "set secure = true")
	waitOnce(t, engineFor(t, `endpoint = "http://`+srv.Endpoint+`"`), "set secure = true", "https:// endpoint")
	// With the scheme right, the same server is ready at once.
	e := engineFor(t, `endpoint = "https://`+srv.Endpoint+`"`+"\n  ca_file = \""+srv.CAFile+`"`)
	if err := e.Wait(context.Background(), 30*time.Second, nil); err != nil {
		t.Fatalf("https with ca_file: %v", err)
	}
}

// And the reverse: https spoken to a plain-http MinIO.
func TestWaitStopsAtHTTPSToPlainServer(t *testing.T) {
	srv := miniotest.Start(t)
	waitOnce(t, engineFor(t, `endpoint = "`+srv.Endpoint+`"`+"\n  secure = true"), "does not speak https", "set secure = false")
	waitOnce(t, engineFor(t, `endpoint = "https://`+srv.Endpoint+`"`), "set secure = false", "http:// endpoint")
}

// A plan against a server that accepts connections and never answers fails well within a
// minute (it took 4 min 12 s), saying which endpoint did not answer within how long.
func TestPlanAgainstSilentServerFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	e := engineFor(t, `endpoint = "`+ln.Addr().String()+`"`)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = e.Refresh(ctx)
	took := time.Since(start)
	if err == nil {
		t.Fatal("refresh of a silent server succeeded")
	}
	if took > 30*time.Second {
		t.Errorf("the plan's refresh took %s against a silent server, want under 30 s", took.Round(100*time.Millisecond))
	}
	for _, want := range []string{"http://" + ln.Addr().String() + " accepted the connection but did not answer within 10s", "gave up after 2 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	t.Logf("refresh failed after %s: %v", took.Round(100*time.Millisecond), err)
}
