package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/approval"
)

// TestStartOptionsRecorded checks what a server passes at start: its own
// execution id, the trigger and the checked-out revision; an id taken is
// refused.
func TestStartOptionsRecorded(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"ok": ok()}})
	ctx := context.Background()
	p := pipe("demo", stage("Build", pipeline.Action{Name: "A", Provider: "ok"}))
	id := engine.NewExecutionID(time.Now())
	got, st := h.run(t, p, engine.StartOptions{ID: id, Trigger: "manual alice", Revision: "abc123"})
	if got != id || st != pipeline.StatusSucceeded {
		t.Fatalf("run = %s %s, want %s succeeded", got, st, id)
	}
	x, err := h.eng.Store().Execution(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if x.Trigger != "manual alice" || x.Revision != "abc123" {
		t.Errorf("execution trigger, revision = %q, %q; want manual alice, abc123", x.Trigger, x.Revision)
	}
	for _, bad := range []string{id, "../x"} {
		if _, err := h.eng.Start(ctx, p, engine.StartOptions{ID: bad}); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("Start(ID: %q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestApproveAs records the caller, not the engine's user, as the
// approver.
func TestApproveAs(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"approval": approval.New(approval.Config{})}})
	ctx := context.Background()
	p := pipe("demo", stage("Gate", pipeline.Action{Name: "Approve", Provider: "approval"}))
	id, err := h.eng.Start(ctx, p, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the approval", func() bool { return h.action(t, id, "Gate", "Approve").Status == pipeline.StatusWaiting })
	if err := h.eng.ApproveAs(ctx, id, "Approve", "alice", "looks fine", true); err != nil {
		t.Fatal(err)
	}
	if st := h.wait(t, id); st != pipeline.StatusSucceeded {
		t.Fatalf("status = %s, want succeeded", st)
	}
	as, err := h.eng.Store().Approvals(ctx, id)
	if err != nil || len(as) != 1 || as[0].By != "alice" || as[0].Reason != "looks fine" {
		t.Errorf("Approvals = %+v, %v; want one by alice", as, err)
	}
}

// TestListExecutionsPages walks the pages of a filtered listing.
func TestListExecutionsPages(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"ok": ok()}})
	ctx := context.Background()
	a := pipe("a", stage("Build", pipeline.Action{Name: "A", Provider: "ok"}))
	b := pipe("b", stage("Build", pipeline.Action{Name: "A", Provider: "ok"}))
	var wantA []string
	for i := range 5 {
		id, _ := h.run(t, a, engine.StartOptions{})
		wantA = append([]string{id}, wantA...)
		if i%2 == 0 {
			h.run(t, b, engine.StartOptions{})
		}
	}
	var got []string
	var cursor int64
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		xs, next, err := h.eng.ListExecutions(ctx, engine.ExecutionQuery{Pipeline: "a", Before: cursor, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(xs) > 2 {
			t.Fatalf("page of %d executions, want at most 2", len(xs))
		}
		for _, x := range xs {
			got = append(got, x.ID)
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	if diff := cmp.Diff(wantA, got); diff != "" {
		t.Errorf("pages of pipeline a, newest first (-want +got):\n%s", diff)
	}
	xs, next, err := h.eng.ListExecutions(ctx, engine.ExecutionQuery{
		Statuses: []pipeline.Status{pipeline.StatusFailed}})
	if err != nil || len(xs) != 0 || next != 0 {
		t.Errorf("ListExecutions(failed) = %d executions, next %d, %v; want none", len(xs), next, err)
	}
	xs, _, err = h.eng.ListExecutions(ctx, engine.ExecutionQuery{})
	if err != nil || len(xs) != 8 {
		t.Errorf("ListExecutions() = %d executions, %v; want 8", len(xs), err)
	}
}
