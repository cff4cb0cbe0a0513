package queue

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

func TestOpenSQLitePragmas(t *testing.T) {
	t.Parallel()
	// A path that needs escaping in a URI.
	path := filepath.Join(t.TempDir(), "a dir?#%", "state.db")
	if _, err := OpenSQLite(path); err == nil {
		t.Fatalf("OpenSQLite(%q) in a missing directory succeeded", path)
	}
	path = filepath.Join(t.TempDir(), "we?ird #name%.db")
	db, err := OpenSQLite(path)
	if err != nil {
		t.Fatalf("OpenSQLite(%q) = %v", path, err)
	}
	defer db.Close()
	tests := []struct {
		pragma string
		want   string
	}{
		{pragma: "journal_mode", want: "wal"},
		{pragma: "busy_timeout", want: "10000"},
		{pragma: "foreign_keys", want: "1"},
		{pragma: "synchronous", want: "1"}, // NORMAL
	}
	for _, tc := range tests {
		var got string
		if err := db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	var file string
	if err := db.QueryRow("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("database file = %q, want %q", file, path)
	}
}

// Two pools on one file stand for two processes. Each transaction reads and
// then writes; with deferred transactions both could hold a read lock and
// fail at once with SQLITE_BUSY when upgrading, whatever the busy timeout.
func TestOpenSQLiteConcurrentWriters(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	var pools []*sql.DB
	for range 2 {
		db, err := OpenSQLite(path)
		if err != nil {
			t.Fatalf("OpenSQLite() = %v", err)
		}
		defer db.Close()
		pools = append(pools, db)
	}
	if _, err := pools[0].Exec("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)"); err != nil {
		t.Fatal(err)
	}
	const perPool = 50
	var wg sync.WaitGroup
	for _, db := range pools {
		wg.Go(func() {
			for range perPool {
				if err := increment(db); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := pools[1].QueryRow("SELECT n FROM counter").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2*perPool {
		t.Errorf("counter = %d, want %d", n, 2*perPool)
	}
}

// increment reads the counter and writes it back plus one in a transaction.
func increment(db *sql.DB) error {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT n FROM counter").Scan(&n); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE counter SET n = ?", n+1); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return tx.Commit()
}
