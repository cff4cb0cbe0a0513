package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// newScanner builds a scanner with the engine's test rules unless cfg
// names others, logging to the returned buffer.
func newScanner(t *testing.T, cfg Config) (*Scanner, *testutil.SyncBuffer) {
	t.Helper()
	if cfg.Rules == nil {
		cfg.Rules = engineRules()
	}
	log := &testutil.SyncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, log
}

// writeTree creates files (slash-separated path to content) under a new
// temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func scanAll(t *testing.T, s *Scanner, target string) []pipeline.Finding {
	t.Helper()
	var out []pipeline.Finding
	err := s.Scan(context.Background(), target, func(f pipeline.Finding) error {
		out = append(out, f)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%s) = %v", target, err)
	}
	return out
}

// where lists findings as "rule path:line:col", the way tests compare them.
func where(fs []pipeline.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s:%d:%d", f.RuleID, f.Location.Path, f.Location.Line, f.Location.Column))
	}
	return out
}

func TestScanTree(t *testing.T) {
	tok := testToken(1)
	outside := writeTree(t, map[string]string{"secret.txt": testToken(9) + "\n"})
	root := writeTree(t, map[string]string{
		"a.txt":                  "hello\n  x = " + tok + "\n",
		"dir/b.env":              "A=1\nB=2\nTOKEN=" + testToken(2) + "\n",
		"dir/sub/c.go":           "package c\n\nconst k = \"" + testToken(3) + "\"\n",
		"bin/tool":               "\x7fELF\x02\x01\x01" + tok + "\n",
		"bin/data.bin":           "abc\x00def " + tok + "\n",
		".git/config":            "token = " + tok + "\n",
		"sub/.git/HEAD":          tok + "\n",
		"vendor/lib/x.txt":       tok + "\n",
		"web/app.min.js":         tok + "\n",
		"docs/.gitkeep":          "",
		"docs/notes.md":          "nothing here\n",
		"dir/sub/.hidden/key.md": "  " + testToken(4) + "\n",
		// secpipe run's state: copies of the tree, not reported twice.
		".secpipe/state.db":              "",
		".secpipe/artifacts/blobs/ab/cd": tok + "\n",
		"other/.secpipe/not-state.txt":   "  " + testToken(5) + "\n",
	})
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "linkdir")); err != nil {
		t.Fatal(err)
	}
	s, _ := newScanner(t, Config{Exclude: []string{"vendor/**", "**/*.min.js"}, Workers: 3})
	got := where(scanAll(t, s, root))
	want := []string{
		"test-token a.txt:2:7",
		"test-token dir/b.env:3:7",
		"test-token dir/sub/.hidden/key.md:1:3",
		"test-token dir/sub/c.go:3:12",
		"test-token other/.secpipe/not-state.txt:1:3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan(tree) findings (-want +got):\n%s", diff)
	}
}

func TestScanSymlinkedRoot(t *testing.T) {
	root := writeTree(t, map[string]string{"a/b.txt": testToken(7)})
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(root, link); err != nil {
		t.Fatal(err)
	}
	s, _ := newScanner(t, Config{})
	if got := where(scanAll(t, s, link)); !slices.Equal(got, []string{"test-token a/b.txt:1:1"}) {
		t.Errorf("Scan(link to tree) = %v, want the file inside", got)
	}
}

func TestScanFindingFields(t *testing.T) {
	tok := testToken(5)
	root := writeTree(t, map[string]string{"conf/app.yaml": "a: 1\ntoken: " + tok + "\n"})
	s, _ := newScanner(t, Config{})
	fs := scanAll(t, s, root)
	if len(fs) != 1 {
		t.Fatalf("Scan found %v, want one finding", where(fs))
	}
	want := pipeline.Finding{
		Kind:        pipeline.KindSecret,
		RuleID:      "test-token",
		Severity:    pipeline.SeverityHigh,
		Title:       "Test token",
		Location:    pipeline.Location{Path: "conf/app.yaml", Line: 2, Column: 8},
		Fingerprint: pipeline.Fingerprint("secret", "test-token", "conf/app.yaml", sha256Hex(tok)),
		Remediation: "Revoke the token.",
		References:  []string{"https://tokens.invalid/format"},
		Evidence:    pipeline.Redact(tok),
	}
	if diff := cmp.Diff(want, fs[0]); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	// The fingerprint does not move with the line.
	moved := writeTree(t, map[string]string{"conf/app.yaml": "\n\n\ntoken: " + tok + "\n"})
	if fs2 := scanAll(t, s, moved); len(fs2) != 1 || fs2[0].Fingerprint != fs[0].Fingerprint {
		t.Errorf("fingerprint after moving the secret = %v, want %s", fs2, fs[0].Fingerprint)
	}
}

func TestScanSingleFile(t *testing.T) {
	root := writeTree(t, map[string]string{"deep/dir/f.txt": "\n\n" + testToken(6)})
	s, _ := newScanner(t, Config{})
	got := where(scanAll(t, s, filepath.Join(root, "deep/dir/f.txt")))
	if want := []string{"test-token f.txt:3:1"}; !slices.Equal(got, want) {
		t.Errorf("Scan(file) = %v, want %v", got, want)
	}
}

func TestScanNotFound(t *testing.T) {
	s, _ := newScanner(t, Config{})
	missing := filepath.Join(t.TempDir(), "nope")
	err := s.Scan(context.Background(), missing, func(pipeline.Finding) error { return nil })
	if !errors.Is(err, pipeline.ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Scan(%s) = %v, want ErrNotFound naming the path", missing, err)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "bad exclude", cfg: Config{Rules: engineRules(), Exclude: []string{"a/[b"}}},
		{name: "git and staged", cfg: Config{Rules: engineRules(), Git: true, Staged: true}},
		{name: "duplicate rule", cfg: Config{Rules: append(engineRules(), engineRules()[0])}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("%s: New() = %v, want ErrInvalid", tt.name, err)
		}
	}
}

func TestUnreadableFileIsSkipped(t *testing.T) {
	s, log := newScanner(t, Config{})
	fs := s.scanFile(context.Background(), fileJob{abs: filepath.Join(t.TempDir(), "gone.txt"), rel: "gone.txt"})
	if len(fs) != 0 || !strings.Contains(log.String(), "skip unreadable file") || !strings.Contains(log.String(), "gone.txt") {
		t.Errorf("scanFile(missing) = %v, log %q; want no findings and a warning naming the file", fs, log.String())
	}
}

func TestInlineIgnore(t *testing.T) {
	tok, kid := testToken(10), testKeyID(11)
	root := writeTree(t, map[string]string{"f.txt": strings.Join([]string{
		"a = " + tok + " # secpipe:ignore",
		"b = " + tok + " // secpipe:ignore test-token",
		"c = " + tok + " // secpipe:ignore test-key-id,test-generic",
		"d = " + tok + " " + kid + " // secpipe:ignore test-key-id",
		"e = " + tok + " // secpipe:ignore fixture for the parser tests",
		"f = " + tok,
	}, "\n")})
	s, _ := newScanner(t, Config{})
	var got []string
	for _, f := range scanAll(t, s, root) {
		sup := "-"
		if f.Suppressed != nil {
			sup = f.Suppressed.By + "@" + f.Suppressed.Source
		}
		got = append(got, fmt.Sprintf("%s:%d %s", f.RuleID, f.Location.Line, sup))
	}
	want := []string{
		"test-token:1 inline@f.txt:1",
		"test-token:2 inline@f.txt:2",
		"test-token:3 -",
		"test-token:4 -",
		"test-key-id:4 inline@f.txt:4",
		"test-token:5 inline@f.txt:5",
		"test-token:6 -",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressions (-want +got):\n%s", diff)
	}
}

func TestGroup(t *testing.T) {
	kid, sec := testKeyID(20), testSecret(21)
	root := writeTree(t, map[string]string{
		"near.env":  "ID=" + kid + "\n#\n#\nkey_secret=" + sec + "\n",
		"far.env":   "ID=" + kid + "\n" + strings.Repeat("#\n", 6) + "key_secret=" + sec + "\n",
		"alone.env": "ID=" + kid + "\nID2=" + testKeyID(22) + "\n",
		"two.env":   "ID=" + kid + "\nkey_secret=" + sec + "\n\n\n\n\n\n\n\n\nID=" + testKeyID(23) + "\nkey_secret=" + testSecret(24) + "\n",
	})
	s, _ := newScanner(t, Config{})
	groups := map[string][]string{}
	for _, f := range scanAll(t, s, root) {
		groups[f.Location.Path] = append(groups[f.Location.Path], f.Group)
	}
	check := func(path string, wantSame bool) {
		g := groups[path]
		if len(g) < 2 {
			t.Fatalf("%s: %d findings, want at least 2", path, len(g))
		}
		same := g[0] != "" && g[0] == g[1]
		if same != wantSame {
			t.Errorf("%s: groups %q, want shared group = %v", path, g, wantSame)
		}
	}
	check("near.env", true)
	check("far.env", false)
	check("alone.env", false)
	if g := groups["two.env"]; len(g) != 4 || g[0] != g[1] || g[2] != g[3] || g[0] == g[2] || g[0] == "" {
		t.Errorf("two.env: groups %q, want two distinct pairs", g)
	}
	if g := groups["far.env"]; g[0] != "" || g[1] != "" {
		t.Errorf("far.env: groups %q, want none", g)
	}
}

func TestBase64(t *testing.T) {
	tok := testToken(30)
	blob := base64Std("config:\n  token: " + tok + "\n")
	pwBlob := base64Std("user=" + testToken(31) + "!")
	root := writeTree(t, map[string]string{
		"k8s.yaml": "data:\n  app.conf: " + blob + "\n",
		"pw.ini":   "wrapped: " + pwBlob + "\n",
		"bin.txt":  "x: " + base64Std(string([]byte{0, 1, 2, 3, 250, 251, 252, 253, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})) + "\n",
	})
	s, _ := newScanner(t, Config{})
	fs := scanAll(t, s, root)
	got := where(fs)
	want := []string{"test-token k8s.yaml:2:13", "test-wrapped pw.ini:1:10"}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("findings (-want +got):\n%s", diff)
	}
	for _, f := range fs {
		decoded := strings.Contains(f.Description, "base64-decoded")
		if decoded != (f.RuleID == "test-token") {
			t.Errorf("%s: description %q", f.RuleID, f.Description)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanCancel(t *testing.T) {
	files := map[string]string{}
	for i := range 150 {
		files[fmt.Sprintf("d%02d/f%03d.txt", i%20, i)] = strings.Repeat("filler line\n", 200) + testToken(uint64(i)) + "\n"
	}
	root := writeTree(t, files)
	s, _ := newScanner(t, Config{Workers: 2})

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	start := time.Now()
	err := s.Scan(ctx, root, func(pipeline.Finding) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Errorf("Scan after cancel = %v with %d findings, want context.Canceled right after the third", err, n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Scan took %v to stop", d)
	}

	stop := errors.New("stop")
	n = 0
	err = s.Scan(context.Background(), root, func(pipeline.Finding) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Scan with failing emit = %v after %d calls, want the emit error after 1", err, n)
	}

	done, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if err := s.Scan(done, root, func(pipeline.Finding) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan(cancelled) = %v, want context.Canceled", err)
	}
}

func TestScanOrderStable(t *testing.T) {
	files := map[string]string{}
	for i := range 60 {
		files[fmt.Sprintf("d%d/f%02d.txt", i%7, i)] = strings.Repeat("x\n", i) + testToken(uint64(i)) + "\n"
	}
	root := writeTree(t, files)
	one, _ := newScanner(t, Config{Workers: 1})
	many, _ := newScanner(t, Config{Workers: 8})
	a, b := scanAll(t, one, root), scanAll(t, many, root)
	if len(a) != 60 {
		t.Fatalf("found %d, want 60", len(a))
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("1 worker vs 8 workers (-1 +8):\n%s", diff)
	}
}

// TestRedaction scans secrets found every way (plain, archived, base64,
// git history) and checks that no field of the JSON report holds more
// than pipeline.RedactKeep characters of any of them.
func TestRedaction(t *testing.T) {
	secrets := []string{testToken(40), testKeyID(41), testSecret(42), testToken(43), testToken(44)}
	root := writeTree(t, map[string]string{
		"plain.env": "T=" + secrets[0] + "\nID=" + secrets[1] + "\nkey_secret=" + secrets[2] + "\n",
		"b64.yaml":  "v: " + base64Std("token="+secrets[3]+"\n") + "\n",
	})
	writeFile(t, filepath.Join(root, "a.zip"), zipBytes(t, map[string]string{"in/x.txt": "tok: " + secrets[4]}))
	s, _ := newScanner(t, Config{})
	fs := scanAll(t, s, root)
	if len(fs) != len(secrets) {
		t.Fatalf("found %v, want %d findings", where(fs), len(secrets))
	}
	repo := gitRepo(t)
	gitCommitFile(t, repo, "s.txt", "t = "+secrets[0]+"\n", "Ann", "add")
	gs, _ := newScanner(t, Config{Git: true})
	fs = append(fs, scanAll(t, gs, repo)...)
	js, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range secrets {
		for i := 0; i+pipeline.RedactKeep+1 <= len(sec); i++ {
			if part := sec[i : i+pipeline.RedactKeep+1]; bytes.Contains(js, []byte(part)) {
				t.Errorf("report holds %q, part of a secret", part)
			}
		}
	}
}
