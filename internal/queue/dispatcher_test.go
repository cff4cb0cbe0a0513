package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// dispatchers are the implementations that pass the shared tests, each built
// on a fresh database: open's, or a SQLite one when open is nil.
var dispatchers = []struct {
	name string
	open func(t *testing.T) *sql.DB
	new  func(t *testing.T, db *sql.DB) Dispatcher
}{
	{name: "river", new: func(t *testing.T, db *sql.DB) Dispatcher {
		r, err := NewRiver(db, testRiverConfig(t))
		if err != nil {
			t.Fatalf("NewRiver() = %v", err)
		}
		return r
	}},
	{name: "river-postgres", open: testPostgresDB, new: func(t *testing.T, db *sql.DB) Dispatcher {
		r, err := NewRiverPostgres(db, testRiverConfig(t))
		if err != nil {
			t.Fatalf("NewRiverPostgres() = %v", err)
		}
		return r
	}},
	{name: "memory", new: func(t *testing.T, db *sql.DB) Dispatcher {
		m := NewMemory()
		m.Logger = testRiverConfig(t).Logger
		return m
	}},
}

// forEachDispatcher runs test in parallel against every implementation.
func forEachDispatcher(t *testing.T, test func(t *testing.T, db *sql.DB, d Dispatcher)) {
	t.Parallel()
	for _, tc := range dispatchers {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var db *sql.DB
			if tc.open != nil {
				db = tc.open(t)
			} else {
				db, _ = testDB(t)
			}
			test(t, db, tc.new(t, db))
		})
	}
}

// recorder collects handler calls, safe for concurrent use.
type recorder struct {
	mu    sync.Mutex
	calls []string
	at    []time.Time
	added chan struct{}
}

func newRecorder() *recorder { return &recorder{added: make(chan struct{}, 1000)} }

// handler records kind:args for each call.
func (r *recorder) handler(kind string) Handler {
	return func(_ context.Context, args json.RawMessage) error {
		r.mu.Lock()
		r.calls = append(r.calls, kind+":"+string(args))
		r.at = append(r.at, time.Now())
		r.mu.Unlock()
		r.added <- struct{}{}
		return nil
	}
}

// wait blocks until n calls have been recorded, then returns them sorted.
func (r *recorder) wait(t *testing.T, n int) []string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-r.added:
		case <-timeout:
			t.Fatalf("timed out waiting for %d handler calls; got %v", n, r.sorted())
		}
	}
	return r.sorted()
}

func (r *recorder) sorted() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.calls))
}

func TestCommitRunsOnce(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		rec := newRecorder()
		d.Handle("build", rec.handler("build"))
		startDispatcher(t, d)
		enqueue(t, db, d, Job{Kind: "build", Args: json.RawMessage(`{"n":1}`)}, false)
		enqueue(t, db, d, Job{Kind: "build"}, false)
		got := rec.wait(t, 2)
		time.Sleep(300 * time.Millisecond) // room for a duplicate run
		if diff := cmp.Diff([]string{"build:null", `build:{"n":1}`}, rec.sorted()); diff != "" {
			t.Errorf("handler calls (-want +got):\n%s\nfirst seen: %v", diff, got)
		}
	})
}

func TestRunsAfterTxEnds(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		rec := newRecorder()
		d.Handle("k", rec.handler("k"))
		startDispatcher(t, d)
		ctx := context.Background()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.EnqueueTx(ctx, tx, Job{Kind: "k"}); err != nil {
			t.Fatalf("EnqueueTx() = %v", err)
		}
		time.Sleep(200 * time.Millisecond)
		if got := rec.sorted(); len(got) != 0 {
			t.Errorf("handler ran before commit: %v", got)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		rec.wait(t, 1)
	})
}

func TestRunAtWaits(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		rec := newRecorder()
		d.Handle("later", rec.handler("later"))
		d.Handle("now", rec.handler("now"))
		startDispatcher(t, d)
		runAt := time.Now().Add(700 * time.Millisecond)
		enqueue(t, db, d, Job{Kind: "later", RunAt: runAt}, false)
		enqueue(t, db, d, Job{Kind: "now"}, false)
		rec.wait(t, 2)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.calls[0] != "now:null" {
			t.Errorf("first call = %s, want now:null", rec.calls[0])
		}
		// River stores times with millisecond precision.
		if at := rec.at[1]; at.Before(runAt.Add(-time.Millisecond)) {
			t.Errorf("later job ran %v before its RunAt", runAt.Sub(at))
		}
	})
}

func TestSeveralKinds(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		rec := newRecorder()
		for _, k := range []string{"advance", "attempt", "timeout"} {
			d.Handle(k, rec.handler(k))
		}
		startDispatcher(t, d)
		var want []string
		for i, k := range []string{"attempt", "advance", "timeout", "advance"} {
			args := rawJSON(t, map[string]int{"i": i})
			enqueue(t, db, d, Job{Kind: k, Args: args}, false)
			want = append(want, k+":"+string(args))
		}
		slices.Sort(want)
		if diff := cmp.Diff(want, rec.wait(t, len(want))); diff != "" {
			t.Errorf("handler calls (-want +got):\n%s", diff)
		}
	})
}

func TestStopWaitsForHandlers(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		started, release := make(chan struct{}), make(chan struct{})
		finished := false
		d.Handle("slow", func(ctx context.Context, _ json.RawMessage) error {
			close(started)
			<-release
			finished = ctx.Err() == nil // read by the test after Stop returns
			return nil
		})
		if err := d.Start(context.Background()); err != nil {
			t.Fatalf("Start() = %v", err)
		}
		enqueue(t, db, d, Job{Kind: "slow"}, false)
		<-started
		stopped := make(chan error)
		go func() { stopped <- d.Stop(context.Background()) }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop() = %v before the handler returned", err)
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		if err := <-stopped; err != nil {
			t.Fatalf("Stop() = %v", err)
		}
		if !finished {
			t.Error("handler context was cancelled by a graceful Stop")
		}
	})
}

func TestStopDeadlineCancelsHandlers(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		started, cancelled := make(chan struct{}), make(chan struct{})
		d.Handle("stuck", func(ctx context.Context, _ json.RawMessage) error {
			close(started)
			<-ctx.Done()
			close(cancelled)
			return ctx.Err()
		})
		if err := d.Start(context.Background()); err != nil {
			t.Fatalf("Start() = %v", err)
		}
		enqueue(t, db, d, Job{Kind: "stuck"}, false)
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := d.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop() = %v, want %v", err, context.DeadlineExceeded)
		}
		select {
		case <-cancelled:
		case <-time.After(5 * time.Second):
			t.Error("handler context not cancelled after Stop's deadline")
		}
	})
}

func TestConcurrentEnqueue(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		const goroutines, perGoroutine = 4, 10
		rec := newRecorder()
		d.Handle("n", rec.handler("n"))
		startDispatcher(t, d)
		var wg sync.WaitGroup
		var want []string
		for g := range goroutines {
			for i := range perGoroutine {
				want = append(want, fmt.Sprintf(`n:"%d-%d"`, g, i))
			}
			wg.Go(func() {
				for i := range perGoroutine {
					enqueue(t, db, d, Job{Kind: "n", Args: rawJSON(t, fmt.Sprintf("%d-%d", g, i))}, false)
				}
			})
		}
		wg.Wait()
		slices.Sort(want)
		got := rec.wait(t, len(want))
		time.Sleep(200 * time.Millisecond) // room for a duplicate run
		if diff := cmp.Diff(want, rec.sorted()); diff != "" {
			t.Errorf("handler calls (-want +got):\n%s\nfirst seen: %d", diff, len(got))
		}
	})
}

func TestEnqueueInvalid(t *testing.T) {
	forEachDispatcher(t, func(t *testing.T, db *sql.DB, d Dispatcher) {
		tx, err := db.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		tests := []struct {
			name string
			tx   *sql.Tx
			job  Job
		}{
			{name: "empty kind", tx: tx, job: Job{}},
			{name: "bad json", tx: tx, job: Job{Kind: "k", Args: json.RawMessage(`{`)}},
			{name: "nil tx", tx: nil, job: Job{Kind: "k"}},
		}
		for _, tc := range tests {
			if err := d.EnqueueTx(context.Background(), tc.tx, tc.job); !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("%s: EnqueueTx(%+v) = %v, want %v", tc.name, tc.job, err, pipeline.ErrInvalid)
			}
		}
	})
}
