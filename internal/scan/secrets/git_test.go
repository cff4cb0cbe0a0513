package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// gitRun runs git in repo with a fixed identity and clock and returns its
// output; dateOffset shifts the commit date by that many hours.
func gitRun(t testing.TB, repo string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "HOME="+repo, "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@secpipe.invalid",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@secpipe.invalid")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// gitRepo creates an empty repository in a temporary directory.
func gitRepo(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := t.TempDir()
	gitRun(t, repo, nil, "init", "-q", "-b", "main")
	gitRun(t, repo, nil, "config", "commit.gpgsign", "false")
	return repo
}

// gitCommitFile writes path (content "" deletes it) and commits it as
// author at a fixed date, and returns the commit hash.
func gitCommitFile(t testing.TB, repo, path, content, author, msg string) string {
	t.Helper()
	p := filepath.Join(repo, filepath.FromSlash(path))
	if content == "" {
		gitRun(t, repo, nil, "rm", "-q", path)
	} else {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		gitRun(t, repo, nil, "add", path)
	}
	return gitCommit(t, repo, author, msg)
}

func gitCommit(t testing.TB, repo, author, msg string) string {
	t.Helper()
	date := "2024-01-02T03:04:05Z"
	env := []string{
		"GIT_AUTHOR_NAME=" + author, "GIT_AUTHOR_EMAIL=" + strings.ToLower(author) + "@secpipe.invalid",
		"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date,
	}
	gitRun(t, repo, env, "commit", "-q", "-m", msg)
	return gitRun(t, repo, nil, "rev-parse", "HEAD")
}

func TestGitHistory(t *testing.T) {
	tok1, tok2, tok3 := testToken(90), testToken(91), testToken(92)
	repo := gitRepo(t)
	c1 := gitCommitFile(t, repo, "app.env", "A=1\nB=2\nTOKEN="+tok1+"\n", "Ann", "add config")
	c2 := gitCommitFile(t, repo, "app.env", "A=1\nB=2\nC=3\nD=4\nNEW="+tok2+"\n", "Bob", "rotate")
	gitRun(t, repo, nil, "mv", "app.env", "conf.env")
	gitCommit(t, repo, "Cid", "rename")
	gitCommitFile(t, repo, "conf.env", "", "Dee", "remove")
	gitCommitFile(t, repo, "blob.bin", "\x00\x01"+tok3+"\x00", "Eve", "binary")
	gitCommitFile(t, repo, "dir with space/ünï.txt", "x\n+++ "+tok3+"\n", "Fay", "odd names")

	s, _ := newScanner(t, Config{Git: true})
	fs := scanAll(t, s, repo)
	var got []string
	for _, f := range fs {
		l := f.Location
		got = append(got, fmt.Sprintf("%s:%d:%d %s %s %s %s", l.Path, l.Line, l.Column, l.Commit[:7], l.Author, l.Email, l.Date.Format(time.RFC3339)))
	}
	c6 := gitRun(t, repo, nil, "rev-parse", "HEAD")
	want := []string{
		"dir with space/ünï.txt:2:5 " + c6[:7] + " Fay fay@secpipe.invalid 2024-01-02T03:04:05Z",
		"app.env:5:5 " + c2[:7] + " Bob bob@secpipe.invalid 2024-01-02T03:04:05Z",
		"app.env:3:7 " + c1[:7] + " Ann ann@secpipe.invalid 2024-01-02T03:04:05Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("findings (-want +got):\n%s", diff)
	}
	f := fs[2]
	if f.Location.Commit != c1 || !strings.Contains(f.Description, "commit "+c1[:12]+" by Ann") {
		t.Errorf("finding commit %s, description %q; want %s named", f.Location.Commit, f.Description, c1)
	}
	if want := pipeline.Fingerprint("secret", "test-token", "app.env", sha256Hex(tok1), c1); f.Fingerprint != want {
		t.Errorf("Fingerprint = %s, want %s (commit included)", f.Fingerprint, want)
	}

	sub, _ := newScanner(t, Config{Git: true})
	if got := where(scanAll(t, sub, filepath.Join(repo, "dir with space"))); !cmp.Equal(got, []string{"test-token ünï.txt:2:5"}) {
		t.Errorf("Scan(subdirectory) = %v, want its file only, path relative to it", got)
	}

	ranged, _ := newScanner(t, Config{Git: true, LogOpts: []string{c1 + "..HEAD"}})
	if got := where(scanAll(t, ranged, repo)); len(got) != 2 || strings.Contains(strings.Join(got, " "), "app.env:3") {
		t.Errorf("LogOpts range: findings %v, want c1 left out", got)
	}
}

// TestGitLargeAddition adds a file larger than a chunk in one commit: it
// is scanned in overlapping pieces with its real line numbers.
func TestGitLargeAddition(t *testing.T) {
	var b strings.Builder
	var want []string
	for i := 1; i <= 3000; i++ {
		if i%700 == 0 {
			fmt.Fprintf(&b, "k%d=%s\n", i, testToken(uint64(i)))
			want = append(want, fmt.Sprintf("test-token big.txt:%d:%d", i, len(fmt.Sprint(i))+3))
			continue
		}
		fmt.Fprintf(&b, "line %d %s\n", i, fake(uint64(i), lowerDigits, 20))
	}
	repo := gitRepo(t)
	gitCommitFile(t, repo, "big.txt", b.String(), "Ann", "big")
	s, _ := newScanner(t, Config{Git: true, MaxFileSize: 8 << 10})
	if diff := cmp.Diff(want, where(scanAll(t, s, repo))); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestGitStaged(t *testing.T) {
	repo := gitRepo(t)
	gitCommitFile(t, repo, "a.txt", "one\n", "Ann", "init")
	staged, unstaged := testToken(93), testToken(94)
	writeFile(t, filepath.Join(repo, "a.txt"), []byte("one\ntwo "+staged+"\n"))
	gitRun(t, repo, nil, "add", "a.txt")
	writeFile(t, filepath.Join(repo, "a.txt"), []byte("one\ntwo "+staged+"\nthree "+unstaged+"\n"))
	s, _ := newScanner(t, Config{Staged: true})
	fs := scanAll(t, s, repo)
	if got := where(fs); !cmp.Equal(got, []string{"test-token a.txt:2:5"}) {
		t.Fatalf("findings = %v, want the staged secret only", got)
	}
	if fs[0].Location.Commit != "" || !strings.Contains(fs[0].Description, "staged") {
		t.Errorf("staged finding %+v, want no commit and a description saying staged", fs[0])
	}
}

func TestGitErrors(t *testing.T) {
	s, _ := newScanner(t, Config{Git: true})
	plain := t.TempDir()
	err := s.Scan(context.Background(), plain, func(pipeline.Finding) error { return nil })
	if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("Scan(plain dir) = %v, want ErrInvalid saying not a git repository", err)
	}

	empty := gitRepo(t)
	if fs := scanAll(t, s, empty); len(fs) != 0 {
		t.Errorf("Scan(empty repo) = %v, want nothing", where(fs))
	}

	repo := gitRepo(t)
	gitCommitFile(t, repo, "a.txt", "a\n", "Ann", "init")
	bad, _ := newScanner(t, Config{Git: true, LogOpts: []string{"no-such-branch"}})
	err = bad.Scan(context.Background(), repo, func(pipeline.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no-such-branch") {
		t.Errorf("Scan(bad revision) = %v, want git's complaint", err)
	}

	t.Setenv("PATH", t.TempDir())
	err = s.Scan(context.Background(), repo, func(pipeline.Finding) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "git program") {
		t.Errorf("Scan without git = %v, want an error saying git is needed", err)
	}
}

func TestDiffParser(t *testing.T) {
	diff := strings.Join([]string{
		"\x1eabc123\x1fAnn Lee\x1fann@x.invalid\x1f2024-05-06T07:08:09+02:00",
		"",
		"diff --git a/f.txt b/f.txt",
		"index 1..2 100644",
		"--- a/f.txt",
		"+++ b/f.txt",
		"@@ -3 +3,2 @@ func x() {",
		"-old line",
		"+new line 3",
		"++++ looks like a header",
		"@@ -10,0 +12 @@",
		"+line 12",
		"\\ No newline at end of file",
		"diff --git a/gone.txt b/gone.txt",
		"deleted file mode 100644",
		"--- a/gone.txt",
		"+++ /dev/null",
		"@@ -1 +0,0 @@",
		"-removed",
		"diff --git a/img.png b/img.png",
		"Binary files a/img.png and b/img.png differ",
		"diff --git a/old name.txt b/new name.txt",
		"similarity index 90%",
		"rename from old name.txt",
		"rename to new name.txt",
		"--- a/old name.txt\t",
		"+++ b/new name.txt\t",
		"@@ -0,0 +1 @@",
		"+renamed",
		"diff --git \"a/t\\303\\251st\" \"b/t\\303\\251st\"",
		"--- \"a/t\\303\\251st\"",
		"+++ \"b/t\\303\\251st\"",
		"@@ -1,0 +2,1 @@",
		"+accent",
		"\x1edef456\x1fBob\x1fbob@x.invalid\x1f2024-05-05T00:00:00Z",
		"diff --cc merged.txt",
		"+++ b/merged.txt",
		"@@@ -1 -1 +1 @@@",
		"++both",
		"",
	}, "\n")
	batches := make(chan gitBatch, 100)
	p := &diffParser{ctx: context.Background(), out: batches, maxLen: 1024, unitMax: 1 << 20}
	if err := p.parse(strings.NewReader(diff)); err != nil {
		t.Fatal(err)
	}
	close(batches)
	var got []string
	for b := range batches {
		for _, u := range b.units {
			got = append(got, fmt.Sprintf("%s %s %v %q", u.src.path, u.src.commit.hash, u.src.lines, u.sp.buf))
		}
	}
	want := []string{
		`f.txt abc123 [3 4 12] "new line 3\n+++ looks like a header\nline 12\n"`,
		`new name.txt abc123 [1] "renamed\n"`,
		`tést abc123 [2] "accent\n"`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("units (-want +got):\n%s", d)
	}
	c := parseCommit([]byte("abc123\x1fAnn Lee\x1fann@x.invalid\x1f2024-05-06T07:08:09+02:00\n"))
	if c.author != "Ann Lee" || c.email != "ann@x.invalid" || !c.date.Equal(time.Date(2024, 5, 6, 5, 8, 9, 0, time.UTC)) {
		t.Errorf("parseCommit = %+v", c)
	}
}

// FuzzDiffParser feeds the parser arbitrary git output: it must not panic,
// and every unit's line map must match its text.
func FuzzDiffParser(f *testing.F) {
	f.Add([]byte("\x1eh\x1fa\x1fe\x1f2024-01-01T00:00:00Z\ndiff --git a/x b/x\n+++ b/x\n@@ -1 +1,2 @@\n-a\n+b\n+c\n"))
	f.Add([]byte("+++ b/x\n@@ -0,0 +5 @@\n+tok\n@@ -1,-3 +x,y @@\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		batches := make(chan gitBatch, 1000)
		p := &diffParser{ctx: context.Background(), out: batches, maxLen: 64, unitMax: 1024}
		go func() {
			defer close(batches)
			_ = p.parse(bytes.NewReader(data))
		}()
		for b := range batches {
			for _, u := range b.units {
				if n := bytes.Count(u.sp.buf, []byte{'\n'}); n != len(u.src.lines) {
					t.Fatalf("unit with %d lines has %d line numbers", n, len(u.src.lines))
				}
			}
		}
	})
}
