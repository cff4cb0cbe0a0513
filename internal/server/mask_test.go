package server

import (
	"testing"

	"github.com/secpipe/secpipe/internal/server/repourl"
)

func TestCredentialsMasked(t *testing.T) {
	for _, tc := range []struct{ in, display, masked string }{
		{in: "https://alice:pa55@git.example.com/r.git", display: "https://alice:***@git.example.com/r.git",
			masked: "https://***@git.example.com/r.git"},
		{in: "https://ghp_token@github.com/o/r", display: "https://***@github.com/o/r", masked: "https://***@github.com/o/r"},
		{in: "ssh://git@host/r.git", display: "ssh://git@host/r.git", masked: "ssh://***@host/r.git"},
		{in: "git@host:o/r.git", display: "git@host:o/r.git", masked: "git@host:o/r.git"},
		{in: "/srv/repos/app", display: "/srv/repos/app", masked: "/srv/repos/app"},
	} {
		if got := repourl.Display(tc.in); got != tc.display {
			t.Errorf("repourl.Display(%q) = %q, want %q", tc.in, got, tc.display)
		}
		if got := maskCredentials("fatal: " + tc.in + " not found"); got != "fatal: "+tc.masked+" not found" {
			t.Errorf("maskCredentials(%q) = %q, want %q", tc.in, got, tc.masked)
		}
	}
}
