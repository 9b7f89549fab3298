package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// missingCredentials is a minio block without keys, found while signing.
type missingCredentials struct {
	rng    hcl.Range
	detail string
}

// deferCredentials records that a minio block has no keys while presign blocks are signed
// (Options.Presign, bucketform output). Signing is local and uses only the keys a URL is
// signed with: a deployment's keys are needed only when a presign signs with them, which
// checkSigningCredentials decides once every presign is evaluated.
func (l *loader) deferCredentials(addr string, rng hcl.Range, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.missingCreds == nil {
		l.missingCreds = map[string]missingCredentials{}
	}
	l.missingCreds[strings.TrimPrefix(addr, "minio.")] = missingCredentials{rng: rng, detail: detail}
}

// checkSigningCredentials reports the minio blocks without keys that a presign signs with:
// one without a signing endpoint, or whose signing endpoint has neither keys nor an identity
// of its own.
func (l *loader) checkSigningCredentials() {
	if len(l.missingCreds) == 0 {
		return
	}
	own := map[string]bool{} // signing endpoints that sign with keys of their own
	for _, s := range l.signers {
		own[s.name] = s.attrs["access_key"] != nil || s.attrs["identity"] != nil
	}
	for _, m := range l.minios {
		missing, ok := l.missingCreds[m.name]
		if !ok {
			continue
		}
		var users []string
		for _, d := range l.presigns {
			for _, p := range d.instances {
				if p.Deployment == m.name && (p.Endpoint == "" || !own[p.Endpoint]) {
					users = append(users, p.Address)
				}
			}
		}
		if len(users) == 0 {
			continue
		}
		if len(users) > 3 {
			users = append(users[:3], "...")
		}
		l.errorf(missing.rng, "Missing credentials",
			"%s It signs the URLs of %s: give those presign blocks a signing_endpoint with an identity or access_key and secret_key of its own, or give minio.%s its keys.",
			missing.detail, strings.Join(users, ", "), m.name)
	}
}
