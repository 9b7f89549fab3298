package presign_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bucketform/bucketform/config"
	"github.com/bucketform/bucketform/engine/presign"
)

// BenchmarkSign10000 signs 10,000 distinct PUT URLs for a public host through Signer.Sign:
// one op is all 10,000. Pure CPU: the deployment's address is unresolvable.
//
//	go test -run '^$' -bench 'Sign10000|Load10000' -benchmem ./engine/presign
func BenchmarkSign10000(b *testing.B) {
	dep := deployment("bucketform-unresolvable.invalid:9000")
	ep := &config.SigningEndpoint{Name: "public", Deployment: "main", Endpoint: "files.example.com", Secure: true, Creds: uploadCreds}
	reqs := make([]config.PresignRequest, 10000)
	for i := range reqs {
		reqs[i] = request(config.Presign{Method: "PUT", Key: fmt.Sprintf("runs/%05d/output.tar.gz", i), Expires: 24 * time.Hour}, dep, ep)
	}
	s := presign.NewSigner()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, req := range reqs {
			if _, err := s.Sign(req); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/url")
	reportCPU(b, cpu)
}

// cpuTime is the CPU time (user + system, all threads, GC included) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start: on a busy machine the wall time (ns/op)
// also counts the time other processes had the CPU.
func reportCPU(b *testing.B, start time.Duration) {
	if used := cpuTime() - start; start > 0 && used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkLoad10000 is what `bucketform output` does for a presign block with a 10,000-key
// for_each: config.Load of the configuration, signing every instance through the Signer.
func BenchmarkLoad10000(b *testing.B) {
	dir := b.TempDir()
	src := `bucketform {
  stack = "bench"
}
minio "main" {
  endpoint = "bucketform-unresolvable.invalid:9000"
}
signing_endpoint "public" {
  endpoint = "https://files.example.com"
}
bucket "data" {}
presign "upload" {
  # range() yields at most 1024 values, as in Terraform: 100 × 100 keys.
  for_each = toset(flatten([for i in range(100) : [for j in range(100) : format("%03d%02d", i, j)]]))
  bucket   = bucket.data
  key      = "runs/${each.key}/output.tar.gz"
  method   = "PUT"
  expires  = "24h"
  endpoint = signing_endpoint.public
}
output "urls" {
  value     = { for k, p in presign.upload : k => p.url }
  sensitive = true
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o600); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"MINIO_ACCESS_KEY": "root-key", "MINIO_SECRET_KEY": "root-secret-key"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	// "unsigned" is the same Load without a signer (what plan does): the difference is the
	// cost of signing.
	for _, signed := range []bool{false, true} {
		name := map[bool]string{false: "unsigned", true: "signed"}[signed]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			defer reportCPU(b, cpu)
			for b.Loop() {
				opts := config.Options{LookupEnv: lookup}
				if signed {
					opts.Presign = presign.NewSigner().Sign
				}
				cfg, diags := config.Load(dir, opts)
				if diags.HasErrors() {
					b.Fatal(diags)
				}
				urls := cfg.Outputs[0].Value
				if n := urls.LengthInt(); n != 10000 {
					b.Fatalf("%d URLs", n)
				}
				u := urls.GetAttr("00042")
				if signed && !strings.HasPrefix(u.AsString(), "https://files.example.com/data/runs/00042/output.tar.gz?") {
					b.Fatalf("URL %s", u.AsString())
				}
			}
		})
	}
}
