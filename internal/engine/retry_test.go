package engine_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestRetryStage(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	w := writer()
	flaky := &fakeProvider{name: "flaky", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if fail.Load() {
			return pipeline.ActionResult{State: pipeline.ActionFailed, Message: "flaky"}, nil
		}
		return w.Run(ctx, req)
	}}
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"write": w, "flaky": flaky}})
	ctx := context.Background()
	p := pipe("p",
		stage("Source", pipeline.Action{Name: "Src", Provider: "write", Outputs: []string{"SourceArtifact"},
			Config: map[string]any{"content": "a"}}),
		stage("Build",
			pipeline.Action{Name: "Good", Provider: "write", Inputs: []string{"SourceArtifact"},
				Outputs: []string{"GoodArtifact"}, Config: map[string]any{"content": "g"}},
			pipeline.Action{Name: "Flaky", Provider: "flaky", Inputs: []string{"SourceArtifact"},
				Outputs: []string{"FlakyArtifact"}, Config: map[string]any{"content": "f"}},
			pipeline.Action{Name: "Later", Provider: "write", RunOrder: 2, Inputs: []string{"FlakyArtifact"},
				Config: map[string]any{"content": "l"}}),
		stage("Deploy", pipeline.Action{Name: "Ship", Provider: "write", Config: map[string]any{"content": "s"}}),
	)
	id, st := h.run(t, p, engine.StartOptions{})
	if st != pipeline.StatusFailed {
		t.Fatalf("status = %s", st)
	}
	before := h.action(t, id, "Build", "Flaky")
	if err := h.eng.Retry(ctx, id, "Source"); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Retry(succeeded stage) = %v, want ErrInvalid", err)
	}
	if err := h.eng.Retry(ctx, id, "Nope"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Retry(unknown stage) = %v, want ErrNotFound", err)
	}
	fail.Store(false)
	if err := h.eng.Retry(ctx, id, ""); err != nil {
		t.Fatalf("Retry = %v", err)
	}
	if st := h.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := h.eng.Execution(ctx, id)
		t.Fatalf("status after retry = %s: %s", st, info.Message)
	}
	after := h.action(t, id, "Build", "Flaky")
	if diff := cmp.Diff(before.Inputs, after.Inputs); diff != "" || len(after.Inputs) != 1 {
		t.Errorf("retried action read other inputs (-before +after):\n%s", diff)
	}
	if after.Attempt != before.Attempt+1 {
		t.Errorf("attempt after retry = %d, want %d", after.Attempt, before.Attempt+1)
	}
	calls := map[string]int{"Src": 1, "Good": 1, "Later": 1, "Ship": 1}
	for name, want := range calls {
		if got := len(w.callsOf(name)); got != want {
			t.Errorf("%s ran %d times, want %d", name, got, want)
		}
	}
	if err := h.eng.Retry(ctx, id, ""); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Retry(succeeded execution) = %v, want ErrInvalid", err)
	}
}

func TestQueuedMode(t *testing.T) {
	release := make(chan struct{})
	var running, maxRunning atomic.Int32
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"t": p}})
	ctx := context.Background()
	pl := pipe("q", stage("S", pipeline.Action{Name: "A", Provider: "t"}))
	pl.ExecutionMode = pipeline.ModeQueued
	var ids []string
	for range 3 {
		id, err := h.eng.Start(ctx, pl, engine.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	waitFor(t, "the first execution to run", func() bool { return running.Load() == 1 })
	for i, want := range []pipeline.Status{pipeline.StatusRunning, pipeline.StatusQueued, pipeline.StatusQueued} {
		info, _ := h.eng.Execution(ctx, ids[i])
		if info.Status != want {
			t.Errorf("execution %d is %s, want %s", i, info.Status, want)
		}
	}
	if err := h.eng.Cancel(ctx, ids[1]); err != nil { // a queued one leaves the queue
		t.Fatal(err)
	}
	close(release)
	for i, want := range []pipeline.Status{pipeline.StatusSucceeded, pipeline.StatusCancelled, pipeline.StatusSucceeded} {
		if st := h.wait(t, ids[i]); st != want {
			t.Errorf("execution %d ended %s, want %s", i, st, want)
		}
	}
	if m := maxRunning.Load(); m != 1 {
		t.Errorf("%d executions ran at once, want 1", m)
	}
	first, _ := h.eng.Execution(ctx, ids[0])
	last, _ := h.eng.Execution(ctx, ids[2])
	if last.Started.Before(first.Finished) {
		t.Errorf("the third started at %v, before the first finished at %v", last.Started, first.Finished)
	}
}

func TestSupersededMode(t *testing.T) {
	gate := make(chan struct{})
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if req.Attempt == 1 && req.Action.Name == "Build" && req.Variables["variables.Run"] == "old" {
			<-gate
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"t": p}})
	ctx := context.Background()
	pl := pipe("s", stage("Build", pipeline.Action{Name: "Build", Provider: "t"}),
		stage("Deploy", pipeline.Action{Name: "Deploy", Provider: "t"}))
	pl.ExecutionMode = pipeline.ModeSuperseded
	pl.Variables = []pipeline.Variable{{Name: "Run"}}
	old, err := h.eng.Start(ctx, pl, engine.StartOptions{Variables: map[string]string{"Run": "old"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old execution to build", func() bool { return len(p.callsOf("Build")) == 1 })
	newer, st := h.run(t, pl, engine.StartOptions{Variables: map[string]string{"Run": "new"}})
	if st != pipeline.StatusSucceeded {
		t.Fatalf("newer execution = %s", st)
	}
	close(gate)
	if st := h.wait(t, old); st != pipeline.StatusSuperseded {
		t.Fatalf("older execution = %s, want superseded", st)
	}
	info, _ := h.eng.Execution(ctx, old)
	if info.Message != "superseded by "+newer {
		t.Errorf("message = %q", info.Message)
	}
	want := map[string]pipeline.Status{"Build": pipeline.StatusSucceeded, "Build.Build": pipeline.StatusSucceeded,
		"Deploy": pipeline.StatusSkipped, "Deploy.Deploy": pipeline.StatusSkipped}
	if diff := cmp.Diff(want, h.statuses(t, old)); diff != "" {
		t.Errorf("older statuses (-want +got):\n%s", diff)
	}
	if n := len(p.callsOf("Deploy")); n != 1 {
		t.Errorf("Deploy ran %d times, want once (the newer execution)", n)
	}
}

func TestParallelMode(t *testing.T) {
	var running atomic.Int32
	both := make(chan struct{})
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if running.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
			return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
		case <-time.After(5 * time.Second):
			return pipeline.ActionResult{State: pipeline.ActionFailed, Message: "ran alone"}, nil
		}
	}}
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"t": p}})
	pl := pipe("par", stage("S", pipeline.Action{Name: "A", Provider: "t"}))
	a, _ := h.eng.Start(context.Background(), pl, engine.StartOptions{})
	b, _ := h.eng.Start(context.Background(), pl, engine.StartOptions{})
	for _, id := range []string{a, b} {
		if st := h.wait(t, id); st != pipeline.StatusSucceeded {
			t.Errorf("%s = %s", id, st)
		}
	}
}
