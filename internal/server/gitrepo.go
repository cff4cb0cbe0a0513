package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/secpipe/secpipe/internal/server/repourl"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// git runs the git program with args and returns its trimmed standard
// output. It never prompts for credentials. A failure's error carries
// git's message with any credentials in URLs masked.
func (s *Server) git(ctx context.Context, args ...string) (string, error) {
	out, err := s.gitBytes(ctx, args...)
	return strings.TrimSpace(string(out)), err
}

// gitBytes is git returning the output as it is.
func (s *Server) gitBytes(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.cfg.Git, args...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", "LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", gitVerb(args), maskCredentials(msg))
	}
	return stdout.Bytes(), nil
}

// gitVerb names the git command of args (the first argument that is not
// an option or an option's value) for error messages.
func gitVerb(args []string) string {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-C" || args[i] == "-c":
			i++
		case strings.HasPrefix(args[i], "-"):
		default:
			return args[i]
		}
	}
	return ""
}

// maskCredentials hides the user information of URLs in s.
func maskCredentials(s string) string { return repourl.MaskCredentials(s) }

// lockRepo serializes the work on one pipeline's clone and checkouts.
func (s *Server) lockRepo(name string) func() {
	s.repoMu.Lock()
	mu, ok := s.repoLock[name]
	if !ok {
		mu = &sync.Mutex{}
		s.repoLock[name] = mu
	}
	s.repoMu.Unlock()
	mu.Lock()
	return mu.Unlock
}

// clonePath is the bare clone of pipeline name.
func (s *Server) clonePath(name string) string { return filepath.Join(reposDir(s.cfg.DataDir), name) }

// fetch brings the bare clone of pipeline name up to date with branch of
// repo, creating the clone on first use, and returns the branch's head.
// The caller holds lockRepo(name). A branch or repository git says does
// not exist wraps pipeline.ErrInvalid; any other failure to fetch (a host
// that does not answer, a network down for a while) wraps ErrFetch.
func (s *Server) fetch(ctx context.Context, name, repo, branch string) (string, error) {
	if err := s.initClone(ctx, name); err != nil {
		return "", err
	}
	clone := s.clonePath(name)
	ref := "refs/heads/" + branch
	if _, err := s.git(ctx, "--git-dir="+clone, "fetch", "--quiet", "--force", "--no-tags", "--",
		repo, "+"+ref+":"+ref); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if fetchRefused(err) {
			return "", fmt.Errorf("%w: fetch branch %s: %v", pipeline.ErrInvalid, branch, err)
		}
		return "", fmt.Errorf("%w: branch %s: %v", ErrFetch, branch, err)
	}
	return s.git(ctx, "--git-dir="+clone, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
}

// initClone creates the empty bare clone of pipeline name unless it
// exists. The caller holds lockRepo(name).
func (s *Server) initClone(ctx context.Context, name string) error {
	clone := s.clonePath(name)
	if _, err := os.Stat(filepath.Join(clone, "HEAD")); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	_, err := s.git(ctx, "init", "--quiet", "--bare", clone)
	return err
}

// ErrFetch is wrapped by errors of fetching a pipeline's repository. The
// API answers it with 502; triggers retry a release that failed with it.
var ErrFetch = errors.New("cannot fetch the repository")

// fetchRefused reports whether git's error says the repository or branch
// does not exist, which fetching again will not change.
func fetchRefused(err error) bool {
	msg := err.Error()
	// "not found": an HTTP host's "Repository not found" or 404.
	for _, m := range []string{"couldn't find remote ref", "does not appear to be a git repository", "not found"} {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

var revisionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/^~@{}-]{0,199}$`)

// resolve finds revision (a commit, tag or branch name) in the clone of
// pipeline name, fetching it from repo by name when the clone lacks it.
// An unknown revision wraps pipeline.ErrNotFound.
func (s *Server) resolve(ctx context.Context, name, repo, revision string) (string, error) {
	if !revisionPattern.MatchString(revision) || strings.Contains(revision, "..") {
		return "", fmt.Errorf("%w revision %q", pipeline.ErrInvalid, revision)
	}
	clone := s.clonePath(name)
	commit, err := s.git(ctx, "--git-dir="+clone, "rev-parse", "--verify", "--quiet", revision+"^{commit}")
	if err == nil {
		return commit, nil
	}
	// Not fetched yet: a commit of another branch, a tag. Servers answer
	// a full commit id when they allow it (local repositories do).
	if _, ferr := s.git(ctx, "--git-dir="+clone, "fetch", "--quiet", "--no-tags", "--", repo, revision); ferr == nil {
		if commit, err = s.git(ctx, "--git-dir="+clone, "rev-parse", "--verify", "--quiet", "FETCH_HEAD^{commit}"); err == nil {
			return commit, nil
		}
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	return "", fmt.Errorf("revision %s of pipeline %s: %w", revision, name, pipeline.ErrNotFound)
}

// addCheckout checks commit of pipeline name's clone out at dir, as a
// detached work tree of the clone. The caller holds lockRepo(name).
func (s *Server) addCheckout(ctx context.Context, name, dir, commit string) error {
	_, err := s.git(ctx, "--git-dir="+s.clonePath(name), "worktree", "add", "--quiet", "--detach", "--force", "--",
		dir, commit)
	return err
}

// removeCheckout removes the work tree dir and prunes it from the clone it
// belongs to (named in its .git file). Removing what is gone is no error.
func (s *Server) removeCheckout(ctx context.Context, dir string) error {
	var clone string
	if b, err := os.ReadFile(filepath.Join(dir, ".git")); err == nil {
		if gitDir, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: "); ok {
			clone = filepath.Dir(filepath.Dir(gitDir)) // CLONE/worktrees/ID
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove checkout: %w", err)
	}
	if clone == "" || filepath.Dir(clone) != reposDir(s.cfg.DataDir) {
		return nil
	}
	unlock := s.lockRepo(filepath.Base(clone))
	defer unlock()
	if _, err := os.Stat(clone); err != nil {
		return nil
	}
	_, err := s.git(ctx, "--git-dir="+clone, "worktree", "prune")
	return err
}

// defaultBranch asks repo for the branch its HEAD names.
func (s *Server) defaultBranch(ctx context.Context, repo string) (string, error) {
	out, err := s.git(ctx, "ls-remote", "--symref", "--", repo, "HEAD")
	if err != nil {
		return "", fmt.Errorf("%w repo: %v", pipeline.ErrInvalid, err)
	}
	for _, line := range strings.Split(out, "\n") {
		ref, ok := strings.CutPrefix(line, "ref: refs/heads/")
		if ok {
			branch, _, _ := strings.Cut(ref, "\t")
			return branch, nil
		}
	}
	return "", fmt.Errorf("%w branch: the repository names no default branch; give one", pipeline.ErrInvalid)
}

// readFile returns the file at path (slash-separated) of commit in the
// clone of pipeline name, or an error wrapping os.ErrNotExist.
func (s *Server) readFile(ctx context.Context, name, commit, path string) ([]byte, error) {
	clone := s.clonePath(name)
	if _, err := s.git(ctx, "--git-dir="+clone, "cat-file", "-e", commit+":"+path); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: %w", path, os.ErrNotExist)
	}
	return s.gitBytes(ctx, "--git-dir="+clone, "cat-file", "blob", commit+":"+path)
}

// pruneClone removes the clone of a pipeline that is no longer registered
// once no checkout uses it.
func (s *Server) pruneClone(ctx context.Context, name string) error {
	unlock := s.lockRepo(name)
	defer unlock()
	clone := s.clonePath(name)
	if _, err := os.Stat(clone); err != nil {
		return nil
	}
	if _, err := s.git(ctx, "--git-dir="+clone, "worktree", "prune"); err != nil {
		return err
	}
	if entries, err := os.ReadDir(filepath.Join(clone, "worktrees")); err == nil && len(entries) > 0 {
		return nil
	}
	return os.RemoveAll(clone)
}
