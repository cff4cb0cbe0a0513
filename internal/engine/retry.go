package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Retry reruns the failed (or cancelled) actions of a stage of a failed or
// cancelled execution id ("latest" names the newest) and lets the
// execution continue from there. stage names the stage; empty means the
// one that failed. The actions that succeeded keep their results, so the
// rerun actions read the same input artifacts. A stage or execution that
// did not fail wraps pipeline.ErrInvalid; an unknown stage wraps
// pipeline.ErrNotFound. A retried execution runs at once, even in queued
// mode while another one runs.
func (e *Engine) Retry(ctx context.Context, id, stage string) error {
	id, err := e.resolveID(ctx, id)
	if err != nil {
		return err
	}
	err = e.update(ctx, func(tx store.Tx, ev *events) error {
		x, err := tx.Execution(ctx, id)
		if err != nil {
			return err
		}
		if x.Status != pipeline.StatusFailed && x.Status != pipeline.StatusCancelled {
			return fmt.Errorf("%w: the execution is %s; only failed or cancelled executions can be retried",
				pipeline.ErrInvalid, x.Status)
		}
		stages, err := tx.StageRuns(ctx, id)
		if err != nil {
			return err
		}
		idx, err := retryStage(stages, stage)
		if err != nil {
			return err
		}
		runs, err := tx.ActionRuns(ctx, id)
		if err != nil {
			return err
		}
		if err := e.reset(ctx, tx, ev, stages, runs, idx); err != nil {
			return err
		}
		now := e.now().UTC()
		x.Status, x.Finished, x.Message = pipeline.StatusRunning, time.Time{}, ""
		if err := tx.UpdateExecution(ctx, x); err != nil {
			return err
		}
		ev.execution(x, now)
		return e.advance(ctx, tx, ev, id)
	})
	if err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	return nil
}

// retryStage picks the index of the stage to retry.
func retryStage(stages []store.StageRun, name string) (int, error) {
	for _, st := range stages {
		if name != "" && st.Name != name {
			continue
		}
		if st.Status == pipeline.StatusFailed || st.Status == pipeline.StatusCancelled {
			return st.Index, nil
		}
		if name != "" {
			return 0, fmt.Errorf("%w stage %q: it is %s, not failed", pipeline.ErrInvalid, name, st.Status)
		}
	}
	if name != "" {
		return 0, fmt.Errorf("stage %q: %w", name, pipeline.ErrNotFound)
	}
	return 0, fmt.Errorf("%w: no failed stage to retry", pipeline.ErrInvalid)
}

// reset makes stage idx and every later stage runnable again: the actions
// that did not succeed become pending (with fresh retries), the stage runs
// again (or is re-entered when none of its actions ran) and later stages
// wait their turn.
func (e *Engine) reset(ctx context.Context, tx store.Tx, ev *events, stages []store.StageRun,
	runs []store.ActionRun, idx int) error {
	now := e.now().UTC()
	entered := false
	for i := range runs {
		r := &runs[i]
		if r.StageIndex < idx || r.Status == pipeline.StatusSucceeded {
			continue
		}
		entered = entered || (r.StageIndex == idx && r.Attempt > 0)
		r.Status, r.Wait, r.Retries, r.Message = pipeline.StatusQueued, store.WaitNone, 0, ""
		r.ContinuationToken, r.NextRunAt, r.Finished = "", time.Time{}, time.Time{}
		if err := tx.UpdateActionRun(ctx, *r); err != nil {
			return err
		}
		ev.action(*r, now)
	}
	for i := range stages {
		st := &stages[i]
		if st.Index < idx {
			continue
		}
		st.Status, st.Message, st.Finished = pipeline.StatusQueued, "", time.Time{}
		if st.Index == idx && entered {
			st.Status = pipeline.StatusRunning
		} else {
			st.Started = time.Time{}
		}
		if err := tx.UpdateStageRun(ctx, *st); err != nil {
			return err
		}
		ev.stage(*st, now)
	}
	return nil
}
