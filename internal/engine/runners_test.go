package engine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// flakyStore fails the next n transactions, as a database that went away
// for a moment would.
type flakyStore struct {
	store.Store
	fail atomic.Int32
}

var errUnreachable = errors.New("database unreachable")

func (s *flakyStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if s.fail.Add(-1) >= 0 {
		return errUnreachable
	}
	return s.Store.Update(ctx, fn)
}

// TestMaintainTakesBackOwnOrphan loses an attempt's result (the store
// refuses it, every try): the run stays marked running by a live runner
// that no longer runs it, until that runner's Maintain takes it back and
// the action runs again.
func TestMaintainTakesBackOwnOrphan(t *testing.T) {
	dir := t.TempDir()
	db, err := queue.OpenSQLite(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := sqlite.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st := &flakyStore{Store: inner}
	disp, err := queue.NewRiver(db, queue.RiverConfig{Workers: 4, FetchPollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if req.Attempt == 1 {
			st.fail.Store(3) // every try of storing this result
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: disp, Providers: map[string]pipeline.Provider{"t": p},
		Artifacts: arts, DataDir: dir, Exclusive: true, RunnerLease: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		eng.Maintain(ctx)
	}()
	if err := disp.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = disp.Stop(sctx)
		stop()
		<-maintained
		_ = db.Close()
	})
	events, unsubscribe := eng.Subscribe("")
	defer unsubscribe()
	id, err := eng.Start(context.Background(), pipe("o", stage("S", pipeline.Action{Name: "A", Provider: "t"})),
		engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if st, err := eng.Wait(wctx, id); err != nil || st != pipeline.StatusSucceeded {
		t.Fatalf("Wait = %s, %v; want succeeded", st, err)
	}
	if n := len(p.callsOf("A")); n != 2 {
		t.Errorf("A ran %d times, want twice: the lost result, then again", n)
	}
	var took string
	for len(events) > 0 {
		if ev := <-events; ev.Action == "A" && strings.Contains(ev.Message, "lost track") {
			took = ev.Message
		}
	}
	if want := "runner " + eng.RunnerID() + " lost track of the attempt; running again"; took != want {
		t.Errorf("take-back message = %q, want %q", took, want)
	}
}

// leaseStore wraps a store to cut it off in the ways the runner leases
// must survive.
type leaseStore struct {
	store.Store
	failBeats atomic.Bool // Heartbeat fails
	// blockReap, when set, holds Executions (Maintain's take-back) until
	// it is closed; reapBlocked is closed when it first does.
	blockReap   chan struct{}
	reapBlocked chan struct{}
	blockedOnce sync.Once
	// beforeUpdate, when set, runs once before the next transaction.
	beforeUpdate atomic.Pointer[func()]
}

func (s *leaseStore) Heartbeat(ctx context.Context, r store.Runner) error {
	if s.failBeats.Load() {
		return errUnreachable
	}
	return s.Store.Heartbeat(ctx, r)
}

func (s *leaseStore) Executions(ctx context.Context, f store.ExecutionFilter) ([]store.Execution, error) {
	if s.blockReap != nil {
		s.blockedOnce.Do(func() { close(s.reapBlocked) })
		select {
		case <-s.blockReap:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.Executions(ctx, f)
}

func (s *leaseStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	if f := s.beforeUpdate.Swap(nil); f != nil {
		(*f)()
	}
	return s.Store.Update(ctx, fn)
}

// hookDispatcher wraps a dispatcher: it keeps the handlers registered on
// it, and drops the action jobs drop selects, as a process that fetched
// them and died would lose them.
type hookDispatcher struct {
	queue.Dispatcher
	drop func(a attemptArgs) bool // under mu

	mu       sync.Mutex
	handlers map[string]queue.Handler
	jobs     []queue.Job // the action jobs enqueued, dropped ones too
}

// attemptArgs mirror an element of an action job's arguments.
type attemptArgs struct {
	Stage   string `json:"stage"`
	Action  string `json:"action"`
	Attempt int    `json:"attempt"`
}

func (d *hookDispatcher) Handle(kind string, h queue.Handler) {
	d.mu.Lock()
	if d.handlers == nil {
		d.handlers = map[string]queue.Handler{}
	}
	d.handlers[kind] = h
	d.mu.Unlock()
	d.Dispatcher.Handle(kind, h)
}

func (d *hookDispatcher) EnqueueTx(ctx context.Context, tx *sql.Tx, job queue.Job) error {
	if job.Kind == engine.KindAction {
		var args struct{ Attempts []attemptArgs }
		if err := json.Unmarshal(job.Args, &args); err != nil {
			return err
		}
		d.mu.Lock()
		d.jobs = append(d.jobs, job)
		drop := d.drop != nil && len(args.Attempts) == 1 && d.drop(args.Attempts[0])
		d.mu.Unlock()
		if drop {
			return nil
		}
	}
	return d.Dispatcher.EnqueueTx(ctx, tx, job)
}

// leaseEngine is an engine on SQLite for the runner lease tests.
type leaseEngine struct {
	eng  *engine.Engine
	st   *leaseStore
	disp *hookDispatcher
	// maintain starts Maintain, stopped when the test ends.
	maintain func()
}

func newLeaseEngine(t *testing.T, st *leaseStore, drop func(attemptArgs) bool, p pipeline.Provider, exclusive bool,
) *leaseEngine {
	t.Helper()
	dir := t.TempDir()
	db, err := queue.OpenSQLite(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	inner, err := sqlite.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Store = inner
	river, err := queue.NewRiver(db, queue.RiverConfig{Workers: 4, FetchPollInterval: 5 * time.Millisecond,
		RescueStuckJobsAfter: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	disp := &hookDispatcher{Dispatcher: river, drop: drop}
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: disp, Artifacts: arts, DataDir: dir,
		Providers: map[string]pipeline.Provider{p.Name(): p}, Exclusive: exclusive,
		RunnerLease: 300 * time.Millisecond, ContinuationDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	maintained := make(chan struct{})
	started := false
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = river.Stop(sctx)
		stop()
		if st.blockReap != nil {
			select {
			case <-st.blockReap:
			default:
				close(st.blockReap)
			}
		}
		if started {
			<-maintained
		}
		_ = db.Close()
	})
	le := &leaseEngine{eng: eng, st: st, disp: disp}
	le.maintain = func() {
		started = true
		go func() {
			defer close(maintained)
			eng.Maintain(ctx)
		}()
	}
	return le
}

func (le *leaseEngine) startDispatcher(t *testing.T) {
	t.Helper()
	if err := le.disp.Dispatcher.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (le *leaseEngine) wait(t *testing.T, id string) pipeline.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	st, err := le.eng.Wait(ctx, id)
	if err != nil {
		info, _ := le.eng.Execution(context.Background(), id)
		t.Fatalf("Wait = %v (execution %s: %s)", err, info.Status, info.Message)
	}
	return st
}

// TestMaintainRequeuesLostJobs loses the job of a due attempt, as when
// the process that fetched it dies before its claim commits: the run
// stays due with no runner holding it, and Maintain enqueues it again
// once it has been due for longer than a lease, instead of leaving it to
// the dispatcher's stuck-job rescue (days later) or the next Resume.
func TestMaintainRequeuesLostJobs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		lose int // the attempt of A whose first job is lost
		want int // A's attempts
	}{
		{name: "queued", lose: 1, want: 1},
		{name: "waiting on a continuation", lose: 2, want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
				if req.Action.Name == "A" && req.Attempt < tc.want {
					return pipeline.ActionResult{State: pipeline.ActionInProgress, ContinuationToken: "more"}, nil
				}
				return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
			}}
			lost := false
			drop := func(a attemptArgs) bool {
				if a.Action == "A" && a.Attempt == tc.lose && !lost {
					lost = true
					return true
				}
				return false
			}
			le := newLeaseEngine(t, &leaseStore{}, drop, p, true)
			le.maintain()
			le.startDispatcher(t)
			id, err := le.eng.Start(context.Background(), pipe("lost", stage("S", pipeline.Action{Name: "A", Provider: "t"}),
				stage("T", pipeline.Action{Name: "B", Provider: "t"})), engine.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if st := le.wait(t, id); st != pipeline.StatusSucceeded {
				t.Fatalf("status = %s, want succeeded", st)
			}
			le.disp.mu.Lock()
			wasLost := lost
			le.disp.mu.Unlock()
			if !wasLost {
				t.Fatal("no job was lost")
			}
			if n := len(p.callsOf("A")); n != tc.want {
				t.Errorf("A ran %d times, want %d", n, tc.want)
			}
			if n := len(p.callsOf("B")); n != 1 {
				t.Errorf("B ran %d times, want once", n)
			}
		})
	}
}

// TestMaintainFencesWithoutHeartbeat cuts a runner's heartbeats off while
// it runs an attempt: once its last heartbeat is older than the lease
// (others deem it lost and run the attempt again), it stops the attempt
// itself, without storing a result for it; when its heartbeats come back,
// it runs the action again as a new attempt.
func TestMaintainFencesWithoutHeartbeat(t *testing.T) {
	t.Parallel()
	running := make(chan struct{})
	stopped := make(chan error, 1)
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if req.Attempt == 1 {
			close(running)
			<-ctx.Done()
			stopped <- context.Cause(ctx)
			return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	st := &leaseStore{}
	le := newLeaseEngine(t, st, nil, p, false)
	le.maintain()
	le.startDispatcher(t)
	id, err := le.eng.Start(context.Background(), pipe("fence", stage("S", pipeline.Action{Name: "A", Provider: "t"})),
		engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	<-running
	st.failBeats.Store(true)
	select {
	case cause := <-stopped:
		if cause == nil || !strings.Contains(cause.Error(), "taken over") {
			t.Errorf("attempt 1 stopped with %v, want taken over", cause)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the runner went on running its attempt after its lease ran out")
	}
	st.failBeats.Store(false)
	if st := le.wait(t, id); st != pipeline.StatusSucceeded {
		t.Fatalf("status = %s, want succeeded", st)
	}
	a, err := le.eng.Store().ActionRun(context.Background(), id, "S", "A")
	if err != nil {
		t.Fatal(err)
	}
	if a.Attempt != 2 || len(p.callsOf("A")) != 2 {
		t.Errorf("A ended at attempt %d after %d calls, want attempt 2 after 2 calls", a.Attempt,
			len(p.callsOf("A")))
	}
}

// TestMaintainHeartbeatsDuringSlowReap holds Maintain's take-back (a slow
// database query): the heartbeats must go on meanwhile, or a healthy
// engine would look lost to the others.
func TestMaintainHeartbeatsDuringSlowReap(t *testing.T) {
	t.Parallel()
	st := &leaseStore{blockReap: make(chan struct{}), reapBlocked: make(chan struct{})}
	le := newLeaseEngine(t, st, nil, ok(), false)
	le.maintain()
	select {
	case <-st.reapBlocked:
	case <-time.After(10 * time.Second):
		t.Fatal("Maintain never took back")
	}
	since := time.Now()
	ctx := context.Background()
	waitFor(t, "a heartbeat a lease after the take-back stalled", func() bool {
		r, err := le.eng.Store().Runner(ctx, le.eng.RunnerID())
		return err == nil && r.Seen.After(since.Add(300*time.Millisecond))
	})
	close(st.blockReap)
}

// TestChainEnqueuesWhenStopping stops the dispatcher (its handler's
// context ends) while an action's result is stored: the attempts that
// result made due must still get their job.
func TestChainEnqueuesWhenStopping(t *testing.T) {
	t.Parallel()
	hctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &leaseStore{}
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if req.Action.Name == "A" {
			stop := func() { cancel() }
			st.beforeUpdate.Store(&stop) // the next transaction stores A's result
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	le := newLeaseEngine(t, st, nil, p, true)
	id, err := le.eng.Start(context.Background(), pipe("chain", stage("S", pipeline.Action{Name: "A", Provider: "t"}),
		stage("T", pipeline.Action{Name: "B", Provider: "t"})), engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	le.disp.mu.Lock()
	first, handle := le.disp.jobs[0], le.disp.handlers[engine.KindAction]
	le.disp.mu.Unlock()
	if err := handle(hctx, first.Args); err != nil {
		t.Errorf("action handler = %v, want nil", err)
	}
	if hctx.Err() == nil {
		t.Fatal("the handler's context was not cancelled while A's result was stored")
	}
	le.startDispatcher(t)
	if st := le.wait(t, id); st != pipeline.StatusSucceeded {
		t.Fatalf("status = %s, want succeeded", st)
	}
	if n := len(p.callsOf("B")); n != 1 {
		t.Errorf("B ran %d times, want once", n)
	}
}
