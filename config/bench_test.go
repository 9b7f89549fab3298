package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeForEachConfig writes a configuration with one bucket block whose for_each has n keys.
func writeForEachConfig(tb testing.TB, dir string, n int) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(benchHeader)
	b.WriteString("locals {\n  tenants = {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    t%05d = { team = \"team-%d\", quota = \"%dGiB\" }\n", i, i%7, 1+i%50)
	}
	b.WriteString("  }\n}\n\n")
	b.WriteString(`bucket "tenant" {
  for_each   = local.tenants
  name       = "tenant-${each.key}"
  anonymous  = "none"
  versioning = "enabled"
  quota      = each.value.quota
  tags       = { team = each.value.team, tenant = each.key }

  lifecycle_rule {
    id              = "expire-tmp"
    prefix          = "tmp/"
    expiration_days = 7
  }
}

presign "upload" {
  for_each = bucket.tenant
  bucket   = each.value
  key      = "incoming/${each.key}.tar.gz"
  method   = "PUT"
  expires  = "1h"
}

output "buckets" {
  value = [for k, b in bucket.tenant : b.arn]
}
`)
	writeFile(tb, filepath.Join(dir, "main.hcl"), b.String())
}

// writeLiteralConfig writes a configuration with n bucket blocks, spread over files of 1000.
func writeLiteralConfig(tb testing.TB, dir string, n int) {
	tb.Helper()
	writeFile(tb, filepath.Join(dir, "main.hcl"), benchHeader)
	for f := 0; f*1000 < n; f++ {
		var b strings.Builder
		for i := f * 1000; i < min(n, (f+1)*1000); i++ {
			fmt.Fprintf(&b, `bucket "b%05d" {
  name       = "bucket-%05d"
  anonymous  = "download"
  versioning = "enabled"
  quota      = "%dGiB"
  tags       = { team = "team-%d", index = "%d" }

  lifecycle_rule {
    id              = "expire-tmp"
    prefix          = "tmp/"
    expiration_days = 7
  }
}

`, i, i, 1+i%50, i%7, i)
		}
		writeFile(tb, filepath.Join(dir, fmt.Sprintf("buckets-%02d.hcl", f)), b.String())
	}
}

const benchHeader = `bucketform {
  stack = "bench"
}

minio "main" {
  endpoint   = "minio:9000"
  access_key = "bench"
  secret_key = "bench-secret"
}

`

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// writeLeanForEachConfig writes one bucket block whose for_each is a set of n names.
func writeLeanForEachConfig(tb testing.TB, dir string, n int) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(benchHeader)
	b.WriteString("locals {\n  tenants = [\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    \"t%05d\",\n", i)
	}
	b.WriteString("  ]\n}\n\nbucket \"tenant\" {\n  for_each   = toset(local.tenants)\n  name       = \"tenant-${each.key}\"\n  versioning = \"enabled\"\n}\n")
	writeFile(tb, filepath.Join(dir, "main.hcl"), b.String())
}

// writeLeanLiteralConfig writes n small bucket blocks into one file.
func writeLeanLiteralConfig(tb testing.TB, dir string, n int) {
	tb.Helper()
	var b strings.Builder
	b.WriteString(benchHeader)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "bucket \"b%05d\" {\n  name       = \"bucket-%05d\"\n  versioning = \"enabled\"\n}\n\n", i, i)
	}
	writeFile(tb, filepath.Join(dir, "main.hcl"), b.String())
}

// configKinds are the generated configurations of the benchmark: a rich and a lean one for each
// way of declaring many buckets.
var configKinds = []struct {
	name  string
	write func(testing.TB, string, int)
}{
	{"for_each", writeForEachConfig},
	{"literal", writeLiteralConfig},
	{"for_each_lean", writeLeanForEachConfig},
	{"literal_lean", writeLeanLiteralConfig},
}

// BenchmarkLoad loads (as validate does) configurations of 100, 1,000 and 10,000 buckets.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, kind := range configKinds {
			b.Run(fmt.Sprintf("%s/%d", kind.name, n), func(b *testing.B) {
				dir := b.TempDir()
				kind.write(b, dir, n)
				b.ResetTimer()
				for b.Loop() {
					cfg, diags := Load(dir, Options{Partial: true})
					if diags.HasErrors() {
						b.Fatal(diags.Error())
					}
					if len(cfg.Buckets) != n {
						b.Fatalf("%d buckets, want %d", len(cfg.Buckets), n)
					}
				}
			})
		}
	}
}
