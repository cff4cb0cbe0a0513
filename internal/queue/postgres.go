package queue

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
)

// riverMigrationLock is the key of the PostgreSQL advisory lock that
// serializes River's migrations across processes (the bytes "secpipeR").
const riverMigrationLock int64 = 0x7365637069706552

// NewRiverPostgres is NewRiver on PostgreSQL: db is a database/sql pool
// with the pgx driver ("pgx", as postgres.Open returns), shared with the
// PostgreSQL store so that EnqueueTx takes the store's *sql.Tx. It migrates
// River's tables (River's own migrations for PostgreSQL, idempotent) while
// holding an advisory lock, so that processes starting together do not
// race, and must stay open until Stop returns.
//
// River finds new jobs by polling here (database/sql has no LISTEN), every
// FetchPollInterval: each process then queries PostgreSQL hundreds of times
// a second at the default; a server with several workers may prefer 50 ms.
func NewRiverPostgres(db *sql.DB, cfg RiverConfig) (*River, error) {
	driver := riverdatabasesql.New(db)
	return newRiver(driver, cfg, func(ctx context.Context) error {
		return withSessionLock(ctx, db, riverMigrationLock, func() error { return migrate(ctx, driver) })
	})
}

// withSessionLock runs fn while one connection of db holds the session
// advisory lock key. fn may use other connections; the lock ends with the
// connection if the process dies.
func withSessionLock(ctx context.Context, db *sql.DB, key int64, fn func() error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lock river migrations: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("lock river migrations: %w", err)
	}
	defer func() {
		// If the unlock fails, discard the connection rather than
		// return it to the pool still holding the lock.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return fn()
}
