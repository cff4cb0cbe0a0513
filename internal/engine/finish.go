package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// complete stores the outcome of an attempt of a.Action, provided the run
// still passes check (nobody cancelled, reclaimed or finished it
// meanwhile), together with the next step: a retry, a continuation, a job
// or the execution's advance. With chain set, the attempts that become due
// at once get no job but are returned, for the caller to run.
func (e *Engine) complete(ctx context.Context, a actionArgs, check func(store.ActionRun) bool,
	out outcome, chain bool) ([]actionArgs, error) {
	var evs *events // read after commit: flushDue fills next
	err := e.update(ctx, func(tx store.Tx, ev *events) error {
		ev.chain, evs = chain, ev
		x, err := tx.Execution(ctx, a.Execution)
		if err != nil {
			return err
		}
		runs, err := tx.ActionRuns(ctx, a.Execution)
		if err != nil {
			return err
		}
		i := findRun(runs, a.Stage, a.Action)
		if x.Status.Terminal() || i < 0 || !check(runs[i]) {
			return errNoop
		}
		if err := e.apply(ctx, tx, ev, &x, &runs[i], out); err != nil {
			return err
		}
		return e.advanceLoaded(ctx, tx, ev, x, runs)
	})
	if errors.Is(err, errNoop) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("complete %s/%s/%s attempt %d: %w", a.Execution, a.Stage, a.Action, a.Attempt, err)
	}
	return evs.next, nil
}

// apply writes an outcome into r (and x, for a source revision).
func (e *Engine) apply(ctx context.Context, tx store.Tx, ev *events, x *store.Execution, r *store.ActionRun,
	out outcome) error {
	now := e.now().UTC()
	action, _ := definitionAction(x.Definition, r.Stage, r.Action)
	if out.jobDone != nil {
		if err := tx.UpdateJob(ctx, *out.jobDone); err != nil {
			return err
		}
	}
	if r.Wait == store.WaitJob && out.kind != outcomeSucceeded {
		if err := e.cancelJobs(ctx, tx, r.ExecutionID, r.Stage, r.Action); err != nil {
			return err
		}
	}
	r.Message, r.Wait, r.NextRunAt, r.ContinuationToken = out.message, store.WaitNone, time.Time{}, ""
	if out.inputs != nil {
		r.Inputs = out.inputs
	}
	switch out.kind {
	case outcomeSucceeded:
		return e.succeed(ctx, tx, ev, x, r, out)
	case outcomeFailed:
		return e.fail(ctx, tx, ev, action, r, out)
	case outcomeInProgress:
		delay := out.result.ContinuationDelay
		if delay <= 0 {
			delay = e.cfg.ContinuationDelay
		}
		r.Status, r.Wait, r.ContinuationToken = pipeline.StatusWaiting, store.WaitContinuation,
			out.result.ContinuationToken
		if r.Message == "" {
			r.Message = "in progress"
		}
		return e.schedule(ctx, tx, ev, r, delay)
	case outcomeWaiting:
		return e.wait(ctx, tx, ev, action, r, out)
	default: // cancelled
		r.Status, r.Finished = pipeline.StatusCancelled, now
		ev.action(*r, now)
		return tx.UpdateActionRun(ctx, *r)
	}
}

// succeed records a successful attempt: outputs, variables, findings,
// tests, warnings and the source revision.
func (e *Engine) succeed(ctx context.Context, tx store.Tx, ev *events, x *store.Execution, r *store.ActionRun,
	out outcome) error {
	now := e.now().UTC()
	r.Status, r.Finished = pipeline.StatusSucceeded, now
	r.Outputs, r.OutputVariables = out.outputs, out.result.OutputVariables
	r.Tests, r.Warnings = out.result.Tests, out.result.Warnings
	if err := tx.ReplaceFindings(ctx, r.ExecutionID, r.Stage, r.Action, out.result.Findings); err != nil {
		return err
	}
	ev.found(*r, out.result.Findings, now)
	if out.result.Revision != "" {
		x.Revision = out.result.Revision
		if err := tx.UpdateExecution(ctx, *x); err != nil {
			return err
		}
	}
	ev.action(*r, now)
	return tx.UpdateActionRun(ctx, *r)
}

// fail records a failed attempt and schedules a retry when the action has
// retries left.
func (e *Engine) fail(ctx context.Context, tx store.Tx, ev *events, action pipeline.Action, r *store.ActionRun,
	out outcome) error {
	now := e.now().UTC()
	r.Tests, r.Warnings = out.result.Tests, out.result.Warnings
	if err := tx.ReplaceFindings(ctx, r.ExecutionID, r.Stage, r.Action, out.result.Findings); err != nil {
		return err
	}
	ev.found(*r, out.result.Findings, now)
	if !out.noRetry && r.Retries < action.Retries {
		r.Retries++
		r.Message = fmt.Sprintf("attempt %d failed (%s); retry %d of %d", r.Attempt, r.Message, r.Retries,
			action.Retries)
		return e.schedule(ctx, tx, ev, r, 0)
	}
	r.Status, r.Finished = pipeline.StatusFailed, now
	ev.action(*r, now)
	return tx.UpdateActionRun(ctx, *r)
}

// wait parks an action until an approval or an external job's result, with
// a deadline job that fails it when its timeout passes.
func (e *Engine) wait(ctx context.Context, tx store.Tx, ev *events, action pipeline.Action, r *store.ActionRun,
	out outcome) error {
	now := e.now().UTC()
	r.Status, r.Wait = pipeline.StatusWaiting, store.WaitApproval
	if out.job != nil {
		r.Wait = store.WaitJob
		j := *out.job
		j.RunAttempt, j.Created, j.Updated, j.AvailableAt = r.Attempt, now, now, now
		if err := tx.CreateJob(ctx, j); err != nil {
			return err
		}
	}
	if r.Message == "" {
		r.Message = "waiting"
	}
	r.NextRunAt = now.Add(e.timeout(action))
	if err := tx.UpdateActionRun(ctx, *r); err != nil {
		return err
	}
	ev.action(*r, now)
	return e.enqueueDeadline(ctx, tx, *r)
}
