package trigger

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Push is what a push webhook reports.
type Push struct {
	Forge Forge
	// Ref is the full ref pushed: refs/heads/main, refs/tags/v1.2.
	Ref string
	// Branch or Tag is the ref's short name, when it is one of those.
	Branch, Tag string
	// Revision is the commit to build (the commit a tag points at, where
	// the forge says). Empty when Deleted.
	Revision string
	// Deleted says the push deleted the ref.
	Deleted bool
	// Paths are the files the pushed commits added, modified or removed,
	// each once, in the order first seen.
	Paths []string
	// PathsComplete is false when the forge listed only some of the
	// pushed commits, so other files may have changed too.
	PathsComplete bool
	// RepoURLs are the repository's clone and web addresses.
	RepoURLs []string
}

// The largest commit lists the forges send: a push listing this many may
// have had more.
const githubMaxCommits = 2048

// isZeroID reports whether id is the all-zero object id, the "after" of a
// push that deleted its ref.
func isZeroID(id string) bool { return id != "" && strings.Trim(id, "0") == "" }

type payloadCommit struct {
	ID       string   `json:"id"`
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Removed  []string `json:"removed"`
}

// githubPush is GitHub's push event, which Gitea and Forgejo imitate.
type githubPush struct {
	Ref        string          `json:"ref"`
	After      string          `json:"after"`
	Deleted    bool            `json:"deleted"`
	Commits    []payloadCommit `json:"commits"`
	HeadCommit *payloadCommit  `json:"head_commit"`
	// TotalCommits is Gitea's count of pushed commits (the list may be
	// shorter).
	TotalCommits int `json:"total_commits"`
	Repository   struct {
		CloneURL string `json:"clone_url"`
		SSHURL   string `json:"ssh_url"`
		HTMLURL  string `json:"html_url"`
		GitURL   string `json:"git_url"`
	} `json:"repository"`
}

// gitlabPush is GitLab's "Push Hook" and "Tag Push Hook" body.
type gitlabPush struct {
	ObjectKind        string          `json:"object_kind"`
	Ref               string          `json:"ref"`
	After             string          `json:"after"`
	CheckoutSHA       *string         `json:"checkout_sha"`
	Commits           []payloadCommit `json:"commits"`
	TotalCommitsCount int             `json:"total_commits_count"`
	Project           gitlabRepo      `json:"project"`
	Repository        gitlabRepo      `json:"repository"`
}

type gitlabRepo struct {
	GitHTTPURL string `json:"git_http_url"`
	GitSSHURL  string `json:"git_ssh_url"`
	WebURL     string `json:"web_url"`
	Homepage   string `json:"homepage"`
}

// ParsePush reads the JSON body of a push webhook from forge. The result
// is checked: a ref under refs/ without spaces or control characters, and
// a full commit id unless the ref was deleted. Errors wrap
// pipeline.ErrInvalid.
func ParsePush(forge Forge, body []byte) (Push, error) {
	var p Push
	var err error
	switch forge {
	case GitHub, Gitea:
		p, err = parseGitHub(body)
	case GitLab:
		p, err = parseGitLab(body)
	default:
		return Push{}, fmt.Errorf("unknown forge %q: %w", forge, pipeline.ErrInvalid)
	}
	if err != nil {
		return Push{}, err
	}
	p.Forge = forge
	return p, p.check()
}

func parseGitHub(body []byte) (Push, error) {
	var g githubPush
	if err := json.Unmarshal(body, &g); err != nil {
		return Push{}, fmt.Errorf("push payload: %v: %w", err, pipeline.ErrInvalid)
	}
	p := Push{Ref: g.Ref, Revision: strings.ToLower(g.After), Deleted: g.Deleted || isZeroID(g.After)}
	if strings.HasPrefix(g.Ref, "refs/tags/") && g.HeadCommit != nil && isCommitID(g.HeadCommit.ID) {
		// An annotated tag's "after" is the tag object; build its commit.
		p.Revision = g.HeadCommit.ID
	}
	p.Paths = changedPaths(g.Commits)
	p.PathsComplete = len(g.Commits) < githubMaxCommits && g.TotalCommits <= len(g.Commits)
	r := g.Repository
	p.RepoURLs = nonEmpty(r.CloneURL, r.SSHURL, r.HTMLURL, r.GitURL)
	return p, nil
}

func parseGitLab(body []byte) (Push, error) {
	var g gitlabPush
	if err := json.Unmarshal(body, &g); err != nil {
		return Push{}, fmt.Errorf("push payload: %v: %w", err, pipeline.ErrInvalid)
	}
	if g.ObjectKind != "" && g.ObjectKind != "push" && g.ObjectKind != "tag_push" {
		return Push{}, fmt.Errorf("push payload: object_kind %q is not a push: %w", g.ObjectKind, pipeline.ErrInvalid)
	}
	p := Push{Ref: g.Ref, Revision: strings.ToLower(g.After), Deleted: isZeroID(g.After)}
	if g.CheckoutSHA != nil && isCommitID(*g.CheckoutSHA) && !p.Deleted {
		p.Revision = *g.CheckoutSHA
	}
	p.Paths = changedPaths(g.Commits)
	p.PathsComplete = g.TotalCommitsCount <= len(g.Commits)
	p.RepoURLs = nonEmpty(g.Project.GitHTTPURL, g.Project.GitSSHURL, g.Project.WebURL,
		g.Repository.GitHTTPURL, g.Repository.GitSSHURL, g.Repository.Homepage)
	return p, nil
}

// check validates the ref and revision and fills in Branch or Tag.
func (p *Push) check() error {
	if !validRef(p.Ref) {
		return fmt.Errorf("push payload: ref %q is not a valid ref: %w", p.Ref, pipeline.ErrInvalid)
	}
	if name, ok := strings.CutPrefix(p.Ref, "refs/heads/"); ok {
		p.Branch = name
	} else if name, ok := strings.CutPrefix(p.Ref, "refs/tags/"); ok {
		p.Tag = name
	}
	if p.Deleted {
		p.Revision = ""
		return nil
	}
	if !isCommitID(p.Revision) {
		return fmt.Errorf("push payload: %q is not a commit id: %w", p.Revision, pipeline.ErrInvalid)
	}
	return nil
}

// validRef accepts a full ref name without what git itself forbids in one
// and that could garble a log line: spaces, control characters, "..".
func validRef(ref string) bool {
	if !strings.HasPrefix(ref, "refs/") || len(ref) > 255 || strings.Contains(ref, "..") ||
		strings.HasSuffix(ref, "/") || strings.Contains(ref, "//") {
		return false
	}
	for _, c := range ref {
		if c <= ' ' || c == 0x7f || strings.ContainsRune("~^:?*[\\", c) {
			return false
		}
	}
	return true
}

// changedPaths lists the files commits touched, each once.
func changedPaths(commits []payloadCommit) []string {
	var paths []string
	seen := map[string]bool{}
	for _, c := range commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, f := range list {
				if f != "" && !seen[f] {
					seen[f] = true
					paths = append(paths, f)
				}
			}
		}
	}
	return paths
}

// nonEmpty returns the non-empty strings, each once.
func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
