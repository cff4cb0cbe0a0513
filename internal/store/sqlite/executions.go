package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

const executionColumns = `seq, id, pipeline, status, mode, definition, repo_dir, revision, trigger, variables,
	message, created_at, started_at, finished_at`

// CreateExecution implements store.ExecutionStore.
func (s stores) CreateExecution(ctx context.Context, x *store.Execution) error {
	def, err := encode(x.Definition)
	if err != nil {
		return fmt.Errorf("create execution %s: %w", x.ID, err)
	}
	vars, err := encode(nonNilMap(x.Variables))
	if err != nil {
		return fmt.Errorf("create execution %s: %w", x.ID, err)
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO executions (id, pipeline, status, mode, definition, repo_dir,
		revision, trigger, variables, message, created_at, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.Pipeline, string(x.Status), string(x.Mode), def, x.RepoDir, x.Revision, x.Trigger, vars, x.Message,
		nanos(x.Created), nanos(x.Started), nanos(x.Finished))
	if isUnique(err) {
		return fmt.Errorf("create execution %s: %w: duplicate id", x.ID, pipeline.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("create execution %s: %w", x.ID, err)
	}
	if x.Seq, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("create execution %s: %w", x.ID, err)
	}
	return nil
}

// Execution implements store.ExecutionStore.
func (s stores) Execution(ctx context.Context, id string) (store.Execution, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+executionColumns+` FROM executions WHERE id = ?`, id)
	x, err := scanExecution(row)
	if err != nil {
		return store.Execution{}, notFound(err, "execution "+id)
	}
	return x, nil
}

// UpdateExecution implements store.ExecutionStore.
func (s stores) UpdateExecution(ctx context.Context, x store.Execution) error {
	res, err := s.q.ExecContext(ctx, `UPDATE executions SET status = ?, revision = ?, message = ?, started_at = ?,
		finished_at = ? WHERE id = ?`,
		string(x.Status), x.Revision, x.Message, nanos(x.Started), nanos(x.Finished), x.ID)
	if err != nil {
		return fmt.Errorf("update execution %s: %w", x.ID, err)
	}
	return checkAffected(res, "execution "+x.ID)
}

// Executions implements store.ExecutionStore.
func (s stores) Executions(ctx context.Context, f store.ExecutionFilter) ([]store.Execution, error) {
	var where []string
	var args []any
	if f.Pipeline != "" {
		where = append(where, "pipeline = ?")
		args = append(args, f.Pipeline)
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Statuses))+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	if f.AfterSeq > 0 {
		where = append(where, "seq > ?")
		args = append(args, f.AfterSeq)
	}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < ?")
		args = append(args, f.BeforeSeq)
	}
	q := `SELECT ` + executionColumns + ` FROM executions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Oldest {
		q += " ORDER BY seq ASC"
	} else {
		q += " ORDER BY seq DESC"
	}
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	defer rows.Close()
	var out []store.Execution
	for rows.Next() {
		x, err := scanExecution(rows)
		if err != nil {
			return nil, fmt.Errorf("list executions: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	return out, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanExecution(r scanner) (store.Execution, error) {
	var x store.Execution
	var status, mode, def, vars string
	var created, started, finished int64
	err := r.Scan(&x.Seq, &x.ID, &x.Pipeline, &status, &mode, &def, &x.RepoDir, &x.Revision, &x.Trigger, &vars,
		&x.Message,
		&created, &started, &finished)
	if err != nil {
		return x, err
	}
	x.Status, x.Mode = pipeline.Status(status), pipeline.ExecutionMode(mode)
	x.Created, x.Started, x.Finished = fromNanos(created), fromNanos(started), fromNanos(finished)
	x.Definition = new(pipeline.Pipeline)
	if err := decode(def, x.Definition); err != nil {
		return x, err
	}
	if err := decode(vars, &x.Variables); err != nil {
		return x, err
	}
	if len(x.Variables) == 0 {
		x.Variables = nil
	}
	return x, nil
}

// nonNilMap keeps JSON columns as objects rather than null.
func nonNilMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// CreateStageRuns implements store.StageStore.
func (s stores) CreateStageRuns(ctx context.Context, runs []store.StageRun) error {
	for _, r := range runs {
		_, err := s.q.ExecContext(ctx, `INSERT INTO stage_runs (execution_id, idx, name, status, message, started_at,
			finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ExecutionID, r.Index, r.Name, string(r.Status), r.Message,
			nanos(r.Started), nanos(r.Finished))
		if isUnique(err) {
			return fmt.Errorf("create stage run %s/%s: %w: duplicate", r.ExecutionID, r.Name, pipeline.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("create stage run %s/%s: %w", r.ExecutionID, r.Name, err)
		}
	}
	return nil
}

// StageRuns implements store.StageStore.
func (s stores) StageRuns(ctx context.Context, executionID string) ([]store.StageRun, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT execution_id, idx, name, status, message, started_at, finished_at
		FROM stage_runs WHERE execution_id = ? ORDER BY idx`, executionID)
	if err != nil {
		return nil, fmt.Errorf("stage runs of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []store.StageRun
	for rows.Next() {
		var r store.StageRun
		var status string
		var started, finished int64
		if err := rows.Scan(&r.ExecutionID, &r.Index, &r.Name, &status, &r.Message, &started, &finished); err != nil {
			return nil, fmt.Errorf("stage runs of %s: %w", executionID, err)
		}
		r.Status, r.Started, r.Finished = pipeline.Status(status), fromNanos(started), fromNanos(finished)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stage runs of %s: %w", executionID, err)
	}
	return out, nil
}

// UpdateStageRun implements store.StageStore.
func (s stores) UpdateStageRun(ctx context.Context, r store.StageRun) error {
	res, err := s.q.ExecContext(ctx, `UPDATE stage_runs SET status = ?, message = ?, started_at = ?, finished_at = ?
		WHERE execution_id = ? AND idx = ?`, string(r.Status), r.Message, nanos(r.Started), nanos(r.Finished),
		r.ExecutionID, r.Index)
	if err != nil {
		return fmt.Errorf("update stage run %s/%s: %w", r.ExecutionID, r.Name, err)
	}
	return checkAffected(res, "stage run "+r.ExecutionID+"/"+r.Name)
}
