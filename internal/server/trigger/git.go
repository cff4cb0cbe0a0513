package trigger

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// ExecGit is the Git that runs `git ls-remote`. It never prompts: a
// repository that needs credentials it lacks fails at once.
type ExecGit struct {
	// Path is the git program ("git" on PATH when empty).
	Path string
}

var _ Git = ExecGit{}

// Head implements Git.
func (g ExecGit) Head(ctx context.Context, repo, ref string) (string, error) {
	if repo == "" || strings.HasPrefix(repo, "-") {
		return "", fmt.Errorf("repository %q: %w", repo, pipeline.ErrInvalid)
	}
	path := g.Path
	if path == "" {
		path = "git"
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "ls-remote", "--", repo, ref)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GCM_INTERACTIVE=never")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("git ls-remote %s: %w", redactURL(repo), ctx.Err())
		}
		return "", fmt.Errorf("git ls-remote %s: %w: %s", redactURL(repo), err,
			redact(lastLine(stderr.String()), repo))
	}
	return parseLsRemote(stdout.String(), ref)
}

// parseLsRemote finds ref in the output of git ls-remote ("SHA\tREF" lines).
func parseLsRemote(out, ref string) (string, error) {
	for line := range strings.Lines(out) {
		sha, name, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
		if ok && name == ref && isCommitID(sha) {
			return sha, nil
		}
	}
	return "", fmt.Errorf("no %s in the repository: %w", ref, pipeline.ErrNotFound)
}

// lastLine returns the last non-empty line of git's error output, which
// names the problem ("fatal: ...").
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// isCommitID reports whether s is a full SHA-1 or SHA-256 object id in
// lower-case hex.
func isCommitID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// redactURL hides the password (or token) of a repository URL.
func redactURL(repo string) string {
	u, err := url.Parse(repo)
	if err != nil || u.User == nil {
		return repo
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
		return u.String()
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		// https://TOKEN@host/...: the user name is the secret.
		u.User = url.User("xxxxx")
		return u.String()
	}
	return repo
}

// redact replaces repo, and the credentials in it, in a message.
func redact(msg, repo string) string {
	safe := redactURL(repo)
	if safe == repo {
		return msg
	}
	msg = strings.ReplaceAll(msg, repo, safe)
	if u, err := url.Parse(repo); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		} else if n := u.User.Username(); n != "" {
			msg = strings.ReplaceAll(msg, n, "xxxxx")
		}
	}
	return msg
}
