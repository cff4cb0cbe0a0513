package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/internal/store"
)

const jobColumns = `id, nonce, action_type, execution_id, stage, action, run_attempt, status, attempt, config, inputs,
	outputs, continuation_token, available_at, lease_expires, summary, percent_complete, failure_type, failure_message,
	output_variables, created_at, updated_at`

// jobJSON holds the JSON-encoded columns of a job.
type jobJSON struct{ config, inputs, outputs, vars jsonText }

func encodeJob(j store.Job) (jobJSON, error) {
	var e jobJSON
	var err error
	if e.config, err = encode(nonNilMap(j.Config)); err != nil {
		return e, err
	}
	if e.inputs, err = encode(nonNilMap(j.Inputs)); err != nil {
		return e, err
	}
	if e.outputs, err = encode(nonNilMap(j.Outputs)); err != nil {
		return e, err
	}
	e.vars, err = encode(nonNilMap(j.OutputVariables))
	return e, err
}

// CreateJob implements store.JobStore.
func (s stores) CreateJob(ctx context.Context, j store.Job) error {
	e, err := encodeJob(j)
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`) VALUES (`+placeholders(22)+`)
		ON CONFLICT (id) DO NOTHING`,
		j.ID, j.Nonce, j.ActionType, j.ExecutionID, j.Stage, j.Action, j.RunAttempt, string(j.Status), j.Attempt,
		e.config, e.inputs, e.outputs, j.ContinuationToken, ts(j.AvailableAt), ts(j.LeaseExpires), j.Summary,
		j.PercentComplete, j.FailureType, j.FailureMessage, e.vars, ts(j.Created), ts(j.Updated))
	return created(res, err, "job "+j.ID, "id")
}

// Job implements store.JobStore.
func (s stores) Job(ctx context.Context, id string) (store.Job, error) {
	j, err := scanJob(s.q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if err != nil {
		return j, notFound(err, "job "+id)
	}
	return j, nil
}

// UpdateJob implements store.JobStore.
func (s stores) UpdateJob(ctx context.Context, j store.Job) error {
	e, err := encodeJob(j)
	if err != nil {
		return fmt.Errorf("update job %s: %w", j.ID, err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE jobs SET nonce = $1, status = $2, attempt = $3, config = $4,
		inputs = $5, outputs = $6, continuation_token = $7, available_at = $8, lease_expires = $9, summary = $10,
		percent_complete = $11, failure_type = $12, failure_message = $13, output_variables = $14,
		updated_at = $15 WHERE id = $16`,
		j.Nonce, string(j.Status), j.Attempt, e.config, e.inputs, e.outputs, j.ContinuationToken,
		ts(j.AvailableAt), ts(j.LeaseExpires), j.Summary, j.PercentComplete, j.FailureType,
		j.FailureMessage, e.vars, ts(j.Updated), j.ID)
	if err != nil {
		return fmt.Errorf("update job %s: %w", j.ID, err)
	}
	return checkAffected(res, "update", "job "+j.ID)
}

// Jobs implements store.JobStore. A job without AvailableAt counts as
// available since always, one without LeaseExpires as expired since
// always, as in the SQLite store.
func (s stores) Jobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	var where []string
	var a args
	if f.ActionType != "" {
		where = append(where, "action_type = "+a.add(f.ActionType))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+list(&a, strs(f.Statuses))+")")
	}
	if !f.AvailableBy.IsZero() {
		where = append(where, "(available_at IS NULL OR available_at <= "+a.add(ts(f.AvailableBy))+")")
	}
	if !f.LeaseExpiredBy.IsZero() {
		where = append(where, "(lease_expires IS NULL OR lease_expires <= "+a.add(ts(f.LeaseExpiredBy))+")")
	}
	q := `SELECT ` + jobColumns + ` FROM jobs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY available_at NULLS FIRST, ord"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return collect(ctx, s.q, "list jobs", scanJob, q, a...)
}

// ExecutionJobs implements store.JobStore.
func (s stores) ExecutionJobs(ctx context.Context, executionID string) ([]store.Job, error) {
	return collect(ctx, s.q, "jobs of "+executionID, scanJob,
		`SELECT `+jobColumns+` FROM jobs WHERE execution_id = $1 ORDER BY ord`, executionID)
}

func scanJob(sc rowScanner) (store.Job, error) {
	var j store.Job
	var status string
	var config, inputs, outputs, vars string
	var avail, lease, created, updated sql.NullTime
	err := sc.Scan(&j.ID, &j.Nonce, &j.ActionType, &j.ExecutionID, &j.Stage, &j.Action, &j.RunAttempt, &status,
		&j.Attempt, &config, &inputs, &outputs, &j.ContinuationToken, &avail, &lease, &j.Summary,
		&j.PercentComplete, &j.FailureType, &j.FailureMessage, &vars, &created, &updated)
	if err != nil {
		return j, err
	}
	j.Status = store.JobStatus(status)
	j.AvailableAt, j.LeaseExpires = fromTS(avail), fromTS(lease)
	j.Created, j.Updated = fromTS(created), fromTS(updated)
	for _, d := range []struct {
		s string
		v any
	}{{config, &j.Config}, {inputs, &j.Inputs}, {outputs, &j.Outputs}, {vars, &j.OutputVariables}} {
		if err := decode(d.s, d.v); err != nil {
			return j, err
		}
	}
	j.Config, j.Inputs = nilIfEmptyMap(j.Config), nilIfEmptyMap(j.Inputs)
	j.Outputs, j.OutputVariables = nilIfEmptyMap(j.Outputs), nilIfEmptyMap(j.OutputVariables)
	return j, nil
}
