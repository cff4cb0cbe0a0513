package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// StartOptions are the inputs of one execution.
type StartOptions struct {
	// RepoDir is the repository the execution runs for: source actions
	// read it and stage conditions read files from it.
	RepoDir string
	// Variables override the pipeline variables' defaults; naming an
	// undeclared variable wraps pipeline.ErrInvalid.
	Variables map[string]string
	// ID, when set, is the execution's id (see NewExecutionID), for
	// callers that prepare something named after the execution before it
	// exists; an id already taken wraps pipeline.ErrInvalid. Empty: Start
	// makes one.
	ID string
	// Trigger is recorded as store.Execution.Trigger: what started the
	// execution ("cli", "manual alice", "webhook:github 1a2b3c4").
	Trigger string
	// Revision is recorded as the execution's revision until a source
	// action reports one: the commit a server checked out for it.
	Revision string
}

// Start creates an execution of p (a snapshot of it: later changes to p do
// not affect the execution) and commits its first step, then returns the
// execution's id; the work happens in the dispatcher's handlers. The
// pipeline's execution mode decides when it runs: parallel and superseded
// executions start at once (a superseded one ends at its next stage
// boundary when a newer one exists), queued ones wait for the running one
// to finish.
func (e *Engine) Start(ctx context.Context, p *pipeline.Pipeline, opts StartOptions) (string, error) {
	x, err := e.newExecution(p, opts)
	if err != nil {
		return "", err
	}
	err = e.update(ctx, func(tx store.Tx, ev *events) error {
		// An id clash needs the same second and the same 16 random bits.
		for {
			_, err := tx.Execution(ctx, x.ID)
			if errors.Is(err, pipeline.ErrNotFound) {
				break
			}
			if err != nil {
				return err
			}
			if opts.ID != "" {
				return fmt.Errorf("%w execution id %q: already taken", pipeline.ErrInvalid, opts.ID)
			}
			x.ID = newExecutionID(x.Created)
		}
		return e.create(ctx, tx, ev, &x)
	})
	if err != nil {
		return "", fmt.Errorf("start %s: %w", p.Name, err)
	}
	return x.ID, nil
}

// newExecution builds the execution record: snapshot, mode, variables.
func (e *Engine) newExecution(p *pipeline.Pipeline, opts StartOptions) (store.Execution, error) {
	if err := checkNames(p); err != nil {
		return store.Execution{}, err
	}
	snap, err := snapshot(p)
	if err != nil {
		return store.Execution{}, err
	}
	if snap.ExecutionMode == "" {
		snap.ExecutionMode = pipeline.ModeSuperseded
	}
	vars := map[string]string{}
	for _, v := range snap.Variables {
		vars[v.Name] = v.Default
	}
	for k, v := range opts.Variables {
		if _, ok := vars[k]; !ok {
			return store.Execution{}, fmt.Errorf("start %s: %w variable %q: not declared by the pipeline",
				p.Name, pipeline.ErrInvalid, k)
		}
		vars[k] = v
	}
	repo := opts.RepoDir
	if repo != "" {
		if repo, err = filepath.Abs(repo); err != nil {
			return store.Execution{}, fmt.Errorf("start %s: %w", p.Name, err)
		}
	}
	now := e.now().UTC()
	id := opts.ID
	if id == "" {
		id = newExecutionID(now)
	} else if safeName(id) != id {
		return store.Execution{}, fmt.Errorf("start %s: %w execution id %q: use letters, digits and . _ -",
			p.Name, pipeline.ErrInvalid, id)
	}
	return store.Execution{ID: id, Pipeline: snap.Name, Status: pipeline.StatusQueued,
		Mode: snap.ExecutionMode, Definition: snap, RepoDir: repo, Revision: opts.Revision, Trigger: opts.Trigger,
		Variables: vars, Created: now}, nil
}

// NewExecutionID returns a fresh execution id for StartOptions.ID, like
// those Start makes: 20261128-153012-ab12 (the UTC time and 16 random
// bits).
func NewExecutionID(now time.Time) string { return newExecutionID(now) }

// checkNames checks what the engine relies on: at least one stage, stage
// names unique, action names unique within their stage. (spec.Parse
// checks much more.)
func checkNames(p *pipeline.Pipeline) error {
	if p == nil || len(p.Stages) == 0 {
		return fmt.Errorf("start: %w pipeline: no stages", pipeline.ErrInvalid)
	}
	stages := map[string]bool{}
	for _, s := range p.Stages {
		if stages[s.Name] {
			return fmt.Errorf("start %s: %w pipeline: duplicate stage %q", p.Name, pipeline.ErrInvalid, s.Name)
		}
		stages[s.Name] = true
		actions := map[string]bool{}
		for _, a := range s.Actions {
			if actions[a.Name] {
				return fmt.Errorf("start %s: %w pipeline: duplicate action %q in stage %q", p.Name,
					pipeline.ErrInvalid, a.Name, s.Name)
			}
			actions[a.Name] = true
		}
	}
	return nil
}

// snapshot deep-copies p through JSON, the form the store keeps.
func snapshot(p *pipeline.Pipeline) (*pipeline.Pipeline, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", p.Name, err)
	}
	var c pipeline.Pipeline
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", p.Name, err)
	}
	return &c, nil
}

// create inserts the execution with a run record for every stage and
// action, then advances it.
func (e *Engine) create(ctx context.Context, tx store.Tx, ev *events, x *store.Execution) error {
	if err := tx.CreateExecution(ctx, x); err != nil {
		return err
	}
	var stages []store.StageRun
	var actions []store.ActionRun
	for si, s := range x.Definition.Stages {
		stages = append(stages, store.StageRun{ExecutionID: x.ID, Index: si, Name: s.Name,
			Status: pipeline.StatusQueued})
		for ai, a := range s.Actions {
			actions = append(actions, store.ActionRun{ExecutionID: x.ID, Stage: s.Name, Action: a.Name,
				StageIndex: si, Index: ai, RunOrder: a.Order(), Provider: a.Provider, Status: pipeline.StatusQueued,
				LogPath: e.LogPath(x.ID, s.Name, a.Name)})
		}
	}
	if err := tx.CreateStageRuns(ctx, stages); err != nil {
		return err
	}
	if err := tx.CreateActionRuns(ctx, actions); err != nil {
		return err
	}
	ev.execution(*x, x.Created)
	return e.advance(ctx, tx, ev, x.ID)
}

// definitionAction finds an action of the snapshot.
func definitionAction(p *pipeline.Pipeline, stage, action string) (pipeline.Action, bool) {
	for _, s := range p.Stages {
		if s.Name != stage {
			continue
		}
		for _, a := range s.Actions {
			if a.Name == action {
				return a, true
			}
		}
	}
	return pipeline.Action{}, false
}

// variables returns what actions and conditions see: the pipeline
// variables as "variables.NAME" and the output variables of succeeded
// actions with a namespace as "Namespace.Var".
func variables(x store.Execution, runs []store.ActionRun) map[string]string {
	vars := make(map[string]string, len(x.Variables))
	for k, v := range x.Variables {
		vars["variables."+k] = v
	}
	for _, r := range runs {
		if r.Status != pipeline.StatusSucceeded || len(r.OutputVariables) == 0 {
			continue
		}
		a, ok := definitionAction(x.Definition, r.Stage, r.Action)
		if !ok || a.Namespace == "" {
			continue
		}
		for k, v := range r.OutputVariables {
			vars[a.Namespace+"."+k] = v
		}
	}
	return vars
}

// inputDigests maps each input artifact of a to the digest an earlier
// action produced.
func inputDigests(a pipeline.Action, runs []store.ActionRun) (map[string]string, error) {
	if len(a.Inputs) == 0 {
		return nil, nil
	}
	produced := map[string]string{}
	for _, r := range runs {
		for name, d := range r.Outputs {
			produced[name] = d
		}
	}
	out := make(map[string]string, len(a.Inputs))
	var missing []string
	for _, name := range a.Inputs {
		d, ok := produced[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		out[name] = d
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("input artifact %v was not produced (its action was skipped or did not succeed)", missing)
	}
	return out, nil
}
