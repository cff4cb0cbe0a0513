// Package postgres implements store.Store on PostgreSQL through database/sql
// and the pgx driver ("pgx"), so that a state change and the River job it
// enqueues (River's riverdatabasesql driver) commit in one transaction, as
// they do on SQLite.
//
// Unlike the SQLite store it has no single-writer lock: every Update runs
// at the SERIALIZABLE isolation level, and a transaction that PostgreSQL
// aborts as a serialization failure or deadlock is retried (see Update).
// Several processes may share one database.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/secpipe/secpipe/internal/store"
)

// Store is the PostgreSQL store.Store. Create it with New; it is safe for
// concurrent use, by several processes too. It does not own the *sql.DB:
// close that yourself after the last use.
type Store struct {
	db *sql.DB
	stores
}

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*tx)(nil)
)

// maxOpenConns bounds the pool Open returns. River and the engine's
// handlers share it; PostgreSQL's default limit is 100 connections for all
// processes together.
const maxOpenConns = 20

// Open connects to the PostgreSQL server at dsn (a URL such as
// postgres://user@host:5432/db?sslmode=disable, or key=value pairs) with
// the pgx driver and checks that it answers. The pool holds at most 20
// connections (change it with SetMaxOpenConns). An unreachable server
// gives "cannot reach PostgreSQL at HOST:PORT: ..."; the error never
// repeats the password.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included.
		return nil, fmt.Errorf("parse PostgreSQL connection string: %w", redactedParseError(err))
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns / 2)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	return db, nil
}

// redactedParseError keeps the reason of a DSN parse error but not the
// DSN itself.
func redactedParseError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap()
	}
	return errors.New("invalid connection string")
}

// New returns a Store over db (a "pgx" pool, best opened with Open) and
// brings the schema up to date: the migrations not yet recorded in the
// secpipe_schema_migrations table run in order, each in its own
// transaction, under an advisory lock so that processes starting together
// apply each one once.
func New(ctx context.Context, db *sql.DB) (*Store, error) {
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	return &Store{db: db, stores: stores{q: cleaner{db}}}, nil
}

// Update attempts and backoff of Update.
const (
	maxAttempts  = 12
	firstBackoff = 2 * time.Millisecond
	maxBackoff   = 250 * time.Millisecond
	// exclusiveAfter is how many conflicts a transaction suffers before
	// its next attempt runs alone (see Update).
	exclusiveAfter = 3
)

// updateLock is the advisory lock key every Update transaction takes: in
// shared mode normally, exclusively for an attempt after exclusiveAfter
// conflicts (the bytes "secpipeU").
const updateLock int64 = 0x7365637069706555

// Update runs fn in a SERIALIZABLE transaction; see store.Store. When
// PostgreSQL aborts the transaction because of a concurrent one (a
// serialization failure or a deadlock, reported by a statement or by the
// commit), Update rolls back and runs fn again in a new transaction, with
// a growing random pause; fn must therefore leave nothing behind outside
// tx. Any other error of fn is returned at once.
//
// Under heavy contention (fifty pipelines starting at once) a transaction
// can lose every round. So every transaction first takes the advisory
// lock updateLock in shared mode on its connection, and after
// exclusiveAfter conflicts an attempt takes it exclusively: it waits for
// the transactions in flight, holds new ones back before they begin, and
// then has nobody to conflict with. Snapshots are taken after the lock,
// so what committed during a wait is visible.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.try(ctx, fn, attempt > exclusiveAfter)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		pause := min(firstBackoff<<(attempt-1), maxBackoff)
		pause = pause/2 + rand.N(pause/2+1)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (retrying after: %w)", ctx.Err(), err)
		case <-time.After(pause):
		}
	}
}

// try runs fn in one transaction, alone when exclusive is set. The
// advisory lock is taken on the transaction's connection before BEGIN, so
// that the transaction's snapshot is taken after any wait: a transaction
// held back by an exclusive turn then sees what that turn committed
// instead of failing against it.
func (s *Store) try(ctx context.Context, fn func(tx store.Tx) error, exclusive bool) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	lock, unlock := "pg_advisory_lock_shared", "pg_advisory_unlock_shared"
	if exclusive {
		lock, unlock = "pg_advisory_lock", "pg_advisory_unlock"
	}
	if _, err := conn.ExecContext(ctx, "SELECT "+lock+"($1)", updateLock); err != nil {
		return fmt.Errorf("begin: take the update lock: %w", err)
	}
	defer func() {
		// A connection that cannot unlock goes away rather than back to
		// the pool still holding the lock.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT "+unlock+"($1)", updateLock); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	t, err := conn.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&tx{stores: stores{q: cleaner{t}}, t: t}); err != nil {
		_ = t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retryable reports whether err is PostgreSQL aborting a transaction for
// a conflict with a concurrent one.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "40001" || pe.Code == "40P01" // serialization_failure, deadlock_detected
}

// tx is the stores bound to one transaction.
type tx struct {
	stores
	t *sql.Tx
}

func (t *tx) SQL() *sql.Tx { return t.t }

// stores implements every per-aggregate store over a querier.
type stores struct{ q querier }
