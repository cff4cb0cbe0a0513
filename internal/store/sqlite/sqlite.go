// Package sqlite implements store.Store on SQLite (modernc.org/sqlite) in
// the same database file the queue uses, so that a state change and the job
// it enqueues commit in one transaction.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is the SQLite store.Store. Create it with New; it is safe for
// concurrent use. It does not own the *sql.DB: close that yourself after
// the last use.
type Store struct {
	db *sql.DB
	// writeMu serializes this process's transactions: SQLite has one
	// writer at a time anyway, and waiting here is cheaper than in
	// SQLite's busy handler, which sleeps in steps of milliseconds.
	writeMu sync.Mutex
	stores
}

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*tx)(nil)
)

// New returns a Store over db (opened with the modernc "sqlite" driver,
// ideally in WAL mode with a busy timeout and immediate transactions) and
// brings the schema up to date: the migrations not yet recorded in the
// schema_migrations table run, in order, each in its own transaction.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	return &Store{db: db, stores: stores{q: db}}, nil
}

// Update runs fn in a transaction; see store.Store.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&tx{stores: stores{q: t}, t: t}); err != nil {
		_ = t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// tx is the stores bound to one transaction.
type tx struct {
	stores
	t *sql.Tx
}

func (t *tx) SQL() *sql.Tx { return t.t }

// stores implements every per-aggregate store over a querier.
type stores struct{ q querier }

// nanos stores a time as Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos reverses nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// encode marshals v as JSON text for a column.
func encode(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}

// decode unmarshals a JSON column into v; an empty column leaves v alone.
func decode(s string, v any) error {
	if s == "" || s == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// checkAffected turns "no row updated" into ErrNotFound.
func checkAffected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("update %s: %w", what, pipeline.ErrNotFound)
	}
	return nil
}

// isUnique reports whether err is a uniqueness violation.
func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") ||
		strings.Contains(err.Error(), "PRIMARY KEY"))
}

// notFound maps sql.ErrNoRows to pipeline.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, pipeline.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
