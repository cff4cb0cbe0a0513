// Package repourl shows repository URLs without the credentials they may
// carry, for every place that prints one: API answers, dashboard pages,
// error messages and logs.
package repourl

import (
	"regexp"
	"strings"
)

// Display masks the credentials of a repository URL: a password, or a
// user name standing alone (often a token), but the ssh user "git".
// Paths and scp-like addresses (git@host:org/repo) pass unchanged.
func Display(repo string) string {
	scheme, rest, ok := strings.Cut(repo, "://")
	if !ok {
		return repo
	}
	at := strings.Index(rest, "@")
	if at < 0 || strings.Contains(rest[:at], "/") {
		return repo
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	switch {
	case hasPassword:
		user += ":***"
	case user != "git":
		user = "***"
	}
	return scheme + "://" + user + rest[at:]
}

var credentialsInURL = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@`)

// MaskCredentials hides the user information of every URL in s (an error
// message of git, say).
func MaskCredentials(s string) string { return credentialsInURL.ReplaceAllString(s, "${1}***@") }
