// Package bench measures bucketform's plan and apply at scale against the request floor: a
// plain concurrent minio-go/madmin client that makes exactly the requests a plan or an apply
// cannot do without, run against the same MinIO server, in the same run, with alternating order.
//
// The workload is one "fully configured" bucket per tenant: versioning enabled, a hard quota,
// two user tags and the canned `download` anonymous policy. See Floor for the exact requests the
// floor makes, and docs/benchmarks.md for the method and the figures.
//
// What keeps bucketform close to the floor, and what a change must not undo: the region is set
// on every client, so minio-go never asks for a bucket's location; the HTTP transport keeps an
// idle connection per request in flight (-parallelism), so no request waits for a new
// connection; per-bucket reads happen only for buckets the configuration declares or the stack
// owns, and only for the attributes it manages (the server's buckets are never listed); a
// policy's JSON is decoded once and documents share their common parts (the canned action
// lists, the anonymous principal), which keeps tens of thousands of desired and live policies
// small; and the default parallelism of 32 is where a 1,000-bucket plan stopped getting faster
// on the project's 2-core machine (bucketform-bench -sweep measures it again).
package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tenant is one benchmark bucket: what a configuration declares for it, spelled out for the
// floor client, which uses no bucketform code.
type Tenant struct {
	Key   string // for_each key, e.g. t00042
	Name  string // bucket name, <prefix>-<key>
	Team  string // value of the "team" tag
	Quota uint64 // hard quota in bytes
}

// QuotaGiB is the quota of tenant i in GiB (it varies so the values are not all alike).
func quotaGiB(i int) int { return 1 + i%50 }

// Tenants returns the n tenants whose buckets are named <prefix>-t00000 ...
func Tenants(prefix string, n int) []Tenant {
	out := make([]Tenant, n)
	for i := range out {
		key := fmt.Sprintf("t%05d", i)
		out[i] = Tenant{Key: key, Name: prefix + "-" + key, Team: fmt.Sprintf("team-%d", i%7),
			Quota: uint64(quotaGiB(i)) << 30}
	}
	return out
}

// Tags returns the user tags of the tenant's bucket (the ownership tag is not among them).
func (t Tenant) Tags() map[string]string { return map[string]string{"tenant": t.Key, "team": t.Team} }

// Address returns the tenant's bucket address in the generated configuration.
func (t Tenant) Address() string { return `bucket.tenant["` + t.Key + `"]` }

// DownloadPolicy returns the policy `mc anonymous set download` writes for bucket, the same
// document as `anonymous = "download"` in a configuration.
func DownloadPolicy(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::` + bucket + `"]},` +
		`{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + bucket + `/*"]}]}`
}

// ConfigStyle is how a generated configuration declares its buckets.
type ConfigStyle int

// The configuration styles.
const (
	ForEach ConfigStyle = iota // one bucket block with for_each over a map in locals
	Literal                    // one bucket block per bucket, 1,000 blocks per file
)

func (s ConfigStyle) String() string {
	if s == Literal {
		return "literal"
	}
	return "for_each"
}

// WriteConfig writes a configuration of stack that declares a bucket for each tenant on the
// MinIO at endpoint, as a user would: the credentials come from MINIO_ACCESS_KEY and
// MINIO_SECRET_KEY. Both styles declare the same buckets with the same attributes.
func WriteConfig(dir, stack, endpoint, prefix string, tenants []Tenant, style ConfigStyle) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	head := fmt.Sprintf("bucketform {\n  stack = %q\n}\n\nminio \"main\" {\n  endpoint = %q\n}\n\n", stack, endpoint)
	if style == ForEach {
		var b strings.Builder
		b.WriteString(head)
		b.WriteString("locals {\n  tenants = {\n")
		for i, t := range tenants {
			fmt.Fprintf(&b, "    %s = { team = %q, quota = \"%dGiB\" }\n", t.Key, t.Team, quotaGiB(i))
		}
		b.WriteString("  }\n}\n\n")
		fmt.Fprintf(&b, `bucket "tenant" {
  for_each   = local.tenants
  name       = "%s-${each.key}"
  anonymous  = "download"
  versioning = "enabled"
  quota      = each.value.quota
  tags       = { tenant = each.key, team = each.value.team }
}
`, prefix)
		return os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(b.String()), 0o644)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(head), 0o644); err != nil {
		return err
	}
	for f := 0; f*1000 < len(tenants); f++ {
		var b strings.Builder
		for i := f * 1000; i < min(len(tenants), (f+1)*1000); i++ {
			t := tenants[i]
			fmt.Fprintf(&b, `bucket "%s" {
  name       = %q
  anonymous  = "download"
  versioning = "enabled"
  quota      = "%dGiB"
  tags       = { tenant = %q, team = %q }
}

`, t.Key, t.Name, quotaGiB(i), t.Key, t.Team)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("buckets-%02d.hcl", f)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
