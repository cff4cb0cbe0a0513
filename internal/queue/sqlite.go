package queue

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// sqliteParams are the connection settings OpenSQLite applies to every
// connection of the pool; see OpenSQLite.
const sqliteParams = "_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_txlock=immediate"

// sqliteMaxConns bounds the pool to one connection, as River's SQLite driver
// advises. SQLite has one writer at a time anyway, and writers queued in Go's
// pool hand over in microseconds, whereas writers contending inside SQLite
// poll with sleeps growing to 100 ms; under load that convoy cut throughput
// by an order of magnitude in our measurements.
const sqliteMaxConns = 1

// SQLiteDSN returns the modernc.org/sqlite data source name OpenSQLite uses
// for the database file at path:
//
//	file:/abs/path/state.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)
//	    &_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate
//
// WAL lets readers run while one writer commits; busy_timeout makes a writer
// wait up to 10 s for the lock instead of failing; _txlock=immediate starts
// every transaction with BEGIN IMMEDIATE, so two transactions never both
// read and then deadlock upgrading to a write lock (SQLite reports that as
// SQLITE_BUSY at once, whatever the timeout). synchronous=NORMAL is durable
// across a process crash; only an OS crash or power loss can drop the last
// commits. The path is made absolute and escaped as a URI.
func SQLiteDSN(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("sqlite path %s: %w", path, err)
	}
	u := url.URL{Path: filepath.ToSlash(abs)}
	return "file:" + u.EscapedPath() + "?" + sqliteParams, nil
}

// OpenSQLite opens (creating if needed) the SQLite database file at path with
// the settings described at SQLiteDSN, on the pure-Go modernc.org/sqlite
// driver ("sqlite"), and checks that it is usable. The returned pool is safe
// for concurrent use and is shared by the store and River; the caller closes
// it after stopping every user.
//
// The pool holds a single connection (see sqliteMaxConns): code that holds a
// transaction must do all its work through that transaction, since a query
// on the pool itself would wait for the connection the transaction holds.
// Other processes may open the same file; busy_timeout covers them.
func OpenSQLite(path string) (*sql.DB, error) {
	dsn, err := SQLiteDSN(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(sqliteMaxConns)
	db.SetMaxIdleConns(sqliteMaxConns)
	if err := checkSQLite(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// checkSQLite verifies that the pragmas took effect on a fresh connection.
func checkSQLite(db *sql.DB) error {
	var mode string
	if err := db.QueryRowContext(context.Background(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return nil
}
