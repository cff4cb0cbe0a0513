package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

const jobColumns = `id, nonce, action_type, execution_id, stage, action, run_attempt, status, attempt, config, inputs,
	outputs, continuation_token, available_at, lease_expires, summary, percent_complete, failure_type, failure_message,
	output_variables, created_at, updated_at`

// jobJSON holds the JSON-encoded columns of a job.
type jobJSON struct{ config, inputs, outputs, vars string }

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
	_, err = s.q.ExecContext(ctx, `INSERT INTO jobs (`+jobColumns+`) VALUES (`+placeholders(22)+`)`,
		j.ID, j.Nonce, j.ActionType, j.ExecutionID, j.Stage, j.Action, j.RunAttempt, string(j.Status), j.Attempt,
		e.config, e.inputs, e.outputs, j.ContinuationToken, nanos(j.AvailableAt), nanos(j.LeaseExpires), j.Summary,
		j.PercentComplete, j.FailureType, j.FailureMessage, e.vars, nanos(j.Created), nanos(j.Updated))
	if isUnique(err) {
		return fmt.Errorf("create job %s: %w: duplicate id", j.ID, pipeline.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// Job implements store.JobStore.
func (s stores) Job(ctx context.Context, id string) (store.Job, error) {
	j, err := scanJob(s.q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
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
	res, err := s.q.ExecContext(ctx, `UPDATE jobs SET nonce = ?, status = ?, attempt = ?, config = ?, inputs = ?,
		outputs = ?, continuation_token = ?, available_at = ?, lease_expires = ?, summary = ?, percent_complete = ?,
		failure_type = ?, failure_message = ?, output_variables = ?, updated_at = ? WHERE id = ?`,
		j.Nonce, string(j.Status), j.Attempt, e.config, e.inputs, e.outputs, j.ContinuationToken,
		nanos(j.AvailableAt), nanos(j.LeaseExpires), j.Summary, j.PercentComplete, j.FailureType,
		j.FailureMessage, e.vars, nanos(j.Updated), j.ID)
	if err != nil {
		return fmt.Errorf("update job %s: %w", j.ID, err)
	}
	return checkAffected(res, "job "+j.ID)
}

// Jobs implements store.JobStore.
func (s stores) Jobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	var where []string
	var args []any
	if f.ActionType != "" {
		where = append(where, "action_type = ?")
		args = append(args, f.ActionType)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Statuses))+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	if !f.AvailableBy.IsZero() {
		where = append(where, "available_at <= ?")
		args = append(args, nanos(f.AvailableBy))
	}
	if !f.LeaseExpiredBy.IsZero() {
		where = append(where, "lease_expires <= ?")
		args = append(args, nanos(f.LeaseExpiredBy))
	}
	q := `SELECT ` + jobColumns + ` FROM jobs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY available_at, rowid"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return s.jobs(ctx, q, args...)
}

// ExecutionJobs implements store.JobStore.
func (s stores) ExecutionJobs(ctx context.Context, executionID string) ([]store.Job, error) {
	return s.jobs(ctx, `SELECT `+jobColumns+` FROM jobs WHERE execution_id = ? ORDER BY rowid`,
		executionID)
}

func (s stores) jobs(ctx context.Context, q string, args ...any) ([]store.Job, error) {
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

func scanJob(sc scanner) (store.Job, error) {
	var j store.Job
	var status string
	var e jobJSON
	var avail, lease, created, updated int64
	err := sc.Scan(&j.ID, &j.Nonce, &j.ActionType, &j.ExecutionID, &j.Stage, &j.Action, &j.RunAttempt, &status,
		&j.Attempt, &e.config, &e.inputs, &e.outputs, &j.ContinuationToken, &avail, &lease, &j.Summary,
		&j.PercentComplete, &j.FailureType, &j.FailureMessage, &e.vars, &created, &updated)
	if err != nil {
		return j, err
	}
	j.Status = store.JobStatus(status)
	j.AvailableAt, j.LeaseExpires = fromNanos(avail), fromNanos(lease)
	j.Created, j.Updated = fromNanos(created), fromNanos(updated)
	for _, d := range []struct {
		s string
		v any
	}{{e.config, &j.Config}, {e.inputs, &j.Inputs}, {e.outputs, &j.Outputs}, {e.vars, &j.OutputVariables}} {
		if err := decode(d.s, d.v); err != nil {
			return j, err
		}
	}
	if len(j.Config) == 0 {
		j.Config = nil
	}
	if len(j.Inputs) == 0 {
		j.Inputs = nil
	}
	if len(j.Outputs) == 0 {
		j.Outputs = nil
	}
	if len(j.OutputVariables) == 0 {
		j.OutputVariables = nil
	}
	return j, nil
}
