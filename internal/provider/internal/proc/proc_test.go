package proc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/google/go-cmp/cmp"
)

// alive reports whether a process with this id still exists.
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func TestRunCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & echo $! > "+Quote(pidFile)+"; wait")
	var out testutil.SyncBuffer
	cmd.Stdout = &out
	p, err := Start(ctx, cmd, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	waitFile(t, pidFile)
	start := time.Now()
	cancel()
	if err := p.Wait(); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait() = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("cancel took %v, want under 1s", d)
	}
	assertDead(t, pidFile)
}

func TestRunKillsLeftovers(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	// The background child keeps stdout open: Wait must neither hang nor
	// leave it running.
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & echo $! > "+Quote(pidFile)+"; echo done")
	var out testutil.SyncBuffer
	cmd.Stdout = &out
	start := time.Now()
	if err := Run(context.Background(), cmd, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %v, want well under the grace period", d)
	}
	if got := out.String(); got != "done\n" {
		t.Errorf("output = %q, want %q", got, "done\n")
	}
	assertDead(t, pidFile)
}

func TestRunSigkillAfterGrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var out testutil.SyncBuffer
	cmd := exec.Command("/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done")
	cmd.Stdout = &out
	start := time.Now()
	err := Run(ctx, cmd, 300*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run() = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %v after a 100ms timeout and 300ms grace", d)
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{name: "zero", script: "exit 0", want: 0},
		{name: "three", script: "exit 3", want: 3},
		{name: "signal", script: "kill -KILL $$", want: 128 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Run(context.Background(), exec.Command("/bin/sh", "-c", tt.script), 0)
			if got := ExitStatus(err); got != tt.want {
				t.Errorf("ExitStatus(%v) = %d, want %d", err, got, tt.want)
			}
		})
	}
}

func TestStartMissingCommand(t *testing.T) {
	cmd := exec.Command(filepath.Join(t.TempDir(), "missing"))
	cmd.Stdout = &testutil.SyncBuffer{}
	if _, err := Start(context.Background(), cmd, 0); err == nil {
		t.Fatal("Start() of a missing program succeeded")
	}
}

func TestLineWriter(t *testing.T) {
	var got []string
	dst := writerFunc(func(p []byte) (int, error) {
		got = append(got, string(p))
		return len(p), nil
	})
	w := NewLineWriter(dst)
	for _, s := range []string{"a", "b\nc", "\n", "d"} {
		_, _ = w.Write([]byte(s))
	}
	w.Line("marker")
	_, _ = w.Write([]byte("e"))
	w.Flush()
	want := []string{"ab\n", "c\n", "d\n", "marker\n", "e\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

func TestLineWriterLongLine(t *testing.T) {
	var got []string
	w := NewLineWriter(writerFunc(func(p []byte) (int, error) {
		got = append(got, string(p))
		return len(p), nil
	}))
	_, _ = w.Write(bytes.Repeat([]byte("x"), maxLine+10))
	w.Flush()
	if len(got) != 2 || len(got[0]) != maxLine+1 || got[1] != strings.Repeat("x", 10)+"\n" {
		t.Errorf("long line split into %d pieces", len(got))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// waitFile waits until path exists and is not empty.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return
		}
	}
	t.Fatalf("%s did not appear", path)
}

// assertDead fails unless the process whose id is in pidFile is gone
// (allowing a moment for the kernel to reap it).
func assertDead(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if !alive(pid) || zombie(pid) {
			return
		}
	}
	t.Errorf("process %d is still running", pid)
}

// zombie reports whether pid is a zombie (dead, not yet reaped by init).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}
