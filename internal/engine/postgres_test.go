package engine_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store/postgres"
	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
)

// Environment of the child process of TestPostgresResumeAfterCrash: its
// data directory and database.
const (
	pgChildDirEnv = "SECPIPE_ENGINE_PG_CRASH_DIR"
	pgChildDSNEnv = "SECPIPE_ENGINE_PG_CRASH_DSN"
)

// pgEngine is one engine "process" on PostgreSQL: the store and River
// share its pool.
type pgEngine struct {
	db   *sql.DB
	disp *queue.River
	eng  *engine.Engine
}

// newPGEngine builds an engine on the database at dsn with data under dir;
// it starts the dispatcher unless noStart.
func newPGEngine(t *testing.T, dsn, dir string, providers map[string]pipeline.Provider, noStart bool) *pgEngine {
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
	disp, err := queue.NewRiverPostgres(db, queue.RiverConfig{Workers: 8, RescueStuckJobsAfter: time.Hour,
		FetchPollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewRiverPostgres = %v", err)
	}
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatalf("artifact.Open = %v", err)
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: disp, Providers: providers, Artifacts: arts,
		DataDir: dir, When: fakeWhen, Resolve: fakeResolve, User: "tester",
		Exclusive: true}) // one process at a time; scaleout_test.go shares the store
	if err != nil {
		t.Fatalf("engine.New = %v", err)
	}
	e := &pgEngine{db: db, disp: disp, eng: eng}
	if !noStart {
		e.start(t)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = disp.Stop(ctx)
		_ = db.Close()
	})
	return e
}

func (e *pgEngine) start(t *testing.T) {
	t.Helper()
	if err := e.disp.Start(context.Background()); err != nil {
		t.Fatalf("Start dispatcher = %v", err)
	}
}

func (e *pgEngine) wait(t *testing.T, id string) pipeline.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := e.eng.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait(%s) = %v", id, err)
	}
	return st
}

// fanOutPipeline has a stage of three parallel actions, so that their
// results commit concurrently.
func fanOutPipeline() *pipeline.Pipeline {
	return pipe("fan-out",
		stage("Source", pipeline.Action{Name: "A", Provider: "rec", Outputs: []string{"Src"}}),
		stage("Build",
			pipeline.Action{Name: "B1", Provider: "rec", Inputs: []string{"Src"}, Outputs: []string{"Out1"}},
			pipeline.Action{Name: "B2", Provider: "rec", Inputs: []string{"Src"}, Outputs: []string{"Out2"}},
			pipeline.Action{Name: "B3", Provider: "rec", Inputs: []string{"Src"}, Outputs: []string{"Out3"}}),
		stage("Deploy", pipeline.Action{Name: "C", Provider: "rec", Inputs: []string{"Out1", "Out2", "Out3"}}),
	)
}

func TestPostgresRun(t *testing.T) {
	t.Parallel()
	dsn, dir := pgtest.DSN(t), t.TempDir()
	e := newPGEngine(t, dsn, dir, map[string]pipeline.Provider{"rec": recorder(dir, nil)}, false)
	ctx := context.Background()
	id, err := e.eng.Start(ctx, fanOutPipeline(), engine.StartOptions{Trigger: "manual tester"})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	if st := e.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := e.eng.Execution(ctx, id)
		t.Fatalf("status = %s: %s", st, info.Message)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
	if len(lines) != 5 || lines[0] != "A attempt 1" || lines[4] != "C attempt 1" {
		t.Errorf("calls = %q, want A, then B1-B3 in any order, then C, each once", lines)
	}
	x, err := e.eng.Store().Execution(ctx, id)
	if err != nil {
		t.Fatalf("Execution = %v", err)
	}
	if x.Trigger != "manual tester" {
		t.Errorf("Trigger = %q, want %q", x.Trigger, "manual tester")
	}
	c, err := e.eng.Store().ActionRun(ctx, id, "Deploy", "C")
	if err != nil || len(c.Inputs) != 3 {
		t.Errorf("C = %+v, %v; want it to have read three inputs", c.Inputs, err)
	}
	var jobs int
	if err := e.db.QueryRow(`SELECT count(*) FROM river_job`).Scan(&jobs); err != nil || jobs == 0 {
		t.Errorf("River jobs in PostgreSQL = %d, %v; want some", jobs, err)
	}
}

// pgCrashChild starts the crash pipeline and blocks in action B until it
// is killed.
func pgCrashChild(t *testing.T, dir, dsn string) {
	e := newPGEngine(t, dsn, dir, map[string]pipeline.Provider{"rec": recorder(dir, map[string]bool{"B": true})},
		false)
	id, err := e.eng.Start(context.Background(), crashPipeline(), engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "id"), []byte(id), 0o644); err != nil {
		t.Fatal(err)
	}
	select {} // until SIGKILL
}

// TestPostgresResumeAfterCrash kills a process while its action runs and
// checks that a second engine on the same database resumes the execution
// to success, re-running only the interrupted action.
func TestPostgresResumeAfterCrash(t *testing.T) {
	if dir := os.Getenv(pgChildDirEnv); dir != "" {
		pgCrashChild(t, dir, os.Getenv(pgChildDSNEnv))
		return
	}
	t.Parallel()
	dsn, dir := pgtest.DSN(t), t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgresResumeAfterCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), pgChildDirEnv+"="+dir, pgChildDSNEnv+"="+dsn)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the child to block in B", func() bool {
		_, err := os.Stat(filepath.Join(dir, "blocking"))
		return err == nil
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	id, err := os.ReadFile(filepath.Join(dir, "id"))
	if err != nil {
		t.Fatalf("child wrote no execution id: %v\n%s", err, out.String())
	}

	e := newPGEngine(t, dsn, dir, map[string]pipeline.Provider{"rec": recorder(dir, nil)}, true)
	ctx := context.Background()
	if b, err := e.eng.Store().ActionRun(ctx, string(id), "Build", "B"); err != nil ||
		b.Status != pipeline.StatusRunning {
		t.Fatalf("B after the crash = %s, %v; want running", b.Status, err)
	}
	resumed, err := e.eng.Resume(ctx)
	if err != nil {
		t.Fatalf("Resume = %v", err)
	}
	if diff := cmp.Diff([]string{string(id)}, resumed); diff != "" {
		t.Errorf("Resume ids (-want +got):\n%s", diff)
	}
	e.start(t)
	if st := e.wait(t, string(id)); st != pipeline.StatusSucceeded {
		info, _ := e.eng.Execution(ctx, string(id))
		t.Fatalf("status after resume = %s: %s", st, info.Message)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	want := "A attempt 1\nB attempt 1\nB attempt 2\nB2 attempt 1\nC attempt 1\n"
	if diff := cmp.Diff(want, string(calls)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}
