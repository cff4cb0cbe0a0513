package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store/postgres"
	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
)

func TestDatabaseWorkerOptions(t *testing.T) {
	tests := []struct {
		name string
		opts dbWorkerOptions
		want string
	}{
		{"no database", dbWorkerOptions{data: "d"}, "--database URL is required"},
		{"not postgres", dbWorkerOptions{database: "sqlite:///x.db", data: "d"}, "want a postgres:// URL"},
		{"no data", dbWorkerOptions{database: "postgres://h/db"}, "--data DIR is required"},
		{"negative", dbWorkerOptions{database: "postgres://h/db", data: "d", workers: -1}, "must not be negative"},
	}
	for _, tt := range tests {
		err := runDatabaseWorker(context.Background(), tt.opts)
		var usage usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: runDatabaseWorker = %v, want a usage error saying %q", tt.name, err, tt.want)
		}
	}
}

// testServer is the engine of a `secpipe server` on PostgreSQL whose
// actions all run in database workers: it starts and resumes executions
// and keeps its lease, but its dispatcher never starts.
type testServer struct {
	db   interface{ Close() error }
	eng  *engine.Engine
	stop func()
}

func startTestServer(t *testing.T, dsn, data string, lease time.Duration) *testServer {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("postgres.Open = %v", err)
	}
	st, err := postgres.New(ctx, db)
	if err != nil {
		t.Fatalf("postgres.New = %v", err)
	}
	disp, err := queue.NewRiverPostgres(db, queue.RiverConfig{KindQueues: engineQueues()})
	if err != nil {
		t.Fatalf("NewRiverPostgres = %v", err)
	}
	log := slog.New(slog.DiscardHandler)
	eng, err := newWorkerEngine(st, disp, dbWorkerOptions{data: data, lease: lease}, log)
	if err != nil {
		t.Fatalf("engine = %v", err)
	}
	mctx, cancel := context.WithCancel(ctx)
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		eng.Maintain(mctx)
	}()
	s := &testServer{db: db, eng: eng}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			<-maintained
			_ = db.Close()
		})
	}
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) wait(t *testing.T, id string) pipeline.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := s.eng.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait(%s) = %v", id, err)
	}
	return st
}

// shellAction is a shell action running commands.
func shellAction(name string, inputs, outputs []string, commands ...string) pipeline.Action {
	cmds := make([]any, len(commands))
	for i, c := range commands {
		cmds[i] = c
	}
	return pipeline.Action{Name: name, Provider: "shell", Inputs: inputs, Outputs: outputs,
		Config: map[string]any{"commands": cmds}}
}

// TestDatabaseWorker runs a worker in this process: it executes the
// server's execution, then stops cleanly when its context ends, deleting
// its runner record.
func TestDatabaseWorker(t *testing.T) {
	dsn, data := pgtest.DSN(t), t.TempDir()
	srv := startTestServer(t, dsn, data, 2*time.Second)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr testutil.SyncBuffer
	go func() {
		done <- runDatabaseWorker(ctx, dbWorkerOptions{database: dsn, data: data, images: t.TempDir(),
			lease: 2 * time.Second, poll: 20 * time.Millisecond, stderr: &stderr, metricsAddr: "127.0.0.1:0"})
	}()
	pl := &pipeline.Pipeline{Version: 1, Name: "db-worker", Stages: []pipeline.Stage{
		{Name: "Build", Actions: []pipeline.Action{shellAction("Make", nil, []string{"Out"},
			`echo built > "$OUTPUT_Out/result"`, `echo "pid $PPID"`)}},
		{Name: "Test", Actions: []pipeline.Action{shellAction("Check", []string{"Out"}, nil,
			`grep -q built "$INPUT_Out/result"`)}},
	}}
	id, err := srv.eng.Start(context.Background(), pl, engine.StartOptions{Trigger: "manual tester"})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	if st := srv.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := srv.eng.Execution(context.Background(), id)
		t.Fatalf("status = %s: %s\nworker:\n%s", st, info.Message, stderr.String())
	}
	logText, err := os.ReadFile(srv.eng.LogPath(id, "Build", "Make"))
	if err != nil || !strings.Contains(string(logText), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("Make's log = %q, %v; want it run by this process", logText, err)
	}
	mk, err := srv.eng.Store().ActionRun(context.Background(), id, "Build", "Make")
	if err != nil || mk.Runner == "" || mk.Runner == srv.eng.RunnerID() {
		t.Errorf("Make ran on runner %q (%v), want the worker's", mk.Runner, err)
	}
	// The worker's own metrics count the actions it ran, and leave the
	// database's gauges to the server.
	_, rest, ok := strings.Cut(stderr.String(), "secpipe worker metrics at ")
	url, _, _ := strings.Cut(rest, "\n")
	if !ok {
		t.Fatalf("worker did not say where its metrics are:\n%s", stderr.String())
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `secpipe_action_duration_seconds_count{provider="shell",status="succeeded"}`; !strings.Contains(string(body), want) {
		t.Errorf("worker metrics lack %s:\n%.2000s", want, body)
	}
	if strings.Contains(string(body), "secpipe_queue_jobs") || strings.Contains(string(body), "secpipe_executions_running") {
		t.Errorf("worker metrics serve the database's gauges; the server does")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("runDatabaseWorker = %v", err)
	}
	if _, err := srv.eng.Store().Runner(context.Background(), mk.Runner); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("worker's runner record after a clean stop: %v, want deleted", err)
	}
	if !strings.Contains(stderr.String(), "secpipe worker "+mk.Runner) {
		t.Errorf("worker output does not name its runner:\n%s", stderr.String())
	}
}

// dbWorkerEnv tells a re-executed test binary to be a database worker:
// "DSN\x1fDATA".
const dbWorkerEnv = "SECPIPE_CLI_DB_WORKER"

// workerLease is the lease of TestDatabaseWorkersTakeOver's processes.
const workerLease = 3 * time.Second

// startWorkerProcess starts a database worker in a child process.
func startWorkerProcess(t *testing.T, dsn, data string) (*exec.Cmd, *testutil.SyncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDatabaseWorkersTakeOver$", "-test.count=1")
	cmd.Env = append(os.Environ(), dbWorkerEnv+"="+dsn+"\x1f"+data)
	out := &testutil.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, out
}

// markerLines reads a marker file's lines.
func markerLines(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(b)), " ", "_"))
}

// eventually polls cond until it holds or a minute passes.
func eventually(t *testing.T, what string, cond func() bool, outs ...*testutil.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			var sb strings.Builder
			for i, o := range outs {
				fmt.Fprintf(&sb, "worker %d:\n%s\n", i+1, o.String())
			}
			t.Fatalf("timed out waiting for %s\n%s", what, sb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDatabaseWorkersTakeOver is the scale-out story on PostgreSQL: a
// server and two worker processes share a database and a data directory.
// The worker running a long action is killed (SIGKILL); once its lease has
// run out the other worker runs the action again and the execution goes
// on. The server restarts while the next action runs, which it leaves
// alone. Marker files written by the actions (with the pid of the worker
// running them) show that no attempt ran twice at the same time and that
// only the killed one ran again.
func TestDatabaseWorkersTakeOver(t *testing.T) {
	if env := os.Getenv(dbWorkerEnv); env != "" {
		dsn, data, _ := strings.Cut(env, "\x1f")
		err := runDatabaseWorker(context.Background(), dbWorkerOptions{database: dsn, data: data, workers: 2,
			lease: workerLease, poll: 20 * time.Millisecond, stderr: os.Stderr, images: filepath.Join(data, "images")})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	dsn, data, marks := pgtest.DSN(t), t.TempDir(), t.TempDir()
	srv := startTestServer(t, dsn, data, workerLease)
	w1, out1 := startWorkerProcess(t, dsn, data)
	w2, out2 := startWorkerProcess(t, dsn, data)
	ctx := context.Background()
	runnerOf := map[int]string{} // pid → runner id
	eventually(t, "both workers to register", func() bool {
		rs, err := srv.eng.Store().Runners(ctx)
		if err != nil {
			return false
		}
		for _, r := range rs {
			runnerOf[r.PID] = r.ID
		}
		return runnerOf[w1.Process.Pid] != "" && runnerOf[w2.Process.Pid] != ""
	}, out1, out2)

	// Each action logs "start ATTEMPT PID" and "end ATTEMPT PID", and in
	// between waits for its release file while its worker lives.
	hold := func(name string) []string {
		mark := filepath.Join(marks, name)
		return []string{
			`echo "start $SECPIPE_ATTEMPT $PPID" >> ` + mark,
			`while [ ! -e ` + mark + `.release ]; do kill -0 $PPID 2>/dev/null || exit 1; sleep 0.02; done`,
			`echo "end $SECPIPE_ATTEMPT $PPID" >> ` + mark,
		}
	}
	pl := &pipeline.Pipeline{Version: 1, Name: "scale-out", Stages: []pipeline.Stage{
		{Name: "Build", Actions: []pipeline.Action{shellAction("Long", nil, []string{"Built"},
			append(hold("long"), `echo $PPID > "$OUTPUT_Built/pid"`)...)}},
		{Name: "Deploy", Actions: []pipeline.Action{shellAction("Next", []string{"Built"}, nil,
			append(hold("next"), `cp "$INPUT_Built/pid" `+filepath.Join(marks, "built-by"))...)}},
	}}
	id, err := srv.eng.Start(ctx, pl, engine.StartOptions{Trigger: "manual tester"})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	longMark := filepath.Join(marks, "long")
	eventually(t, "Long to start", func() bool { return len(markerLines(longMark)) == 1 }, out1, out2)
	victim, survivor := w1, w2
	if first := markerLines(longMark)[0]; first != "start_1_"+strconv.Itoa(w1.Process.Pid) {
		victim, survivor = w2, w1
		if first != "start_1_"+strconv.Itoa(w2.Process.Pid) {
			t.Fatalf("Long started as %q, want attempt 1 in a worker (%d or %d)", first, w1.Process.Pid,
				w2.Process.Pid)
		}
	}
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()
	killed := time.Now()
	eventually(t, "Long to run again", func() bool { return len(markerLines(longMark)) == 2 }, out1, out2)
	if waited := time.Since(killed); waited < workerLease/2 {
		t.Errorf("Long ran again %s after the kill, before the victim's lease (%s) could run out", waited,
			workerLease)
	}
	if err := os.WriteFile(longMark+".release", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	nextMark := filepath.Join(marks, "next")
	eventually(t, "Next to start", func() bool { return len(markerLines(nextMark)) == 1 }, out1, out2)

	// Restart the server mid-execution: its Resume must leave Next, held
	// by a live worker, alone.
	srv.stop()
	srv = startTestServer(t, dsn, data, workerLease)
	resumed, err := srv.eng.Resume(ctx)
	if err != nil || !slices.Contains(resumed, id) {
		t.Fatalf("Resume = %v, %v; want it to carry on %s", resumed, err, id)
	}
	if err := os.WriteFile(nextMark+".release", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if st := srv.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := srv.eng.Execution(ctx, id)
		t.Fatalf("status = %s: %s\nworker 1:\n%s\nworker 2:\n%s", st, info.Message, out1.String(), out2.String())
	}

	v, s := strconv.Itoa(victim.Process.Pid), strconv.Itoa(survivor.Process.Pid)
	wantLong := []string{"start_1_" + v, "start_2_" + s, "end_2_" + s}
	if got := markerLines(longMark); !slices.Equal(got, wantLong) {
		t.Errorf("Long's runs = %q, want %q: attempt 1 killed with its worker, attempt 2 on the other", got, wantLong)
	}
	wantNext := []string{"start_1_" + s, "end_1_" + s}
	if got := markerLines(nextMark); !slices.Equal(got, wantNext) {
		t.Errorf("Next's runs = %q, want %q: once, untouched by the server's restart", got, wantNext)
	}
	if b, _ := os.ReadFile(filepath.Join(marks, "built-by")); strings.TrimSpace(string(b)) != s {
		t.Errorf("Next read an artifact built by %q, want by the survivor %s", b, s)
	}
	long, err := srv.eng.Store().ActionRun(ctx, id, "Build", "Long")
	if err != nil || long.Attempt != 2 || long.Runner != runnerOf[survivor.Process.Pid] {
		t.Errorf("Long = attempt %d by %q (%v), want attempt 2 by the survivor %q", long.Attempt, long.Runner, err,
			runnerOf[survivor.Process.Pid])
	}
	if _, err := srv.eng.Store().Runner(ctx, runnerOf[victim.Process.Pid]); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("the victim's runner record = %v, want forgotten", err)
	}

	// SIGTERM stops the survivor cleanly: exit 0, record deleted.
	if err := survivor.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := survivor.Wait(); err != nil {
		t.Errorf("survivor after SIGTERM: %v\n%s", err, map[bool]*testutil.SyncBuffer{true: out1, false: out2}[survivor == w1])
	}
	if _, err := srv.eng.Store().Runner(ctx, runnerOf[survivor.Process.Pid]); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("the survivor's runner record after SIGTERM = %v, want deleted", err)
	}
}
