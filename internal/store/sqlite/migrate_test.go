package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// TestUpgradeKeepsExecutions checks that a database created by the first
// release (schema version 1) upgrades in place: its executions survive
// with an empty trigger and the server tables appear.
func TestUpgradeKeepsExecutions(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := applyMigration(ctx, db, 1, schemaV1); err != nil {
		t.Fatalf("apply version 1: %v", err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO executions (id, pipeline, status, mode, definition, created_at)
		VALUES ('old', 'golden', 'succeeded', 'queued', '{"version":1,"name":"golden"}', 1)`)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, db)
	if err != nil {
		t.Fatalf("New on a version 1 database = %v", err)
	}
	x, err := s.Execution(ctx, "old")
	if err != nil {
		t.Fatalf("Execution(old) after upgrade = %v", err)
	}
	if x.Pipeline != "golden" || x.Trigger != "" {
		t.Errorf("Execution(old) = pipeline %q trigger %q, want golden and no trigger", x.Pipeline, x.Trigger)
	}
	if ps, err := s.Pipelines(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Pipelines after upgrade = %v, %v; want none", ps, err)
	}
}
