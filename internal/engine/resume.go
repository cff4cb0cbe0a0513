package engine

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Resume carries on the executions a previous process left unfinished (it
// crashed, or was stopped) and returns their ids. It first records this
// engine as a runner. Then, for each execution, it re-enqueues the job of
// every scheduled attempt, continuation and waiting deadline, takes back
// the attempts held by lost runners (they run again from the start, as a
// new attempt) and advances the execution. Jobs the durable queue still
// holds run too and find nothing to do. Call it once at start, before
// starting the Dispatcher.
//
// Which runners are lost: for an Exclusive engine, every other one, at
// once; otherwise those whose lease has run out (their attempts still
// running elsewhere are left alone; Maintain takes back the others when
// their lease runs out).
func (e *Engine) Resume(ctx context.Context) ([]string, error) {
	if err := e.heartbeat(ctx); err != nil {
		return nil, fmt.Errorf("resume: register runner: %w", err)
	}
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
	if e.cfg.Exclusive {
		// The other runners are gone: forget them.
		runners, err := e.store.Runners(ctx)
		if err != nil {
			return ids, fmt.Errorf("resume: %w", err)
		}
		if err := e.forget(ctx, e.lostRunners(runners)); err != nil {
			return ids, fmt.Errorf("resume: %w", err)
		}
	}
	return ids, nil
}

// resumeOne re-enqueues the pending work of one execution: the attempts
// due now in one job (see update), later ones and deadlines in their own;
// it takes back the attempts of lost runners.
func (e *Engine) resumeOne(ctx context.Context, tx store.Tx, ev *events, id string) error {
	lost, err := e.lostRunnersTx(ctx, tx)
	if err != nil {
		return err
	}
	runs, err := tx.ActionRuns(ctx, id)
	if err != nil {
		return err
	}
	now := e.now().UTC()
	for i := range runs {
		r := &runs[i]
		switch {
		case held(*r) && lost.has(r.Runner):
			err = e.takeBack(ctx, tx, ev, r, lost)
		case r.Status == pipeline.StatusRunning:
			// Held by a live runner (this one, or another with its lease).
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
