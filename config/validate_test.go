package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestCheckBucketName(t *testing.T) {
	tests := []struct {
		name    string
		problem string // "" for a valid name
	}{
		{"abc", ""},
		{"bitflow-data", ""},
		{"my.bucket.2026", ""},
		{"0-starts-with-digit", ""},
		{strings.Repeat("a", 63), ""},
		{"ab", "3 to 63"},
		{strings.Repeat("a", 64), "3 to 63"},
		{"My-Bucket", "Upper-case"},
		{"my_bucket", "Underscores"},
		{"my bucket", "lower-case letters, digits, dots and hyphens"},
		{"bücket", "lower-case letters"},
		{"-bucket", "start and end"},
		{"bucket-", "start and end"},
		{".bucket", "start and end"},
		{"my..bucket", "two separators"},
		{"my.-bucket", "two separators"},
		{"my-.bucket", "two separators"},
		{"192.168.5.4", "IP address"},
		{"10.0.0.001", "IP address"},
		{"xn--bucket", "xn--"},
		{"data-s3alias", "-s3alias"},
		{"data--ol-s3", "--ol-s3"},
		{"1.2.3", ""},
	}
	for _, tt := range tests {
		got := checkBucketName(tt.name)
		if tt.problem == "" && got != "" {
			t.Errorf("checkBucketName(%q) = %q, want valid", tt.name, got)
		}
		if tt.problem != "" && !strings.Contains(got, tt.problem) {
			t.Errorf("checkBucketName(%q) = %q, want a problem containing %q", tt.name, got, tt.problem)
		}
	}
}

func TestCheckTags(t *testing.T) {
	many := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("k%d", i)] = "v"
		}
		return m
	}
	tests := []struct {
		name string
		tags map[string]string
		want []string
	}{
		{"empty", map[string]string{}, nil},
		{"all allowed characters", map[string]string{"a Z 0 + - = . _ : / @": "a Z 0 + - = . _ : / @"}, nil},
		{"empty value", map[string]string{"k": ""}, nil},
		{"49 tags", many(MaxTags), nil},
		{"50 tags", many(MaxTags + 1), []string{"Too many tags"}},
		{"reserved key", map[string]string{"bucketform-stack": "x"}, []string{"Reserved tag key"}},
		{"empty key", map[string]string{"": "x"}, []string{"Invalid tag key"}},
		{"long key", map[string]string{strings.Repeat("k", 129): "x"}, []string{"Invalid tag key"}},
		{"128-character key", map[string]string{strings.Repeat("k", 128): "x"}, nil},
		{"bad key character", map[string]string{"a&b": "x"}, []string{"Invalid tag key"}},
		{"non-ASCII letter", map[string]string{"é": "x"}, []string{"Invalid tag key"}},
		{"long value", map[string]string{"k": strings.Repeat("v", 257)}, []string{"Invalid tag value"}},
		{"256-character value", map[string]string{"k": strings.Repeat("v", 256)}, nil},
		{"bad value character", map[string]string{"k": "a,b"}, []string{"Invalid tag value"}},
		{"several problems", map[string]string{"a!": "x", "b": "y\n"}, []string{"Invalid tag key", "Invalid tag value"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoader(t.TempDir(), Options{})
			ok := l.checkTags(tt.tags, hcl.Range{Filename: "x.hcl"})
			var got []string
			for _, d := range l.diags {
				got = append(got, d.Summary)
			}
			if !equalStrings(got, tt.want) || ok != (len(tt.want) == 0) {
				t.Errorf("checkTags = %v, %v; want %v", ok, got, tt.want)
			}
		})
	}
}

func TestBucketAttributes(t *testing.T) {
	tests := []struct {
		name  string
		block string
		want  []string // error summaries; nil when valid
	}{
		{"anonymous modes", `anonymous = "public"`, nil},
		{"anonymous none", `anonymous = "none"`, nil},
		{"anonymous typo", `anonymous = "downlaod"`, []string{"Invalid anonymous value"}},
		{"versioning suspended", `versioning = "suspended"`, nil},
		{"versioning capitalised", `versioning = "Enabled"`, []string{"Invalid versioning value"}},
		{"quota number", `quota = 1073741824`, nil},
		{"quota none", `quota = "none"`, nil},
		{"quota decimal", `quota = "500MB"`, nil},
		{"quota fraction", `quota = "1.5GiB"`, []string{"Invalid quota"}},
		{"quota negative", `quota = -1`, []string{"Invalid quota"}},
		{"quota wrong type", `quota = ["1GiB"]`, []string{"Incorrect attribute value type"}},
		{"object lock with enabled versioning", "object_lock = true\n  versioning = \"enabled\"", nil},
		{"object lock false with suspended", "object_lock = false\n  versioning = \"suspended\"", nil},
		{"tags must be strings", `tags = { a = ["x"] }`, []string{"Incorrect attribute value type"}},
		{"tags from numbers", `tags = { a = 1 }`, nil},
		{"null tag value", `tags = { a = null, b = "x" }`, []string{"Invalid tag value"}},
		{"null is not written", "versioning = null\n  tags = null", nil},
		{"lifecycle long id", "lifecycle_rule {\n    id = \"" + strings.Repeat("x", 256) + "\"\n    expiration_days = 1\n  }", []string{"Invalid lifecycle rule id"}},
		{"lifecycle fraction days", "lifecycle_rule {\n    id = \"x\"\n    expiration_days = 1.5\n  }", []string{"Invalid expiration days"}},
		{"lifecycle unknown argument", "lifecycle_rule {\n    id = \"x\"\n    days = 1\n  }", []string{"Unsupported argument", "Invalid lifecycle rule"}},
		{"policy not JSON", `policy = "{"`, []string{"Invalid bucket policy"}},
		{"policy empty means none", `policy = ""`, nil},
		{"policy for the bucket", `policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = "*", Action = "s3:ListBucket", Resource = "arn:aws:s3:::data"}]})`, nil},
		{"policy prefix of another bucket", `policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::data-other/*"}]})`, []string{"Policy resource of another bucket"}},
		{"force_destroy wrong type", `force_destroy = "yes"`, []string{"Incorrect attribute value type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := header + "bucket \"data\" {\n  " + tt.block + "\n}\n"
			_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary)
			}
			if !equalStrings(sortedStrings(got), sortedStrings(tt.want)) {
				t.Errorf("%v, want %v", diagSummaries(diags), tt.want)
			}
		})
	}
}

func TestNullAttributeIsNotDeclared(t *testing.T) {
	cfg := mustLoad(t, `
bucket "data" {
  versioning = null
  tags       = null
  quota      = "none"
}
`, Options{})
	b := cfg.Buckets[0]
	if b.State.Attrs.Has("versioning") || b.State.Attrs.Has("tags") || !b.State.Attrs.Has("quota") {
		t.Errorf("attrs = %v; null means not written", b.State.Attrs.Sorted())
	}
}

// TestStateBucketName: the state bucket is one per server and never a resource; the withdrawn
// state_bucket setting is an error that says why.
func TestStateBucketName(t *testing.T) {
	src := `
bucketform {
  stack        = "t"
  state_bucket = "ops-state"
}

minio "main" {
  endpoint = "minio:9000"
}

bucket "old_state" {
  name = "bucketform-state"
}

bucket "state" {
  name = "ops-state"
}
`
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
	if got := diagSummaries(diags); !equalStrings(got, []string{"state_bucket is no longer supported @ 4", "State bucket declared as a bucket @ 12"}) {
		t.Errorf("%v: want the withdrawn setting and the reserved name refused", got)
	}
}

func TestRemovedBlocks(t *testing.T) {
	src := header + `
minio "backup" {
  endpoint = "backup:9000"
}

bucket "data" {
  minio = minio.main
}

removed {
  minio  = minio.backup
  bucket = "data"
}

removed {
  minio  = minio.backup
  bucket = "data"
}

removed {
  bucket = "old"
}

removed {
  minio  = minio.main
  bucket = "Bad_Name"
}
`
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
	want := []string{"Duplicate removed block @ 25", "Missing minio argument @ 28", "Invalid bucket name @ 34"}
	if got := diagSummaries(diags); !equalStrings(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

func TestRemovedDestroyFalse(t *testing.T) {
	cfg := mustLoad(t, `
removed {
  bucket  = "moved-away"
  destroy = false
}

removed {
  bucket = "deleted"
}
`, Options{})
	if !cfg.Removed[0].Keep || cfg.Removed[1].Keep {
		t.Errorf("removed = %+v, %+v; destroy = false keeps the bucket, the default deletes it", *cfg.Removed[0], *cfg.Removed[1])
	}
	_, diags, _ := loadSource(t, map[string]string{"main.hcl": header + `
removed {
  bucket        = "both"
  destroy       = false
  force_destroy = true
}
`}, Options{})
	if got := diagSummaries(diags); !equalStrings(got, []string{"Conflicting destroy and force_destroy @ 12"}) {
		t.Errorf("%v", got)
	}
}
