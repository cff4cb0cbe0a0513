package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/workspace"
)

// exporter exports one revision of one repository into out.
type exporter struct {
	g       *runner
	s       settings
	repo    string
	out     string
	scratch string
	gitDir  string // set by local or remote
	// prefix is the repository directory's path inside its work tree
	// ("examples/app"), empty at the top: only that subtree is exported.
	prefix string
}

// local exports from a repository on this machine.
func (ex *exporter) local(ctx context.Context) (source, error) {
	src, head, current, bare, err := ex.resolveLocal(ctx)
	if err != nil {
		return source{}, err
	}
	if bare {
		if ex.s.IncludeUncommitted {
			return source{}, fmt.Errorf("%w config: include_uncommitted: %s is a bare repository", pipeline.ErrInvalid, ex.repo)
		}
		return src, ex.checkout(ctx, src.commit)
	}
	top, err := ex.g.output(ctx, nil, "-C", ex.repo, "rev-parse", "--show-toplevel")
	if err != nil {
		return source{}, err
	}
	src.repoName = repoName(top)
	// A repository directory inside a larger work tree (a monorepo's
	// service, an example folder) is the source on its own: only its
	// subtree is exported, as if it were the repository's root.
	prefix, err := ex.g.output(ctx, nil, "-C", ex.repo, "rev-parse", "--show-prefix")
	if err != nil {
		return source{}, err
	}
	ex.prefix = strings.TrimSuffix(prefix, "/")
	base := top
	if ex.prefix != "" {
		base = filepath.Join(top, filepath.FromSlash(ex.prefix))
		src.repoName = repoName(base)
	}
	if ex.s.IncludeUncommitted {
		if src.commit != head {
			return source{}, fmt.Errorf("%w config: include_uncommitted copies the work tree, which is not on branch %s", pipeline.ErrInvalid, ex.s.Branch)
		}
		return src, ex.copyWorkTree(ctx, base)
	}
	if err := ex.checkout(ctx, src.commit); err != nil {
		return source{}, err
	}
	if src.commit == head && (ex.s.Branch == "" || src.branch == current) {
		n, err := ex.uncommitted(ctx, base)
		if err != nil {
			return source{}, err
		}
		if n > 0 {
			src.warnings = append(src.warnings, fmt.Sprintf(
				"%d uncommitted file(s) in %s are not in the source, which is commit %.12s; commit them, or set include_uncommitted: true to run the work tree as it is",
				n, top, src.commit))
		}
	}
	return src, nil
}

// resolveLocal finds the repository and the commit to export, with the
// commit HEAD names, the current branch ("" when detached) and whether the
// repository is bare.
func (ex *exporter) resolveLocal(ctx context.Context) (src source, head, current string, bare bool, err error) {
	g, s := ex.g, ex.s
	gitDir, err := g.output(ctx, nil, "-C", ex.repo, "rev-parse", "--absolute-git-dir")
	if err != nil {
		if ctx.Err() != nil {
			return src, "", "", false, ctx.Err()
		}
		return src, "", "", false, fmt.Errorf("%w: %s is not a git repository: %v", pipeline.ErrInvalid, ex.repo, err)
	}
	ex.gitDir = gitDir
	isBare, err := g.output(ctx, nil, "--git-dir="+gitDir, "rev-parse", "--is-bare-repository")
	if err != nil {
		return src, "", "", false, err
	}
	if head, err = ex.resolve(ctx, "HEAD"); err != nil {
		if ctx.Err() != nil {
			return src, "", "", false, ctx.Err()
		}
		return src, "", "", false, fmt.Errorf("%w: %s has no commits", pipeline.ErrInvalid, ex.repo)
	}
	current, _ = g.output(ctx, nil, "--git-dir="+gitDir, "symbolic-ref", "--quiet", "--short", "HEAD")
	src = source{commit: head, branch: current, repoName: repoName(ex.repo)}
	if s.Branch != "" {
		src.branch = strings.TrimPrefix(s.Branch, "refs/heads/")
		if src.commit, err = ex.resolveBranch(ctx, s.Branch); err != nil {
			return src, "", "", false, err
		}
	}
	if s.Commit != "" {
		if err := ex.pin(ctx, &src); err != nil {
			return src, "", "", false, err
		}
	}
	return src, head, current, isBare == "true", nil
}

// pin resolves the configured commit and warns when it is not on the
// branch.
func (ex *exporter) pin(ctx context.Context, src *source) error {
	commit, err := ex.resolve(ctx, ex.s.Commit)
	if err != nil {
		return err
	}
	if src.branch != "" && commit != src.commit {
		onBranch, err := ex.g.ok(ctx, "--git-dir="+ex.gitDir, "merge-base", "--is-ancestor", commit, src.commit)
		if err != nil {
			return err
		}
		if !onBranch {
			src.warnings = append(src.warnings, fmt.Sprintf("commit %s is not on branch %s", ex.s.Commit, src.branch))
		}
	}
	src.commit = commit
	return nil
}

// resolveBranch resolves a branch name: a local branch first, then any
// revision of that name (a remote-tracking branch, a tag).
func (ex *exporter) resolveBranch(ctx context.Context, branch string) (string, error) {
	if !strings.HasPrefix(branch, "refs/") {
		if c, err := ex.resolve(ctx, "refs/heads/"+branch); err == nil {
			return c, nil
		} else if ctx.Err() != nil {
			return "", ctx.Err()
		}
	}
	c, err := ex.resolve(ctx, branch)
	if err != nil && ctx.Err() == nil {
		return "", fmt.Errorf("%w config: branch: %q not found in %s", pipeline.ErrInvalid, branch, ex.repo)
	}
	return c, err
}

// resolve returns the full hash of the commit rev names; an unknown
// revision is an error wrapping pipeline.ErrInvalid.
func (ex *exporter) resolve(ctx context.Context, rev string) (string, error) {
	c, err := ex.g.output(ctx, nil, "--git-dir="+ex.gitDir, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("%w: revision %q not found in %s", pipeline.ErrInvalid, rev, ex.repo)
	}
	return c, nil
}

// checkout writes the tree of commit into out through a private index, so
// neither the repository's index nor its work tree is touched.
func (ex *exporter) checkout(ctx context.Context, commit string) error {
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(ex.scratch, "index")}
	base := []string{"--git-dir=" + ex.gitDir, "--work-tree=" + ex.out}
	tree := commit
	if ex.prefix != "" {
		tree = commit + ":" + ex.prefix
	}
	if _, err := ex.g.output(ctx, env, append(base, "read-tree", tree)...); err != nil {
		if ex.prefix != "" && ctx.Err() == nil {
			return fmt.Errorf("%w: %s is not in commit %.12s: %v", pipeline.ErrInvalid, ex.prefix, commit, err)
		}
		return err
	}
	_, err := ex.g.output(ctx, env, append(base, "checkout-index", "--all", "--force")...)
	return err
}

// uncommitted counts the paths under dir of the work tree that differ from
// HEAD: modified, staged, deleted and untracked (not ignored) files.
func (ex *exporter) uncommitted(ctx context.Context, dir string) (int, error) {
	out, err := ex.g.output(ctx, nil, "-C", dir, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
	if err != nil {
		return 0, err
	}
	n := 0
	fields := strings.Split(out, "\x00")
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if len(f) < 4 {
			continue
		}
		n++
		if f[0] == 'R' || f[0] == 'C' {
			i++ // the original path of a rename or copy follows
		}
	}
	return n, nil
}

// copyWorkTree copies the tracked and untracked (not ignored) files under
// dir of the work tree into out, as they are on disk (ls-files names them
// relative to dir).
func (ex *exporter) copyWorkTree(ctx context.Context, top string) error {
	out, err := ex.g.output(ctx, nil, "-C", top, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	copied := 0
	for _, rel := range bytes.Split([]byte(out), []byte{0}) {
		p := string(rel)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		src := filepath.Join(top, filepath.FromSlash(p))
		info, err := os.Lstat(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			return fmt.Errorf("copy work tree: %w", err)
		}
		if info.IsDir() {
			continue // a submodule
		}
		if err := workspace.CopyFile(src, filepath.Join(ex.out, filepath.FromSlash(p))); err != nil {
			return fmt.Errorf("copy work tree: %w", err)
		}
		copied++
	}
	n, err := ex.uncommitted(ctx, top)
	if err != nil {
		return err
	}
	ex.g.log.Line(fmt.Sprintf("copied %d file(s) of the work tree of %s, with %d uncommitted change(s)", copied, top, n))
	return nil
}

// fullHash matches a full SHA-1 or SHA-256 commit hash.
var fullHash = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// remote fetches the revision from a remote repository into a scratch
// bare repository (shallowly when it can) and exports it.
func (ex *exporter) remote(ctx context.Context) (source, error) {
	g, s := ex.g, ex.s
	ex.gitDir = filepath.Join(ex.scratch, "repo.git")
	if _, err := g.output(ctx, nil, "init", "--bare", "--quiet", ex.gitDir); err != nil {
		return source{}, err
	}
	src := source{branch: strings.TrimPrefix(s.Branch, "refs/heads/"), repoName: repoName(ex.repo)}
	ref := "HEAD"
	if s.Branch != "" {
		ref = s.Branch
		if !strings.HasPrefix(ref, "refs/") {
			ref = "refs/heads/" + ref
		}
	}
	args := []string{"--git-dir=" + ex.gitDir, "fetch", "--no-tags", "--depth=1", "--end-of-options", ex.repo, ref}
	switch {
	case fullHash.MatchString(s.Commit):
		args[len(args)-1] = s.Commit
	case s.Commit != "":
		args = append(args[:3], args[4:]...) // an abbreviated hash needs the history
	}
	if s.Branch == "" && s.Commit == "" {
		b, err := ex.remoteHead(ctx)
		if err != nil {
			return source{}, err
		}
		src.branch = b
	}
	g.log.Line("fetching " + ref + " from " + ex.repo)
	if err := g.logged(ctx, nil, args...); err != nil {
		return source{}, err
	}
	rev := "FETCH_HEAD"
	if s.Commit != "" {
		rev = s.Commit
	}
	commit, err := ex.resolve(ctx, rev)
	if err != nil {
		return source{}, err
	}
	src.commit = commit
	return src, ex.checkout(ctx, commit)
}

// remoteHead names the branch a remote repository's HEAD points at, or ""
// when it is detached.
func (ex *exporter) remoteHead(ctx context.Context) (string, error) {
	out, err := ex.g.output(ctx, nil, "ls-remote", "--symref", "--end-of-options", ex.repo, "HEAD")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		if ref, ok := strings.CutPrefix(line, "ref: "); ok {
			ref, _, _ = strings.Cut(ref, "\t")
			return strings.TrimPrefix(ref, "refs/heads/"), nil
		}
	}
	return "", nil
}
