package sqlite

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

const runnerColumns = `id, host, pid, started_at, seen_at`

// Heartbeat implements store.RunnerStore.
func (s stores) Heartbeat(ctx context.Context, r store.Runner) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO runners (`+runnerColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
			started_at = excluded.started_at, seen_at = excluded.seen_at`,
		r.ID, r.Host, r.PID, nanos(r.Started), nanos(r.Seen))
	if err != nil {
		return fmt.Errorf("heartbeat of runner %s: %w", r.ID, err)
	}
	return nil
}

// Runner implements store.RunnerStore.
func (s stores) Runner(ctx context.Context, id string) (store.Runner, error) {
	r, err := scanRunner(s.q.QueryRowContext(ctx, `SELECT `+runnerColumns+` FROM runners WHERE id = ?`, id))
	if err != nil {
		return r, notFound(err, "runner "+id)
	}
	return r, nil
}

// Runners implements store.RunnerStore.
func (s stores) Runners(ctx context.Context) ([]store.Runner, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+runnerColumns+` FROM runners ORDER BY started_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list runners: %w", err)
	}
	defer rows.Close()
	var out []store.Runner
	for rows.Next() {
		r, err := scanRunner(rows)
		if err != nil {
			return nil, fmt.Errorf("list runners: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runners: %w", err)
	}
	return out, nil
}

// DeleteRunner implements store.RunnerStore.
func (s stores) DeleteRunner(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM runners WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete runner %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete runner %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete runner %s: %w", id, pipeline.ErrNotFound)
	}
	return nil
}

func scanRunner(sc scanner) (store.Runner, error) {
	var r store.Runner
	var started, seen int64
	if err := sc.Scan(&r.ID, &r.Host, &r.PID, &started, &seen); err != nil {
		return r, err
	}
	r.Started, r.Seen = fromNanos(started), fromNanos(seen)
	return r, nil
}
