package engine

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Resume carries on the executions a previous process left unfinished (it
// crashed, or was stopped) and returns their ids. For each, it re-enqueues
// the job of every scheduled attempt, continuation and waiting deadline,
// takes back the attempts that were running in another engine instance
// (they run again from the start) and advances the execution. Jobs the
// durable queue still holds run too and find nothing to do. Call it once
// at start, before any other engine on the same store runs: an attempt
// running in another live process would run twice.
func (e *Engine) Resume(ctx context.Context) ([]string, error) {
	xs, err := e.store.Executions(ctx, store.ExecutionFilter{Oldest: true,
		Statuses: []pipeline.Status{pipeline.StatusQueued, pipeline.StatusRunning, pipeline.StatusWaiting}})
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	var ids []string
	for _, x := range xs {
		err := e.update(ctx, func(tx store.Tx, ev *events) error { return e.resumeOne(ctx, tx, ev, x.ID) })
		if err != nil {
			return ids, fmt.Errorf("resume %s: %w", x.ID, err)
		}
		ids = append(ids, x.ID)
	}
	return ids, nil
}

// resumeOne re-enqueues the pending work of one execution: the attempts
// due now in one job (see update), later ones and deadlines in their own.
func (e *Engine) resumeOne(ctx context.Context, tx store.Tx, ev *events, id string) error {
	runs, err := tx.ActionRuns(ctx, id)
	if err != nil {
		return err
	}
	now := e.now().UTC()
	for i := range runs {
		r := &runs[i]
		switch {
		case r.Status == pipeline.StatusRunning && r.Runner != e.runner:
			r.Status, r.NextRunAt, r.Runner = pipeline.StatusQueued, now, ""
			r.Message = "interrupted; running again"
			if err := tx.UpdateActionRun(ctx, *r); err != nil {
				return err
			}
			ev.action(*r, now)
			ev.dueNow = append(ev.dueNow, argsOf(*r))
		case r.Status == pipeline.StatusQueued && !r.NextRunAt.IsZero(),
			r.Status == pipeline.StatusWaiting && r.Wait == store.WaitContinuation:
			if r.NextRunAt.After(now) {
				err = e.enqueueAttempts(ctx, tx, []actionArgs{argsOf(*r)}, r.NextRunAt)
			} else {
				ev.dueNow = append(ev.dueNow, argsOf(*r))
			}
		case r.Status == pipeline.StatusWaiting:
			err = e.enqueueDeadline(ctx, tx, *r)
		}
		if err != nil {
			return err
		}
	}
	return e.advance(ctx, tx, ev, id)
}
