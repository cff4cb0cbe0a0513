// Package git is the git source action provider: it exports the tree of
// one commit of a local or remote repository into the action's single
// output artifact (without the .git directory) and records the commit as
// the execution's source revision, with CodePipeline's source output
// variables (CommitId, BranchName, AuthorDate, CommitterDate,
// CommitMessage, RepositoryName).
//
// Configuration keys: repository (a path, relative to the execution's
// repository, or a URL; default the execution's repository), branch
// (default the repository's current HEAD), commit (pins a revision;
// remote repositories fetch a full hash directly), include_uncommitted
// (copy a local work tree as it is, uncommitted changes and untracked
// files included, for running unsaved work).
//
// It runs the git program; a repository with uncommitted changes is
// exported from its committed state, with a warning.
package git

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
	"github.com/secpipe/secpipe/internal/provider/internal/proc"
	"github.com/secpipe/secpipe/internal/provider/internal/workspace"
)

// Config configures the provider.
type Config struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Git is the git program; empty means "git" from PATH.
	Git string
	// KillGrace is the time between SIGTERM and SIGKILL when an action is
	// cancelled or times out; zero means proc.DefaultGrace.
	KillGrace time.Duration
	// Environ is the environment git starts from; nil means the
	// environment of this process.
	Environ []string
}

// Provider runs git source actions. It is safe for concurrent use.
type Provider struct {
	cfg Config
	log *slog.Logger
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns a git provider.
func New(cfg Config) *Provider {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{cfg: cfg, log: log}
}

// Name returns "git".
func (p *Provider) Name() string { return "git" }

// settings is the decoded configuration of one action.
type settings struct {
	Repository         string `json:"repository"`
	Branch             string `json:"branch"`
	Commit             string `json:"commit"`
	IncludeUncommitted bool   `json:"include_uncommitted"`
}

// Validate checks an action's configuration; errors wrap
// pipeline.ErrInvalid.
func (p *Provider) Validate(cfg map[string]any) error {
	_, err := parse(cfg)
	return err
}

func parse(cfg map[string]any) (settings, error) {
	var s settings
	if err := actioncfg.Decode(cfg, &s); err != nil {
		return s, err
	}
	for field, v := range map[string]string{"branch": s.Branch, "commit": s.Commit} {
		if strings.HasPrefix(v, "-") || strings.ContainsAny(v, " \t\n\x00") {
			return s, fmt.Errorf("%w config: %s: %q is not a git revision", pipeline.ErrInvalid, field, v)
		}
	}
	if strings.HasPrefix(s.Repository, "-") {
		return s, fmt.Errorf("%w config: repository: %q is not a path or URL", pipeline.ErrInvalid, s.Repository)
	}
	if s.IncludeUncommitted && s.Commit != "" {
		return s, fmt.Errorf("%w config: include_uncommitted copies the work tree; it cannot go with commit", pipeline.ErrInvalid)
	}
	return s, nil
}

// source is what an export produced.
type source struct {
	commit, branch, repoName string
	warnings                 []string
}

// Run exports the configured revision into the output artifact. Problems
// with the configuration or the repository (not a repository, unknown
// branch, no commits) are errors wrapping pipeline.ErrInvalid; git
// failures (network, permissions) are errors too, since nothing ran.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	s, err := parse(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	outs := actioncfg.Outputs(req)
	if len(outs) != 1 {
		return pipeline.ActionResult{}, fmt.Errorf("%w: a git action has exactly one output artifact, not %d", pipeline.ErrInvalid, len(outs))
	}
	g, err := p.runner(req)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	defer g.log.Flush()
	scratch, remove, err := workspace.Scratch(req.WorkDir, "git-")
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	defer remove()
	repo, remote, err := location(s.Repository, req.RepoDir)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	ex := &exporter{g: g, s: s, repo: repo, out: outs[0].Dir, scratch: scratch}
	var src source
	if remote {
		src, err = ex.remote(ctx)
	} else {
		src, err = ex.local(ctx)
	}
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	return p.result(ctx, g, ex.gitDir, src)
}

// runner returns the git runner of one action.
func (p *Provider) runner(req *pipeline.ActionRequest) (*runner, error) {
	path := p.cfg.Git
	if path == "" {
		path = "git"
	}
	resolved, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("the git program is needed: %w", err)
	}
	return &runner{path: resolved, grace: p.cfg.KillGrace, env: gitEnv(p.cfg.Environ), log: proc.NewLineWriter(req.Log)}, nil
}

// result reads the commit's metadata into the action's result.
func (p *Provider) result(ctx context.Context, g *runner, gitDir string, src source) (pipeline.ActionResult, error) {
	meta, err := g.output(ctx, nil, "--git-dir="+gitDir, "log", "-1", "--format=%aI%x00%cI%x00%B", src.commit, "--")
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	parts := strings.SplitN(meta, "\x00", 3)
	if len(parts) != 3 {
		return pipeline.ActionResult{}, fmt.Errorf("read commit %s: unexpected git output", src.commit)
	}
	for _, w := range src.warnings {
		g.log.Line("warning: " + w)
	}
	g.log.Line(fmt.Sprintf("source: %s, branch %q, commit %s", src.repoName, src.branch, src.commit))
	return pipeline.ActionResult{
		State:    pipeline.ActionSucceeded,
		Revision: src.commit,
		Warnings: src.warnings,
		OutputVariables: map[string]string{
			"CommitId":       src.commit,
			"BranchName":     src.branch,
			"AuthorDate":     utc(parts[0]),
			"CommitterDate":  utc(parts[1]),
			"CommitMessage":  strings.TrimSpace(parts[2]),
			"RepositoryName": src.repoName,
		},
	}, nil
}

// utc rewrites an ISO 8601 date from git in UTC, as CodePipeline shows it.
func utc(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339)
}

// scpLike matches git's scp-like remote syntax, user@host:path.
var scpLike = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:`)

// location resolves the repository setting: a URL (remote) or a local
// path, relative paths being relative to the execution's repository.
func location(repo, repoDir string) (string, bool, error) {
	if repo == "" {
		if repoDir == "" {
			return "", false, fmt.Errorf("%w config: repository: no repository given and the execution has none", pipeline.ErrInvalid)
		}
		return repoDir, false, nil
	}
	if strings.Contains(repo, "://") || scpLike.MatchString(repo) {
		return repo, true, nil
	}
	if !filepath.IsAbs(repo) {
		if repoDir == "" {
			return "", false, fmt.Errorf("%w config: repository: relative path %q without an execution repository", pipeline.ErrInvalid, repo)
		}
		repo = filepath.Join(repoDir, repo)
	}
	return repo, false, nil
}

// repoName names a repository after its last path element, without .git.
func repoName(repo string) string {
	repo = strings.TrimRight(repo, "/")
	if i := strings.LastIndexAny(repo, "/:"); i >= 0 {
		repo = repo[i+1:]
	}
	return strings.TrimSuffix(repo, ".git")
}
