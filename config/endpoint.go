package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// parseEndpoint splits an endpoint written as host[:port] or http(s)://host[:port] (one trailing
// "/" tolerated) into host[:port] and the scheme written ("", "http" or "https"). When the
// endpoint is invalid, problem says why in sentences for a diagnostic.
func parseEndpoint(s string) (hostport, scheme, problem string) {
	rest := s
	if i := strings.Index(rest, "://"); i >= 0 {
		scheme = strings.ToLower(rest[:i])
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Sprintf("The endpoint %q starts with %q; write host[:port], or http:// or https:// in front of it.", s, rest[:i+3])
		}
		rest = rest[i+3:]
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return "", "", fmt.Sprintf("The endpoint %q has no host; write host[:port], like \"minio:9000\".", s)
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		return "", "", fmt.Sprintf("The endpoint %q has a path or query %q, but the endpoint is the server's address only: host[:port]. MinIO serves buckets at the root of its address; remove %q.", s, rest[i:], rest[i:])
	}
	if strings.Contains(rest, "@") {
		return "", "", fmt.Sprintf("The endpoint %q has user info, but the endpoint is the server's address only: host[:port]. Put credentials in access_key and secret_key.", redactUserInfo(s))
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", fmt.Sprintf("The endpoint %q has an IPv6 address without its closing \"]\"; write it like \"[::1]:9000\".", s)
		}
		host = rest[1:end]
		after := rest[end+1:]
		if after != "" {
			if after[0] != ':' {
				return "", "", fmt.Sprintf("The endpoint %q has %q after its IPv6 address; write it like \"[::1]:9000\".", s, after)
			}
			port = after[1:]
			if port == "" {
				return "", "", fmt.Sprintf("The endpoint %q ends with \":\" but no port; write the port or drop the colon.", s)
			}
		}
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil && !strings.Contains(host, ":") {
			return "", "", fmt.Sprintf("The endpoint %q has %q in brackets, which is not an IPv6 address.", s, host)
		}
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i+1:]
		if strings.Contains(host, ":") {
			return "", "", fmt.Sprintf("The endpoint %q looks like an IPv6 address; write it in brackets, like \"[::1]:9000\".", s)
		}
		if port == "" {
			return "", "", fmt.Sprintf("The endpoint %q ends with \":\" but no port; write the port or drop the colon.", s)
		}
		if !validHost(host) {
			return "", "", fmt.Sprintf("The endpoint %q has an invalid host %q; a host holds letters, digits, dots, dashes and underscores.", s, host)
		}
	} else if !validHost(host) {
		return "", "", fmt.Sprintf("The endpoint %q has an invalid host; a host holds letters, digits, dots, dashes and underscores.", s)
	}
	if strings.Trim(host, "0123456789") == "" {
		return "", "", fmt.Sprintf("The endpoint %q has no host, only a number; write host[:port], like \"minio:9000\".", s)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return "", "", fmt.Sprintf("The endpoint %q has port %q; a port is a number from 1 to 65535.", s, port)
		}
	}
	return rest, scheme, ""
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// redactUserInfo hides what comes before "@" in an endpoint: it may be a password.
func redactUserInfo(s string) string {
	at := strings.LastIndexByte(s, '@')
	start := strings.Index(s, "://")
	if start < 0 || start > at {
		start = 0
	} else {
		start += 3
	}
	return s[:start] + "REDACTED" + s[at:]
}
