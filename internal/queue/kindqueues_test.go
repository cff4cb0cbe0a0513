package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
)

// TestRiverKindQueues runs a "server" River handling two kinds and a
// "worker" River handling one of them on one database: the worker must
// never fetch (and drop) the jobs of the kind it lacks, and every job runs
// once.
func TestRiverKindQueues(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	var (
		mu    sync.Mutex
		calls = map[string]int{} // "river kind:args" → runs
	)
	record := func(who, kind string) Handler {
		return func(_ context.Context, args json.RawMessage) error {
			mu.Lock()
			defer mu.Unlock()
			calls[who+" "+kind+":"+string(args)]++
			return nil
		}
	}
	open := func() (*River, *sql.DB) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		cfg := testRiverConfig(t)
		cfg.KindQueues = map[string]string{"work": "engine"}
		r, err := NewRiverPostgres(db, cfg)
		if err != nil {
			t.Fatalf("NewRiverPostgres() = %v", err)
		}
		return r, db
	}
	server, db := open()
	server.Handle("work", record("server", "work"))
	server.Handle("poll", record("server", "poll"))
	worker, _ := open()
	worker.Handle("work", record("worker", "work"))

	const n = 10
	for i := range n {
		enqueue(t, db, server, Job{Kind: "work", Args: rawJSON(t, i)}, false)
		enqueue(t, db, server, Job{Kind: "poll", Args: rawJSON(t, i)}, false)
	}
	// The worker alone: it runs every "work" job and leaves "poll" alone.
	startDispatcher(t, worker)
	waitCounts(t, db, map[string]int{"completed": n, "available": n})
	startDispatcher(t, server)
	waitCounts(t, db, map[string]int{"completed": 2 * n})
	want := map[string]int{}
	for i := range n {
		want[fmt.Sprintf("worker work:%d", i)] = 1
		want[fmt.Sprintf("server poll:%d", i)] = 1
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("handler calls (-want +got):\n%s", diff)
	}
}

// waitCounts polls until the number of jobs in each River state is want.
func waitCounts(t *testing.T, db *sql.DB, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := map[string]int{}
		rows, err := db.Query(`SELECT state, count(*) FROM river_job GROUP BY state`)
		if err != nil {
			t.Fatalf("count jobs: %v", err)
		}
		for rows.Next() {
			var state string
			var n int
			if err := rows.Scan(&state, &n); err != nil {
				t.Fatal(err)
			}
			got[state] = n
		}
		rows.Close()
		if cmp.Equal(want, got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs by state = %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRiverKindQueuesInvalid(t *testing.T) {
	for _, q := range []string{"", "Engine", "a b", "-a", "a.b"} {
		_, err := RiverConfig{KindQueues: map[string]string{"k": q}}.withDefaults()
		if !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("KindQueues {k: %q}: withDefaults() = %v, want ErrInvalid", q, err)
		}
	}
	if _, err := (RiverConfig{KindQueues: map[string]string{"engine.action": "engine-1_a"}}).withDefaults(); err != nil {
		t.Errorf("valid KindQueues: withDefaults() = %v", err)
	}
}
