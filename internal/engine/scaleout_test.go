package engine_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store/postgres"
	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
)

// peer is one of several engines sharing a PostgreSQL database and a data
// directory, as the processes of a scaled-out deployment do.
type peer struct {
	eng      *engine.Engine
	disp     *queue.River
	stopMain context.CancelFunc
	mainDone chan struct{}
}

// peerOptions tune a peer.
type peerOptions struct {
	workers    int // River workers (8)
	lease      time.Duration
	now        func() time.Time
	noMaintain bool
}

// newPeer builds an engine on dsn with data under dir, starts Maintain
// (unless noMaintain) and the dispatcher, and stops both when the test
// ends.
func newPeer(t *testing.T, dsn, dir string, providers map[string]pipeline.Provider, o peerOptions) *peer {
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
	if o.workers == 0 {
		o.workers = 8
	}
	disp, err := queue.NewRiverPostgres(db, queue.RiverConfig{Workers: o.workers, RescueStuckJobsAfter: time.Hour,
		FetchPollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewRiverPostgres = %v", err)
	}
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatalf("artifact.Open = %v", err)
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: disp, Providers: providers, Artifacts: arts,
		DataDir: dir, When: fakeWhen, Resolve: fakeResolve, User: "tester", RunnerLease: o.lease, Now: o.now})
	if err != nil {
		t.Fatalf("engine.New = %v", err)
	}
	p := &peer{eng: eng, disp: disp, stopMain: func() {}, mainDone: make(chan struct{})}
	if o.noMaintain {
		close(p.mainDone)
	} else {
		mctx, stop := context.WithCancel(ctx)
		p.stopMain = stop
		go func() {
			defer close(p.mainDone)
			eng.Maintain(mctx)
		}()
	}
	if err := disp.Start(ctx); err != nil {
		t.Fatalf("Start dispatcher = %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eng.Drain()
		_ = disp.Stop(ctx)
		p.stopMain()
		<-p.mainDone
		_ = db.Close()
	})
	return p
}

func (p *peer) wait(t *testing.T, id string) pipeline.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := p.eng.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait(%s) = %v", id, err)
	}
	return st
}

// runLog counts the provider calls of several engines and notices two
// calls of one action running at the same time.
type runLog struct {
	mu       sync.Mutex
	calls    map[string]int // "execution/action" → calls
	inFlight map[string]int
	overlap  []string
}

func newRunLog() *runLog { return &runLog{calls: map[string]int{}, inFlight: map[string]int{}} }

// enter records the start of a call and returns its end.
func (l *runLog) enter(req *pipeline.ActionRequest) func() {
	key := req.ExecutionID + "/" + req.Action.Name
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[key]++
	l.inFlight[key]++
	if l.inFlight[key] > 1 {
		l.overlap = append(l.overlap, key)
	}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.inFlight[key]--
	}
}

// TestScaleOutFanOut runs a stage of four parallel actions on two engines
// that can each run only two jobs at once: the actions must spread over
// both (they wait for each other), their results commit in different
// engines, and the stage and execution still advance exactly once.
func TestScaleOutFanOut(t *testing.T) {
	t.Parallel()
	dsn, dir := pgtest.DSN(t), t.TempDir()
	log := newRunLog()
	var (
		mu      sync.Mutex
		started int
		all     = make(chan struct{})
	)
	p := &fakeProvider{name: "rec", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		defer log.enter(req)()
		for name, out := range req.Outputs {
			if err := os.WriteFile(filepath.Join(out, "data.txt"), []byte(name), 0o644); err != nil {
				return pipeline.ActionResult{}, err
			}
		}
		if strings.HasPrefix(req.Action.Name, "B") {
			mu.Lock()
			if started++; started == 4 {
				close(all)
			}
			mu.Unlock()
			select { // all four run at once, so over both engines
			case <-all:
			case <-ctx.Done():
				return pipeline.ActionResult{}, ctx.Err()
			}
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	providers := map[string]pipeline.Provider{"rec": p}
	e1 := newPeer(t, dsn, dir, providers, peerOptions{workers: 2})
	e2 := newPeer(t, dsn, dir, providers, peerOptions{workers: 2})
	var b []pipeline.Action
	var outs []string
	for i := range 4 {
		out := fmt.Sprintf("Out%d", i+1)
		b = append(b, pipeline.Action{Name: fmt.Sprintf("B%d", i+1), Provider: "rec", Inputs: []string{"Src"},
			Outputs: []string{out}})
		outs = append(outs, out)
	}
	pl := pipe("fan-out",
		stage("Source", pipeline.Action{Name: "A", Provider: "rec", Outputs: []string{"Src"}}),
		stage("Build", b...),
		stage("Deploy", pipeline.Action{Name: "C", Provider: "rec", Inputs: outs}))
	ctx := context.Background()
	id, err := e1.eng.Start(ctx, pl, engine.StartOptions{})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	if st := e2.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := e2.eng.Execution(ctx, id)
		t.Fatalf("status = %s: %s", st, info.Message)
	}
	runners := map[string]int{}
	for _, name := range []string{"B1", "B2", "B3", "B4"} {
		r, err := e1.eng.Store().ActionRun(ctx, id, "Build", name)
		if err != nil {
			t.Fatal(err)
		}
		runners[r.Runner]++
	}
	want := map[string]int{e1.eng.RunnerID(): 2, e2.eng.RunnerID(): 2}
	if fmt.Sprint(runners) != fmt.Sprint(want) {
		t.Errorf("Build actions per runner = %v, want two on each engine %v", runners, want)
	}
	c, err := e1.eng.Store().ActionRun(ctx, id, "Deploy", "C")
	if err != nil || len(c.Inputs) != 4 {
		t.Errorf("C read inputs %v (%v), want the four Build outputs", c.Inputs, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, name := range []string{"A", "B1", "B2", "B3", "B4", "C"} {
		if n := log.calls[id+"/"+name]; n != 1 {
			t.Errorf("%s ran %d times, want once", name, n)
		}
	}
}

// TestScaleOutClaimsOnce runs many executions on three engines while
// they all resume them again and again, which enqueues duplicate jobs for
// every scheduled attempt: the transactional claim (retried on
// serialization failures) must let each attempt run once, never twice at
// the same time.
func TestScaleOutClaimsOnce(t *testing.T) {
	t.Parallel()
	dsn, dir := pgtest.DSN(t), t.TempDir()
	log := newRunLog()
	p := &fakeProvider{name: "rec", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		defer log.enter(req)()
		time.Sleep(5 * time.Millisecond) // long enough for duplicate jobs to meet
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	providers := map[string]pipeline.Provider{"rec": p}
	peers := []*peer{newPeer(t, dsn, dir, providers, peerOptions{}), newPeer(t, dsn, dir, providers, peerOptions{}),
		newPeer(t, dsn, dir, providers, peerOptions{})}
	pl := pipe("claims",
		stage("S1", pipeline.Action{Name: "A", Provider: "rec"}),
		stage("S2", pipeline.Action{Name: "B1", Provider: "rec"}, pipeline.Action{Name: "B2", Provider: "rec"},
			pipeline.Action{Name: "B3", Provider: "rec"}),
		stage("S3", pipeline.Action{Name: "C", Provider: "rec"}))
	ctx := context.Background()
	const executions = 8
	var ids []string
	for i := range executions {
		id, err := peers[i%len(peers)].eng.Start(ctx, pl, engine.StartOptions{})
		if err != nil {
			t.Fatalf("Start = %v", err)
		}
		ids = append(ids, id)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := p.eng.Resume(ctx); err != nil {
					t.Errorf("Resume = %v", err)
					return
				}
			}
		})
	}
	for i, id := range ids {
		if st := peers[(i+1)%len(peers)].wait(t, id); st != pipeline.StatusSucceeded {
			t.Errorf("execution %s = %s", id, st)
		}
	}
	close(stop)
	wg.Wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, id := range ids {
		for _, name := range []string{"A", "B1", "B2", "B3", "C"} {
			if n := log.calls[id+"/"+name]; n != 1 {
				t.Errorf("%s/%s ran %d times, want once", id, name, n)
			}
		}
	}
	if len(log.overlap) > 0 {
		t.Errorf("attempts ran twice at the same time: %v", log.overlap)
	}
}

// TestScaleOutLostRunner has one engine presumed dead (another engine's
// clock runs an hour ahead, so its heartbeats look stale) while it runs
// an attempt: the other engine takes the attempt back as a new attempt,
// runs the execution to its end, and the presumed-dead engine stops its
// provider and drops its result.
func TestScaleOutLostRunner(t *testing.T) {
	t.Parallel()
	dsn, dir := pgtest.DSN(t), t.TempDir()
	blocking := make(chan struct{})
	var stopped sync.Once
	stoppedBy := make(chan error, 1)
	p := &fakeProvider{name: "rec", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if req.Action.Name == "A" && req.Attempt == 1 {
			close(blocking)
			<-ctx.Done()
			stopped.Do(func() { stoppedBy <- ctx.Err() })
			// A result the engine must drop: the run is no longer this
			// attempt's.
			return pipeline.ActionResult{State: pipeline.ActionSucceeded,
				OutputVariables: map[string]string{"attempt": "1"}}, nil
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded,
			OutputVariables: map[string]string{"attempt": fmt.Sprint(req.Attempt)}}, nil
	}}
	providers := map[string]pipeline.Provider{"rec": p}
	const lease = 600 * time.Millisecond
	slow := newPeer(t, dsn, dir, providers, peerOptions{lease: lease})
	ctx := context.Background()
	id, err := slow.eng.Start(ctx, pipe("lost", stage("S", pipeline.Action{Name: "A", Provider: "rec", Namespace: "A"}),
		stage("T", pipeline.Action{Name: "B", Provider: "rec"})), engine.StartOptions{})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	<-blocking
	// The slow engine takes no more jobs (its handler keeps running).
	slow.eng.Drain()
	stopping := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		stopping <- slow.disp.Stop(ctx)
	}()

	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	other := newPeer(t, dsn, dir, providers, peerOptions{lease: lease, now: ahead})
	events, unsubscribe := other.eng.Subscribe(id)
	defer unsubscribe()
	if st := other.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := other.eng.Execution(ctx, id)
		t.Fatalf("status = %s: %s", st, info.Message)
	}
	a, err := other.eng.Store().ActionRun(ctx, id, "S", "A")
	if err != nil {
		t.Fatal(err)
	}
	if a.Attempt != 2 || a.Runner != other.eng.RunnerID() || a.OutputVariables["attempt"] != "2" {
		t.Errorf("A = attempt %d by %s with %v; want attempt 2 by %s with its variables", a.Attempt, a.Runner,
			a.OutputVariables, other.eng.RunnerID())
	}
	var lostMsg string
	for len(events) > 0 {
		if ev := <-events; ev.Action == "A" && strings.Contains(ev.Message, "lost") {
			lostMsg = ev.Message
		}
	}
	wantMsg := fmt.Sprintf("runner %s on ", slow.eng.RunnerID())
	if !strings.HasPrefix(lostMsg, wantMsg) || !strings.HasSuffix(lostMsg, "; running again") {
		t.Errorf("take-back message = %q, want %q...; running again", lostMsg, wantMsg)
	}
	// The slow engine notices at its next check and stops its provider.
	select {
	case err := <-stoppedBy:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("attempt 1's context ended with %v, want cancelled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("attempt 1 was never stopped")
	}
	if err := <-stopping; err != nil {
		t.Errorf("Stop of the slow engine = %v", err)
	}
	a2, _ := other.eng.Store().ActionRun(ctx, id, "S", "A")
	if a2.OutputVariables["attempt"] != "2" || a2.Attempt != 2 {
		t.Errorf("after attempt 1 returned, A = attempt %d with %v; want attempt 2's result kept", a2.Attempt,
			a2.OutputVariables)
	}
	logData, _ := os.ReadFile(slow.eng.LogPath(id, "S", "A"))
	if !strings.Contains(string(logData), "taken over by another runner") {
		t.Errorf("A's log does not say attempt 1 was taken over:\n%s", logData)
	}
	if n := len(p.callsOf("B")); n != 1 {
		t.Errorf("B ran %d times, want once", n)
	}
}

// TestScaleOutCancelElsewhere cancels an execution in one engine while
// its action runs in another: the other stops the provider at its next
// check, and a non-exclusive Resume meanwhile leaves the running attempt
// alone.
func TestScaleOutCancelElsewhere(t *testing.T) {
	t.Parallel()
	dsn, dir := pgtest.DSN(t), t.TempDir()
	running := make(chan struct{})
	done := make(chan error, 1)
	p := &fakeProvider{name: "rec", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		close(running)
		<-ctx.Done()
		done <- ctx.Err()
		return pipeline.ActionResult{}, ctx.Err()
	}}
	worker := newPeer(t, dsn, dir, map[string]pipeline.Provider{"rec": p}, peerOptions{lease: time.Second})
	ctx := context.Background()
	id, err := worker.eng.Start(ctx, pipe("c", stage("S", pipeline.Action{Name: "A", Provider: "rec"})),
		engine.StartOptions{})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	<-running
	// The "server" starts once the worker runs the action.
	server := newPeer(t, dsn, dir, map[string]pipeline.Provider{"rec": p},
		peerOptions{lease: time.Second, noMaintain: true})
	if _, err := server.eng.Resume(ctx); err != nil {
		t.Fatalf("Resume = %v", err)
	}
	a, _ := server.eng.Store().ActionRun(ctx, id, "S", "A")
	if a.Status != pipeline.StatusRunning || a.Attempt != 1 || a.Runner != worker.eng.RunnerID() {
		t.Errorf("after the server's Resume, A = %s attempt %d by %s; want still running attempt 1 on the worker",
			a.Status, a.Attempt, a.Runner)
	}
	if err := server.eng.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel = %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the provider's context ended with %v, want cancelled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the worker never stopped the cancelled action")
	}
	if st := server.wait(t, id); st != pipeline.StatusCancelled {
		t.Errorf("status = %s, want cancelled", st)
	}
}

// TestMaintainRetires checks the end of Maintain: it keeps the lease
// while an attempt runs, then deletes the runner's record.
func TestMaintainRetires(t *testing.T) {
	t.Parallel()
	dsn, dir := pgtest.DSN(t), t.TempDir()
	release := make(chan struct{})
	running := make(chan struct{})
	p := &fakeProvider{name: "rec", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		close(running)
		<-release
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	e := newPeer(t, dsn, dir, map[string]pipeline.Provider{"rec": p}, peerOptions{lease: 300 * time.Millisecond})
	ctx := context.Background()
	id, err := e.eng.Start(ctx, pipe("r", stage("S", pipeline.Action{Name: "A", Provider: "rec"})),
		engine.StartOptions{})
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	<-running
	e.stopMain()
	seen := func() time.Time {
		r, err := e.eng.Store().Runner(ctx, e.eng.RunnerID())
		if err != nil {
			t.Fatalf("Runner while an attempt runs = %v", err)
		}
		return r.Seen
	}
	first := seen()
	waitFor(t, "a heartbeat after Maintain's context ended", func() bool { return seen().After(first) })
	close(release)
	if st := e.wait(t, id); st != pipeline.StatusSucceeded {
		t.Fatalf("status = %s", st)
	}
	<-e.mainDone
	if _, err := e.eng.Store().Runner(ctx, e.eng.RunnerID()); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Runner after Maintain returned = %v, want ErrNotFound", err)
	}
}
