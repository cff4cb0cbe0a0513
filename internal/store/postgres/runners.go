package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/secpipe/secpipe/internal/store"
)

const runnerColumns = `id, host, pid, started_at, seen_at`

// Heartbeat implements store.RunnerStore.
func (s stores) Heartbeat(ctx context.Context, r store.Runner) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO runners (`+runnerColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
			started_at = excluded.started_at, seen_at = excluded.seen_at`,
		r.ID, r.Host, r.PID, ts(r.Started), ts(r.Seen))
	if err != nil {
		return fmt.Errorf("heartbeat of runner %s: %w", r.ID, err)
	}
	return nil
}

// Runner implements store.RunnerStore.
func (s stores) Runner(ctx context.Context, id string) (store.Runner, error) {
	r, err := scanRunner(s.q.QueryRowContext(ctx, `SELECT `+runnerColumns+` FROM runners WHERE id = $1`, id))
	if err != nil {
		return r, notFound(err, "runner "+id)
	}
	return r, nil
}

// Runners implements store.RunnerStore. IDs sort byte-wise, as in SQLite.
func (s stores) Runners(ctx context.Context) ([]store.Runner, error) {
	return collect(ctx, s.q, "list runners", scanRunner,
		`SELECT `+runnerColumns+` FROM runners ORDER BY started_at NULLS FIRST, id COLLATE "C"`)
}

// DeleteRunner implements store.RunnerStore.
func (s stores) DeleteRunner(ctx context.Context, id string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM runners WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete runner %s: %w", id, err)
	}
	return checkAffected(res, "delete", "runner "+id)
}

func scanRunner(sc rowScanner) (store.Runner, error) {
	var r store.Runner
	var started, seen sql.NullTime
	if err := sc.Scan(&r.ID, &r.Host, &r.PID, &started, &seen); err != nil {
		return r, err
	}
	r.Started, r.Seen = fromTS(started), fromTS(seen)
	return r, nil
}
