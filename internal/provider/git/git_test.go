package git

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// gitEnvironment pins git's identity and configuration for tests.
func gitEnvironment(home string) []string {
	return append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@secpipe.invalid",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@secpipe.invalid")
}

// gitRun runs git in repo and returns its trimmed output.
func gitRun(t *testing.T, repo string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	cmd.Env = gitEnvironment(repo)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo creates a repository on branch main with a first commit of
// files, and returns it with that commit's hash.
func newRepo(t *testing.T) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is not installed")
		}
		t.Skip("git is not installed")
	}
	repo := t.TempDir()
	gitRun(t, repo, "init", "-q", "-b", "main")
	gitRun(t, repo, "config", "commit.gpgsign", "false")
	write(t, repo, "app/main.go", "package main\n", 0o644)
	write(t, repo, "run.sh", "#!/bin/sh\n", 0o755)
	write(t, repo, ".gitignore", "*.log\n", 0o644)
	if err := os.Symlink("app/main.go", filepath.Join(repo, "link")); err != nil {
		t.Fatal(err)
	}
	gitRun(t, repo, "add", ".")
	commit(t, repo, "2024-05-06T07:08:09+02:00", "first commit\n\nwith a body")
	return repo, gitRun(t, repo, "rev-parse", "HEAD")
}

func commit(t *testing.T, repo, date, msg string) {
	t.Helper()
	cmd := exec.Command("git", "-C", repo, "commit", "-q", "-m", msg)
	cmd.Env = append(gitEnvironment(repo), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git commit: %v\n%s", err, out)
	}
}

func write(t *testing.T, root, rel, content string, mode fs.FileMode) {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// listing describes a tree: path → content (with mode), "->target" for a
// link.
func listing(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, _ := d.Info()
		if info.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			got[rel] = "->" + target
			return nil
		}
		b, _ := os.ReadFile(p)
		got[rel] = info.Mode().Perm().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// request returns a request for a git action with one output.
func request(t *testing.T, repoDir string, cfg map[string]any) (*pipeline.ActionRequest, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	log := &bytes.Buffer{}
	req := &pipeline.ActionRequest{
		Action:  pipeline.Action{Name: "Source", Provider: "git", Outputs: []string{"SourceArtifact"}},
		Config:  cfg,
		Outputs: map[string]string{"SourceArtifact": filepath.Join(root, "out")},
		WorkDir: filepath.Join(root, "work"),
		RepoDir: repoDir,
		Log:     log,
	}
	for _, d := range []string{req.Outputs["SourceArtifact"], req.WorkDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return req, log
}

var firstTree = map[string]string{
	"app/main.go": "-rw-r--r-- package main\n",
	"run.sh":      "-rwxr-xr-x #!/bin/sh\n",
	".gitignore":  "-rw-r--r-- *.log\n",
	"link":        "->app/main.go",
}

func run(t *testing.T, req *pipeline.ActionRequest) pipeline.ActionResult {
	t.Helper()
	res, err := New(Config{Environ: gitEnvironment(t.TempDir())}).Run(context.Background(), req)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestLocalHead(t *testing.T) {
	repo, first := newRepo(t)
	req, log := request(t, repo, nil)
	res := run(t, req)
	want := pipeline.ActionResult{
		State:    pipeline.ActionSucceeded,
		Revision: first,
		OutputVariables: map[string]string{
			"CommitId": first, "BranchName": "main", "AuthorDate": "2024-05-06T05:08:09Z",
			"CommitterDate": "2024-05-06T05:08:09Z", "CommitMessage": "first commit\n\nwith a body",
			"RepositoryName": filepath.Base(repo),
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(firstTree, listing(t, req.Outputs["SourceArtifact"])); diff != "" {
		t.Errorf("artifact (-want +got):\n%s", diff)
	}
	if !strings.Contains(log.String(), "commit "+first) {
		t.Errorf("log = %q, want the commit named", log)
	}
	if st := gitRun(t, repo, "status", "--porcelain"); st != "" {
		t.Errorf("the repository changed: %q", st)
	}
}

func TestLocalDirtyWarns(t *testing.T) {
	repo, first := newRepo(t)
	write(t, repo, "app/main.go", "package changed\n", 0o644)
	write(t, repo, "new.txt", "new\n", 0o644)
	write(t, repo, "debug.log", "ignored\n", 0o644)
	gitRun(t, repo, "mv", "run.sh", "start.sh")

	req, _ := request(t, repo, nil)
	res := run(t, req)
	if res.Revision != first || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "3 uncommitted file(s)") {
		t.Errorf("Run = %+v, want revision %s and a warning about 3 files", res, first)
	}
	if diff := cmp.Diff(firstTree, listing(t, req.Outputs["SourceArtifact"])); diff != "" {
		t.Errorf("artifact is not the committed state (-want +got):\n%s", diff)
	}

	req, _ = request(t, repo, map[string]any{"include_uncommitted": true})
	res = run(t, req)
	want := map[string]string{
		"app/main.go": "-rw-r--r-- package changed\n",
		"start.sh":    "-rwxr-xr-x #!/bin/sh\n",
		"new.txt":     "-rw-r--r-- new\n",
		".gitignore":  "-rw-r--r-- *.log\n",
		"link":        "->app/main.go",
	}
	if diff := cmp.Diff(want, listing(t, req.Outputs["SourceArtifact"])); diff != "" {
		t.Errorf("work tree copy (-want +got):\n%s", diff)
	}
	if res.Revision != first || len(res.Warnings) != 0 {
		t.Errorf("Run = %+v, want revision %s without warnings", res, first)
	}
}

func TestLocalBranchAndCommit(t *testing.T) {
	repo, first := newRepo(t)
	gitRun(t, repo, "checkout", "-q", "-b", "feature")
	write(t, repo, "feature.txt", "f\n", 0o644)
	gitRun(t, repo, "add", ".")
	commit(t, repo, "2024-06-01T00:00:00Z", "feature work")
	feature := gitRun(t, repo, "rev-parse", "HEAD")
	gitRun(t, repo, "checkout", "-q", "main")
	write(t, repo, "dirty.txt", "not committed\n", 0o644)

	tests := []struct {
		name       string
		cfg        map[string]any
		revision   string
		branch     string
		hasFeature bool
		warning    string
	}{
		{name: "other branch", cfg: map[string]any{"branch": "feature"}, revision: feature, branch: "feature", hasFeature: true},
		{name: "pinned commit on branch", cfg: map[string]any{"branch": "feature", "commit": first[:10]}, revision: first, branch: "feature"},
		{name: "pinned commit off branch", cfg: map[string]any{"commit": feature}, revision: feature, branch: "main", hasFeature: true, warning: "is not on branch main"},
		{name: "relative path", cfg: map[string]any{"repository": ".", "branch": "feature"}, revision: feature, branch: "feature", hasFeature: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := request(t, repo, tt.cfg)
			res := run(t, req)
			if res.Revision != tt.revision || res.OutputVariables["BranchName"] != tt.branch {
				t.Errorf("Run = %s on %q, want %s on %q", res.Revision, res.OutputVariables["BranchName"], tt.revision, tt.branch)
			}
			_, err := os.Stat(filepath.Join(req.Outputs["SourceArtifact"], "feature.txt"))
			if (err == nil) != tt.hasFeature {
				t.Errorf("feature.txt exported = %v, want %v", err == nil, tt.hasFeature)
			}
			if got := strings.Join(res.Warnings, "\n"); tt.warning == "" && got != "" || !strings.Contains(got, tt.warning) {
				t.Errorf("warnings = %q, want %q", got, tt.warning)
			}
			if _, err := os.Stat(filepath.Join(req.Outputs["SourceArtifact"], ".git")); err == nil {
				t.Error("the artifact holds a .git directory")
			}
		})
	}
}

func TestRemote(t *testing.T) {
	repo, first := newRepo(t)
	write(t, repo, "second.txt", "2\n", 0o644)
	gitRun(t, repo, "add", ".")
	commit(t, repo, "2024-07-01T00:00:00Z", "second")
	second := gitRun(t, repo, "rev-parse", "HEAD")
	url := "file://" + repo

	tests := []struct {
		name     string
		cfg      map[string]any
		revision string
		branch   string
	}{
		{name: "default branch", cfg: map[string]any{"repository": url}, revision: second, branch: "main"},
		{name: "branch", cfg: map[string]any{"repository": url, "branch": "main"}, revision: second, branch: "main"},
		{name: "full hash", cfg: map[string]any{"repository": url, "commit": first}, revision: first},
		{name: "short hash", cfg: map[string]any{"repository": url, "branch": "main", "commit": first[:8]}, revision: first, branch: "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := request(t, "", tt.cfg)
			res := run(t, req)
			if res.Revision != tt.revision || res.OutputVariables["BranchName"] != tt.branch {
				t.Errorf("Run = %s on %q, want %s on %q", res.Revision, res.OutputVariables["BranchName"], tt.revision, tt.branch)
			}
			wantTree := firstTree
			if tt.revision == second {
				wantTree = map[string]string{"second.txt": "-rw-r--r-- 2\n"}
				for k, v := range firstTree {
					wantTree[k] = v
				}
			}
			if diff := cmp.Diff(wantTree, listing(t, req.Outputs["SourceArtifact"])); diff != "" {
				t.Errorf("artifact (-want +got):\n%s", diff)
			}
			if got := res.OutputVariables["RepositoryName"]; got != filepath.Base(repo) {
				t.Errorf("RepositoryName = %q", got)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	repo, _ := newRepo(t)
	empty := t.TempDir()
	gitRun(t, empty, "init", "-q")
	tests := []struct {
		name    string
		repoDir string
		cfg     map[string]any
		outputs int
		want    string
		invalid bool
	}{
		{name: "not a repository", repoDir: t.TempDir(), want: "is not a git repository", invalid: true},
		{name: "no commits", repoDir: empty, want: "has no commits", invalid: true},
		{name: "unknown branch", repoDir: repo, cfg: map[string]any{"branch": "nope"}, want: `branch: "nope" not found`, invalid: true},
		{name: "unknown commit", repoDir: repo, cfg: map[string]any{"commit": "deadbeef"}, want: `revision "deadbeef" not found`, invalid: true},
		{name: "option-like branch", repoDir: repo, cfg: map[string]any{"branch": "--upload-pack=x"}, want: "is not a git revision", invalid: true},
		{name: "no repository", want: "no repository given", invalid: true},
		{name: "two outputs", repoDir: repo, outputs: 2, want: "exactly one output artifact", invalid: true},
		{name: "uncommitted with commit", repoDir: repo, cfg: map[string]any{"include_uncommitted": true, "commit": "HEAD"}, want: "cannot go with commit", invalid: true},
		{name: "missing remote", cfg: map[string]any{"repository": "file://" + filepath.Join(empty, "nope")}, want: "git ls-remote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := request(t, tt.repoDir, tt.cfg)
			if tt.outputs == 2 {
				req.Outputs["Other"] = t.TempDir()
			}
			_, err := New(Config{Environ: gitEnvironment(t.TempDir())}).Run(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, pipeline.ErrInvalid) != tt.invalid {
				t.Errorf("Run = %v, want an error containing %q (invalid: %v)", err, tt.want, tt.invalid)
			}
		})
	}
}

// TestRunSubdirectory: a repository directory inside a larger work tree
// exports only its subtree, as its own root.
func TestRunSubdirectory(t *testing.T) {
	repo, _ := newRepo(t)
	write(t, repo, "examples/app/secpipe.yml", "version: 1\n", 0o644)
	write(t, repo, "examples/app/src/main.js", "main()\n", 0o644)
	gitRun(t, repo, "add", ".")
	commit(t, repo, "2024-05-07T07:08:09+02:00", "add an example")
	sub := filepath.Join(repo, "examples", "app")
	write(t, repo, "examples/app/new.txt", "uncommitted\n", 0o644)
	write(t, repo, "elsewhere.txt", "uncommitted outside\n", 0o644)

	req, _ := request(t, sub, nil)
	res := run(t, req)
	want := map[string]string{
		"secpipe.yml": "-rw-r--r-- version: 1\n",
		"src/main.js": "-rw-r--r-- main()\n",
	}
	if diff := cmp.Diff(want, listing(t, req.Outputs["SourceArtifact"])); diff != "" {
		t.Errorf("artifact of examples/app (-want +got):\n%s", diff)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "1 uncommitted file(s)") {
		t.Errorf("Warnings = %q, want one counting only the subtree's uncommitted file", res.Warnings)
	}

	req, _ = request(t, sub, map[string]any{"include_uncommitted": true})
	run(t, req)
	want["new.txt"] = "-rw-r--r-- uncommitted\n"
	if diff := cmp.Diff(want, listing(t, req.Outputs["SourceArtifact"])); diff != "" {
		t.Errorf("work tree of examples/app (-want +got):\n%s", diff)
	}
}
