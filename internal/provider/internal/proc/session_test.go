package proc

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/google/go-cmp/cmp"
)

// startSession starts a session for a test and closes it at the end.
func startSession(t *testing.T, ctx context.Context, errexit bool) (*Session, *testutil.SyncBuffer) {
	t.Helper()
	log := &testutil.SyncBuffer{}
	dir := t.TempDir()
	s, err := StartSession(ctx, SessionConfig{
		Dir: dir, Env: append(os.Environ(), "BASE=base"), Errexit: errexit, ScriptDir: t.TempDir(),
	}, NewLineWriter(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, log
}

type step struct {
	cmd    string
	status int
	alive  bool
}

func TestSession(t *testing.T) {
	tests := []struct {
		name    string
		errexit bool
		steps   []step
		vars    map[string]string
		log     string
	}{
		{
			name: "state carries between commands",
			steps: []step{
				{cmd: "export A=1; B=two", alive: true},
				{cmd: "cd /; echo A=$A B=$B BASE=$BASE $(pwd)", alive: true},
				{cmd: "printf 'no newline'", alive: true},
				{cmd: "echo err >&2; false", status: 1, alive: true},
				{cmd: "echo still here", alive: true},
			},
			vars: map[string]string{"A": "1", "B": "two"},
			log:  "A=1 B=two BASE=base /\nno newline\nerr\nstill here\n",
		},
		{
			name: "syntax error is a failed command",
			steps: []step{
				{cmd: "if then", status: 2, alive: true},
				{cmd: "echo after", alive: true},
			},
			log: "after\n",
		},
		{
			name: "exit ends the session",
			steps: []step{
				{cmd: "echo bye; exit 7", status: 7},
			},
			log: "bye\n",
		},
		{
			name:    "errexit stops at the first failure inside a command",
			errexit: true,
			steps: []step{
				{cmd: "X=1", alive: true},
				{cmd: "echo one\nfalse\necho two", status: 1},
			},
			log: "one\n",
		},
		{
			name: "multi-line command and stdin",
			steps: []step{
				{cmd: "cat\nread x || echo eof\nV='a b\nc'", alive: true},
			},
			vars: map[string]string{"V": "a b\nc"},
			log:  "eof\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, log := startSession(t, context.Background(), tt.errexit)
			for _, st := range tt.steps {
				status, alive, err := s.Exec(st.cmd)
				if err != nil {
					t.Fatalf("Exec(%q): %v", st.cmd, err)
				}
				if status != st.status || alive != st.alive {
					t.Errorf("Exec(%q) = %d, %v, want %d, %v", st.cmd, status, alive, st.status, st.alive)
				}
			}
			if tt.vars != nil {
				names := make([]string, 0, len(tt.vars)+1)
				for n := range tt.vars {
					names = append(names, n)
				}
				got, err := s.Vars(append(names, "UNSET_VAR"))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.vars, got); diff != "" {
					t.Errorf("Vars (-want +got):\n%s", diff)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			got := log.String()
			if !strings.HasSuffix(got, tt.log) {
				t.Errorf("log = %q, want it to end with %q", got, tt.log)
			}
			if strings.Contains(got, "secpipe:") {
				t.Errorf("log shows a status marker: %q", got)
			}
		})
	}
}

func TestSessionDeadAfterExit(t *testing.T) {
	s, _ := startSession(t, context.Background(), false)
	if _, alive, _ := s.Exec("exit 3"); alive {
		t.Fatal("session alive after exit")
	}
	if _, _, err := s.Exec("true"); !errors.Is(err, ErrSessionOver) {
		t.Errorf("Exec after exit = %v, want ErrSessionOver", err)
	}
	if _, err := s.Vars([]string{"A"}); !errors.Is(err, ErrSessionOver) {
		t.Errorf("Vars after exit = %v, want ErrSessionOver", err)
	}
}

func TestSessionBadVarName(t *testing.T) {
	s, _ := startSession(t, context.Background(), false)
	if _, err := s.Vars([]string{"A; rm -rf /"}); err == nil {
		t.Error("Vars accepted a bad name")
	}
}

func TestSessionCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, _ := startSession(t, ctx, false)
	pidFile := filepath.Join(t.TempDir(), "pid")
	go func() {
		waitFile(t, pidFile)
		cancel()
	}()
	start := time.Now()
	_, alive, err := s.Exec("sleep 60 & echo $! > " + Quote(pidFile) + "; wait")
	if !errors.Is(err, context.Canceled) || alive {
		t.Errorf("Exec() = %v, %v, want context.Canceled, false", alive, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancel took %v", d)
	}
	assertDead(t, pidFile)
}

// BenchmarkSessionExec measures the cost of one command in a session
// (write, syntax check, source, status).
func BenchmarkSessionExec(b *testing.B) {
	s, err := StartSession(context.Background(), SessionConfig{Env: os.Environ(), ScriptDir: b.TempDir()}, NewLineWriter(nil))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if st, _, err := s.Exec("X=1"); err != nil || st != 0 {
			b.Fatal(st, err)
		}
	}
}
