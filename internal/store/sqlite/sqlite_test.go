package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/sqlite"
	"github.com/secpipe/secpipe/internal/store/storetest"
)

// openDB opens a fresh database the way the queue does: WAL, a busy
// timeout, foreign keys and immediate transactions.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sql.Open("sqlite", "file:"+path+
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.New(context.Background(), openDB(t))
		if err != nil {
			t.Fatalf("New = %v", err)
		}
		return s
	})
}

func TestStoreSingleConnection(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db := openDB(t)
		db.SetMaxOpenConns(1)
		s, err := sqlite.New(context.Background(), db)
		if err != nil {
			t.Fatalf("New = %v", err)
		}
		return s
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	var counts []int
	for i := range 3 {
		if _, err := sqlite.New(ctx, db); err != nil {
			t.Fatalf("New #%d = %v", i+1, err)
		}
		var n, maxVersion int
		err := db.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &maxVersion)
		if err != nil {
			t.Fatal(err)
		}
		if n != maxVersion {
			t.Errorf("after New #%d: %d schema_migrations rows up to version %d", i+1, n, maxVersion)
		}
		counts = append(counts, n)
	}
	if counts[0] < 2 || counts[0] != counts[2] {
		t.Errorf("schema_migrations rows after each New = %v, want the same, at least 2", counts)
	}
}
