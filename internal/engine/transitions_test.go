package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// scripted returns a provider whose n-th call (from 1, over all actions)
// answers script[n-1] (the last entry repeats).
func scripted(script ...pipeline.ActionResult) *fakeProvider {
	var n atomic.Int32
	return &fakeProvider{name: "scripted", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		i := int(n.Add(1)) - 1
		return script[min(i, len(script)-1)], nil
	}}
}

var (
	succeeded  = pipeline.ActionResult{State: pipeline.ActionSucceeded}
	failed     = pipeline.ActionResult{State: pipeline.ActionFailed, Message: "tests failed"}
	inProgress = pipeline.ActionResult{State: pipeline.ActionInProgress, ContinuationToken: "tok"}
)

func TestStateTransitions(t *testing.T) {
	broken := &fakeProvider{name: "broken", run: func(context.Context, *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		return pipeline.ActionResult{}, errors.New("no such tool")
	}}
	tests := []struct {
		name     string
		pipeline *pipeline.Pipeline
		provider *fakeProvider
		want     pipeline.Status
		// statuses of stages ("S") and actions ("S.A") that must match.
		statuses map[string]pipeline.Status
		// attempts of actions that must match.
		attempts map[string]int
		message  string // substring of the execution's message
	}{
		{
			name:     "one action succeeds",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"})),
			provider: scripted(succeeded),
			want:     pipeline.StatusSucceeded,
			statuses: map[string]pipeline.Status{"S": pipeline.StatusSucceeded, "S.A": pipeline.StatusSucceeded},
			attempts: map[string]int{"S.A": 1},
		},
		{
			name: "a failure fails the stage and skips later stages",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"}),
				stage("T", pipeline.Action{Name: "B", Provider: "t"})),
			provider: scripted(failed),
			want:     pipeline.StatusFailed,
			statuses: map[string]pipeline.Status{"S": pipeline.StatusFailed, "S.A": pipeline.StatusFailed,
				"T": pipeline.StatusSkipped, "T.B": pipeline.StatusSkipped},
			message: "stage S failed: action A failed: tests failed",
		},
		{
			name: "a failure keeps later run orders from starting",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"},
				pipeline.Action{Name: "B", Provider: "t", RunOrder: 2})),
			provider: scripted(failed),
			want:     pipeline.StatusFailed,
			statuses: map[string]pipeline.Status{"S.A": pipeline.StatusFailed, "S.B": pipeline.StatusSkipped},
			attempts: map[string]int{"S.B": 0},
		},
		{
			name: "a false condition skips the stage",
			pipeline: pipe("p", pipeline.Stage{Name: "S", When: "false",
				Actions: []pipeline.Action{{Name: "A", Provider: "t"}}},
				stage("T", pipeline.Action{Name: "B", Provider: "t"})),
			provider: scripted(succeeded),
			want:     pipeline.StatusSucceeded,
			statuses: map[string]pipeline.Status{"S": pipeline.StatusSkipped, "S.A": pipeline.StatusSkipped,
				"T.B": pipeline.StatusSucceeded},
			attempts: map[string]int{"S.A": 0},
		},
		{
			name: "a condition that cannot be evaluated fails the stage",
			pipeline: pipe("p", pipeline.Stage{Name: "S", When: "nonsense(",
				Actions: []pipeline.Action{{Name: "A", Provider: "t"}}}),
			provider: scripted(succeeded),
			want:     pipeline.StatusFailed,
			statuses: map[string]pipeline.Status{"S": pipeline.StatusFailed, "S.A": pipeline.StatusSkipped},
			message:  "condition: bad expression",
		},
		{
			name:     "a provider error fails the action",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "broken"})),
			want:     pipeline.StatusFailed,
			statuses: map[string]pipeline.Status{"S.A": pipeline.StatusFailed},
			message:  "no such tool",
		},
		{
			name:     "an unknown provider fails the action",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "nope"})),
			want:     pipeline.StatusFailed,
			message:  `unknown provider "nope"`,
		},
		{
			name:     "retries until success",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t", Retries: 2})),
			provider: scripted(failed, failed, succeeded),
			want:     pipeline.StatusSucceeded,
			attempts: map[string]int{"S.A": 3},
		},
		{
			name:     "retries run out",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t", Retries: 1})),
			provider: scripted(failed),
			want:     pipeline.StatusFailed,
			attempts: map[string]int{"S.A": 2},
		},
		{
			name:     "in progress, then done",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"})),
			provider: scripted(inProgress, inProgress, succeeded),
			want:     pipeline.StatusSucceeded,
			attempts: map[string]int{"S.A": 3},
		},
		{
			name: "an input from a skipped stage fails the consumer",
			pipeline: pipe("p", pipeline.Stage{Name: "S", When: "false",
				Actions: []pipeline.Action{{Name: "A", Provider: "t", Outputs: []string{"Art"}}}},
				stage("T", pipeline.Action{Name: "B", Provider: "t", Inputs: []string{"Art"}})),
			provider: scripted(succeeded),
			want:     pipeline.StatusFailed,
			message:  "input artifact [Art] was not produced",
		},
		{
			name: "an unknown reference fails the action",
			pipeline: pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t",
				Config: map[string]any{"x": "#{Nope.Var}"}})),
			provider: scripted(succeeded),
			want:     pipeline.StatusFailed,
			message:  "unknown reference #{Nope.Var}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			providers := map[string]pipeline.Provider{"broken": broken}
			if tt.provider != nil {
				providers["t"] = tt.provider
			}
			h := newHarness(t, options{providers: providers, continueIn: 1})
			id, got := h.run(t, tt.pipeline, engine.StartOptions{})
			info, err := h.eng.Execution(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("status = %s (%s), want %s", got, info.Message, tt.want)
			}
			if !strings.Contains(info.Message, tt.message) {
				t.Errorf("message = %q, want it to contain %q", info.Message, tt.message)
			}
			all := h.statuses(t, id)
			for k, want := range tt.statuses {
				if all[k] != want {
					t.Errorf("status of %s = %s, want %s", k, all[k], want)
				}
			}
			for k, want := range tt.attempts {
				stage, action, _ := strings.Cut(k, ".")
				if r := h.action(t, id, stage, action); r.Attempt != want {
					t.Errorf("attempts of %s = %d, want %d", k, r.Attempt, want)
				}
			}
			for k, st := range all {
				if !st.Terminal() {
					t.Errorf("%s ended %s, want a terminal status", k, st)
				}
			}
		})
	}
}

func TestEventsAndQueries(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"t": scripted(succeeded)}})
	ctx := context.Background()
	ch, cancel := h.eng.Subscribe("")
	defer cancel()
	p := pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"}), stage("T", pipeline.Action{Name: "B", Provider: "t"}))
	id, st := h.run(t, p, engine.StartOptions{})
	if st != pipeline.StatusSucceeded {
		t.Fatalf("status = %s", st)
	}
	var got []string
	for len(ch) > 0 {
		ev := <-ch
		if ev.Kind == engine.EventLog {
			continue
		}
		got = append(got, strings.Trim(string(ev.Kind)+" "+ev.Stage+"."+ev.Action, ". ")+" "+string(ev.Status))
	}
	want := []string{
		"execution queued", "execution running", "stage S. running", "action S.A queued",
		"action S.A running", "action S.A succeeded", "stage S. succeeded", "stage T. running",
		"action T.B queued", "action T.B running", "action T.B succeeded", "stage T. succeeded",
		"execution succeeded",
	}
	for i := range want {
		want[i] = strings.Replace(want[i], "S. ", "S ", 1)
		want[i] = strings.Replace(want[i], "T. ", "T ", 1)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	latest, err := h.eng.Latest(ctx)
	if err != nil || latest.ID != id {
		t.Errorf("Latest = %v, %v; want %s", latest.ID, err, id)
	}
	info, err := h.eng.Execution(ctx, engine.LatestID)
	if err != nil || info.ID != id || len(info.Stages) != 2 || len(info.Stages[1].Actions) != 1 {
		t.Fatalf("Execution(latest) = %+v, %v", info, err)
	}
	if info.Duration <= 0 || info.Stages[0].Actions[0].Duration <= 0 {
		t.Errorf("durations = %v, %v; want > 0", info.Duration, info.Stages[0].Actions[0].Duration)
	}
	list, err := h.eng.List(ctx, 10)
	if err != nil || len(list) != 1 {
		t.Errorf("List = %d executions, %v", len(list), err)
	}
	if _, err := h.eng.Execution(ctx, "nope"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Execution(nope) = %v, want ErrNotFound", err)
	}
	if _, err := h.eng.Start(ctx, p, engine.StartOptions{Variables: map[string]string{"X": "1"}}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Start with an undeclared variable = %v, want ErrInvalid", err)
	}
}
