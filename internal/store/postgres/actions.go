package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

const actionColumns = `execution_id, stage, action, stage_idx, idx, run_order, provider, status, wait, attempt,
	retries, runner, message, continuation_token, next_run_at, output_variables, inputs, outputs, log_path, tests,
	warnings, started_at, finished_at`

// actionJSON holds the JSON-encoded columns of an action run.
type actionJSON struct{ vars, inputs, outputs, tests, warnings jsonText }

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
	if j.tests, err = encode(nonNilSlice(r.Tests)); err != nil {
		return j, err
	}
	j.warnings, err = encode(nonNilSlice(r.Warnings))
	return j, err
}

// CreateActionRuns implements store.ActionStore.
func (s stores) CreateActionRuns(ctx context.Context, runs []store.ActionRun) error {
	for _, r := range runs {
		what := fmt.Sprintf("action run %s/%s/%s", r.ExecutionID, r.Stage, r.Action)
		j, err := encodeAction(r)
		if err != nil {
			return fmt.Errorf("create %s: %w", what, err)
		}
		res, err := s.q.ExecContext(ctx, `INSERT INTO action_runs (`+actionColumns+`)
			VALUES (`+placeholders(23)+`) ON CONFLICT DO NOTHING`,
			r.ExecutionID, r.Stage, r.Action, r.StageIndex, r.Index, r.RunOrder, r.Provider, string(r.Status),
			string(r.Wait), r.Attempt, r.Retries, r.Runner, r.Message, r.ContinuationToken, ts(r.NextRunAt),
			j.vars, j.inputs, j.outputs, r.LogPath, j.tests, j.warnings, ts(r.Started), ts(r.Finished))
		if err := created(res, err, what, "action"); err != nil {
			return err
		}
	}
	return nil
}

// ActionRun implements store.ActionStore.
func (s stores) ActionRun(ctx context.Context, executionID, stage, action string) (store.ActionRun, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM action_runs
		WHERE execution_id = $1 AND stage = $2 AND action = $3`, executionID, stage, action)
	r, err := scanAction(row)
	if err != nil {
		return r, notFound(err, fmt.Sprintf("action run %s/%s/%s", executionID, stage, action))
	}
	return r, nil
}

// ActionRuns implements store.ActionStore.
func (s stores) ActionRuns(ctx context.Context, executionID string) ([]store.ActionRun, error) {
	return collect(ctx, s.q, "action runs of "+executionID, scanAction, `SELECT `+actionColumns+`
		FROM action_runs WHERE execution_id = $1 ORDER BY stage_idx, idx`, executionID)
}

// UpdateActionRun implements store.ActionStore.
func (s stores) UpdateActionRun(ctx context.Context, r store.ActionRun) error {
	what := fmt.Sprintf("action run %s/%s/%s", r.ExecutionID, r.Stage, r.Action)
	j, err := encodeAction(r)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE action_runs SET status = $1, wait = $2, attempt = $3, retries = $4,
		runner = $5, message = $6, continuation_token = $7, next_run_at = $8, output_variables = $9, inputs = $10,
		outputs = $11, log_path = $12, tests = $13, warnings = $14, started_at = $15, finished_at = $16
		WHERE execution_id = $17 AND stage = $18 AND action = $19`,
		string(r.Status), string(r.Wait), r.Attempt, r.Retries, r.Runner, r.Message, r.ContinuationToken,
		ts(r.NextRunAt), j.vars, j.inputs, j.outputs, r.LogPath, j.tests, j.warnings, ts(r.Started),
		ts(r.Finished), r.ExecutionID, r.Stage, r.Action)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	return checkAffected(res, "update", what)
}

func scanAction(sc rowScanner) (store.ActionRun, error) {
	var r store.ActionRun
	var status, wait string
	var vars, inputs, outputs, tests, warnings string
	var next, started, finished sql.NullTime
	err := sc.Scan(&r.ExecutionID, &r.Stage, &r.Action, &r.StageIndex, &r.Index, &r.RunOrder, &r.Provider,
		&status, &wait, &r.Attempt, &r.Retries, &r.Runner, &r.Message, &r.ContinuationToken, &next, &vars,
		&inputs, &outputs, &r.LogPath, &tests, &warnings, &started, &finished)
	if err != nil {
		return r, err
	}
	r.Status, r.Wait = pipeline.Status(status), store.Wait(wait)
	r.NextRunAt, r.Started, r.Finished = fromTS(next), fromTS(started), fromTS(finished)
	for _, d := range []struct {
		s string
		v any
	}{{vars, &r.OutputVariables}, {inputs, &r.Inputs}, {outputs, &r.Outputs}, {tests, &r.Tests},
		{warnings, &r.Warnings}} {
		if err := decode(d.s, d.v); err != nil {
			return r, err
		}
	}
	r.OutputVariables, r.Inputs, r.Outputs = nilIfEmptyMap(r.OutputVariables), nilIfEmptyMap(r.Inputs),
		nilIfEmptyMap(r.Outputs)
	r.Tests, r.Warnings = nilIfEmpty(r.Tests), nilIfEmpty(r.Warnings)
	return r, nil
}
