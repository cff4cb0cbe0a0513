package trigger

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/secpipe/secpipe/internal/store"
)

// match decides whether push starts rec. It returns "" when it does, and
// otherwise the reason it does not, for the webhook's answer.
//
//   - A branch must be rec's branch or match one of Filter.Branches.
//   - A tag must match one of Filter.Tags (no tags without that list).
//   - A branch push must change a file matching one of Filter.Paths, when
//     that list is set; a push whose commit list was cut short passes,
//     since the files it does not list may match.
//   - Other refs (pull requests, notes) never start a pipeline.
func match(rec store.PipelineRecord, p Push) string {
	f := rec.Filter
	switch {
	case p.Branch != "":
		if p.Branch != rec.Branch && !matchAny(f.Branches, p.Branch) {
			return fmt.Sprintf("branch %s is not %s and matches no branch filter", p.Branch, branchName(rec))
		}
		if len(f.Paths) > 0 && p.PathsComplete && !anyPathMatches(f.Paths, p.Paths) {
			return "no changed file matches the path filters"
		}
		return ""
	case p.Tag != "":
		if len(f.Tags) == 0 {
			return fmt.Sprintf("tag %s: the pipeline has no tag filters", p.Tag)
		}
		if !matchAny(f.Tags, p.Tag) {
			return fmt.Sprintf("tag %s matches no tag filter", p.Tag)
		}
		return ""
	}
	return fmt.Sprintf("ref %s is neither a branch nor a tag", p.Ref)
}

func branchName(rec store.PipelineRecord) string {
	if rec.Branch == "" {
		return "the pipeline's branch"
	}
	return rec.Branch
}

// matchAny reports whether name matches one of the doublestar globs. An
// invalid glob matches nothing.
func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, err := doublestar.Match(g, name); err == nil && ok {
			return true
		}
	}
	return false
}

func anyPathMatches(globs, paths []string) bool {
	for _, p := range paths {
		if matchAny(globs, p) {
			return true
		}
	}
	return false
}

// sameRepository reports whether the push came from rec's repository,
// comparing the owner/name part of the addresses (hosts differ too often
// between a forge's configured URL and the one users clone). A local path,
// or a push without addresses, is not checked.
func sameRepository(repo string, urls []string) bool {
	want := repoPath(repo)
	if want == "" || len(urls) == 0 {
		return true
	}
	for _, u := range urls {
		if repoPath(u) == want {
			return true
		}
	}
	return false
}

// repoPath returns the path of a remote repository address, lower-case,
// without ".git" or slashes at the ends: "https://github.com/Org/App.git"
// and "git@github.com:org/app" both give "org/app". A local path gives "".
func repoPath(repo string) string {
	var p string
	if strings.Contains(repo, "://") {
		u, err := url.Parse(repo)
		if err != nil || u.Scheme == "file" || u.Host == "" {
			return ""
		}
		p = u.Path
	} else if host, rest, ok := strings.Cut(repo, ":"); ok && !strings.Contains(host, "/") && len(host) > 1 {
		p = rest // scp-like: [user@]host:path
	} else {
		return ""
	}
	p = strings.Trim(path.Clean("/"+p), "/")
	p = strings.TrimSuffix(p, ".git")
	return strings.ToLower(p)
}
