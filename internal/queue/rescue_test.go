package queue

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Environment of the child process of TestRiverRescue.
const (
	rescueChildEnv  = "QUEUE_RESCUE_CHILD_DB"
	rescueMarkerEnv = "QUEUE_RESCUE_CHILD_MARKER"
	rescueAfter     = time.Second
)

// TestRiverRescue kills a process while its handler runs and checks that a
// new process on the same database runs both that job and one still waiting.
func TestRiverRescue(t *testing.T) {
	if path := os.Getenv(rescueChildEnv); path != "" {
		runRescueChild(t, path, os.Getenv(rescueMarkerEnv))
		return
	}
	t.Parallel()
	dir := t.TempDir()
	path, marker := filepath.Join(dir, "state.db"), filepath.Join(dir, "started")
	child := exec.Command(os.Args[0], "-test.run=^TestRiverRescue$", "-test.v")
	child.Env = append(os.Environ(), rescueChildEnv+"="+path, rescueMarkerEnv+"="+marker)
	child.Stdout, child.Stderr = testLogWriter{t, "child: "}, testLogWriter{t, "child: "}
	if err := child.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	waitForFile(t, marker, 20*time.Second)
	time.Sleep(rescueAfter) // the running job must look stuck to the rescuer
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	_ = child.Wait()

	db, err := OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite() = %v", err)
	}
	t.Cleanup(func() { _ = db.Close() }) // after the dispatcher stops
	if diff := cmp.Diff([]string{"running", "available"}, jobStates(t, db)); diff != "" {
		t.Fatalf("job states after kill (-want +got):\n%s", diff)
	}
	// The dead leader's lease would lapse after up to 15 s; end it now.
	if _, err := db.Exec("DELETE FROM river_leader"); err != nil {
		t.Fatalf("clear leader: %v", err)
	}
	cfg := testRiverConfig(t)
	cfg.RescueStuckJobsAfter = rescueAfter
	r, err := NewRiver(db, cfg)
	if err != nil {
		t.Fatalf("NewRiver() = %v", err)
	}
	rec := newRecorder()
	r.Handle("block", rec.handler("block"))
	r.Handle("after", rec.handler("after"))
	startDispatcher(t, r)
	if diff := cmp.Diff([]string{"after:null", "block:null"}, rec.wait(t, 2)); diff != "" {
		t.Errorf("jobs run after restart (-want +got):\n%s", diff)
	}
	waitStates(t, db, []string{"completed", "completed"})
}

// runRescueChild enqueues a job that blocks forever and one behind it (with
// one worker it never starts), creates marker once the first runs, and waits
// to be killed.
func runRescueChild(t *testing.T, path, marker string) {
	db, err := OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite() = %v", err)
	}
	cfg := testRiverConfig(t)
	cfg.RescueStuckJobsAfter = rescueAfter
	cfg.Workers = 1
	r, err := NewRiver(db, cfg)
	if err != nil {
		t.Fatalf("NewRiver() = %v", err)
	}
	r.Handle("block", func(ctx context.Context, _ json.RawMessage) error {
		if err := os.WriteFile(marker, nil, 0o600); err != nil {
			t.Errorf("write marker: %v", err)
		}
		select {} // until killed
	})
	enqueue(t, db, r, Job{Kind: "block"}, false)
	enqueue(t, db, r, Job{Kind: "after"}, false)
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	time.Sleep(time.Minute)
	t.Fatal("child was not killed")
}

// waitForFile polls until path exists.
func waitForFile(t *testing.T, path string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := os.Stat(path)
		if err == nil {
			return
		}
		if !errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", path, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLogWriter copies a child's output to the test log.
type testLogWriter struct {
	t      *testing.T
	prefix string
}

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s%s", w.prefix, p)
	return len(p), nil
}
