package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
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
