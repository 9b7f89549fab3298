package config

import (
	"fmt"
	"strings"
)

// FilenameVar is the form-field variable S3 and MinIO replace with the name of the uploaded
// file in a POST upload's key field. Only POST uploads know it; in a URL it is a literal text.
const FilenameVar = "${filename}"

// CheckPresignKeys refuses keys that would not do what they say. ${filename} is replaced only in a
// POST upload's key field, and before the policy is checked: so it works after key_prefix
// (which Sign appends it to) and nowhere else — a fixed POST key holding it never matches its
// own policy, and in a URL it names an object literally "${filename}" (which clients then see
// URL-encoded as $%7Bfilename%7D). And a POST policy is JSON built by minio-go without
// escaping, so its values must not hold quotes, backslashes or control characters.
func CheckPresignKeys(p *Presign) error {
	switch {
	case p.Method == "POST" && strings.Contains(p.Key, FilenameVar):
		return fmt.Errorf("the key %q holds %s; MinIO replaces it with the file's name before it checks the policy, so a fixed key never matches. "+
			"Use key_prefix = %q instead: the form's key field is then the prefix followed by %s", p.Key, FilenameVar, p.Key[:strings.Index(p.Key, FilenameVar)], FilenameVar)
	case strings.Contains(p.Key, FilenameVar):
		return fmt.Errorf("the key %q holds %s, which only a POST form upload replaces with the file's name; "+
			"a %s URL would name an object literally %q. Write the object's real key, or use method = \"POST\" with key_prefix", p.Key, FilenameVar, p.Method, p.Key)
	case strings.Contains(p.KeyPrefix, FilenameVar):
		return fmt.Errorf("key_prefix %q holds %s; leave it out: the form's key field is key_prefix followed by %s already", p.KeyPrefix, FilenameVar, FilenameVar)
	}
	for _, f := range []struct{ name, value string }{{"key", p.Key}, {"key_prefix", p.KeyPrefix}} {
		if problem := keyProblem(f.value, f.name == "key_prefix"); problem != "" {
			return fmt.Errorf("%s %q %s, which MinIO refuses in an object name (400 XMinioInvalidObjectName or XMinioInvalidResourceName)", f.name, f.value, problem)
		}
	}
	if p.Method != "POST" {
		return nil
	}
	for _, f := range []struct{ name, value string }{{"key", p.Key}, {"key_prefix", p.KeyPrefix}, {"content_type", p.ContentType}} {
		if i := strings.IndexFunc(f.value, func(r rune) bool { return r == '"' || r == '\\' || r < 0x20 || r == 0x7f }); i >= 0 {
			return fmt.Errorf("%s %q holds %q, which a POST policy cannot carry; use another character", f.name, f.value, f.value[i:i+1])
		}
	}
	return nil
}

// keyProblem says what MinIO refuses in an object key (or, for a prefix, in the part of a key
// it makes): a NUL, an empty path segment ("//") or a "." or ".." segment.
func keyProblem(key string, prefix bool) string {
	if strings.ContainsRune(key, 0) {
		return "holds a NUL character"
	}
	segments := strings.Split(strings.TrimPrefix(key, "/"), "/")
	for i, seg := range segments {
		last := i == len(segments)-1
		switch {
		case last && prefix: // completed by the file name
		case seg == "." || seg == "..":
			return fmt.Sprintf("has a %q path segment", seg)
		case seg == "" && !last && key != "":
			return "has an empty path segment (\"//\")"
		}
	}
	return ""
}
