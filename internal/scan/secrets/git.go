package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// gitFormat prints a commit header line that no diff line can look like:
// a record separator, then hash, author, email and date split by unit
// separators.
const gitFormat = "--format=%x1e%H%x1f%an%x1f%ae%x1f%aI"

// gitUnit is the text of the lines one commit (or the index) added to one
// file, or a chunk of it when it is large.
type gitUnit struct {
	sp  span
	src *source
}

// gitBatch is the seq-th group of consecutive units.
type gitBatch struct {
	seq   int
	units []gitUnit
}

// scanGit scans the lines added by the commits of a repository's history,
// or by its staged changes, running git and parsing its output as it
// streams in while workers scan the files parsed so far.
func (s *Scanner) scanGit(ctx context.Context, root string, emit func(pipeline.Finding) error) error {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return fmt.Errorf("scan git history of %s: the git program is needed: %w", root, err)
	}
	hasHead, err := checkRepo(ctx, gitPath, root)
	if err != nil || (!hasHead && !s.cfg.Staged && len(s.cfg.LogOpts) == 0) {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, gitPath, s.gitArgs(root)...)
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return fmt.Errorf("run git in %s: %w", root, err)
	}
	batches := make(chan gitBatch, 2*s.cfg.Workers)
	parseErr := make(chan error, 1)
	go func() {
		defer close(batches)
		p := &diffParser{ctx: ctx, out: batches, maxLen: s.det.MaxLen(), unitMax: s.chunk, staged: s.cfg.Staged}
		parseErr <- p.parse(stdout)
	}()
	work := func(b gitBatch) result {
		r := result{seq: b.seq}
		for _, u := range b.units {
			r.findings = append(r.findings, s.group(s.spanFindings(u.sp, u.src, nil))...)
		}
		return r
	}
	if err := fanOut(ctx, cancel, s.cfg.Workers, batches, work, emit); err != nil {
		<-parseErr
		_ = cmd.Wait()
		return err
	}
	perr, werr := <-parseErr, cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case werr != nil:
		return fmt.Errorf("git %s in %s: %w: %s", s.gitCommand(), root, werr, strings.TrimSpace(stderr.String()))
	case perr != nil:
		return fmt.Errorf("read git output in %s: %w", root, perr)
	}
	return nil
}

// gitCommand names the git command run, for errors.
func (s *Scanner) gitCommand() string {
	if s.cfg.Staged {
		return "diff --cached"
	}
	return "log"
}

// gitArgs returns the arguments of the git command that prints the diffs
// to scan, with every setting that changes its output pinned. With
// --relative, a root below the top of the repository limits the diffs to
// its files and makes their paths relative to it, like a tree scan.
func (s *Scanner) gitArgs(root string) []string {
	args := []string{"-C", root, "-c", "core.quotePath=false"}
	common := []string{"-p", "-U0", "--relative", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/"}
	if s.cfg.Staged {
		args = append(append(args, "diff", "--cached"), common...)
		return args
	}
	args = append(append(args, "log", gitFormat), common...)
	return append(args, s.cfg.LogOpts...)
}

// checkRepo makes sure root is inside a git repository and tells whether
// HEAD names a commit (a new repository has none).
func checkRepo(ctx context.Context, gitPath, root string) (hasHead bool, err error) {
	out, err := exec.CommandContext(ctx, gitPath, "-C", root, "rev-parse", "--git-dir").CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("%w: %s is not a git repository: %s", pipeline.ErrInvalid, root, strings.TrimSpace(string(out)))
	}
	err = exec.CommandContext(ctx, gitPath, "-C", root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("run git in %s: %w", root, err)
	}
	return true, nil
}

// tailBuffer keeps the last max bytes written to it: git's error message
// without unbounded memory.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.ToValidUTF8(t.b, nil))
}
