package trigger

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/postgres"
	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// testStore opens a SQLite store in a temporary directory.
func testStore(t *testing.T) store.Store {
	t.Helper()
	db, err := queue.OpenSQLite(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatalf("OpenSQLite() = %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := sqlite.New(context.Background(), db)
	if err != nil {
		t.Fatalf("sqlite.New() = %v", err)
	}
	return s
}

// postgresStore opens a store in a fresh PostgreSQL database (skipping
// the test when no server answers, outside CI).
func postgresStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := postgres.New(ctx, db)
	if err != nil {
		t.Fatalf("postgres.New() = %v", err)
	}
	return s
}

// backends are the stores the tests that touch timestamps and
// transactions run on.
var backends = []struct {
	name string
	open func(*testing.T) store.Store
}{{"sqlite", testStore}, {"postgres", postgresStore}}

// call is one Release.
type call struct{ name, trigger, revision string }

// fakeReleaser records releases; fail, when set, decides an error per call.
type fakeReleaser struct {
	mu    sync.Mutex
	calls []call
	fail  func(call) error
}

func (f *fakeReleaser) Release(_ context.Context, name, trigger, revision string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := call{name, trigger, revision}
	if f.fail != nil {
		if err := f.fail(c); err != nil {
			return "", err
		}
	}
	f.calls = append(f.calls, c)
	return fmt.Sprintf("x-%d", len(f.calls)), nil
}

func (f *fakeReleaser) released() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// revisions lists the released revisions in order.
func (f *fakeReleaser) revisions() []string {
	var out []string
	for _, c := range f.released() {
		out = append(out, c.revision)
	}
	return out
}

// recorder is a Dispatcher that keeps enqueued jobs for the test to run
// by hand, in any order and any number of times.
type recorder struct {
	mu       sync.Mutex
	jobs     []queue.Job
	handlers map[string]queue.Handler
}

func newRecorder() *recorder { return &recorder{handlers: map[string]queue.Handler{}} }

func (r *recorder) EnqueueTx(_ context.Context, _ *sql.Tx, job queue.Job) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs = append(r.jobs, job)
	return nil
}

func (r *recorder) Handle(kind string, h queue.Handler) { r.handlers[kind] = h }
func (r *recorder) Start(context.Context) error         { return nil }
func (r *recorder) Stop(context.Context) error          { return nil }

// take removes and returns the jobs enqueued so far.
func (r *recorder) take() []queue.Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	jobs := r.jobs
	r.jobs = nil
	return jobs
}

// run runs job with its handler, failing the test on error.
func (r *recorder) run(t *testing.T, job queue.Job) {
	t.Helper()
	if err := r.handlers[job.Kind](context.Background(), job.Args); err != nil {
		t.Fatalf("%s job %s = %v", job.Kind, job.Args, err)
	}
}

// ofKind returns the jobs of one kind.
func ofKind(jobs []queue.Job, kind string) []queue.Job {
	var out []queue.Job
	for _, j := range jobs {
		if j.Kind == kind {
			out = append(out, j)
		}
	}
	return out
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// countingGit wraps a Git and counts its calls.
type countingGit struct {
	Git
	mu sync.Mutex
	n  int
}

func (g *countingGit) Head(ctx context.Context, repo, ref string) (string, error) {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
	return g.Git.Head(ctx, repo, ref)
}

func (g *countingGit) calls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// gitRepo is a real repository the tests commit to.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.commit("secpipe.yml", "version: 1\nname: app\n")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dana", "GIT_AUTHOR_EMAIL=dana@example.com",
		"GIT_COMMITTER_NAME=Dana", "GIT_COMMITTER_EMAIL=dana@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// commit writes file and commits it, returning the new head.
func (r *gitRepo) commit(file, content string) string {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, file), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.git("add", file)
	r.git("commit", "-q", "-m", "change "+file)
	return r.git("rev-parse", "HEAD")
}

// addPipeline registers a pipeline in s.
func addPipeline(t *testing.T, s store.Store, rec store.PipelineRecord) {
	t.Helper()
	if rec.Created.IsZero() {
		rec.Created = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		rec.Updated = rec.Created
	}
	if err := s.CreatePipeline(context.Background(), rec); err != nil {
		t.Fatalf("CreatePipeline(%s) = %v", rec.Name, err)
	}
}

// pipelineRecord reads one pipeline.
func pipelineRecord(t *testing.T, s store.Store, name string) store.PipelineRecord {
	t.Helper()
	rec, err := s.Pipeline(context.Background(), name)
	if err != nil {
		t.Fatalf("Pipeline(%s) = %v", name, err)
	}
	return rec
}

// testLogger logs to a buffer the test can search.
func testLogger() (*slog.Logger, *testutil.SyncBuffer) {
	var b testutil.SyncBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

// pollArgsOf decodes a poll job's arguments.
func pollArgsOf(t *testing.T, j queue.Job) pollArgs {
	t.Helper()
	var a pollArgs
	if err := json.Unmarshal(j.Args, &a); err != nil {
		t.Fatalf("poll args %s: %v", j.Args, err)
	}
	return a
}
