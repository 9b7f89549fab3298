package config

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/bucketform/bucketform/config/model"
)

// checkBucketName returns what is wrong with an S3 bucket name, or "" when it is valid: 3 to 63
// characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter
// or digit, without "..", ".-" or "-.", not shaped like an IP address, without the reserved
// prefix "xn--" or the suffixes "-s3alias" and "--ol-s3".
func checkBucketName(name string) string {
	switch {
	case len(name) < 3 || len(name) > 63:
		return fmt.Sprintf("the bucket name %q has %d characters; a bucket name has 3 to 63.", name, len(name))
	case strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-')
	}) >= 0:
		hint := ""
		if strings.ToLower(name) != name {
			hint = " Upper-case letters are not allowed; use lower case."
		} else if strings.Contains(name, "_") {
			hint = " Underscores are not allowed; use hyphens."
		}
		return fmt.Sprintf("the bucket name %q may hold only lower-case letters, digits, dots and hyphens.%s", name, hint)
	case !isAlnum(name[0]) || !isAlnum(name[len(name)-1]):
		return fmt.Sprintf("the bucket name %q must start and end with a letter or digit.", name)
	case strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-."):
		return fmt.Sprintf("the bucket name %q has two separators in a row (\"..\", \".-\" or \"-.\"), which S3 does not allow.", name)
	case net.ParseIP(name) != nil || looksLikeIPv4(name):
		return fmt.Sprintf("the bucket name %q is shaped like an IP address, which S3 does not allow.", name)
	case strings.HasPrefix(name, "xn--"):
		return fmt.Sprintf("the bucket name %q starts with \"xn--\", a prefix S3 reserves.", name)
	case strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3"):
		return fmt.Sprintf("the bucket name %q ends with a suffix S3 reserves (\"-s3alias\" or \"--ol-s3\").", name)
	}
	return ""
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// looksLikeIPv4 reports four dot-separated groups of digits, like 192.168.5.4 (also with
// leading zeros, which net.ParseIP rejects).
func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// MaxTags is how many tags a bucket may declare: the server allows 50, and bucketform adds its
// owner tag (model.OwnerTag) to every bucket it owns.
const MaxTags = 49

// tagChars are the characters, besides ASCII letters and digits, allowed in tag keys and values.
const tagChars = " +-=._:/@"

// checkTags reports every problem of a bucket's tags at rng, and returns whether there was none.
func (l *loader) checkTags(tags map[string]string, rng hcl.Range) bool {
	ok := true
	if len(tags) > MaxTags {
		l.errorf(rng, "Too many tags",
			"The bucket declares %d tags; at most %d are allowed (the server allows 50, and bucketform adds its own %q tag). Remove some.",
			len(tags), MaxTags, model.OwnerTag)
		ok = false
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := tags[k]
		switch {
		case k == model.OwnerTag:
			l.errorf(rng, "Reserved tag key",
				"The tag key %q is reserved: bucketform records which stack owns a bucket in it. Use another key.", k)
			ok = false
		case k == "" || utf8.RuneCountInString(k) > 128 || !validTagText(k):
			l.errorf(rng, "Invalid tag key",
				"The tag key %q is not valid: a key is 1 to 128 characters of letters, digits, space and + - = . _ : / @.", k)
			ok = false
		case utf8.RuneCountInString(v) > 256 || !validTagText(v):
			l.errorf(rng, "Invalid tag value",
				"The value of tag %q is not valid: a value is at most 256 characters of letters, digits, space and + - = . _ : / @.", k)
			ok = false
		}
	}
	return ok
}

func validTagText(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(tagChars, r)) {
			return false
		}
	}
	return true
}

// checkBuckets checks what concerns several buckets: names are unique per deployment, and the
// state bucket is no bucket of the configuration.
func (l *loader) checkBuckets() {
	type first struct {
		addr string
		rng  hcl.Range
	}
	seen := map[string]first{}
	for _, d := range l.buckets {
		for _, bi := range d.instances {
			if !bi.nameKnown || d.deployment == "" {
				continue
			}
			name := bi.bucket.State.Name
			if name == StateBucket {
				l.errorf(bi.nameRange, "State bucket declared as a bucket",
					"%s is named %q, the bucket where bucketform keeps its ownership records. It is not a bucket of any plan; choose another name.",
					bi.bucket.Address, name)
				continue
			}
			key := d.deployment + "\x00" + name
			if prev, dup := seen[key]; dup {
				l.errorf(bi.nameRange, "Duplicate bucket name",
					"%s and %s (at %s) both declare bucket %q on minio.%s. A bucket is identified by its deployment and name; give one of them another name.",
					bi.bucket.Address, prev.addr, at(prev.rng), name, d.deployment)
				continue
			}
			seen[key] = first{bi.bucket.Address, bi.nameRange}
		}
	}
}
