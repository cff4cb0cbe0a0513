package trigger

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// server is one "process": a store, a River dispatcher and Triggers on the
// database file at path.
type server struct {
	store *sqlite.Store
	disp  *queue.River
	tr    *Triggers
	stop  func()
}

func startServer(t *testing.T, path string, rel Releaser, git Git) *server {
	t.Helper()
	ctx := context.Background()
	db, err := queue.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := testLogger()
	disp, err := queue.NewRiver(db, queue.RiverConfig{Logger: log, FetchPollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tr := New(Config{Store: s, Dispatcher: disp, Releaser: rel, Git: git})
	if err := tr.EnsurePolling(ctx); err != nil {
		t.Fatal(err)
	}
	if err := disp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := disp.Stop(sctx); err != nil {
			t.Errorf("Stop() = %v", err)
		}
		_ = db.Close()
	}
	t.Cleanup(stop)
	return &server{store: s, disp: disp, tr: tr, stop: stop}
}

// TestPollingAcrossRestarts runs the chain on River: each new commit is
// released exactly once, through two restarts of the "server".
func TestPollingAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	repo := newGitRepo(t)
	rel := &fakeReleaser{}
	git := &countingGit{Git: ExecGit{}}
	want := []string{repo.git("rev-parse", "HEAD")}

	// settle waits until the chain has polled a few more times, then
	// checks the releases.
	settle := func() {
		t.Helper()
		waitFor(t, "release of each commit", func() bool { return len(rel.released()) >= len(want) })
		n := git.calls()
		waitFor(t, "more polls", func() bool { return git.calls() >= n+4 })
		if diff := cmp.Diff(want, rel.revisions()); diff != "" {
			t.Fatalf("released revisions (-want +got):\n%s", diff)
		}
	}

	first := startServer(t, path, rel, git)
	addPipeline(t, first.store, store.PipelineRecord{Name: "app", Repo: repo.dir, Branch: "main",
		PollInterval: 40 * time.Millisecond})
	if err := first.tr.Schedule(context.Background(), "app"); err != nil {
		t.Fatal(err)
	}
	settle()
	want = append(want, repo.commit("a.txt", "a\n"))
	settle()
	first.stop()

	for i := range 2 {
		restarted := startServer(t, path, rel, git)
		settle()
		want = append(want, repo.commit("b.txt", "b"+string(rune('0'+i))+"\n"))
		settle()
		restarted.stop()
	}
}
