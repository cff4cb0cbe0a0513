package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/postgres"
	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
	"github.com/secpipe/secpipe/internal/store/storetest"
)

// openDB opens a fresh database, closed when the test ends.
func openDB(t *testing.T) *sql.DB {
	t.Helper()
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newStore(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.New(context.Background(), openDB(t))
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

// TestMigrateConcurrently starts several stores on one empty database at
// once, as processes starting together would, and checks each migration
// ran exactly once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := postgres.New(ctx, db)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("New = %v", err)
		}
	}
	var rows, maxVersion int
	err := db.QueryRow(`SELECT count(*), max(version) FROM secpipe_schema_migrations`).Scan(&rows, &maxVersion)
	if err != nil {
		t.Fatal(err)
	}
	if rows != maxVersion || rows < 2 {
		t.Errorf("secpipe_schema_migrations: %d rows up to version %d, want one per version", rows, maxVersion)
	}
}

// TestUnstorableText checks that text PostgreSQL cannot hold (NUL
// characters, invalid UTF-8), as a failing command's output may contain,
// is stored with U+FFFD in its place rather than failing the update.
func TestUnstorableText(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	x := storetest.Execution("x", "a")
	x.Message = "bad\x00byte \xff"
	x.Variables = map[string]string{"V": "nul\x00in json", "W": `escaped \u0000 stays`}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateExecution(ctx, &x) }); err != nil {
		t.Fatalf("CreateExecution = %v", err)
	}
	f := pipeline.Finding{Kind: pipeline.KindSecret, RuleID: "r", Title: "in a \x00 binary"}
	if err := s.ReplaceFindings(ctx, "x", "S", "A", []pipeline.Finding{f}); err != nil {
		t.Fatalf("ReplaceFindings = %v", err)
	}
	got, err := s.Execution(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, got, want string }{
		{"message", got.Message, "bad\uFFFDbyte \uFFFD"},
		{"variable with NUL", got.Variables["V"], "nul\uFFFDin json"},
		{"variable with an escaped backslash", got.Variables["W"], `escaped \u0000 stays`},
	}
	fs, err := s.Findings(ctx, "x")
	if err != nil || len(fs) != 1 {
		t.Fatalf("Findings = %v, %v", fs, err)
	}
	tests = append(tests, struct{ name, got, want string }{"finding title", fs[0].Finding.Title, "in a \uFFFD binary"})
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestDuplicateKeepsTransaction checks that a duplicate insert reports
// ErrInvalid without aborting the transaction, as on SQLite.
func TestDuplicateKeepsTransaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	err := s.Update(ctx, func(tx store.Tx) error {
		x := storetest.Execution("x", "a")
		if err := tx.CreateExecution(ctx, &x); err != nil {
			return err
		}
		dup := storetest.Execution("x", "a")
		if err := tx.CreateExecution(ctx, &dup); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("CreateExecution(duplicate) = %v, want ErrInvalid", err)
		}
		y := storetest.Execution("y", "a")
		return tx.CreateExecution(ctx, &y)
	})
	if err != nil {
		t.Fatalf("Update = %v", err)
	}
	if _, err := s.Execution(ctx, "y"); err != nil {
		t.Errorf("Execution(y) = %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx := context.Background()
	// Port 1 on the loopback refuses connections.
	_, err := postgres.Open(ctx, "postgres://u:s3cret@127.0.0.1:1/db?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("Open(port 1) succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "cannot reach PostgreSQL at 127.0.0.1:1: ") || strings.Contains(msg, "s3cret") {
		t.Errorf("Open(port 1) = %q, want it to name 127.0.0.1:1 and not the password", msg)
	}
	_, err = postgres.Open(ctx, "postgres://u:s3cret@127.0.0.1:notaport/db")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open(bad port) = %v, want an error without the password", err)
	}
}

// TestUpdateUnderContention starts many transactions at once that each
// read the pipeline's active executions and add one — the shape of
// engine.Start in queued mode, which SERIALIZABLE turns into conflicts
// among all of them. Every one must commit, however often it loses.
func TestUpdateUnderContention(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	const n, rounds = 40, 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for r := range rounds {
				err := s.Update(ctx, func(tx store.Tx) error {
					active, err := tx.Executions(ctx, store.ExecutionFilter{Pipeline: "busy",
						Statuses: []pipeline.Status{pipeline.StatusQueued, pipeline.StatusRunning}})
					if err != nil {
						return err
					}
					x := storetest.Execution(fmt.Sprintf("x-%02d-%d", i, r), "busy")
					if len(active) > 0 {
						// Move the oldest active one along, as a finishing
						// stage does, while others read it.
						old := active[len(active)-1]
						old.Status, old.Message = pipeline.StatusSucceeded, "done by "+x.ID
						if err := tx.UpdateExecution(ctx, old); err != nil {
							return err
						}
					}
					return tx.CreateExecution(ctx, &x)
				})
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	xs, err := s.Executions(ctx, store.ExecutionFilter{Pipeline: "busy"})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != n*rounds {
		t.Errorf("%d executions stored, want %d", len(xs), n*rounds)
	}
}
