package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/server/trigger"
	"github.com/secpipe/secpipe/internal/spec"
)

// repoSource is the repository `pipeline add` registers.
type repoSource struct {
	// repo is what the server stores: a URL, or an absolute path.
	repo string
	// display is repo with its password masked, for messages.
	display string
	local   bool
}

// resolveRepo reads the REPO_URL|PATH argument. A path must be a git
// repository; it is made absolute, since the server resolves it.
func resolveRepo(arg string) (repoSource, error) {
	if arg == "" || strings.HasPrefix(arg, "-") || strings.ContainsAny(arg, "\x00\n\r") {
		return repoSource{}, usageError{fmt.Errorf("repository %q: want a git URL or a path", arg)}
	}
	if _, err := os.Stat(arg); err != nil && isRemoteRepo(arg) {
		return repoSource{repo: arg, display: displayRepoURL(arg)}, nil
	}
	abs, err := filepath.Abs(arg)
	if err != nil {
		return repoSource{}, err
	}
	if _, err := gitOutput(context.Background(), abs, "rev-parse", "--git-dir"); err != nil {
		return repoSource{}, fmt.Errorf("%s is not a git repository (or does not exist): %w", abs, pipeline.ErrInvalid)
	}
	return repoSource{repo: abs, display: abs, local: true}, nil
}

// isRemoteRepo reports whether s is a URL or an scp-like address
// ([user@]host:path).
func isRemoteRepo(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	host, _, ok := strings.Cut(s, ":")
	return ok && len(host) > 1 && !strings.Contains(host, "/")
}

// displayRepoURL masks the password of a repository URL.
func displayRepoURL(repo string) string {
	u, err := url.Parse(repo)
	if err != nil || u.User == nil {
		return repo
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}

// checkBranch fails unless the repository has the branch.
func (s repoSource) checkBranch(ctx context.Context, branch string) error {
	_, err := trigger.ExecGit{}.Head(ctx, s.repo, "refs/heads/"+branch)
	if errors.Is(err, pipeline.ErrNotFound) {
		return fmt.Errorf("%s has no branch %s (--branch names the one to follow): %w", s.display, branch,
			pipeline.ErrNotFound)
	}
	return err
}

// pipelineName reads the pipeline's name from secpipe.yml (or
// secpipe.yaml) in dir at the head of branch. A missing or broken file is
// an error that says so (with file:line).
func (s repoSource) pipelineName(ctx context.Context, branch, dir string) (string, error) {
	gitDir, rev := s.repo, "refs/heads/"+branch
	if !s.local {
		tmp, err := os.MkdirTemp("", "secpipe-add-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		if _, err := gitOutput(ctx, tmp, "init", "-q", "--bare"); err != nil {
			return "", err
		}
		if _, err := gitOutput(ctx, tmp, "fetch", "-q", "--depth", "1", "--", s.repo, rev); err != nil {
			if err := s.checkBranch(ctx, branch); err != nil {
				return "", err
			}
			return "", fmt.Errorf("fetch %s from %s: %w", branch, s.display, err)
		}
		gitDir, rev = tmp, "FETCH_HEAD"
	} else if _, err := gitOutput(ctx, gitDir, "rev-parse", "-q", "--verify", rev+"^{commit}"); err != nil {
		return "", fmt.Errorf("%s has no branch %s (--branch names the one to follow): %w", s.display, branch,
			pipeline.ErrNotFound)
	}
	for _, base := range []string{"secpipe.yml", "secpipe.yaml"} {
		file := path.Join(strings.Trim(dir, "/"), base)
		if _, err := gitOutput(ctx, gitDir, "cat-file", "-e", rev+":"+file); err != nil {
			continue
		}
		data, err := gitOutput(ctx, gitDir, "cat-file", "blob", rev+":"+file)
		if err != nil {
			return "", err
		}
		p, err := spec.Parse(file, data, spec.Options{Providers: providerNames()})
		if err != nil {
			return "", err
		}
		return p.Name, nil
	}
	return "", fmt.Errorf("%s has no %s on branch %s: add one, or name the pipeline with --name: %w", s.display,
		path.Join(strings.Trim(dir, "/"), "secpipe.yml"), branch, pipeline.ErrNotFound)
}

// gitOutput runs git in dir without prompting and returns its output; the
// error carries git's last message, with passwords masked.
func gitOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		for _, a := range args {
			if d := displayRepoURL(a); d != a {
				msg = strings.ReplaceAll(msg, a, d)
			}
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}
