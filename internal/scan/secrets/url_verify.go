package secrets

import (
	"net/url"
	"slices"
	"strings"
)

// Verify functions of the URL rules: who the credential is for, and whether
// the password is a real one.

// urlParts splits a match ending in "user:password@host" into the user
// name and the host (the first host, without port or brackets). A scheme
// or a DSN prefix may come before the user.
func urlParts(match string) (user, host string, ok bool) {
	at := strings.LastIndexByte(match, '@')
	if at < 0 {
		return "", "", false
	}
	userinfo := match[:at]
	if i := strings.Index(userinfo, "://"); i >= 0 {
		userinfo = userinfo[i+3:]
	} else if i := strings.LastIndexAny(userinfo, " \t\"'`=("); i >= 0 {
		userinfo = userinfo[i+1:]
	}
	user, _, ok = strings.Cut(userinfo, ":")
	host = match[at+1:]
	host = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(host, "tcp6("), "tcp("), "unix(")
	host = strings.TrimSuffix(host, ")")
	return user, hostName(host), ok
}

// hostName lower-cases the first of a comma-separated host list and drops
// the port and IPv6 brackets.
func hostName(h string) string {
	h, _, _ = strings.Cut(strings.ToLower(h), ",")
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
	}
	if strings.Count(h, ":") == 1 {
		h, _, _ = strings.Cut(h, ":")
	}
	return h
}

// isLoopback reports whether host names the local machine (or the host of
// a local container runtime).
func isLoopback(host string) bool {
	switch host {
	case "localhost", "::1", "0.0.0.0", "host.docker.internal", "host.containers.internal", "(local)", ".":
		return true
	}
	return strings.HasPrefix(host, "127.") || strings.HasSuffix(host, ".localhost") ||
		strings.HasPrefix(host, "localhost.") || strings.HasPrefix(host, "(localdb)")
}

// isDocHost reports whether host is reserved for documentation (RFC 2606,
// RFC 6761), is a sample domain of vendor documentation (contoso.com) or is
// a placeholder name.
func isDocHost(host string) bool {
	for _, d := range []string{"example.com", "example.org", "example.net", "example", "invalid", "test",
		"contoso.com", "fabrikam.com", "company.com", "mycompany.com", "acme.com"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	switch host {
	case "host", "hostname", "myhost", "server", "servername", "myserver", "domain", "mydomain", "xxx":
		return true
	}
	return strings.HasPrefix(host, "your") || strings.ContainsAny(host, "<>{}$%*")
}

// passwordOK holds a URL or connection-string password to the shape of a
// real one: at least six bytes, not a placeholder once percent-decoded.
func passwordOK(user, pass string) bool {
	if len(pass) < 6 || strings.EqualFold(user, "scott") && pass == "tiger" {
		return false
	}
	if d, err := url.PathUnescape(pass); err == nil && d != pass && notLiteralSecret(d, nil) {
		return false
	}
	return true
}

// remoteURLOK accepts a URL password for a host other than the local one.
func remoteURLOK(secret, match string) bool {
	user, host, ok := urlParts(match)
	return ok && !isLoopback(host) && !isDocHost(host) && passwordOK(user, secret)
}

// localURLOK accepts a URL or DSN password for a local host, unless it is
// the image default (the user name again).
func localURLOK(secret, match string) bool {
	if !strings.Contains(match, "://") && !strings.Contains(match, "@tcp") && !strings.Contains(match, "@unix(") {
		return false
	}
	user, host, ok := urlParts(match)
	local := isLoopback(host) || strings.Contains(match, "@unix(") && !strings.Contains(match, "/cloudsql/")
	return ok && local && user != secret && passwordOK(user, secret)
}

// urlPort returns the port after the host of a URL match, if any.
func urlPort(match string) string {
	hp := match[strings.LastIndexByte(match, '@')+1:]
	if _, port, ok := strings.Cut(hp, ":"); ok && !strings.HasPrefix(hp, "[") {
		return port
	}
	return ""
}

// searchURLOK accepts a password for an Elasticsearch or OpenSearch host
// (by name or port); httpURLOK leaves those and CouchDB hosts to their
// rules.
func searchURLOK(secret, match string) bool { return searchHost(match) && remoteURLOK(secret, match) }

func couchURLOK(secret, match string) bool { return couchHost(match) && remoteURLOK(secret, match) }

func httpURLOK(secret, match string) bool {
	return !searchHost(match) && !couchHost(match) && remoteURLOK(secret, match)
}

func searchHost(match string) bool {
	_, host, _ := urlParts(match)
	p := urlPort(match)
	return p == "9200" || p == "9243" || slices.ContainsFunc([]string{"elastic", "opensearch", "kibana", ".es.", "found.io", "bonsai"},
		func(w string) bool { return strings.Contains(host, w) })
}

func couchHost(match string) bool {
	_, host, _ := urlParts(match)
	p := urlPort(match)
	return strings.Contains(host, "couchdb") || p == "5984" || p == "6984" || strings.Contains(strings.ToLower(match), "couchdb")
}

// basicCredOK decodes the base64 of an HTTP Basic credential and accepts
// it when it is "user:password" with a real-looking password.
func basicCredOK(secret, _ string) bool {
	d, ok := decodedText(secret)
	user, pass, colon := strings.Cut(d, ":")
	return ok && colon && passwordOK(user, pass) && !notLiteralSecret(pass, nil)
}
