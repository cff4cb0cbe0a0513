package trigger

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestParsePush(t *testing.T) {
	tests := []struct {
		forge Forge
		file  string
		want  Push
	}{
		{GitHub, "github-push.json", Push{Forge: GitHub, Ref: "refs/heads/main", Branch: "main",
			Revision: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", Paths: []string{"app/src/config.js"},
			PathsComplete: true, RepoURLs: []string{"https://github.com/acme/app.git", "git@github.com:acme/app.git",
				"https://github.com/acme/app", "git://github.com/acme/app.git"}}},
		{GitHub, "github-tag.json", Push{Forge: GitHub, Ref: "refs/tags/v1.4.0", Tag: "v1.4.0",
			Revision: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", PathsComplete: true,
			RepoURLs: []string{"https://github.com/acme/app.git", "git@github.com:acme/app.git",
				"https://github.com/acme/app", "git://github.com/acme/app.git"}}},
		{GitHub, "github-delete.json", Push{Forge: GitHub, Ref: "refs/heads/feature/old", Branch: "feature/old",
			Deleted: true, PathsComplete: true, RepoURLs: []string{"https://github.com/acme/app.git"}}},
		{Gitea, "gitea-push.json", Push{Forge: Gitea, Ref: "refs/heads/main", Branch: "main",
			Revision: "bffeb74224043ba2feb48d137756c8a9331c449a", Paths: []string{"install_software.sh"},
			PathsComplete: true, RepoURLs: []string{"https://git.example.com/acme/app.git",
				"git@git.example.com:acme/app.git", "https://git.example.com/acme/app"}}},
		{GitLab, "gitlab-push.json", Push{Forge: GitLab, Ref: "refs/heads/main", Branch: "main",
			Revision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Paths:    []string{"buildspec.yml", "config.json", "secpipe.yml", "old/notes.txt"}, PathsComplete: true,
			RepoURLs: []string{"https://gitlab.example.com/acme/app.git", "git@gitlab.example.com:acme/app.git",
				"https://gitlab.example.com/acme/app"}}},
		{GitLab, "gitlab-tag.json", Push{Forge: GitLab, Ref: "refs/tags/v1.0.0", Tag: "v1.0.0",
			Revision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", PathsComplete: true,
			RepoURLs: []string{"https://gitlab.example.com/acme/app.git", "git@gitlab.example.com:acme/app.git",
				"https://gitlab.example.com/acme/app"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParsePush(tt.forge, payload(t, tt.file, nil))
			if err != nil {
				t.Fatalf("ParsePush(%s) = %v", tt.file, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePush(%s) (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParsePushRejects(t *testing.T) {
	tests := []struct {
		name  string
		forge Forge
		body  string
	}{
		{"not json", GitHub, `ref=refs/heads/main`},
		{"no ref", GitHub, `{"after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}`},
		{"ref with a space", GitHub, `{"ref":"refs/heads/a b","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}`},
		{"ref with a newline", Gitea, `{"ref":"refs/heads/a\nb","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}`},
		{"option as revision", GitHub, `{"ref":"refs/heads/main","after":"--upload-pack=touch /tmp/x"}`},
		{"short revision", GitLab, `{"object_kind":"push","ref":"refs/heads/main","after":"0d1a26e"}`},
		{"merge request", GitLab, `{"object_kind":"merge_request","ref":"refs/heads/main"}`},
		{"unknown forge", Forge("bitbucket"), `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := ParsePush(tt.forge, []byte(tt.body)); !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("ParsePush(%s, %q) = %+v, %v; want an error wrapping ErrInvalid", tt.forge, tt.body, p, err)
			}
		})
	}
}

func TestRepoPath(t *testing.T) {
	tests := []struct{ repo, want string }{
		{"https://github.com/Acme/App.git", "acme/app"},
		{"https://ci:token@github.com/acme/app", "acme/app"},
		{"git@github.com:acme/app.git", "acme/app"},
		{"ssh://git@gitlab.example.com:2222/group/sub/app.git", "group/sub/app"},
		{"https://gitlab.example.com/group/sub/app/", "group/sub/app"},
		{"/srv/git/app.git", ""},
		{"file:///srv/git/app.git", ""},
	}
	for _, tt := range tests {
		if got := repoPath(tt.repo); got != tt.want {
			t.Errorf("repoPath(%q) = %q, want %q", tt.repo, got, tt.want)
		}
	}
}
