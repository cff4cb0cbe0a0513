package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// registry keeps the cancel functions of the attempts running in this
// process, by execution.
type registry struct {
	mu sync.Mutex
	m  map[string]map[*regEntry]struct{}
}

type regEntry struct{ cancel context.CancelCauseFunc }

func newRegistry() *registry { return &registry{m: map[string]map[*regEntry]struct{}{}} }

// add registers cancel under execution id and returns its removal.
func (r *registry) add(id string, cancel context.CancelCauseFunc) func() {
	e := &regEntry{cancel: cancel}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m[id] == nil {
		r.m[id] = map[*regEntry]struct{}{}
	}
	r.m[id][e] = struct{}{}
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.m[id], e)
		if len(r.m[id]) == 0 {
			delete(r.m, id)
		}
	}
}

// cancel cancels every attempt of execution id running here.
func (r *registry) cancel(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for e := range r.m[id] {
		e.cancel(errCancelled)
	}
}

// Cancel ends execution id ("latest" names the newest) as cancelled: its
// unfinished stages and actions end cancelled, its external jobs are
// withdrawn and the providers running in this process see their context
// cancelled (their results are discarded). In queued mode the next queued
// execution starts. Cancelling a finished execution does nothing.
func (e *Engine) Cancel(ctx context.Context, id string) error {
	id, err := e.resolveID(ctx, id)
	if err != nil {
		return err
	}
	err = e.update(ctx, func(tx store.Tx, ev *events) error {
		x, err := tx.Execution(ctx, id)
		if err != nil {
			return err
		}
		if x.Status.Terminal() {
			return errNoop
		}
		stages, err := tx.StageRuns(ctx, id)
		if err != nil {
			return err
		}
		runs, err := tx.ActionRuns(ctx, id)
		if err != nil {
			return err
		}
		return e.finishExecution(ctx, tx, ev, &x, pipeline.StatusCancelled, "cancelled", stages, runs)
	})
	if err != nil && !errors.Is(err, errNoop) {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	e.running.cancel(id)
	return nil
}

// handleDeadline fails an action still waiting for an approval or an
// external job when its timeout has passed (a KindDeadline job). A job
// that comes early is put back for the deadline.
func (e *Engine) handleDeadline(ctx context.Context, raw json.RawMessage) error {
	var a actionArgs
	if err := json.Unmarshal(raw, &a); err != nil {
		e.log.Error("drop malformed deadline job", "args", string(raw), "err", err)
		return nil
	}
	x, err := e.store.Execution(ctx, a.Execution)
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	action, _ := definitionAction(x.Definition, a.Stage, a.Action)
	now := e.now()
	waiting := func(r store.ActionRun) bool {
		return r.Status == pipeline.StatusWaiting && r.Attempt == a.Attempt &&
			(r.Wait == store.WaitApproval || r.Wait == store.WaitJob)
	}
	if r, err := e.store.ActionRun(ctx, a.Execution, a.Stage, a.Action); err == nil && waiting(r) &&
		now.Before(r.NextRunAt) {
		return e.update(ctx, func(tx store.Tx, _ *events) error { return e.enqueueDeadline(ctx, tx, r) })
	}
	check := func(r store.ActionRun) bool { return waiting(r) && !now.Before(r.NextRunAt) }
	out := outcome{kind: outcomeFailed, message: "timed out after " + e.timeout(action).String()}
	_, err = e.complete(ctx, a, check, out, false)
	return err
}

// Approve decides an approval action of execution id ("latest" names the
// newest) that is waiting: approved, the action succeeds; rejected, it
// fails (no retries) and with it the stage. action is the action's name,
// or "STAGE.ACTION" when several stages have one of that name. The
// decision is recorded with Config.User and reason. An action that does
// not exist wraps pipeline.ErrNotFound; one that is not waiting for an
// approval wraps pipeline.ErrInvalid.
func (e *Engine) Approve(ctx context.Context, id, action, reason string, approved bool) error {
	return e.ApproveAs(ctx, id, action, e.cfg.User, reason, approved)
}

// ApproveAs is Approve with the decision recorded as made by user rather
// than Config.User: a server's caller.
func (e *Engine) ApproveAs(ctx context.Context, id, action, user, reason string, approved bool) error {
	id, err := e.resolveID(ctx, id)
	if err != nil {
		return err
	}
	err = e.update(ctx, func(tx store.Tx, ev *events) error {
		runs, err := tx.ActionRuns(ctx, id)
		if err != nil {
			return err
		}
		r, err := findApproval(runs, action)
		if err != nil {
			return err
		}
		x, err := tx.Execution(ctx, id)
		if err != nil {
			return err
		}
		now := e.now().UTC()
		err = tx.AddApproval(ctx, store.Approval{ExecutionID: id, Stage: r.Stage, Action: r.Action,
			By: user, Reason: reason, Approved: approved, At: now})
		if err != nil {
			return err
		}
		out := outcome{kind: outcomeSucceeded, message: "approved by " + user + suffix(reason)}
		if !approved {
			out = outcome{kind: outcomeFailed, noRetry: true, message: "rejected by " + user + suffix(reason)}
		}
		if err := e.apply(ctx, tx, ev, &x, &r, out); err != nil {
			return err
		}
		return e.advance(ctx, tx, ev, id)
	})
	if err != nil {
		return fmt.Errorf("approve %s %s: %w", id, action, err)
	}
	return nil
}

// findApproval finds the run named action that waits for an approval.
func findApproval(runs []store.ActionRun, action string) (store.ActionRun, error) {
	var named []store.ActionRun
	for _, r := range runs {
		if r.Action == action || r.Stage+"."+r.Action == action {
			named = append(named, r)
		}
	}
	var waiting []store.ActionRun
	for _, r := range named {
		if r.Status == pipeline.StatusWaiting && r.Wait == store.WaitApproval {
			waiting = append(waiting, r)
		}
	}
	switch {
	case len(named) == 0:
		return store.ActionRun{}, fmt.Errorf("action %q: %w", action, pipeline.ErrNotFound)
	case len(waiting) == 1:
		return waiting[0], nil
	case len(waiting) > 1:
		var names []string
		for _, r := range waiting {
			names = append(names, r.Stage+"."+r.Action)
		}
		return store.ActionRun{}, fmt.Errorf("%w action %q: several wait for approval (%s); name one as STAGE.ACTION",
			pipeline.ErrInvalid, action, strings.Join(names, ", "))
	}
	return store.ActionRun{}, fmt.Errorf("%w action %q: it is %s, not waiting for an approval", pipeline.ErrInvalid,
		action, named[0].Status)
}
