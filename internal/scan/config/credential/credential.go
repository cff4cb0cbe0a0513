// Package credential tells configuration checks whether a variable name
// or a literal value is a credential: the Dockerfile checks (ENV, ARG) and
// the Kubernetes checks (container env) share it.
package credential

import (
	"regexp"
	"strings"
	"unicode"
)

// secretWords are name parts that make a variable name secret-like.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "passphrase": true,
	"secret": true, "token": true, "apikey": true, "credential": true, "credentials": true,
	"privatekey": true, "accesskey": true, "secretkey": true, "key": true,
}

// benignWords are name parts that make a secret-like name describe
// something else: where a secret lives, its size or owner, or a public
// key's fingerprint.
var benignWords = map[string]bool{
	"id": true, "ids": true, "file": true, "path": true, "dir": true, "url": true, "uri": true,
	"name": true, "user": true, "username": true, "fingerprint": true, "fingerprints": true,
	"gpg": true, "pgp": true, "public": true, "pub": true, "server": true, "keyserver": true,
	"keyring": true, "type": true, "length": true, "size": true, "format": true, "policy": true,
	"version": true, "algorithm": true, "ttl": true, "expiry": true, "header": true, "prefix": true,
	"min": true, "max": true, "count": true, "enabled": true, "required": true, "hash": true,
}

// SecretName reports whether a variable name is secret-like: one of its
// words (split at non-letters and case changes) names a secret and none
// says the value is only about one (DB_PASSWORD yes, DB_PASSWORD_FILE no).
func SecretName(name string) bool {
	found := false
	for _, w := range nameWords(name) {
		if benignWords[w] {
			return false
		}
		found = found || secretWords[w]
	}
	return found
}

// nameWords splits DB_PASSWORD, dbPassword and db-password into lower-case
// words.
func nameWords(name string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range name {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && prevLower:
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prevLower = unicode.IsLower(r)
	}
	flush()
	return words
}

// credentialPatterns match values shaped like credentials, from the
// vendors' documented formats.
var credentialPatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"an AWS access key ID", regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)},
	{"a GitHub token", regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b`)},
	{"a GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`)},
	{"a Stripe live key", regexp.MustCompile(`\b[sr]k_live_[A-Za-z0-9]{20,}\b`)},
	{"a Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`)},
	{"an npm token", regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
	{"a private key", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	{"a URL with a password", regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@$]+:[^/\s@$]+@`)},
}

// Kind names the kind of credential v looks like ("an AWS access key ID"),
// or "" when it looks like none.
func Kind(v string) string {
	for _, p := range credentialPatterns {
		if p.re.MatchString(v) {
			return p.kind
		}
	}
	return ""
}
