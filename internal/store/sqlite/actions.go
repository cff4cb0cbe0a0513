package sqlite

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

const actionColumns = `execution_id, stage, action, stage_idx, idx, run_order, provider, status, wait, attempt,
	retries, runner, message, continuation_token, next_run_at, output_variables, inputs, outputs, log_path, tests,
	warnings, started_at, finished_at`

// actionJSON holds the JSON-encoded columns of an action run.
type actionJSON struct{ vars, inputs, outputs, tests, warnings string }

func encodeAction(r store.ActionRun) (actionJSON, error) {
	var j actionJSON
	var err error
	if j.vars, err = encode(nonNilMap(r.OutputVariables)); err != nil {
		return j, err
	}
	if j.inputs, err = encode(nonNilMap(r.Inputs)); err != nil {
		return j, err
	}
	if j.outputs, err = encode(nonNilMap(r.Outputs)); err != nil {
		return j, err
	}
	tests := r.Tests
	if tests == nil {
		tests = []pipeline.TestSuite{}
	}
	if j.tests, err = encode(tests); err != nil {
		return j, err
	}
	warnings := r.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	j.warnings, err = encode(warnings)
	return j, err
}

// CreateActionRuns implements store.ActionStore.
func (s stores) CreateActionRuns(ctx context.Context, runs []store.ActionRun) error {
	for _, r := range runs {
		j, err := encodeAction(r)
		if err != nil {
			return fmt.Errorf("create action run %s/%s/%s: %w", r.ExecutionID, r.Stage, r.Action, err)
		}
		_, err = s.q.ExecContext(ctx, `INSERT INTO action_runs (`+actionColumns+`)
			VALUES (`+placeholders(23)+`)`,
			r.ExecutionID, r.Stage, r.Action, r.StageIndex, r.Index, r.RunOrder, r.Provider, string(r.Status),
			string(r.Wait), r.Attempt, r.Retries, r.Runner, r.Message, r.ContinuationToken, nanos(r.NextRunAt),
			j.vars, j.inputs, j.outputs, r.LogPath, j.tests, j.warnings, nanos(r.Started), nanos(r.Finished))
		if isUnique(err) {
			return fmt.Errorf("create action run %s/%s/%s: %w: duplicate", r.ExecutionID, r.Stage, r.Action,
				pipeline.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("create action run %s/%s/%s: %w", r.ExecutionID, r.Stage, r.Action, err)
		}
	}
	return nil
}

// ActionRun implements store.ActionStore.
func (s stores) ActionRun(ctx context.Context, executionID, stage, action string) (store.ActionRun, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM action_runs
		WHERE execution_id = ? AND stage = ? AND action = ?`, executionID, stage, action)
	r, err := scanAction(row)
	if err != nil {
		return r, notFound(err, fmt.Sprintf("action run %s/%s/%s", executionID, stage, action))
	}
	return r, nil
}

// ActionRuns implements store.ActionStore.
func (s stores) ActionRuns(ctx context.Context, executionID string) ([]store.ActionRun, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+actionColumns+` FROM action_runs WHERE execution_id = ?
		ORDER BY stage_idx, idx`, executionID)
	if err != nil {
		return nil, fmt.Errorf("action runs of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []store.ActionRun
	for rows.Next() {
		r, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("action runs of %s: %w", executionID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("action runs of %s: %w", executionID, err)
	}
	return out, nil
}

// UpdateActionRun implements store.ActionStore.
func (s stores) UpdateActionRun(ctx context.Context, r store.ActionRun) error {
	j, err := encodeAction(r)
	if err != nil {
		return fmt.Errorf("update action run %s/%s/%s: %w", r.ExecutionID, r.Stage, r.Action, err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE action_runs SET status = ?, wait = ?, attempt = ?, retries = ?,
		runner = ?, message = ?, continuation_token = ?, next_run_at = ?, output_variables = ?, inputs = ?,
		outputs = ?, log_path = ?, tests = ?, warnings = ?, started_at = ?, finished_at = ?
		WHERE execution_id = ? AND stage = ? AND action = ?`,
		string(r.Status), string(r.Wait), r.Attempt, r.Retries, r.Runner, r.Message, r.ContinuationToken,
		nanos(r.NextRunAt), j.vars, j.inputs, j.outputs, r.LogPath, j.tests, j.warnings, nanos(r.Started),
		nanos(r.Finished), r.ExecutionID, r.Stage, r.Action)
	if err != nil {
		return fmt.Errorf("update action run %s/%s/%s: %w", r.ExecutionID, r.Stage, r.Action, err)
	}
	return checkAffected(res, fmt.Sprintf("action run %s/%s/%s", r.ExecutionID, r.Stage, r.Action))
}

func scanAction(sc scanner) (store.ActionRun, error) {
	var r store.ActionRun
	var status, wait string
	var j actionJSON
	var next, started, finished int64
	err := sc.Scan(&r.ExecutionID, &r.Stage, &r.Action, &r.StageIndex, &r.Index, &r.RunOrder, &r.Provider,
		&status, &wait, &r.Attempt, &r.Retries, &r.Runner, &r.Message, &r.ContinuationToken, &next, &j.vars,
		&j.inputs, &j.outputs, &r.LogPath, &j.tests, &j.warnings, &started, &finished)
	if err != nil {
		return r, err
	}
	r.Status, r.Wait = pipeline.Status(status), store.Wait(wait)
	r.NextRunAt, r.Started, r.Finished = fromNanos(next), fromNanos(started), fromNanos(finished)
	for _, d := range []struct {
		s string
		v any
	}{{j.vars, &r.OutputVariables}, {j.inputs, &r.Inputs}, {j.outputs, &r.Outputs}, {j.tests, &r.Tests},
		{j.warnings, &r.Warnings}} {
		if err := decode(d.s, d.v); err != nil {
			return r, err
		}
	}
	emptyToNil(&r)
	return r, nil
}

// emptyToNil normalises empty collections to nil, so a stored and reloaded
// run compares equal to one that never had them.
func emptyToNil(r *store.ActionRun) {
	if len(r.OutputVariables) == 0 {
		r.OutputVariables = nil
	}
	if len(r.Inputs) == 0 {
		r.Inputs = nil
	}
	if len(r.Outputs) == 0 {
		r.Outputs = nil
	}
	if len(r.Tests) == 0 {
		r.Tests = nil
	}
	if len(r.Warnings) == 0 {
		r.Warnings = nil
	}
}
