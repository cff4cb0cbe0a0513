package trigger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
)

// pollFixture is a Triggers on a real store and repository, with jobs run
// by hand.
type pollFixture struct {
	s    store.Store
	repo *gitRepo
	rel  *fakeReleaser
	q    *recorder
	clk  *clock
	git  *countingGit
	tr   *Triggers
}

func newPollFixture(t *testing.T, interval time.Duration) *pollFixture {
	t.Helper()
	return newPollFixtureOn(t, testStore(t), interval)
}

func newPollFixtureOn(t *testing.T, s store.Store, interval time.Duration) *pollFixture {
	t.Helper()
	f := &pollFixture{s: s, repo: newGitRepo(t), rel: &fakeReleaser{}, q: newRecorder(), clk: newClock(),
		git: &countingGit{Git: ExecGit{}}}
	f.tr = New(Config{Store: s, Dispatcher: f.q, Releaser: f.rel, Git: f.git, Now: f.clk.Now,
		Rand: func() float64 { return 0.5 }})
	addPipeline(t, s, store.PipelineRecord{Name: "app", Repo: f.repo.dir, Branch: "main", PollInterval: interval})
	return f
}

// runAll runs jobs (releases too) and returns the jobs they enqueued.
func (f *pollFixture) runAll(t *testing.T, jobs ...queue.Job) []queue.Job {
	t.Helper()
	for _, j := range jobs {
		f.q.run(t, j)
	}
	return f.q.take()
}

// poll runs one poll job, then the release jobs it enqueued, and returns
// the next poll jobs.
func (f *pollFixture) poll(t *testing.T, job queue.Job) []queue.Job {
	t.Helper()
	next := f.runAll(t, job)
	f.runAll(t, ofKind(next, KindRelease)...)
	return ofKind(next, KindPoll)
}

func TestPollReleasesEachNewCommitOnce(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testPollReleasesEachNewCommitOnce(t, b.open(t)) })
	}
}

func testPollReleasesEachNewCommitOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newPollFixtureOn(t, s, time.Minute)
	c0 := f.repo.git("rev-parse", "HEAD")
	if err := f.tr.Schedule(ctx, "app"); err != nil {
		t.Fatalf("Schedule() = %v", err)
	}
	first := f.q.take()
	if len(first) != 1 || first[0].Kind != KindPoll || !first[0].RunAt.Equal(f.clk.Now()) {
		t.Fatalf("Schedule enqueued %+v, want one poll due now", first)
	}

	// The first poll releases the current head.
	next := f.runAll(t, first[0])
	releases := ofKind(next, KindRelease)
	f.runAll(t, releases...)
	if diff := cmp.Diff([]call{{"app", "poll " + c0[:7], c0}}, f.rel.released(), cmp.AllowUnexported(call{})); diff != "" {
		t.Fatalf("releases after the first poll (-want +got):\n%s", diff)
	}
	polls := ofKind(next, KindPoll)
	if len(polls) != 1 {
		t.Fatalf("first poll enqueued %d polls, want 1", len(polls))
	}
	if want := f.clk.Now().Add(time.Minute); !polls[0].RunAt.Equal(want) {
		t.Errorf("next poll at %v, want %v", polls[0].RunAt, want)
	}

	// Running the same jobs again (the queue runs jobs at least once)
	// neither polls nor releases again.
	gitCalls := f.git.calls()
	if again := f.runAll(t, first[0]); len(again) != 0 {
		t.Errorf("a duplicate poll enqueued %+v", again)
	}
	f.runAll(t, releases...)
	if f.git.calls() != gitCalls || len(f.rel.released()) != 1 {
		t.Errorf("duplicate jobs: %d git calls (want %d), %d releases (want 1)", f.git.calls(), gitCalls,
			len(f.rel.released()))
	}

	// No change: no release. A commit: one release.
	f.clk.advance(time.Minute)
	polls = f.poll(t, polls[0])
	if got := f.rel.revisions(); len(got) != 1 {
		t.Fatalf("releases without a new commit = %v", got)
	}
	c1 := f.repo.commit("app.js", "console.log(1)\n")
	f.clk.advance(time.Minute)
	polls = f.poll(t, polls[0])
	f.clk.advance(time.Minute)
	polls = f.poll(t, polls[0])
	if diff := cmp.Diff([]string{c0, c1}, f.rel.revisions()); diff != "" {
		t.Errorf("released revisions (-want +got):\n%s", diff)
	}
	if len(polls) != 1 {
		t.Errorf("chain has %d next polls, want 1", len(polls))
	}
	if got := pipelineRecord(t, f.s, "app").LastRevision; got != c1 {
		t.Errorf("LastRevision = %s, want %s", got, c1)
	}
	audit, err := f.s.Audit(ctx, store.AuditFilter{Target: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != "pipeline.release" || !strings.Contains(audit[0].Detail, "revision="+c1) {
		t.Errorf("audit = %+v, want two pipeline.release entries, the newest for %s", audit, c1)
	}
}

func TestPollChainIsNeverDuplicated(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// change runs after the chain's first job was enqueued.
		change func(t *testing.T, f *pollFixture)
		// live is how many of the pending jobs keep polling: 0 or 1.
		live         int
		wantInterval time.Duration
	}{
		{
			name: "two restarts",
			change: func(t *testing.T, f *pollFixture) {
				for range 2 {
					if err := f.tr.EnsurePolling(ctx); err != nil {
						t.Fatal(err)
					}
				}
			},
			live: 1, wantInterval: time.Minute,
		},
		{
			name: "paused",
			change: func(t *testing.T, f *pollFixture) {
				rec := pipelineRecord(t, f.s, "app")
				rec.Paused, rec.Updated = true, f.clk.Now()
				if err := f.s.UpdatePipeline(ctx, rec); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "paused and resumed",
			change: func(t *testing.T, f *pollFixture) {
				rec := pipelineRecord(t, f.s, "app")
				rec.Paused = true
				if err := f.s.UpdatePipeline(ctx, rec); err != nil {
					t.Fatal(err)
				}
				rec.Paused = false
				if err := f.s.UpdatePipeline(ctx, rec); err != nil {
					t.Fatal(err)
				}
				if err := f.tr.Schedule(ctx, "app"); err != nil {
					t.Fatal(err)
				}
			},
			live: 1, wantInterval: time.Minute,
		},
		{
			name: "interval changed",
			change: func(t *testing.T, f *pollFixture) {
				rec := pipelineRecord(t, f.s, "app")
				rec.PollInterval = 5 * time.Minute
				if err := f.s.UpdatePipeline(ctx, rec); err != nil {
					t.Fatal(err)
				}
				if err := f.tr.Schedule(ctx, "app"); err != nil {
					t.Fatal(err)
				}
			},
			live: 1, wantInterval: 5 * time.Minute,
		},
		{
			name: "polling turned off",
			change: func(t *testing.T, f *pollFixture) {
				rec := pipelineRecord(t, f.s, "app")
				rec.PollInterval = 0
				if err := f.s.UpdatePipeline(ctx, rec); err != nil {
					t.Fatal(err)
				}
				if err := f.tr.Schedule(ctx, "app"); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "deleted",
			change: func(t *testing.T, f *pollFixture) {
				if err := f.s.DeletePipeline(ctx, "app"); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "deleted and registered again",
			change: func(t *testing.T, f *pollFixture) {
				if err := f.s.DeletePipeline(ctx, "app"); err != nil {
					t.Fatal(err)
				}
				f.clk.advance(time.Second)
				addPipeline(t, f.s, store.PipelineRecord{Name: "app", Repo: f.repo.dir, Branch: "main",
					PollInterval: 2 * time.Minute, Created: f.clk.Now(), Updated: f.clk.Now()})
				if err := f.tr.Schedule(ctx, "app"); err != nil {
					t.Fatal(err)
				}
			},
			live: 1, wantInterval: 2 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPollFixture(t, time.Minute)
			if err := f.tr.Schedule(ctx, "app"); err != nil {
				t.Fatal(err)
			}
			// The chain has polled once and waits for its next poll.
			f.poll(t, f.q.take()[0])
			f.clk.advance(time.Second)
			tt.change(t, f)
			// Run every pending job, the old chain's first, twice each,
			// then what they enqueued.
			pending := append(f.q.take(), f.q.take()...)
			pending = append(pending, pending...)
			gitBefore := f.git.calls()
			next := f.runAll(t, pending...)
			polls := ofKind(next, KindPoll)
			if len(polls) != tt.live {
				t.Fatalf("%d of the pending jobs enqueued a next poll, want %d", len(polls), tt.live)
			}
			if got := f.git.calls() - gitBefore; got != tt.live {
				t.Errorf("pending jobs polled %d times, want %d", got, tt.live)
			}
			if tt.live == 1 {
				if want := f.clk.Now().Add(tt.wantInterval); !polls[0].RunAt.Equal(want) {
					t.Errorf("next poll at %v, want %v", polls[0].RunAt, want)
				}
			}
			if n := len(f.rel.released()); n != 1 {
				t.Errorf("%d releases, want 1 (the first poll's)", n)
			}
		})
	}
}

func TestPollJitter(t *testing.T) {
	tests := []struct {
		rand float64
		want time.Duration
	}{
		{0, 54 * time.Second},
		{0.5, time.Minute},
		{0.999999, 66 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.rand), func(t *testing.T) {
			f := newPollFixture(t, time.Minute)
			f.tr.rand = func() float64 { return tt.rand }
			if err := f.tr.Schedule(context.Background(), "app"); err != nil {
				t.Fatal(err)
			}
			next := f.poll(t, f.q.take()[0])
			got := next[0].RunAt.Sub(f.clk.Now())
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("rand %v: next poll in %v, want %v", tt.rand, got, tt.want)
			}
		})
	}
}

func TestPollFailureKeepsChainAndHidesCredentials(t *testing.T) {
	s := testStore(t)
	log, logs := testLogger()
	q, rel, clk := newRecorder(), &fakeReleaser{}, newClock()
	tr := New(Config{Store: s, Dispatcher: q, Releaser: rel, Logger: log, Now: clk.Now})
	// Nothing listens on port 1: git fails at once.
	addPipeline(t, s, store.PipelineRecord{Name: "app", Repo: "http://ci:hunter2@127.0.0.1:1/app.git",
		Branch: "main", PollInterval: time.Minute})
	if err := tr.Schedule(context.Background(), "app"); err != nil {
		t.Fatal(err)
	}
	q.run(t, q.take()[0])
	next := q.take()
	if len(ofKind(next, KindPoll)) != 1 || len(ofKind(next, KindRelease)) != 0 {
		t.Errorf("failed poll enqueued %+v, want only the next poll", next)
	}
	if !strings.Contains(logs.String(), "poll failed") {
		t.Errorf("log lacks the failure:\n%s", logs)
	}
	if strings.Contains(logs.String(), "hunter2") {
		t.Errorf("log reveals the repository password:\n%s", logs)
	}
}

func TestReleaseJob(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// fail answers the first release; later ones succeed.
		fail       error
		paused     bool
		wantErr    bool
		wantCalls  int
		wantAction string
	}{
		{name: "released", wantCalls: 1, wantAction: "pipeline.release"},
		{name: "broken pipeline is not retried", fail: fmt.Errorf("secpipe.yml:3: %w", pipeline.ErrInvalid),
			wantAction: "pipeline.release_failed"},
		{name: "network error is retried", fail: fmt.Errorf("git fetch: connection reset"), wantErr: true,
			wantCalls: 1, wantAction: "pipeline.release"},
		{name: "paused pipeline is skipped", paused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPollFixture(t, time.Minute)
			failed := false
			f.rel.fail = func(call) error {
				if tt.fail != nil && !failed {
					failed = true
					return tt.fail
				}
				return nil
			}
			if err := f.tr.Schedule(ctx, "app"); err != nil {
				t.Fatal(err)
			}
			release := ofKind(f.runAll(t, f.q.take()[0]), KindRelease)[0]
			if tt.paused {
				rec := pipelineRecord(t, f.s, "app")
				rec.Paused = true
				if err := f.s.UpdatePipeline(ctx, rec); err != nil {
					t.Fatal(err)
				}
			}
			h := f.q.handlers[KindRelease]
			err := h(ctx, release.Args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("release job = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				// The queue retries it.
				if err := h(ctx, release.Args); err != nil {
					t.Fatalf("retried release job = %v", err)
				}
			}
			// A duplicate run releases nothing more.
			if err := h(ctx, release.Args); err != nil {
				t.Fatalf("duplicate release job = %v", err)
			}
			if got := len(f.rel.released()); got != tt.wantCalls {
				t.Errorf("%d releases, want %d", got, tt.wantCalls)
			}
			audit, err := f.s.Audit(ctx, store.AuditFilter{Target: "app"})
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range audit {
				actions = append(actions, e.Action)
			}
			want := []string{}
			if tt.wantAction != "" {
				want = []string{tt.wantAction}
			}
			if !slices.Equal(actions, want) {
				t.Errorf("audit actions = %q, want %q", actions, want)
			}
		})
	}
}

func TestRevive(t *testing.T) {
	ctx := context.Background()
	f := newPollFixture(t, time.Minute)
	if err := f.tr.Schedule(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	f.poll(t, f.q.take()[0])
	// The next poll is due in a minute: the chain is alive.
	f.clk.advance(90 * time.Second)
	if err := f.tr.Revive(ctx); err != nil {
		t.Fatal(err)
	}
	if jobs := f.q.take(); len(jobs) != 0 {
		t.Fatalf("Revive of a live chain enqueued %+v", jobs)
	}
	// Long overdue: its job was lost (or the record changed without
	// Schedule). Revive starts one chain, at once.
	f.clk.advance(5 * time.Minute)
	if err := f.tr.Revive(ctx); err != nil {
		t.Fatal(err)
	}
	jobs := f.q.take()
	if len(jobs) != 1 || !jobs[0].RunAt.Equal(f.clk.Now()) {
		t.Fatalf("Revive of a dead chain enqueued %+v, want one poll due now", jobs)
	}
	if a := pollArgsOf(t, jobs[0]); a.Stamp != pipelineRecord(t, f.s, "app").Updated.UnixMicro() {
		t.Errorf("revived chain's stamp %d is not the record's", a.Stamp)
	}
}

func TestRunStartsChainsAndStops(t *testing.T) {
	f := newPollFixture(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.tr.Run(ctx)
	}()
	waitFor(t, "a poll job", func() bool {
		f.q.mu.Lock()
		defer f.q.mu.Unlock()
		return len(f.q.jobs) == 1
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if jobs := f.q.take(); len(jobs) != 1 || jobs[0].Kind != KindPoll {
		t.Errorf("Run enqueued %+v, want one poll", jobs)
	}
}
