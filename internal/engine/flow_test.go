package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// span is when an action ran.
type span struct{ start, end time.Time }

func TestParallelRunOrder(t *testing.T) {
	var mu sync.Mutex
	spans := map[string]span{}
	both := make(chan struct{})
	var once sync.Once
	started := 0
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		mu.Lock()
		s := span{start: time.Now()}
		if req.Action.Order() == 1 {
			started++
			if started == 2 {
				once.Do(func() { close(both) })
			}
		}
		mu.Unlock()
		if req.Action.Order() == 1 {
			select { // both order-1 actions must be running at once
			case <-both:
			case <-time.After(5 * time.Second):
				return pipeline.ActionResult{State: pipeline.ActionFailed, Message: "ran alone"}, nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		s.end = time.Now()
		spans[req.Action.Name] = s
		mu.Unlock()
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	for _, river := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "river"}[river], func(t *testing.T) {
			started = 0
			both, once = make(chan struct{}), sync.Once{}
			h := newHarness(t, options{river: river, providers: map[string]pipeline.Provider{"t": p}})
			pl := pipe("p", stage("S",
				pipeline.Action{Name: "A1", Provider: "t", RunOrder: 1},
				pipeline.Action{Name: "A2", Provider: "t", RunOrder: 1},
				pipeline.Action{Name: "B", Provider: "t", RunOrder: 2}))
			if _, st := h.run(t, pl, engine.StartOptions{}); st != pipeline.StatusSucceeded {
				t.Fatalf("status = %s", st)
			}
			mu.Lock()
			defer mu.Unlock()
			a1, a2, b := spans["A1"], spans["A2"], spans["B"]
			if !a1.start.Before(a2.end) || !a2.start.Before(a1.end) {
				t.Errorf("A1 %v and A2 %v do not overlap", a1, a2)
			}
			if b.start.Before(a1.end) || b.start.Before(a2.end) {
				t.Errorf("B started at %v before A1 (%v) and A2 (%v) ended", b.start, a1.end, a2.end)
			}
		})
	}
}

// writer writes config["file"] with config["content"] into its first output.
func writer() *fakeProvider {
	return &fakeProvider{name: "write", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		var in string
		for _, dir := range req.Inputs {
			b, err := os.ReadFile(filepath.Join(dir, "data.txt"))
			if err != nil {
				return pipeline.ActionResult{}, err
			}
			in += string(b)
		}
		for _, dir := range req.Outputs {
			content := in + req.Config["content"].(string)
			if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte(content), 0o644); err != nil {
				return pipeline.ActionResult{}, err
			}
		}
		_, _ = req.Log.Write([]byte("wrote " + req.Action.Name + "\n"))
		return pipeline.ActionResult{State: pipeline.ActionSucceeded, Revision: "rev-" + req.Action.Name,
			OutputVariables: map[string]string{"Name": req.Action.Name},
			Findings: []pipeline.Finding{{Kind: pipeline.KindSecret, RuleID: "r", Title: req.Action.Name,
				Severity: pipeline.SeverityHigh}}}, nil
	}}
}

func TestArtifactsAndVariablesFlow(t *testing.T) {
	w := writer()
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"write": w}})
	ctx := context.Background()
	p := pipe("p",
		stage("Source", pipeline.Action{Name: "Src", Provider: "write", Outputs: []string{"SourceArtifact"},
			Namespace: "SourceVariables", Config: map[string]any{"content": "a"}}),
		stage("Build", pipeline.Action{Name: "Bld", Provider: "write", Inputs: []string{"SourceArtifact"},
			Outputs: []string{"BuildArtifact"}, Config: map[string]any{"content": "b-#{SourceVariables.Name}-#{variables.Env}"}}),
	)
	p.Variables = []pipeline.Variable{{Name: "Env", Default: "dev"}}
	events, unsubscribe := h.eng.Subscribe("")
	defer unsubscribe()
	id, st := h.run(t, p, engine.StartOptions{Variables: map[string]string{"Env": "prod"}})
	if st != pipeline.StatusSucceeded {
		info, _ := h.eng.Execution(ctx, id)
		t.Fatalf("status = %s: %s", st, info.Message)
	}
	var logged string
	for len(events) > 0 {
		if ev := <-events; ev.Kind == engine.EventLog && ev.Action == "Bld" {
			logged += string(ev.Log)
		}
	}
	if !strings.Contains(logged, "wrote Bld") {
		t.Errorf("log events of Bld = %q, want the provider's output", logged)
	}
	arts, err := h.eng.Artifacts(ctx, id)
	if err != nil || len(arts) != 2 {
		t.Fatalf("Artifacts = %v, %v", arts, err)
	}
	dst := t.TempDir()
	if err := h.arts.Extract(ctx, arts[1].Digest, dst); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dst, "data.txt"))
	if got, want := string(b), "ab-Src-prod"; got != want {
		t.Errorf("BuildArtifact data.txt = %q, want %q", got, want)
	}
	bld := h.action(t, id, "Build", "Bld")
	if diff := cmp.Diff(map[string]string{"SourceArtifact": arts[0].Digest}, bld.Inputs); diff != "" {
		t.Errorf("Bld inputs (-want +got):\n%s", diff)
	}
	call := w.callsOf("Bld")[0]
	if call.Variables["SourceVariables.Name"] != "Src" || call.Variables["variables.Env"] != "prod" {
		t.Errorf("Bld variables = %v", call.Variables)
	}
	info, _ := h.eng.Execution(ctx, id)
	if info.Revision != "rev-Bld" || info.Stages[0].Actions[0].Findings != 1 {
		t.Errorf("revision %q, findings of Src %d; want rev-Bld, 1", info.Revision, info.Stages[0].Actions[0].Findings)
	}
	fs, err := h.eng.Findings(ctx, id)
	if err != nil || len(fs) != 2 || fs[1].Action != "Bld" {
		t.Errorf("Findings = %v, %v", fs, err)
	}
	log, err := os.ReadFile(h.eng.LogPath(id, "Build", "Bld"))
	if err != nil || !strings.Contains(string(log), "wrote Bld") || !strings.Contains(string(log), "attempt 1 succeeded") {
		t.Errorf("log = %q, %v", log, err)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "work", id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("work directory left behind: %v", err)
	}
}

// blocker blocks until its context ends.
func blocker() *fakeProvider {
	return &fakeProvider{name: "block", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		<-ctx.Done()
		return pipeline.ActionResult{State: pipeline.ActionFailed, Message: "interrupted"}, nil
	}}
}

func TestTimeout(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"block": blocker()}})
	p := pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "block", Timeout: 50 * time.Millisecond}))
	start := time.Now()
	id, st := h.run(t, p, engine.StartOptions{})
	if st != pipeline.StatusFailed {
		t.Fatalf("status = %s", st)
	}
	if r := h.action(t, id, "S", "A"); r.Message != "timed out after 50ms" {
		t.Errorf("message = %q, want timed out after 50ms", r.Message)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestContinuation(t *testing.T) {
	var tokens []string
	var times []time.Time
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		tokens = append(tokens, req.ContinuationToken)
		times = append(times, time.Now())
		if len(tokens) < 3 {
			return pipeline.ActionResult{State: pipeline.ActionInProgress, ContinuationToken: "tok-" + string(rune('0'+len(tokens)))}, nil
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded, OutputVariables: map[string]string{"Done": "yes"}}, nil
	}}
	for _, river := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "river"}[river], func(t *testing.T) {
			tokens, times = nil, nil
			h := newHarness(t, options{river: river, providers: map[string]pipeline.Provider{"t": p},
				continueIn: 50 * time.Millisecond})
			id, st := h.run(t, pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"})), engine.StartOptions{})
			if st != pipeline.StatusSucceeded {
				t.Fatalf("status = %s", st)
			}
			if diff := cmp.Diff([]string{"", "tok-1", "tok-2"}, tokens); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
			for i := 1; i < len(times); i++ {
				if d := times[i].Sub(times[i-1]); d < 50*time.Millisecond {
					t.Errorf("invocation %d came %s after the previous one, want >= 50ms", i+1, d)
				}
			}
			if r := h.action(t, id, "S", "A"); r.Attempt != 3 || r.ContinuationToken != "" {
				t.Errorf("attempt %d, token %q; want 3 and none", r.Attempt, r.ContinuationToken)
			}
		})
	}
}

// fakeApproval waits.
func fakeApproval() *fakeProvider {
	return &fakeProvider{name: "approval", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		return pipeline.ActionResult{State: pipeline.ActionWaiting, Message: "waiting for approval"}, nil
	}}
}

func TestApproval(t *testing.T) {
	tests := []struct {
		name     string
		approved bool
		want     pipeline.Status
		message  string
	}{
		{name: "approved", approved: true, want: pipeline.StatusSucceeded, message: "approved by tester: looks good"},
		{name: "rejected", approved: false, want: pipeline.StatusFailed, message: "rejected by tester: looks good"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, options{providers: map[string]pipeline.Provider{"approval": fakeApproval(), "ok": ok()}})
			ctx := context.Background()
			p := pipe("p", stage("Gate", pipeline.Action{Name: "Approve", Provider: "approval", Retries: 3}),
				stage("Deploy", pipeline.Action{Name: "Go", Provider: "ok"}))
			id, err := h.eng.Start(ctx, p, engine.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.eng.Approve(ctx, id, "Go", "", true); !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("Approve(not waiting) = %v, want ErrInvalid", err)
			}
			if err := h.eng.Approve(ctx, id, "Nope", "", true); !errors.Is(err, pipeline.ErrNotFound) {
				t.Errorf("Approve(unknown) = %v, want ErrNotFound", err)
			}
			waitFor(t, "the approval to wait", func() bool {
				return h.action(t, id, "Gate", "Approve").Status == pipeline.StatusWaiting
			})
			if err := h.eng.Approve(ctx, engine.LatestID, "Gate.Approve", "looks good", tt.approved); err != nil {
				t.Fatalf("Approve = %v", err)
			}
			if st := h.wait(t, id); st != tt.want {
				t.Fatalf("status = %s, want %s", st, tt.want)
			}
			r := h.action(t, id, "Gate", "Approve")
			if r.Message != tt.message || r.Attempt != 1 {
				t.Errorf("message %q attempt %d, want %q and 1 (no retry of a rejection)", r.Message, r.Attempt, tt.message)
			}
			as, err := h.eng.Store().Approvals(ctx, id)
			if err != nil || len(as) != 1 || as[0].By != "tester" || as[0].Approved != tt.approved {
				t.Errorf("Approvals = %+v, %v", as, err)
			}
		})
	}
}

func TestApprovalTimesOut(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"approval": fakeApproval()}})
	p := pipe("p", stage("Gate", pipeline.Action{Name: "Approve", Provider: "approval", Timeout: 30 * time.Millisecond}))
	id, st := h.run(t, p, engine.StartOptions{})
	if st != pipeline.StatusFailed {
		t.Fatalf("status = %s", st)
	}
	if r := h.action(t, id, "Gate", "Approve"); r.Message != "timed out after 30ms" {
		t.Errorf("message = %q", r.Message)
	}
}

func TestCancel(t *testing.T) {
	b := blocker()
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"block": b, "approval": fakeApproval()}})
	ctx := context.Background()
	p := pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "block"},
		pipeline.Action{Name: "W", Provider: "approval"}),
		stage("T", pipeline.Action{Name: "B", Provider: "block"}))
	id, err := h.eng.Start(ctx, p, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A to run", func() bool { return len(b.callsOf("A")) == 1 })
	ch, unsubscribe := h.eng.Subscribe(id)
	defer unsubscribe()
	start := time.Now()
	if err := h.eng.Cancel(ctx, id); err != nil {
		t.Fatalf("Cancel = %v", err)
	}
	if st := h.wait(t, id); st != pipeline.StatusCancelled {
		t.Fatalf("status = %s", st)
	}
	for range ch { // closed at the terminal event
	}
	ctxStop, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h.disp.Stop(ctxStop); err != nil { // waits for the provider to return
		t.Fatalf("Stop = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancel took %s", d)
	}
	want := map[string]pipeline.Status{"S": pipeline.StatusCancelled, "S.A": pipeline.StatusCancelled,
		"S.W": pipeline.StatusCancelled, "T": pipeline.StatusCancelled, "T.B": pipeline.StatusCancelled}
	if diff := cmp.Diff(want, h.statuses(t, id)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if err := h.eng.Cancel(ctx, id); err != nil {
		t.Errorf("Cancel(cancelled) = %v, want nil", err)
	}
}
