package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// LatestID names the newest execution wherever an execution id is expected.
const LatestID = "latest"

// ExecutionInfo is an execution with its stages and actions, for status
// displays.
type ExecutionInfo struct {
	store.Execution
	// Duration runs from start to finish (to now while running).
	Duration time.Duration
	Stages   []StageInfo
}

// StageInfo is a stage run with its actions.
type StageInfo struct {
	store.StageRun
	Duration time.Duration
	Actions  []ActionInfo
}

// ActionInfo is an action run with its findings counted.
type ActionInfo struct {
	store.ActionRun
	Duration time.Duration
	// Findings counts the action's findings; Suppressed those of them an
	// ignore rule or baseline let through.
	Findings   int
	Suppressed int
}

// ArtifactInfo names an artifact an action of an execution produced.
type ArtifactInfo struct {
	Name   string
	Digest string
	Stage  string
	Action string
}

// resolveID turns "latest" into the newest execution's id.
func (e *Engine) resolveID(ctx context.Context, id string) (string, error) {
	if id != LatestID {
		return id, nil
	}
	x, err := e.Latest(ctx)
	if err != nil {
		return "", err
	}
	return x.ID, nil
}

// Execution returns execution id ("latest" names the newest) with its
// stages, actions, durations and finding counts; an unknown id wraps
// pipeline.ErrNotFound.
func (e *Engine) Execution(ctx context.Context, id string) (ExecutionInfo, error) {
	id, err := e.resolveID(ctx, id)
	if err != nil {
		return ExecutionInfo{}, err
	}
	x, err := e.store.Execution(ctx, id)
	if err != nil {
		return ExecutionInfo{}, err
	}
	stages, err := e.store.StageRuns(ctx, id)
	if err != nil {
		return ExecutionInfo{}, err
	}
	runs, err := e.store.ActionRuns(ctx, id)
	if err != nil {
		return ExecutionInfo{}, err
	}
	counts, err := e.store.FindingCounts(ctx, id)
	if err != nil {
		return ExecutionInfo{}, err
	}
	now := e.now()
	info := ExecutionInfo{Execution: x, Duration: duration(x.Started, x.Finished, now)}
	for _, st := range stages {
		si := StageInfo{StageRun: st, Duration: duration(st.Started, st.Finished, now)}
		for _, r := range runs {
			if r.StageIndex != st.Index {
				continue
			}
			ai := ActionInfo{ActionRun: r, Duration: duration(r.Started, r.Finished, now)}
			for _, c := range counts {
				if c.Stage == r.Stage && c.Action == r.Action {
					ai.Findings, ai.Suppressed = c.Total, c.Suppressed
				}
			}
			si.Actions = append(si.Actions, ai)
		}
		info.Stages = append(info.Stages, si)
	}
	return info, nil
}

// duration is finished-started, now-started while unfinished, 0 before
// the start.
func duration(started, finished, now time.Time) time.Duration {
	switch {
	case started.IsZero():
		return 0
	case finished.IsZero():
		return now.Sub(started)
	}
	return finished.Sub(started)
}

// List returns the newest executions, at most limit (all when limit <= 0).
func (e *Engine) List(ctx context.Context, limit int) ([]store.Execution, error) {
	return e.store.Executions(ctx, store.ExecutionFilter{Limit: limit})
}

// ExecutionQuery selects a page of executions for ListExecutions. Zero
// fields select everything.
type ExecutionQuery struct {
	Pipeline string
	Statuses []pipeline.Status
	// Before keeps the executions older than the one with that Seq: the
	// cursor ListExecutions returned with the previous page.
	Before int64
	// Limit bounds the page (DefaultPageSize when zero or less).
	Limit int
}

// DefaultPageSize is the page size of ListExecutions when the query names
// none.
const DefaultPageSize = 50

// ListExecutions returns a page of the executions q selects, newest first,
// and the cursor of the next page (to pass as q.Before), zero after the
// last page. Later pages read every execution newer than the cursor, so
// deep paging costs more than the first page.
func (e *Engine) ListExecutions(ctx context.Context, q ExecutionQuery) ([]store.Execution, int64, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	f := store.ExecutionFilter{Pipeline: q.Pipeline, Statuses: q.Statuses, BeforeSeq: q.Before, Limit: limit + 1}
	xs, err := e.store.Executions(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list executions: %w", err)
	}
	if len(xs) <= limit {
		return xs, 0, nil
	}
	return xs[:limit], xs[limit-1].Seq, nil
}

// Latest returns the newest execution; none wraps
// pipeline.ErrNotFound.
func (e *Engine) Latest(ctx context.Context) (store.Execution, error) {
	xs, err := e.store.Executions(ctx, store.ExecutionFilter{Limit: 1})
	if err != nil {
		return store.Execution{}, err
	}
	if len(xs) == 0 {
		return store.Execution{}, fmt.Errorf("latest execution: %w", pipeline.ErrNotFound)
	}
	return xs[0], nil
}

// Findings returns the findings of execution id ("latest" names the
// newest), with the actions that reported them.
func (e *Engine) Findings(ctx context.Context, id string) ([]store.ActionFinding, error) {
	id, err := e.resolveID(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := e.store.Execution(ctx, id); err != nil {
		return nil, err
	}
	return e.store.Findings(ctx, id)
}

// Artifacts returns the artifacts execution id ("latest" names the
// newest) produced, in pipeline order.
func (e *Engine) Artifacts(ctx context.Context, id string) ([]ArtifactInfo, error) {
	id, err := e.resolveID(ctx, id)
	if err != nil {
		return nil, err
	}
	runs, err := e.store.ActionRuns(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		if _, err := e.store.Execution(ctx, id); errors.Is(err, pipeline.ErrNotFound) {
			return nil, err
		}
	}
	var out []ArtifactInfo
	for _, r := range runs {
		names := make([]string, 0, len(r.Outputs))
		for name := range r.Outputs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			out = append(out, ArtifactInfo{Name: name, Digest: r.Outputs[name], Stage: r.Stage, Action: r.Action})
		}
	}
	return out, nil
}
