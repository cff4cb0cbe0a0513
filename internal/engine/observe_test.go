package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// observer keeps the events it saw.
type observer struct {
	mu  sync.Mutex
	evs []engine.Event
}

func (r *observer) observe(ev engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

func (r *observer) events() []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]engine.Event(nil), r.evs...)
}

// ended reports whether the observer saw execution id end.
func (r *observer) ended(id string) bool {
	for _, ev := range r.events() {
		if ev.Kind == engine.EventExecution && ev.ExecutionID == id && ev.Status.Terminal() {
			return true
		}
	}
	return false
}

func TestObserve(t *testing.T) {
	found := []pipeline.Finding{
		{Kind: pipeline.KindSecret, Severity: pipeline.SeverityHigh, RuleID: "aws"},
		{Kind: pipeline.KindVuln, Severity: pipeline.SeverityCritical, RuleID: "CVE-1"},
		{Kind: pipeline.KindSecret, Severity: pipeline.SeverityHigh, RuleID: "gh"},
	}
	scan := &fakeProvider{name: "scan", run: func(context.Context, *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		return pipeline.ActionResult{State: pipeline.ActionFailed, Message: "findings", Findings: found}, nil
	}}
	h := newHarness(t, options{river: true, noStart: true,
		providers: map[string]pipeline.Provider{"ok": ok(), "scan": scan}})
	var rec observer
	h.eng.Observe(rec.observe)
	sub, unsubscribe := h.eng.Subscribe("")
	defer unsubscribe()
	h.start(t)

	id, st := h.run(t, pipe("observed", stage("Build", pipeline.Action{Name: "Compile", Provider: "ok"}),
		stage("Scan", pipeline.Action{Name: "Secrets", Provider: "scan"})), engine.StartOptions{})
	if st != pipeline.StatusFailed {
		t.Fatalf("execution status = %s, want failed", st)
	}
	waitFor(t, "the observer to see the execution end", func() bool { return rec.ended(id) })

	var started, finished []engine.Event
	var tallies [][]engine.FindingTally
	for _, ev := range rec.events() {
		switch {
		case ev.Kind == engine.EventLog:
			t.Errorf("observer got a log event: %+v", ev)
		case ev.Kind == engine.EventExecution && ev.Pipeline != "observed":
			t.Errorf("execution event Pipeline = %q, want observed", ev.Pipeline)
		case ev.Kind == engine.EventAction && ev.Status == pipeline.StatusRunning:
			started = append(started, ev)
		case ev.Kind == engine.EventAction && ev.Status.Terminal():
			finished = append(finished, ev)
		case ev.Kind == engine.EventFindings:
			tallies = append(tallies, ev.Findings)
		}
	}
	if len(started) != 2 {
		t.Fatalf("observed %d action starts, want 2", len(started))
	}
	for _, ev := range started {
		if ev.Due.IsZero() || ev.Time.Before(ev.Due) {
			t.Errorf("start of %s: Due = %v, Time = %v; want Due set and not after Time", ev.Action, ev.Due, ev.Time)
		}
	}
	want := map[string]pipeline.Status{"Compile": pipeline.StatusSucceeded, "Secrets": pipeline.StatusFailed}
	got := map[string]pipeline.Status{}
	for _, ev := range finished {
		got[ev.Action] = ev.Status
		if ev.Provider == "" || ev.Started.IsZero() || ev.Time.Before(ev.Started) {
			t.Errorf("end of %s: Provider = %q, Started = %v, Time = %v", ev.Action, ev.Provider, ev.Started, ev.Time)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finished actions (-want +got):\n%s", diff)
	}
	wantTally := [][]engine.FindingTally{{
		{Kind: pipeline.KindSecret, Severity: pipeline.SeverityHigh, Count: 2},
		{Kind: pipeline.KindVuln, Severity: pipeline.SeverityCritical, Count: 1},
	}}
	if diff := cmp.Diff(wantTally, tallies); diff != "" {
		t.Errorf("findings events (-want +got):\n%s", diff)
	}
	// Subscribers see status changes but not the findings tallies.
	for len(sub) > 0 {
		if ev := <-sub; ev.Kind == engine.EventFindings {
			t.Fatalf("subscriber got a findings event: %+v", ev)
		}
	}
}
