package secrets

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// BenchmarkScanTree scans a small tree of Go sources copied from GOROOT
// with a few secrets planted, with the whole catalogue.
func BenchmarkScanTree(b *testing.B) {
	root := b.TempDir()
	var total int64
	for i, src := range goSources(b, 4<<20) {
		p := filepath.Join(root, fmt.Sprintf("d%02d", i%40), fmt.Sprintf("f%04d.go", i))
		if i%100 == 0 {
			src = append(src, fmt.Sprintf("\nvar key = %q\n", "AKIA"+fake(uint64(i), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16))...)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, src, 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(len(src))
	}
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		if err := s.Scan(context.Background(), root, func(pipeline.Finding) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// buildHistory creates a repository with n commits, each changing a few
// lines of a few of 200 files, through git fast-import.
func buildHistory(b *testing.B, n int) string {
	b.Helper()
	repo := gitRepo(b)
	cmd := exec.Command("git", "-C", repo, "fast-import", "--quiet")
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(in)
	writeHistory(w, n)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	gitRun(b, repo, nil, "reset", "-q", "--hard")
	return repo
}

// writeHistory writes a fast-import stream of n commits.
func writeHistory(w io.Writer, n int) {
	r := rand.New(rand.NewPCG(11, 12))
	files := make([][]string, 200)
	for i := range files {
		for j := range 40 {
			files[i] = append(files[i], fmt.Sprintf("// line %d %s", j, fake(uint64(i*100+j), lowerDigits, 40)))
		}
	}
	mark := 0
	for c := range n {
		var changed []string
		for range 1 + r.IntN(3) {
			f := r.IntN(len(files))
			lines := files[f]
			for k := range 1 + r.IntN(5) {
				line := fmt.Sprintf("\tx := %q", fake(r.Uint64(), lowerDigits+" ", 10+r.IntN(60)))
				if c%200 == 0 && k == 0 {
					line = "\ttoken := \"" + testToken(uint64(c)) + "\""
				}
				if pos := r.IntN(len(lines)); r.IntN(3) == 0 && len(lines) > 10 {
					lines = append(lines[:pos], lines[pos+1:]...)
				} else {
					lines = append(lines[:pos], append([]string{line}, lines[pos:]...)...)
				}
			}
			files[f] = lines
			mark++
			data := strings.Join(lines, "\n") + "\n"
			fmt.Fprintf(w, "blob\nmark :%d\ndata %d\n%s\n", mark, len(data), data)
			changed = append(changed, fmt.Sprintf("M 100644 :%d src/f%03d.go\n", mark, f))
		}
		ts := 1_600_000_000 + c*60
		msg := fmt.Sprintf("commit %d", c)
		fmt.Fprintf(w, "commit refs/heads/main\nauthor Dev%d <dev%d@secpipe.invalid> %d +0000\n", c%5, c%5, ts)
		fmt.Fprintf(w, "committer Dev <dev@secpipe.invalid> %d +0000\ndata %d\n%s\n", ts, len(msg), msg)
		fmt.Fprint(w, strings.Join(changed, ""), "\n")
	}
}

// BenchmarkGitHistory scans a history of 3000 commits and reports the
// scan's wall time as a multiple of git log -p's own (x-git-log).
func BenchmarkGitHistory(b *testing.B) {
	repo := buildHistory(b, 3000)
	s, err := New(Config{Git: true, Rules: append(Rules(), engineRules()...)})
	if err != nil {
		b.Fatal(err)
	}
	var scanTime, gitTime time.Duration
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command("git", s.gitArgs(repo)...)
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		gitTime += time.Since(start)
		start = time.Now()
		n := 0
		if err := s.Scan(context.Background(), repo, func(pipeline.Finding) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		scanTime += time.Since(start)
		if n < 10 {
			b.Fatalf("found %d secrets, want at least 10", n)
		}
	}
	b.ReportMetric(float64(scanTime)/float64(gitTime), "x-git-log")
}
