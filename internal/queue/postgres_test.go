package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
)

// testPostgresDB opens a pool on a fresh PostgreSQL database (skipping the
// test when no server answers, see pgtest).
func testPostgresDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", pgtest.DSN(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestRiverPostgresRollbackNeverRuns(t *testing.T) {
	t.Parallel()
	db := testPostgresDB(t)
	r, err := NewRiverPostgres(db, testRiverConfig(t))
	if err != nil {
		t.Fatalf("NewRiverPostgres() = %v", err)
	}
	rec := newRecorder()
	r.Handle("k", rec.handler("k"))
	startDispatcher(t, r)
	enqueue(t, db, r, Job{Kind: "k", Args: json.RawMessage(`"rolled back"`)}, true)
	enqueue(t, db, r, Job{Kind: "k", Args: json.RawMessage(`"committed"`)}, false)
	rec.wait(t, 1)
	waitStates(t, db, []string{"completed"})
	if diff := cmp.Diff([]string{`k:"committed"`}, rec.sorted()); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
}

// TestRiverPostgresTwoProcesses runs two Rivers on one database, as two
// processes would, migrating at the same time, and checks that every job
// runs exactly once.
func TestRiverPostgresTwoProcesses(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	const processes, jobs = 2, 60
	var (
		mu    sync.Mutex
		calls = map[string]int{}
		done  = make(chan struct{}, jobs*2)
	)
	rivers := make([]*River, processes)
	dbs := make([]*sql.DB, processes)
	var wg sync.WaitGroup
	for i := range processes {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
		wg.Go(func() {
			r, err := NewRiverPostgres(db, testRiverConfig(t))
			if err != nil {
				t.Errorf("NewRiverPostgres() #%d = %v", i+1, err)
				return
			}
			r.Handle("n", func(_ context.Context, args json.RawMessage) error {
				mu.Lock()
				calls[string(args)]++
				mu.Unlock()
				done <- struct{}{}
				return nil
			})
			rivers[i] = r
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for i, r := range rivers {
		enqueue(t, dbs[i], r, Job{Kind: "n", Args: rawJSON(t, "warm-up")}, false)
	}
	for _, r := range rivers {
		startDispatcher(t, r)
	}
	want := map[string]int{`"warm-up"`: processes}
	for i := range jobs {
		args := rawJSON(t, fmt.Sprintf("job-%d", i))
		enqueue(t, dbs[i%processes], rivers[i%processes], Job{Kind: "n", Args: args}, false)
		want[string(args)] = 1
	}
	states := slices.Repeat([]string{"completed"}, jobs+processes)
	waitStates(t, dbs[0], states)
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("handler calls per job (-want +got):\n%s", diff)
	}
}

func TestNewRiverPostgresMigratesOnce(t *testing.T) {
	t.Parallel()
	db := testPostgresDB(t)
	for i := range 2 {
		if _, err := NewRiverPostgres(db, RiverConfig{}); err != nil {
			t.Fatalf("NewRiverPostgres() #%d = %v", i+1, err)
		}
	}
	var versions int
	if err := db.QueryRow(`SELECT count(*) FROM river_migration`).Scan(&versions); err != nil {
		t.Fatalf("count river migrations: %v", err)
	}
	if versions == 0 {
		t.Error("no River migration recorded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var locked bool
	err := db.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, riverMigrationLock).Scan(&locked)
	if err != nil || !locked {
		t.Errorf("migration lock still held after NewRiverPostgres: %v, %v", locked, err)
	}
}
