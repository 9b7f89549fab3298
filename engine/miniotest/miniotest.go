// Package miniotest starts real MinIO server processes for tests: each on a free loopback port
// with a temporary data directory, stopped when the test ends. It also runs the pinned `mc`
// client against them, so tests can check the server with a tool other than bucketform.
//
// The binaries come from scripts/install-tools.sh (.tools/bin at the module root), or from the
// BUCKETFORM_MINIO and BUCKETFORM_MC environment variables. When a binary is missing the test is
// skipped, except when CI is set: then it fails, because a skipped integration test proves nothing.
package miniotest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/madmin-go/v3"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Root credentials of every test server. They are test-only values.
const (
	AccessKey = "bucketform-test"
	SecretKey = "bucketform-test-secret"
)

// Server is a MinIO server process started for tests.
type Server struct {
	// Endpoint is host:port of the S3 API on 127.0.0.1.
	Endpoint string
	// Dir is the server's data directory.
	Dir string
	// Env holds extra environment variables (NAME=VALUE) the server was started with.
	Env []string
	// CAFile is the PEM certificate clients must trust when the server was started WithTLS,
	// and "" when it speaks plain http.
	CAFile string

	certsDir string

	bin  string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *bytes.Buffer
}

// Option changes how a server is started.
type Option func(*Server)

// WithEnv starts the server with extra environment variables, e.g. "MINIO_SITE_REGION=eu-1".
func WithEnv(kv ...string) Option { return func(s *Server) { s.Env = append(s.Env, kv...) } }

// WithTLS starts the server with TLS only: a throw-away self-signed certificate for 127.0.0.1,
// made at the first start, in certsDir (MinIO's --certs-dir; the caller removes it, e.g. a
// t.TempDir()). CAFile names the certificate for clients to trust; URL, WaitReady, Client,
// Admin and MC speak https.
func WithTLS(certsDir string) Option {
	return func(s *Server) {
		s.certsDir = certsDir
		s.CAFile = filepath.Join(certsDir, "public.crt")
	}
}

// Start starts a MinIO server for t and stops it when t ends. It waits until the server answers
// /minio/health/cluster.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := New(t, opts...)
	if err := s.Start(); err != nil {
		t.Fatalf("start minio: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// New prepares a server on a free port without starting it (for tests of waiting on a server
// that comes up later). Call Start to start it; Stop is registered as a cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin := Binary(t, "minio")
	s := &Server{bin: bin, Dir: t.TempDir(), port: FreePort(t), log: &bytes.Buffer{}}
	s.Endpoint = "127.0.0.1:" + strconv.Itoa(s.port)
	for _, o := range opts {
		o(s)
	}
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server process and waits for it to be ready, at most one minute.
func (s *Server) Start() error {
	if err := s.StartNoWait(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.WaitReady(ctx)
}

// StartNoWait starts the server process and returns at once.
func (s *Server) StartNoWait() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("server already running")
	}
	args := []string{"server", "--quiet", "--address", s.Endpoint}
	if s.certsDir != "" {
		if err := selfSignedCert(s.certsDir); err != nil {
			return err
		}
		args = append(args, "--certs-dir", s.certsDir)
	}
	cmd := exec.Command(s.bin, append(args, s.Dir)...)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+AccessKey,
		"MINIO_ROOT_PASSWORD="+SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Env = append(cmd.Env, s.Env...)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	return nil
}

// WaitReady polls /minio/health/cluster until it answers 200 or ctx ends.
func (s *Server) WaitReady(ctx context.Context) error {
	url := s.URL() + "/minio/health/cluster"
	client, err := s.httpClient()
	if err != nil {
		return err
	}
	for {
		s.mu.Lock()
		done := s.done
		s.mu.Unlock()
		select {
		case <-done:
			return fmt.Errorf("minio exited during start-up:\n%s", s.log.String())
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("minio not ready at %s: %w\n%s", url, ctx.Err(), s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Pid returns the id of the server's process, 0 when it is not running (the benchmark reads
// the server's CPU time from it).
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop terminates the server and waits for it to exit. It is safe to call more than once.
func (s *Server) Stop() { s.stop(syscall.SIGTERM) }

// Kill kills the server at once, as a crash or an OOM kill would.
func (s *Server) Kill() { s.stop(syscall.SIGKILL) }

func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Restart stops and starts the server on the same port and data directory.
func (s *Server) Restart() error {
	s.Stop()
	return s.Start()
}

// URL returns the server's base URL: https:// when it was started WithTLS.
func (s *Server) URL() string {
	if s.CAFile != "" {
		return "https://" + s.Endpoint
	}
	return "http://" + s.Endpoint
}

// transport returns nil (the default transport) for a plain server, and a transport that
// trusts CAFile for a TLS one.
func (s *Server) transport() (*http.Transport, error) {
	if s.CAFile == "" {
		return nil, nil
	}
	cert, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read the test server's certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cert) {
		return nil, fmt.Errorf("%s holds no PEM certificate", s.CAFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return tr, nil
}

func (s *Server) httpClient() (*http.Client, error) {
	tr, err := s.transport()
	if err != nil || tr == nil {
		return http.DefaultClient, err
	}
	return &http.Client{Transport: tr}, nil
}

// roundTripper is transport as an http.RoundTripper that is nil for a plain server (a typed
// nil would not be).
func (s *Server) roundTripper(t testing.TB) http.RoundTripper {
	t.Helper()
	tr, err := s.transport()
	if err != nil {
		t.Fatal(err)
	}
	if tr == nil {
		return nil
	}
	return tr
}

// Client returns a minio-go client with root credentials.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(s.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Region:    "us-east-1",
		Secure:    s.CAFile != "",
		Transport: s.roundTripper(t),
	})
	if err != nil {
		t.Fatalf("minio client: %v", err)
	}
	return c
}

// Admin returns a madmin-go client with root credentials.
func (s *Server) Admin(t testing.TB) *madmin.AdminClient {
	t.Helper()
	c, err := madmin.NewWithOptions(s.Endpoint, &madmin.Options{
		Creds:     credentials.NewStaticV4(AccessKey, SecretKey, ""),
		Secure:    s.CAFile != "",
		Transport: s.roundTripper(t),
	})
	if err != nil {
		t.Fatalf("madmin client: %v", err)
	}
	return c
}

// MC runs the pinned mc client with the alias "test" pointing at this server, fails t if mc
// fails, and returns its standard output.
func (s *Server) MC(t testing.TB, args ...string) string {
	t.Helper()
	out, err := s.TryMC(t, args...)
	if err != nil {
		t.Fatalf("mc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TryMC is MC that returns mc's error instead of failing the test.
func (s *Server) TryMC(t testing.TB, args ...string) (string, error) {
	t.Helper()
	configDir := filepath.Join(s.Dir, ".mc")
	if s.CAFile != "" { // mc trusts the CAs in its config directory's certs/CAs
		cert, err := os.ReadFile(s.CAFile)
		if err == nil {
			err = os.MkdirAll(filepath.Join(configDir, "certs", "CAs"), 0o700)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(configDir, "certs", "CAs", "public.crt"), cert, 0o600)
		}
		if err != nil {
			return "", fmt.Errorf("give mc the test server's certificate: %w", err)
		}
	}
	cmd := exec.Command(Binary(t, "mc"), append([]string{"--no-color", "--config-dir", configDir}, args...)...)
	scheme, _, _ := strings.Cut(s.URL(), "://")
	cmd.Env = append(os.Environ(), "MC_HOST_test="+scheme+"://"+AccessKey+":"+SecretKey+"@"+s.Endpoint)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// CredentialsEnv returns the environment a bucketform process needs to reach the server as root:
// MINIO_ACCESS_KEY and MINIO_SECRET_KEY.
func (s *Server) CredentialsEnv() []string {
	return []string{"MINIO_ACCESS_KEY=" + AccessKey, "MINIO_SECRET_KEY=" + SecretKey}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// Binary returns the path of a pinned tool ("minio" or "mc"). It skips t when the tool is
// missing, or fails t when the CI environment variable is set.
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := FindBinary(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI is set, so this is a failure, not a skip)", err)
		}
		t.Skipf("%v", err)
	}
	return path
}

// FindBinary locates a pinned tool: $BUCKETFORM_MINIO / $BUCKETFORM_MC, then .tools/bin at the
// module root, then $PATH.
func FindBinary(name string) (string, error) {
	if p := os.Getenv("BUCKETFORM_" + strings.ToUpper(name)); p != "" {
		return p, nil
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				p := filepath.Join(dir, ".tools", "bin", name)
				if _, err := os.Stat(p); err == nil {
					return p, nil
				}
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found: run scripts/install-tools.sh (or set BUCKETFORM_%s)", name, strings.ToUpper(name))
}

// Shared is one server shared by every test of a package, started by the first test that needs
// it and stopped when the package's tests end. Use it from TestMain:
//
//	var minioServer miniotest.Shared
//	func TestMain(m *testing.M) { os.Exit(minioServer.Run(m)) }
//
// and call minioServer.Get(t) in each test that needs it.
type Shared struct {
	once sync.Once
	srv  *Server
	dir  string
	err  error
	Opts []Option
}

// Get returns the shared server, starting it on first use. It skips or fails t as Binary does
// when MinIO is not installed, and fails t when the server does not start.
func (sh *Shared) Get(t testing.TB) *Server {
	t.Helper()
	Binary(t, "minio") // skip or fail as for any test when MinIO is not installed
	sh.once.Do(func() {
		sh.dir, sh.err = os.MkdirTemp("", "bucketform-minio-")
		if sh.err != nil {
			return
		}
		sh.srv, sh.err = Launch(sh.dir, sh.Opts...)
	})
	if sh.err != nil {
		t.Fatalf("start shared minio: %v", sh.err)
	}
	return sh.srv
}

// Run runs the tests and then stops the server and removes its data.
func (sh *Shared) Run(m *testing.M) int {
	code := m.Run()
	if sh.srv != nil {
		sh.srv.Stop()
	}
	if sh.dir != "" {
		os.RemoveAll(sh.dir)
	}
	return code
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Launch starts a server in dir (which it does not remove) on a free port, outside any test's
// lifetime: the caller stops it. For harnesses such as testscript that have no testing.TB.
func Launch(dir string, opts ...Option) (*Server, error) {
	s, err := Prepare(dir, opts...)
	if err != nil {
		return nil, err
	}
	return s, s.Start()
}

// Prepare is Launch without starting the server: call Start (or StartNoWait) later.
func Prepare(dir string, opts ...Option) (*Server, error) {
	bin, err := FindBinary("minio")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, Dir: dir, port: port, log: &bytes.Buffer{}}
	s.Endpoint = "127.0.0.1:" + strconv.Itoa(port)
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Log returns what the server printed.
func (s *Server) Log() string { return s.log.String() }

// AddUser creates a user with exactly the policy document policyJSON (named policyName). A
// policy just added is not always attachable at once on a busy server (IAM changes propagate
// asynchronously), so attaching is retried for up to five seconds.
func (s *Server) AddUser(t testing.TB, accessKey, secretKey, policyName string, policyJSON []byte) {
	t.Helper()
	ctx := context.Background()
	adm := s.Admin(t)
	if err := adm.AddCannedPolicy(ctx, policyName, policyJSON); err != nil {
		t.Fatalf("add policy %s: %v", policyName, err)
	}
	if err := adm.AddUser(ctx, accessKey, secretKey); err != nil {
		t.Fatalf("add user %s: %v", accessKey, err)
	}
	for attempt := 0; ; attempt++ {
		_, err := adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{policyName}, User: accessKey})
		if err == nil {
			return
		}
		if attempt == 50 {
			t.Fatalf("attach policy %s to %s: %v", policyName, accessKey, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// selfSignedCert writes public.crt and private.key for 127.0.0.1 and localhost into dir, unless
// they are there already (a restart keeps its certificate).
func selfSignedCert(dir string) error {
	crtPath, keyPath := filepath.Join(dir, "public.crt"), filepath.Join(dir, "private.key")
	if _, err := os.Stat(crtPath); err == nil {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("make a test certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "bucketform test MinIO"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("make a test certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("make a test certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make the certs directory: %w", err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("write the test key: %w", err)
	}
	if err := os.WriteFile(crtPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("write the test certificate: %w", err)
	}
	return nil
}
