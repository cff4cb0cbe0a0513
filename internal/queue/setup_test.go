package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// testDB opens a fresh database file in a temporary directory.
func testDB(tb testing.TB) (*sql.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "state.db")
	db, err := OpenSQLite(path)
	if err != nil {
		tb.Fatalf("OpenSQLite(%q) = %v", path, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db, path
}

// testRiverConfig is the default configuration logging to the test log,
// polling less often to spare CPU for the many tests that run at once. It
// keeps the default rescue time: on a loaded machine River may record a
// finished job late, and a short rescue time would then run it twice.
func testRiverConfig(tb testing.TB) RiverConfig {
	return RiverConfig{
		Logger:            slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		FetchPollInterval: 10 * time.Millisecond,
	}
}

// tbWriter sends log output to the test log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Logf("%s", p)
	return len(p), nil
}

// enqueue inserts job in its own transaction and commits (or, with rollback,
// rolls back) it.
func enqueue(tb testing.TB, db *sql.DB, d Dispatcher, job Job, rollback bool) {
	tb.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatalf("BeginTx() = %v", err)
	}
	if err := d.EnqueueTx(ctx, tx, job); err != nil {
		_ = tx.Rollback()
		tb.Fatalf("EnqueueTx(%+v) = %v", job, err)
	}
	if rollback {
		err = tx.Rollback()
	} else {
		err = tx.Commit()
	}
	if err != nil {
		tb.Fatalf("end tx = %v", err)
	}
}

// startDispatcher starts d and stops it when the test ends.
func startDispatcher(tb testing.TB, d Dispatcher) {
	tb.Helper()
	if err := d.Start(context.Background()); err != nil {
		tb.Fatalf("Start() = %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			tb.Errorf("Stop() = %v", err)
		}
	})
}

// rawJSON marshals v, failing the test on error.
func rawJSON(tb testing.TB, v any) json.RawMessage {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("json.Marshal(%v) = %v", v, err)
	}
	return b
}
