package proc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// ErrSessionOver is returned by a Session whose shell has exited.
var ErrSessionOver = errors.New("the shell session has ended")

// SessionConfig says how a Session's shell runs.
type SessionConfig struct {
	// Shell is the shell's path; empty means /bin/sh.
	Shell string
	// Dir is the working directory; Env the whole environment.
	Dir string
	Env []string
	// Errexit runs the session with set -e: the first failing command
	// ends the shell.
	Errexit bool
	// ScriptDir is a private directory where each command is written to a
	// file before the shell sources it.
	ScriptDir string
	// Grace is the time between SIGTERM and SIGKILL; zero means
	// DefaultGrace.
	Grace time.Duration
}

// Session is one shell that runs commands one at a time, so that variables,
// exports and the working directory carry from one command to the next
// (CodeBuild's buildspec 0.2 semantics). Each command is sourced from a
// file after a syntax check; its exit status comes back on a private file
// descriptor dup'ed from the shell's stdout, so it stays in order with the
// command's output. Commands see /dev/null as stdin. A Session is used by
// one goroutine at a time; Close it when done.
type Session struct {
	cfg     SessionConfig
	ctx     context.Context
	proc    *Process
	cmdW    *os.File
	out     *statusWriter
	status  chan int
	exited  chan struct{}
	waitErr error
	seq     int
	dead    bool
}

// StartSession starts a shell session whose output goes to log line by
// line. The shell and every process it starts are killed when ctx ends.
func StartSession(ctx context.Context, cfg SessionConfig, log *LineWriter) (*Session, error) {
	if cfg.Shell == "" {
		cfg.Shell = "/bin/sh"
	}
	if strings.ContainsRune(cfg.ScriptDir, '\n') {
		return nil, fmt.Errorf("script directory %q holds a newline", cfg.ScriptDir)
	}
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create command pipe: %w", err)
	}
	defer cmdR.Close()
	s := &Session{cfg: cfg, ctx: ctx, cmdW: cmdW, status: make(chan int, 4), exited: make(chan struct{})}
	s.out = &statusWriter{marker: []byte("\x1esecpipe:" + nonce + ":"), log: log, status: s.status}
	cmd := exec.Command(cfg.Shell, "-c", driver(cfg.Shell, nonce, cfg.Errexit))
	cmd.Dir, cmd.Env = cfg.Dir, cfg.Env
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.ExtraFiles = []*os.File{nil, cmdR} // fd 4 carries the commands
	s.proc, err = Start(ctx, cmd, cfg.Grace)
	if err != nil {
		_ = cmdW.Close()
		return nil, err
	}
	go func() {
		s.waitErr = s.proc.Wait()
		s.out.flush()
		close(s.exited)
	}()
	return s, nil
}

// driver is the shell program of a session: it reads the path of each
// command file from fd 4, checks and sources it with fd 3 and 4 closed,
// and reports the status on fd 3.
func driver(shell, nonce string, errexit bool) string {
	var b strings.Builder
	b.WriteString("exec 3>&1\n")
	if errexit {
		b.WriteString("set -e\n")
	}
	fmt.Fprintf(&b, `while IFS= read -r __secpipe_cmd <&4; do
if %s -n "$__secpipe_cmd"; then . "$__secpipe_cmd" 3>&- 4<&-; else (exit 2); fi
printf '\036secpipe:%s:%%d\n' "$?" >&3
done
`, Quote(shell), nonce)
	return b.String()
}

// Exec runs command in the session and returns its exit status. When the
// shell itself ends while running it (exit, set -e, a signal), alive is
// false and the status is the shell's: the session is over. err is set
// when ctx ended (the context's error) or the session was already over.
func (s *Session) Exec(command string) (status int, alive bool, err error) {
	if s.dead {
		return -1, false, ErrSessionOver
	}
	s.seq++
	file := filepath.Join(s.cfg.ScriptDir, fmt.Sprintf("command-%d.sh", s.seq))
	if err := os.WriteFile(file, []byte(command+"\n"), 0o600); err != nil {
		return -1, true, fmt.Errorf("write command file: %w", err)
	}
	_, werr := io.WriteString(s.cmdW, file+"\n")
	if werr == nil {
		select {
		case st := <-s.status:
			return st, true, nil
		case <-s.exited:
		}
	} else {
		<-s.exited
	}
	s.dead = true
	_ = s.cmdW.Close()
	if err := s.ctx.Err(); err != nil {
		return -1, false, err
	}
	select {
	case st := <-s.status:
		return st, false, nil
	default:
	}
	return ExitStatus(s.waitErr), false, nil
}

// identifier matches a shell variable name.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Vars reads the named variables from the shell; unset ones are absent
// from the result. A name that is not a shell identifier is an error.
func (s *Session) Vars(names []string) (map[string]string, error) {
	if len(names) == 0 {
		return map[string]string{}, nil
	}
	dir, err := os.MkdirTemp(s.cfg.ScriptDir, "vars-")
	if err != nil {
		return nil, fmt.Errorf("read variables: %w", err)
	}
	var b strings.Builder
	for i, n := range names {
		if !identifier.MatchString(n) {
			return nil, fmt.Errorf("variable name %q: not a shell identifier", n)
		}
		fmt.Fprintf(&b, "if [ \"${%s+x}\" = x ]; then printf '%%s' \"$%s\" > %s; fi\n", n, n,
			Quote(filepath.Join(dir, strconv.Itoa(i))))
	}
	st, alive, err := s.Exec(b.String())
	switch {
	case err != nil:
		return nil, err
	case !alive:
		return nil, ErrSessionOver
	case st != 0:
		return nil, fmt.Errorf("read variables: the shell answered status %d", st)
	}
	vars := make(map[string]string, len(names))
	for i, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(i)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read variable %s: %w", n, err)
		}
		vars[n] = string(data)
	}
	return vars, nil
}

// Close ends the shell (it sees the end of its command stream), kills
// what is left of its process group and waits for it. It returns the
// context's error when the context ended first.
func (s *Session) Close() error {
	_ = s.cmdW.Close()
	<-s.exited
	s.dead = true
	if err := s.ctx.Err(); err != nil {
		return err
	}
	return nil
}

// Quote quotes s for a POSIX shell.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// newNonce returns a random marker that command output will not contain
// by chance.
func newNonce() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random nonce: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// statusWriter splits a session's output into lines, passes them to the
// log and takes out the status lines the driver prints. Only the output
// copier writes to it.
type statusWriter struct {
	marker []byte
	log    *LineWriter
	status chan<- int
	buf    []byte
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	// Pass on a long unterminated line, keeping a tail that could be the
	// start of a status marker.
	if keep := len(w.marker) + 24; len(w.buf) > maxLine+keep {
		n := len(w.buf) - keep
		_, _ = w.log.Write(w.buf[:n])
		w.buf = append(w.buf[:0], w.buf[n:]...)
	}
	return len(p), nil
}

// line handles one complete line of output.
func (w *statusWriter) line(l []byte) {
	i := bytes.Index(l, w.marker)
	if i < 0 {
		_, _ = w.log.Write(append(l, '\n'))
		return
	}
	if i > 0 {
		_, _ = w.log.Write(append(l[:i:i], '\n'))
	}
	st, err := strconv.Atoi(string(l[i+len(w.marker):]))
	if err != nil {
		st = -1
	}
	select {
	case w.status <- st:
	default:
	}
}

// flush passes on a last unterminated line.
func (w *statusWriter) flush() {
	if len(w.buf) > 0 {
		w.line(w.buf)
		w.buf = nil
	}
	w.log.Flush()
}

// LookShell resolves a shell setting: empty means /bin/sh, a bare name is
// looked up in PATH. A shell that cannot be found is an error wrapping
// pipeline.ErrInvalid.
func LookShell(name string) (string, error) {
	if name == "" {
		name = "/bin/sh"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w config: shell: %v", pipeline.ErrInvalid, err)
	}
	return path, nil
}
