package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// stageState is where a running stage stands after a step.
type stageState int

const (
	stageBusy stageState = iota
	stageSucceeded
	stageFailed
)

// advance moves execution id as far as its state allows, inside tx:
// admits a queued execution, enters stages (superseding, evaluating
// conditions), schedules the next run-order group of actions, and finishes
// stages and the execution. It is idempotent: calling it again without a
// state change in between does nothing.
func (e *Engine) advance(ctx context.Context, tx store.Tx, ev *events, id string) error {
	x, err := tx.Execution(ctx, id)
	if err != nil || x.Status.Terminal() {
		return err
	}
	now := e.now().UTC()
	if x.Status == pipeline.StatusQueued {
		ok, err := e.admit(ctx, tx, x)
		if err != nil || !ok {
			return err
		}
		x.Status, x.Started = pipeline.StatusRunning, now
		if err := tx.UpdateExecution(ctx, x); err != nil {
			return err
		}
		ev.execution(x, now)
	}
	runs, err := tx.ActionRuns(ctx, id)
	if err != nil {
		return err
	}
	return e.advanceLoaded(ctx, tx, ev, x, runs)
}

// advanceLoaded is advance of a running execution whose action runs the
// caller has read (and perhaps changed and stored) in tx.
func (e *Engine) advanceLoaded(ctx context.Context, tx store.Tx, ev *events, x store.Execution,
	runs []store.ActionRun) error {
	stages, err := tx.StageRuns(ctx, x.ID)
	if err != nil {
		return err
	}
	return e.advanceStages(ctx, tx, ev, &x, stages, runs)
}

// findRun returns the index of an action's run, or -1.
func findRun(runs []store.ActionRun, stage, action string) int {
	for i, r := range runs {
		if r.Stage == stage && r.Action == action {
			return i
		}
	}
	return -1
}

// advanceStages walks the stages in order from the first unfinished one.
func (e *Engine) advanceStages(ctx context.Context, tx store.Tx, ev *events, x *store.Execution,
	stages []store.StageRun, runs []store.ActionRun) error {
	for i := range stages {
		st := &stages[i]
		switch st.Status {
		case pipeline.StatusSucceeded, pipeline.StatusSkipped:
			continue
		case pipeline.StatusQueued:
			superseded, err := e.supersededBy(ctx, tx, *x)
			if err != nil {
				return err
			}
			if superseded != "" {
				return e.finishExecution(ctx, tx, ev, x, pipeline.StatusSuperseded,
					"superseded by "+superseded, stages, runs)
			}
			run, err := e.enterStage(ctx, tx, ev, *x, st, runs)
			if err != nil {
				return err
			}
			if !run {
				continue
			}
		}
		state, err := e.stepStage(ctx, tx, ev, st, runs)
		if err != nil {
			return err
		}
		switch state {
		case stageBusy:
			return nil
		case stageFailed:
			return e.finishExecution(ctx, tx, ev, x, pipeline.StatusFailed,
				fmt.Sprintf("stage %s failed: %s", st.Name, st.Message), stages, runs)
		}
	}
	return e.finishExecution(ctx, tx, ev, x, pipeline.StatusSucceeded, "", stages, runs)
}

// admit reports whether a queued execution may start now: always, except
// in queued mode, where it must be the oldest queued execution of its
// pipeline and none may be running.
func (e *Engine) admit(ctx context.Context, tx store.Tx, x store.Execution) (bool, error) {
	if x.Mode != pipeline.ModeQueued {
		return true, nil
	}
	busy, err := tx.Executions(ctx, store.ExecutionFilter{Pipeline: x.Pipeline,
		Statuses: []pipeline.Status{pipeline.StatusRunning, pipeline.StatusWaiting}, Limit: 1})
	if err != nil || len(busy) > 0 {
		return false, err
	}
	first, err := tx.Executions(ctx, store.ExecutionFilter{Pipeline: x.Pipeline,
		Statuses: []pipeline.Status{pipeline.StatusQueued}, Oldest: true, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(first) == 1 && first[0].ID == x.ID, nil
}

// supersededBy returns the id of a newer execution of the same pipeline
// that supersedes x at a stage boundary, or "".
func (e *Engine) supersededBy(ctx context.Context, tx store.Tx, x store.Execution) (string, error) {
	if x.Mode != pipeline.ModeSuperseded {
		return "", nil
	}
	newer, err := tx.Executions(ctx, store.ExecutionFilter{Pipeline: x.Pipeline, AfterSeq: x.Seq,
		Statuses: []pipeline.Status{pipeline.StatusQueued, pipeline.StatusRunning, pipeline.StatusWaiting,
			pipeline.StatusSucceeded}, Limit: 1})
	if err != nil || len(newer) == 0 {
		return "", err
	}
	return newer[0].ID, nil
}

// enterStage starts a queued stage, or skips it when its condition is
// false, or fails it when the condition cannot be evaluated. It reports
// whether the stage now runs.
func (e *Engine) enterStage(ctx context.Context, tx store.Tx, ev *events, x store.Execution, st *store.StageRun,
	runs []store.ActionRun) (bool, error) {
	now := e.now().UTC()
	st.Started = now
	def := x.Definition.Stages[st.Index]
	if def.When != "" {
		ok, err := e.evalWhen(def.When, x, runs)
		switch {
		case err != nil:
			st.Status, st.Message = pipeline.StatusRunning, "condition: "+err.Error()
			return true, e.failStageNow(ctx, tx, ev, st, runs)
		case !ok:
			st.Status, st.Finished, st.Message = pipeline.StatusSkipped, now, "condition is false: "+def.When
			if err := e.endRuns(ctx, tx, ev, runs, st.Index, pipeline.StatusSkipped, "stage skipped"); err != nil {
				return false, err
			}
			ev.stage(*st, now)
			return false, tx.UpdateStageRun(ctx, *st)
		}
	}
	st.Status = pipeline.StatusRunning
	ev.stage(*st, now)
	return true, tx.UpdateStageRun(ctx, *st)
}

// evalWhen evaluates a stage condition with the variables seen so far.
func (e *Engine) evalWhen(expr string, x store.Execution, runs []store.ActionRun) (bool, error) {
	if e.cfg.When == nil {
		return false, fmt.Errorf("no condition evaluator configured")
	}
	return e.cfg.When(expr, x.RepoDir, variables(x, runs))
}

// failStageNow marks a running stage failed before any action ran (its
// message already set), so that stepStage reports it failed.
func (e *Engine) failStageNow(ctx context.Context, tx store.Tx, ev *events, st *store.StageRun,
	runs []store.ActionRun) error {
	st.Status, st.Finished = pipeline.StatusFailed, e.now().UTC()
	if err := e.endRuns(ctx, tx, ev, runs, st.Index, pipeline.StatusSkipped, "stage failed"); err != nil {
		return err
	}
	ev.stage(*st, st.Finished)
	return tx.UpdateStageRun(ctx, *st)
}

// stepStage looks at the actions of a running stage: it fails the stage
// once a failed action has no running sibling left, schedules the next
// run-order group when the previous one succeeded, and succeeds the stage
// when every group did.
func (e *Engine) stepStage(ctx context.Context, tx store.Tx, ev *events, st *store.StageRun,
	runs []store.ActionRun) (stageState, error) {
	if st.Status == pipeline.StatusFailed {
		return stageFailed, nil
	}
	if st.Status != pipeline.StatusRunning {
		return stageBusy, nil // cancelled: nothing to do
	}
	var failed *store.ActionRun
	inflight, group := false, 0
	for i := range runs {
		r := &runs[i]
		if r.StageIndex != st.Index {
			continue
		}
		switch {
		case r.Status == pipeline.StatusFailed || r.Status == pipeline.StatusCancelled:
			if failed == nil {
				failed = r
			}
		case inFlight(*r):
			inflight = true
		}
		if r.Status != pipeline.StatusSucceeded && (group == 0 || r.RunOrder < group) {
			group = r.RunOrder
		}
	}
	if failed != nil {
		if inflight {
			return stageBusy, nil
		}
		st.Message = fmt.Sprintf("action %s %s: %s", failed.Action, failed.Status, failed.Message)
		return stageFailed, e.failStageNow(ctx, tx, ev, st, runs)
	}
	if group == 0 {
		st.Status, st.Finished = pipeline.StatusSucceeded, e.now().UTC()
		ev.stage(*st, st.Finished)
		return stageSucceeded, tx.UpdateStageRun(ctx, *st)
	}
	for i := range runs {
		r := &runs[i]
		if r.StageIndex == st.Index && r.RunOrder == group && pending(*r) {
			if err := e.schedule(ctx, tx, ev, r, 0); err != nil {
				return stageBusy, err
			}
		}
	}
	return stageBusy, nil
}

// pending reports an action that has not been scheduled yet.
func pending(r store.ActionRun) bool {
	return r.Status == pipeline.StatusQueued && r.NextRunAt.IsZero()
}

// inFlight reports an action that will finish on its own: scheduled,
// running or waiting for its continuation. Actions waiting for an approval
// or an external job are not: a failing sibling cancels them.
func inFlight(r store.ActionRun) bool {
	switch r.Status {
	case pipeline.StatusQueued:
		return !r.NextRunAt.IsZero()
	case pipeline.StatusRunning:
		return true
	case pipeline.StatusWaiting:
		return r.Wait == store.WaitContinuation
	}
	return false
}

// endRuns gives every unfinished action of stage index (every stage when
// index < 0) the terminal status, and cancels their external jobs.
func (e *Engine) endRuns(ctx context.Context, tx store.Tx, ev *events, runs []store.ActionRun, index int,
	status pipeline.Status, msg string) error {
	now := e.now().UTC()
	for i := range runs {
		r := &runs[i]
		if (index >= 0 && r.StageIndex != index) || r.Status.Terminal() {
			continue
		}
		if r.Status == pipeline.StatusWaiting && r.Wait == store.WaitJob {
			if err := e.cancelJobs(ctx, tx, r.ExecutionID, r.Stage, r.Action); err != nil {
				return err
			}
		}
		wasStarted := r.Attempt > 0 && !pending(*r)
		r.Status, r.Wait, r.NextRunAt, r.Message = status, store.WaitNone, time.Time{}, msg
		if status == pipeline.StatusSkipped && wasStarted {
			r.Status = pipeline.StatusCancelled
		}
		if wasStarted {
			r.Finished = now
		}
		if err := tx.UpdateActionRun(ctx, *r); err != nil {
			return err
		}
		ev.action(*r, now)
	}
	return nil
}

// finishExecution ends x with status: unfinished stages and actions end
// too (cancelled when the execution is, skipped otherwise), and in queued
// mode the next queued execution of the pipeline starts.
func (e *Engine) finishExecution(ctx context.Context, tx store.Tx, ev *events, x *store.Execution,
	status pipeline.Status, msg string, stages []store.StageRun, runs []store.ActionRun) error {
	now := e.now().UTC()
	rest := pipeline.StatusSkipped
	if status == pipeline.StatusCancelled {
		rest = pipeline.StatusCancelled
	}
	for i := range stages {
		st := &stages[i]
		if st.Status.Terminal() {
			continue
		}
		if st.Status == pipeline.StatusRunning {
			st.Finished = now
			st.Status = pipeline.StatusCancelled
		} else {
			st.Status = rest
		}
		st.Message = "execution " + string(status)
		if err := tx.UpdateStageRun(ctx, *st); err != nil {
			return err
		}
		ev.stage(*st, now)
	}
	if err := e.endRuns(ctx, tx, ev, runs, -1, rest, "execution "+string(status)); err != nil {
		return err
	}
	x.Status, x.Finished, x.Message = status, now, msg
	if err := tx.UpdateExecution(ctx, *x); err != nil {
		return err
	}
	ev.execution(*x, now)
	ev.removeDir(e.workRoot(x.ID))
	return e.startNextQueued(ctx, tx, ev, *x)
}

// startNextQueued advances the oldest queued execution of x's pipeline.
func (e *Engine) startNextQueued(ctx context.Context, tx store.Tx, ev *events, x store.Execution) error {
	next, err := tx.Executions(ctx, store.ExecutionFilter{Pipeline: x.Pipeline,
		Statuses: []pipeline.Status{pipeline.StatusQueued}, Oldest: true, Limit: 1})
	if err != nil || len(next) == 0 {
		return err
	}
	return e.advance(ctx, tx, ev, next[0].ID)
}
