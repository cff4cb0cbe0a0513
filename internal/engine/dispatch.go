package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
)

// actionArgs name one attempt of one action: a KindDeadline job's
// arguments, and an element of a KindAction job's.
type actionArgs struct {
	Execution string `json:"execution"`
	Stage     string `json:"stage"`
	Action    string `json:"action"`
	Attempt   int    `json:"attempt"`
}

// attemptsArgs are a KindAction job's arguments: attempts to run together.
type attemptsArgs struct {
	Attempts []actionArgs `json:"attempts"`
}

// schedule makes r's next attempt due after delay. An attempt due later
// gets its job in tx at once; those due now are collected in ev and get
// their jobs when the transaction ends (see update), or are handed to the
// calling handler, which then holds them: r.Runner names this engine, so
// that others take them back if it dies before it claims them. A run
// waiting for its continuation keeps that status.
func (e *Engine) schedule(ctx context.Context, tx store.Tx, ev *events, r *store.ActionRun, delay time.Duration) error {
	now := e.now().UTC()
	r.Attempt++
	r.NextRunAt = now.Add(delay)
	if r.Wait != store.WaitContinuation {
		r.Status, r.Wait = pipeline.StatusQueued, store.WaitNone
	}
	r.Runner = ""
	if delay <= 0 && ev.chain && (e.cfg.Exclusive || len(ev.dueNow) == 0) {
		r.Runner = e.runner // see flushDue
	}
	if err := tx.UpdateActionRun(ctx, *r); err != nil {
		return err
	}
	ev.action(*r, now)
	if delay > 0 {
		return e.enqueueAttempts(ctx, tx, []actionArgs{argsOf(*r)}, r.NextRunAt)
	}
	ev.dueNow = append(ev.dueNow, argsOf(*r))
	return nil
}

func argsOf(r store.ActionRun) actionArgs {
	return actionArgs{Execution: r.ExecutionID, Stage: r.Stage, Action: r.Action, Attempt: r.Attempt}
}

// flushDue ends a transaction's scheduling: the attempts due now go to the
// calling handler when it asked for them (ev.chain), else into one job. An
// engine that shares its store (not Exclusive) hands its handler only the
// first and gives every other attempt a job of its own, so that the
// actions of a run-order group spread over the processes.
func (e *Engine) flushDue(ctx context.Context, tx store.Tx, ev *events) error {
	due := ev.dueNow
	if len(due) == 0 {
		return nil
	}
	if ev.chain {
		// The calling handler runs them; they are held by this runner
		// (see schedule), so Resume or another engine's Maintain
		// enqueues them if this process dies first.
		n := len(due)
		if !e.cfg.Exclusive {
			n = 1
		}
		ev.next, due = due[:n], due[n:]
	}
	if e.cfg.Exclusive {
		if len(due) == 0 {
			return nil
		}
		return e.enqueueAttempts(ctx, tx, due, time.Time{})
	}
	for _, a := range due {
		if err := e.enqueueAttempts(ctx, tx, []actionArgs{a}, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// enqueueAttempts adds a KindAction job for attempts to tx.
func (e *Engine) enqueueAttempts(ctx context.Context, tx store.Tx, attempts []actionArgs, runAt time.Time) error {
	args, err := json.Marshal(attemptsArgs{Attempts: attempts})
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", KindAction, err)
	}
	if err := e.cfg.Dispatcher.EnqueueTx(ctx, tx.SQL(), queue.Job{Kind: KindAction, Args: args, RunAt: runAt}); err != nil {
		return fmt.Errorf("enqueue %s: %w", KindAction, err)
	}
	return nil
}

// enqueueDeadline adds a KindDeadline job about r's attempt to tx.
func (e *Engine) enqueueDeadline(ctx context.Context, tx store.Tx, r store.ActionRun) error {
	args, err := json.Marshal(argsOf(r))
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", KindDeadline, err)
	}
	job := queue.Job{Kind: KindDeadline, Args: args, RunAt: r.NextRunAt}
	if err := e.cfg.Dispatcher.EnqueueTx(ctx, tx.SQL(), job); err != nil {
		return fmt.Errorf("enqueue %s: %w", KindDeadline, err)
	}
	return nil
}

// handleAction runs the attempts of a KindAction job, in parallel. It is
// idempotent: an attempt no longer due (finished, cancelled, claimed by
// another handler) is skipped.
//
// When an attempt's result makes others due at once (the next stage's
// actions), the handler runs them too, and so on, rather than enqueue a
// job and wait for the dispatcher to pick it up. Such attempts have no
// job: if the process dies before they start, Resume enqueues them.
//
// The dispatcher's job timeout does not apply to providers (the engine's
// action timeouts do); the dispatcher stopping does.
func (e *Engine) handleAction(ctx context.Context, raw json.RawMessage) error {
	var args attemptsArgs
	if err := json.Unmarshal(raw, &args); err != nil {
		e.log.Error("drop malformed action job", "args", string(raw), "err", err)
		return nil
	}
	ctx, stop := detachDeadline(ctx)
	defer stop()
	return e.runAll(ctx, args.Attempts)
}

// runAll runs attempts in parallel, each followed by what it makes due.
func (e *Engine) runAll(ctx context.Context, attempts []actionArgs) error {
	if len(attempts) == 1 {
		return e.runChain(ctx, attempts[0])
	}
	errs := make([]error, len(attempts))
	var wg sync.WaitGroup
	for i, a := range attempts {
		wg.Go(func() { errs[i] = e.runChain(ctx, a) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// runChain runs attempt a, then the attempts its result made due.
func (e *Engine) runChain(ctx context.Context, a actionArgs) error {
	next, err := e.runAction(ctx, a)
	if err != nil || len(next) == 0 {
		return err
	}
	if ctx.Err() != nil || e.draining.Load() { // stopping: leave them to a job
		ctx := context.WithoutCancel(ctx)
		return e.update(ctx, func(tx store.Tx, _ *events) error {
			return e.enqueueAttempts(ctx, tx, next, time.Time{})
		})
	}
	return e.runAll(ctx, next)
}

// detachDeadline returns a context cancelled with ctx, but not when ctx's
// deadline passes.
func detachDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	d, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cancel(context.Cause(ctx))
		}
	})
	return d, func() {
		stop()
		cancel(nil)
	}
}

// runAction runs attempt a and returns the attempts its result made due.
func (e *Engine) runAction(ctx context.Context, a actionArgs) ([]actionArgs, error) {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Register before claiming, so that a Cancel committed after the claim
	// reaches this attempt.
	defer e.running.add(a.Execution, cancel)()
	at, err := e.claim(ctx, a)
	if err != nil || at == nil {
		return nil, err
	}
	// Register after claiming, so that Maintain's check sees it held.
	defer e.attempts.add(a, cancel)()
	out := e.runAttempt(runCtx, at)
	if out.kind == outcomeAbandoned {
		// The dispatcher is stopping: leave the run as running; Resume in
		// the next process, or another engine once this runner's record
		// is gone (Maintain), takes it back.
		return nil, nil
	}
	if out.kind == outcomeCancelled && errors.Is(context.Cause(runCtx), errTakenOver) {
		// Another runner took the attempt back, or this one lost its
		// lease (see fence): leave the run as it is; whoever holds it
		// now, or Maintain once this runner finds it orphaned, runs it
		// again.
		return nil, nil
	}
	check := func(r store.ActionRun) bool { return e.holds(r, a) }
	// The attempt's result exists only in memory: try hard to store it.
	ctx = context.WithoutCancel(ctx)
	for try := 1; ; try++ {
		next, err := e.complete(ctx, a, check, out, !e.draining.Load())
		if err == nil || try == completeTries {
			return next, err
		}
		e.log.Warn("store attempt result", "execution", a.Execution, "stage", a.Stage, "action", a.Action,
			"try", try, "err", err)
		time.Sleep(time.Duration(try) * 100 * time.Millisecond)
	}
}

// completeTries is how often an attempt's result is offered to the store.
const completeTries = 3

// due reports whether r's attempt a may be claimed.
func due(r store.ActionRun, a actionArgs) bool {
	ready := r.Status == pipeline.StatusQueued ||
		(r.Status == pipeline.StatusWaiting && r.Wait == store.WaitContinuation)
	return ready && r.Attempt == a.Attempt && !r.NextRunAt.IsZero()
}
