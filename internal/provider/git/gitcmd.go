package git

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/provider/internal/proc"
)

// runner runs the git program for one action.
type runner struct {
	path  string
	grace time.Duration
	env   []string
	log   *proc.LineWriter
}

// command builds a git command with extra environment variables.
func (g *runner) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(g.path, args...)
	cmd.Env = append(append([]string(nil), g.env...), env...)
	return cmd
}

// output runs git and returns its standard output, trimmed; the error
// names the command and carries git's own message.
func (g *runner) output(ctx context.Context, env []string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := g.command(env, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := proc.Run(ctx, cmd, g.grace); err != nil {
		return "", g.fail(ctx, args, err, stderr.String())
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// logged runs git with its output (both streams) going to the action log.
func (g *runner) logged(ctx context.Context, env []string, args ...string) error {
	var stderr tail
	cmd := g.command(env, args...)
	out := &teeWriter{a: g.log, b: &stderr}
	cmd.Stdout, cmd.Stderr = out, out
	if err := proc.Run(ctx, cmd, g.grace); err != nil {
		return g.fail(ctx, args, err, stderr.String())
	}
	return nil
}

// ok runs git and reports whether it exited with status 0; other failures
// than a non-zero status are errors.
func (g *runner) ok(ctx context.Context, args ...string) (bool, error) {
	var stderr bytes.Buffer
	cmd := g.command(nil, args...)
	cmd.Stderr = &stderr
	err := proc.Run(ctx, cmd, g.grace)
	if err == nil {
		return true, nil
	}
	if ctx.Err() == nil && proc.ExitStatus(err) > 0 && proc.ExitStatus(err) < 128 {
		return false, nil
	}
	return false, g.fail(ctx, args, err, stderr.String())
}

func (g *runner) fail(ctx context.Context, args []string, err error, stderr string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := strings.TrimSpace(stderr)
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 && strings.HasPrefix(msg[i+1:], "fatal:") {
		msg = msg[i+1:]
	}
	return fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, msg)
}

// gitEnv is the environment git runs with: never prompt on a terminal
// (nobody is there to answer; ssh runs in batch mode unless the user chose
// an ssh command), and messages in English for errors.
func gitEnv(base []string) []string {
	if base == nil {
		base = os.Environ()
	}
	env := append(append([]string(nil), base...), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	for _, kv := range base {
		if strings.HasPrefix(kv, "GIT_SSH_COMMAND=") || strings.HasPrefix(kv, "GIT_SSH=") {
			return env
		}
	}
	return append(env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes")
}

// tail keeps the last 8 KiB written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 8<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-8<<10:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.b) }

// teeWriter writes to two writers; it is used by a single copier.
type teeWriter struct {
	a *proc.LineWriter
	b *tail
}

func (w *teeWriter) Write(p []byte) (int, error) {
	_, _ = w.a.Write(p)
	return w.b.Write(p)
}
