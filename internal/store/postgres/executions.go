package postgres

import (
	"context"
	"database/sql"
	"errors"
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
	err = s.q.QueryRowContext(ctx, `INSERT INTO executions (id, pipeline, status, mode, definition, repo_dir,
		revision, trigger, variables, message, created_at, started_at, finished_at)
		VALUES (`+placeholders(13)+`) ON CONFLICT (id) DO NOTHING RETURNING seq`,
		x.ID, x.Pipeline, string(x.Status), string(x.Mode), def, x.RepoDir, x.Revision, x.Trigger, vars, x.Message,
		ts(x.Created), ts(x.Started), ts(x.Finished)).Scan(&x.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("create execution %s: %w: duplicate id", x.ID, pipeline.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("create execution %s: %w", x.ID, err)
	}
	return nil
}

// Execution implements store.ExecutionStore.
func (s stores) Execution(ctx context.Context, id string) (store.Execution, error) {
	row := s.q.QueryRowContext(ctx, `SELECT `+executionColumns+` FROM executions WHERE id = $1`, id)
	x, err := scanExecution(row)
	if err != nil {
		return store.Execution{}, notFound(err, "execution "+id)
	}
	return x, nil
}

// UpdateExecution implements store.ExecutionStore.
func (s stores) UpdateExecution(ctx context.Context, x store.Execution) error {
	res, err := s.q.ExecContext(ctx, `UPDATE executions SET status = $1, revision = $2, message = $3,
		started_at = $4, finished_at = $5 WHERE id = $6`,
		string(x.Status), x.Revision, x.Message, ts(x.Started), ts(x.Finished), x.ID)
	if err != nil {
		return fmt.Errorf("update execution %s: %w", x.ID, err)
	}
	return checkAffected(res, "update", "execution "+x.ID)
}

// Executions implements store.ExecutionStore.
func (s stores) Executions(ctx context.Context, f store.ExecutionFilter) ([]store.Execution, error) {
	var where []string
	var a args
	if f.Pipeline != "" {
		where = append(where, "pipeline = "+a.add(f.Pipeline))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+list(&a, strs(f.Statuses))+")")
	}
	if f.AfterSeq > 0 {
		where = append(where, "seq > "+a.add(f.AfterSeq))
	}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < "+a.add(f.BeforeSeq))
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
	return collect(ctx, s.q, "list executions", scanExecution, q, a...)
}

func scanExecution(r rowScanner) (store.Execution, error) {
	var x store.Execution
	var status, mode, def, vars string
	var created, started, finished sql.NullTime
	err := r.Scan(&x.Seq, &x.ID, &x.Pipeline, &status, &mode, &def, &x.RepoDir, &x.Revision, &x.Trigger, &vars,
		&x.Message, &created, &started, &finished)
	if err != nil {
		return x, err
	}
	x.Status, x.Mode = pipeline.Status(status), pipeline.ExecutionMode(mode)
	x.Created, x.Started, x.Finished = fromTS(created), fromTS(started), fromTS(finished)
	x.Definition = new(pipeline.Pipeline)
	if err := decode(def, x.Definition); err != nil {
		return x, err
	}
	if err := decode(vars, &x.Variables); err != nil {
		return x, err
	}
	x.Variables = nilIfEmptyMap(x.Variables)
	return x, nil
}

// CreateStageRuns implements store.StageStore.
func (s stores) CreateStageRuns(ctx context.Context, runs []store.StageRun) error {
	for _, r := range runs {
		res, err := s.q.ExecContext(ctx, `INSERT INTO stage_runs (execution_id, idx, name, status, message,
			started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			r.ExecutionID, r.Index, r.Name, string(r.Status), r.Message, ts(r.Started), ts(r.Finished))
		if err := created(res, err, "stage run "+r.ExecutionID+"/"+r.Name, "stage"); err != nil {
			return err
		}
	}
	return nil
}

// StageRuns implements store.StageStore.
func (s stores) StageRuns(ctx context.Context, executionID string) ([]store.StageRun, error) {
	return collect(ctx, s.q, "stage runs of "+executionID, scanStage, `SELECT execution_id, idx, name, status,
		message, started_at, finished_at FROM stage_runs WHERE execution_id = $1 ORDER BY idx`, executionID)
}

func scanStage(sc rowScanner) (store.StageRun, error) {
	var r store.StageRun
	var status string
	var started, finished sql.NullTime
	if err := sc.Scan(&r.ExecutionID, &r.Index, &r.Name, &status, &r.Message, &started, &finished); err != nil {
		return r, err
	}
	r.Status, r.Started, r.Finished = pipeline.Status(status), fromTS(started), fromTS(finished)
	return r, nil
}

// UpdateStageRun implements store.StageStore.
func (s stores) UpdateStageRun(ctx context.Context, r store.StageRun) error {
	res, err := s.q.ExecContext(ctx, `UPDATE stage_runs SET status = $1, message = $2, started_at = $3,
		finished_at = $4 WHERE execution_id = $5 AND idx = $6`, string(r.Status), r.Message, ts(r.Started),
		ts(r.Finished), r.ExecutionID, r.Index)
	if err != nil {
		return fmt.Errorf("update stage run %s/%s: %w", r.ExecutionID, r.Name, err)
	}
	return checkAffected(res, "update", "stage run "+r.ExecutionID+"/"+r.Name)
}
