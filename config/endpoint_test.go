package config

import (
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in, host, scheme string
		problem          string
	}{
		{in: "minio:9000", host: "minio:9000"},
		{in: "minio", host: "minio"},
		{in: "http://minio:9000", host: "minio:9000", scheme: "http"},
		{in: "https://files.example.com", host: "files.example.com", scheme: "https"},
		{in: "HTTPS://files.example.com:443/", host: "files.example.com:443", scheme: "https"},
		{in: "localhost:9000/", host: "localhost:9000"},
		{in: "127.0.0.1:9000", host: "127.0.0.1:9000"},
		{in: "[::1]:9000", host: "[::1]:9000"},
		{in: "http://[fd00::1]", host: "[fd00::1]", scheme: "http"},
		{in: "minio-0.minio.svc.cluster.local:9000", host: "minio-0.minio.svc.cluster.local:9000"},
		{in: "http://minio:9000/minio", problem: `has a path or query "/minio"`},
		{in: "minio:9000/bucket/", problem: `has a path or query "/bucket"`},
		{in: "minio:9000//", problem: "has a path"},
		{in: "minio:9000?x=1", problem: "has a path or query"},
		{in: "https://user:pass@minio", problem: "has user info"},
		{in: "ftp://minio", problem: `starts with "ftp://"`},
		{in: "", problem: "has no host"},
		{in: "https://", problem: "has no host"},
		{in: "minio:", problem: "no port"},
		{in: "minio:http", problem: "port"},
		{in: "minio:70000", problem: "port"},
		{in: "minio:0", problem: "port"},
		{in: "::1", problem: "in brackets"},
		{in: "[::1", problem: "closing"},
		{in: "[nope]:9000", problem: "not an IPv6 address"},
		{in: "[::1]x", problem: "after its IPv6 address"},
		{in: "min io:9000", problem: "invalid host"},
		{in: " minio", problem: "invalid host"},
		{in: "9000", problem: "only a number"},
	}
	for _, tt := range tests {
		host, scheme, problem := parseEndpoint(tt.in)
		if tt.problem != "" {
			if !strings.Contains(problem, tt.problem) {
				t.Errorf("parseEndpoint(%q) problem = %q, want one containing %q", tt.in, problem, tt.problem)
			}
			if (strings.Contains(tt.problem, "path") || strings.Contains(tt.problem, "user info")) && !strings.Contains(problem, "the endpoint is the server's address only") {
				t.Errorf("parseEndpoint(%q) problem = %q, want it to say the endpoint is the server's address only", tt.in, problem)
			}
			continue
		}
		if problem != "" || host != tt.host || scheme != tt.scheme {
			t.Errorf("parseEndpoint(%q) = %q, %q, %q; want %q, %q", tt.in, host, scheme, problem, tt.host, tt.scheme)
		}
	}
}

func TestUserInfoIsRedacted(t *testing.T) {
	_, _, problem := parseEndpoint("https://admin:hunter2@files.example.com")
	if strings.Contains(problem, "hunter2") || strings.Contains(problem, "admin") {
		t.Errorf("problem %q shows the credentials", problem)
	}
}

func TestEndpointSecure(t *testing.T) {
	tests := []struct {
		block      string
		endpoint   string
		secure     bool
		wantErrors []string
	}{
		{block: `endpoint = "minio:9000"`, endpoint: "minio:9000"},
		{block: "endpoint = \"minio:9000\"\n  secure = true", endpoint: "minio:9000", secure: true},
		{block: `endpoint = "https://minio:9000"`, endpoint: "minio:9000", secure: true},
		{block: "endpoint = \"https://minio:9000\"\n  secure = true", endpoint: "minio:9000", secure: true},
		{block: "endpoint = \"http://minio:9000\"\n  secure = false", endpoint: "minio:9000"},
		{block: "endpoint = \"http://minio:9000\"\n  secure = true", wantErrors: []string{"Conflicting endpoint scheme @ 4"}},
		{block: "endpoint = \"https://minio:9000\"\n  secure = false", wantErrors: []string{"Conflicting endpoint scheme @ 4"}},
		{block: `endpoint = "minio:9000/path"`, wantErrors: []string{"Invalid endpoint @ 3"}},
		{block: `endpoint = 9000`, wantErrors: []string{"Invalid endpoint @ 3"}},
		{block: `endpoint = ["minio"]`, wantErrors: []string{"Incorrect attribute value type @ 3"}},
	}
	for _, tt := range tests {
		// The endpoint is on line 3, secure on line 4.
		src := "\nminio \"m\" {\n  " + tt.block + "\n}\nbucketform {\n  stack = \"t\"\n}\n"
		cfg, diags, _ := loadSource(t, map[string]string{"main.hcl": src}, Options{})
		if tt.wantErrors != nil {
			if got := diagSummaries(diags); !equalStrings(got, tt.wantErrors) {
				t.Errorf("%s: %v, want %v", tt.block, got, tt.wantErrors)
			}
			continue
		}
		if len(diags) > 0 {
			t.Errorf("%s: %v", tt.block, diagSummaries(diags))
			continue
		}
		d := cfg.Deployments[0]
		if d.Endpoint != tt.endpoint || d.Secure != tt.secure {
			t.Errorf("%s: endpoint %q secure %v; want %q %v", tt.block, d.Endpoint, d.Secure, tt.endpoint, tt.secure)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
