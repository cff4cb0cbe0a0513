package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// attempt is what one invocation of a provider needs, read when the
// attempt is claimed.
type attempt struct {
	x      store.Execution
	run    store.ActionRun
	action pipeline.Action
	inputs map[string]string // artifact name → digest
	vars   map[string]string
	token  string
	// inputsErr says why the inputs could not be found; the attempt fails.
	inputsErr error
}

// Causes of an attempt's context ending, besides the dispatcher stopping.
var (
	errTimedOut  = errors.New("attempt timed out")
	errCancelled = errors.New("execution cancelled")
)

// claim marks a due attempt running and gathers what it needs; nil when
// the job is stale.
func (e *Engine) claim(ctx context.Context, a actionArgs) (*attempt, error) {
	if err := e.register(ctx); err != nil {
		return nil, fmt.Errorf("claim %s/%s/%s attempt %d: %w", a.Execution, a.Stage, a.Action, a.Attempt, err)
	}
	var at *attempt
	err := e.update(ctx, func(tx store.Tx, ev *events) error {
		at = nil
		x, err := tx.Execution(ctx, a.Execution)
		if err != nil {
			return err
		}
		if x.Status.Terminal() {
			return errNoop
		}
		runs, err := tx.ActionRuns(ctx, a.Execution)
		if err != nil {
			return err
		}
		i := findRun(runs, a.Stage, a.Action)
		if i < 0 || !due(runs[i], a) {
			return errNoop
		}
		r := runs[i]
		action, _ := definitionAction(x.Definition, r.Stage, r.Action)
		at = &attempt{x: x, token: r.ContinuationToken, action: action}
		at.vars = variables(x, runs)
		now, due := e.now().UTC(), r.NextRunAt
		r.Status, r.Wait, r.Runner, r.NextRunAt = pipeline.StatusRunning, store.WaitNone, e.runner, time.Time{}
		if r.Started.IsZero() {
			r.Started = now
		}
		at.run = r
		at.inputs, at.inputsErr = inputDigests(at.action, runs)
		ev.claimed(r, due, now)
		return tx.UpdateActionRun(ctx, r)
	})
	if errors.Is(err, errNoop) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim %s/%s/%s attempt %d: %w", a.Execution, a.Stage, a.Action, a.Attempt, err)
	}
	return at, nil
}

// outcomeKind is how an attempt ended, from the engine's point of view.
type outcomeKind int

const (
	outcomeSucceeded outcomeKind = iota
	outcomeFailed
	outcomeInProgress
	outcomeWaiting
	outcomeCancelled
	// outcomeAbandoned: the dispatcher stopped under the attempt.
	outcomeAbandoned
)

// outcome is the result of an attempt, ready to be stored.
type outcome struct {
	kind    outcomeKind
	result  pipeline.ActionResult
	message string
	inputs  map[string]string // digests read
	outputs map[string]string // digests produced
	// noRetry fails the action even with retries left (a rejection).
	noRetry bool
	// job describes the external job a custom action waits for.
	job *store.Job
	// jobDone is the finished external job whose result this is.
	jobDone *store.Job
}

// runAttempt invokes the provider in a prepared workspace and turns what it
// reports into an outcome.
func (e *Engine) runAttempt(ctx context.Context, at *attempt) outcome {
	log := e.openLog(at)
	defer log.Close()
	log.Header("attempt %d of %s (%s) started at %s", at.run.Attempt, at.run.Action, at.action.Provider,
		e.now().UTC().Format(time.RFC3339))
	out, ws := e.invoke(ctx, at, log)
	out.inputs = at.inputs
	if out.kind == outcomeSucceeded && ws != nil {
		digests, err := e.putOutputs(context.WithoutCancel(ctx), ws.outputs)
		if err != nil {
			out = outcome{kind: outcomeFailed, message: err.Error(), result: out.result}
		}
		out.outputs = digests
	}
	if ws != nil && e.stillHeld(ctx, at) {
		_ = os.RemoveAll(ws.tmp)
		if out.kind != outcomeInProgress && !(out.kind == outcomeWaiting && out.job != nil) {
			_ = os.RemoveAll(ws.root)
		}
	}
	if log.Opened() || out.kind != outcomeSucceeded {
		log.Printf("attempt %d %s%s", at.run.Attempt, describe(out.kind), suffix(out.message))
	}
	return out
}

// invoke prepares the workspace and calls the provider.
func (e *Engine) invoke(ctx context.Context, at *attempt, log *actionLog) (outcome, *workspace) {
	if at.inputsErr != nil {
		return outcome{kind: outcomeFailed, message: at.inputsErr.Error()}, nil
	}
	p, ok := e.cfg.Providers[at.action.Provider]
	if !ok {
		return outcome{kind: outcomeFailed, message: fmt.Sprintf("unknown provider %q", at.action.Provider)}, nil
	}
	config, err := e.resolveConfig(at)
	if err != nil {
		return outcome{kind: outcomeFailed, message: err.Error()}, nil
	}
	ws, err := e.prepareWorkspace(ctx, at)
	if err != nil {
		return outcome{kind: outcomeFailed, message: err.Error()}, nil
	}
	req := &pipeline.ActionRequest{ExecutionID: at.x.ID, Pipeline: at.x.Pipeline, Stage: at.run.Stage,
		Action: at.action, Attempt: at.run.Attempt, Config: config, Inputs: ws.inputs, Outputs: ws.outputs,
		WorkDir: ws.tmp, RepoDir: at.x.RepoDir, Variables: at.vars, ContinuationToken: at.token, Log: log}
	timeout := e.timeout(at.action)
	runCtx, cancel := context.WithTimeoutCause(ctx, timeout, errTimedOut)
	defer cancel()
	res, err := p.Run(runCtx, req)
	if runCtx.Err() != nil {
		switch cause := context.Cause(runCtx); {
		case errors.Is(cause, errTimedOut):
			return outcome{kind: outcomeFailed, result: res, message: "timed out after " + timeout.String()}, ws
		case errors.Is(cause, errCancelled):
			return outcome{kind: outcomeCancelled, message: "cancelled"}, ws
		case errors.Is(cause, errTakenOver):
			// complete drops it: the run is no longer this attempt's.
			return outcome{kind: outcomeCancelled, message: errTakenOver.Error()}, ws
		default:
			return outcome{kind: outcomeAbandoned}, ws
		}
	}
	return e.classify(at, req, res, err), ws
}

// stillHeld reports whether this engine still holds attempt at, so that
// it may remove the attempt's work directories: those of an attempt taken
// over belong to the new attempt now, perhaps running in another process
// on the shared data directory. An Exclusive engine does not ask.
func (e *Engine) stillHeld(ctx context.Context, at *attempt) bool {
	if e.cfg.Exclusive {
		return true
	}
	r, err := e.store.ActionRun(context.WithoutCancel(ctx), at.run.ExecutionID, at.run.Stage, at.run.Action)
	return err == nil && e.holds(r, argsOf(at.run))
}

// classify maps a provider's answer to an outcome.
func (e *Engine) classify(at *attempt, req *pipeline.ActionRequest, res pipeline.ActionResult, err error) outcome {
	out := outcome{result: res, message: res.Message}
	switch {
	case err != nil:
		out.kind, out.message = outcomeFailed, err.Error()
	case res.State == pipeline.ActionSucceeded:
		out.kind = outcomeSucceeded
	case res.State == pipeline.ActionFailed:
		out.kind = outcomeFailed
	case res.State == pipeline.ActionInProgress:
		out.kind = outcomeInProgress
	case res.State == pipeline.ActionWaiting:
		out.kind = outcomeWaiting
		if at.action.Provider == "custom" {
			out.job = e.newJob(at, req)
		}
	default:
		out.kind, out.message = outcomeFailed, fmt.Sprintf("provider %s reported unknown state %q",
			at.action.Provider, res.State)
	}
	if out.kind == outcomeFailed && out.message == "" {
		out.message = "failed"
	}
	return out
}

// resolveConfig replaces the references in the action's config.
func (e *Engine) resolveConfig(at *attempt) (map[string]any, error) {
	config := maps.Clone(at.action.Config)
	if e.cfg.Resolve == nil || config == nil {
		return config, nil
	}
	v, err := e.cfg.Resolve(config, at.vars)
	if err != nil {
		return nil, fmt.Errorf("resolve config: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("resolve config: got %T, want a map", v)
	}
	return m, nil
}

func describe(k outcomeKind) string {
	switch k {
	case outcomeSucceeded:
		return "succeeded"
	case outcomeFailed:
		return "failed"
	case outcomeInProgress:
		return "in progress"
	case outcomeWaiting:
		return "waiting"
	case outcomeCancelled:
		return "cancelled"
	}
	return "abandoned"
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}
