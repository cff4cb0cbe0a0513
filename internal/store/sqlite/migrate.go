package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations are the schema versions, applied in order; append only.
func migrations() []string {
	return []string{schemaV1, schemaV2, schemaV3}
}

const schemaV1 = `
CREATE TABLE executions (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	id          TEXT NOT NULL UNIQUE,
	pipeline    TEXT NOT NULL,
	status      TEXT NOT NULL,
	mode        TEXT NOT NULL,
	definition  TEXT NOT NULL,
	repo_dir    TEXT NOT NULL DEFAULT '',
	revision    TEXT NOT NULL DEFAULT '',
	variables   TEXT NOT NULL DEFAULT '{}',
	message     TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	started_at  INTEGER NOT NULL DEFAULT 0,
	finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX executions_pipeline_status ON executions (pipeline, status);
CREATE INDEX executions_status ON executions (status);

CREATE TABLE stage_runs (
	execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	idx          INTEGER NOT NULL,
	name         TEXT NOT NULL,
	status       TEXT NOT NULL,
	message      TEXT NOT NULL DEFAULT '',
	started_at   INTEGER NOT NULL DEFAULT 0,
	finished_at  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (execution_id, idx)
);

CREATE TABLE action_runs (
	execution_id       TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage              TEXT NOT NULL,
	action             TEXT NOT NULL,
	stage_idx          INTEGER NOT NULL,
	idx                INTEGER NOT NULL,
	run_order          INTEGER NOT NULL,
	provider           TEXT NOT NULL,
	status             TEXT NOT NULL,
	wait               TEXT NOT NULL DEFAULT '',
	attempt            INTEGER NOT NULL DEFAULT 0,
	retries            INTEGER NOT NULL DEFAULT 0,
	runner             TEXT NOT NULL DEFAULT '',
	message            TEXT NOT NULL DEFAULT '',
	continuation_token TEXT NOT NULL DEFAULT '',
	next_run_at        INTEGER NOT NULL DEFAULT 0,
	output_variables   TEXT NOT NULL DEFAULT '{}',
	inputs             TEXT NOT NULL DEFAULT '{}',
	outputs            TEXT NOT NULL DEFAULT '{}',
	log_path           TEXT NOT NULL DEFAULT '',
	tests              TEXT NOT NULL DEFAULT '[]',
	warnings           TEXT NOT NULL DEFAULT '[]',
	started_at         INTEGER NOT NULL DEFAULT 0,
	finished_at        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (execution_id, stage, action)
);

CREATE TABLE findings (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage        TEXT NOT NULL,
	action       TEXT NOT NULL,
	kind         TEXT NOT NULL,
	rule_id      TEXT NOT NULL,
	severity     TEXT NOT NULL,
	suppressed   INTEGER NOT NULL,
	finding      TEXT NOT NULL
);
CREATE INDEX findings_action ON findings (execution_id, stage, action);

CREATE TABLE approvals (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage        TEXT NOT NULL,
	action       TEXT NOT NULL,
	by           TEXT NOT NULL,
	reason       TEXT NOT NULL,
	approved     INTEGER NOT NULL,
	at           INTEGER NOT NULL
);
CREATE INDEX approvals_execution ON approvals (execution_id);

CREATE TABLE jobs (
	id                 TEXT PRIMARY KEY,
	nonce              TEXT NOT NULL DEFAULT '',
	action_type        TEXT NOT NULL,
	execution_id       TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage              TEXT NOT NULL,
	action             TEXT NOT NULL,
	run_attempt        INTEGER NOT NULL,
	status             TEXT NOT NULL,
	attempt            INTEGER NOT NULL,
	config             TEXT NOT NULL DEFAULT '{}',
	inputs             TEXT NOT NULL DEFAULT '{}',
	outputs            TEXT NOT NULL DEFAULT '{}',
	continuation_token TEXT NOT NULL DEFAULT '',
	available_at       INTEGER NOT NULL DEFAULT 0,
	lease_expires      INTEGER NOT NULL DEFAULT 0,
	summary            TEXT NOT NULL DEFAULT '',
	percent_complete   INTEGER NOT NULL DEFAULT 0,
	failure_type       TEXT NOT NULL DEFAULT '',
	failure_message    TEXT NOT NULL DEFAULT '',
	output_variables   TEXT NOT NULL DEFAULT '{}',
	created_at         INTEGER NOT NULL,
	updated_at         INTEGER NOT NULL
);
CREATE INDEX jobs_claim ON jobs (action_type, status, available_at);
CREATE INDEX jobs_execution ON jobs (execution_id);
`

// schemaV2 adds what a server needs: the trigger of an execution, the
// registered pipelines, API tokens and the audit log.
const schemaV2 = `
ALTER TABLE executions ADD COLUMN trigger TEXT NOT NULL DEFAULT '';

CREATE TABLE pipelines (
	name           TEXT PRIMARY KEY,
	repo           TEXT NOT NULL,
	branch         TEXT NOT NULL DEFAULT '',
	dir            TEXT NOT NULL DEFAULT '',
	poll_interval  INTEGER NOT NULL DEFAULT 0,
	webhook_secret TEXT NOT NULL DEFAULT '',
	filter         TEXT NOT NULL DEFAULT '{}',
	last_revision  TEXT NOT NULL DEFAULT '',
	paused         INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);

CREATE TABLE tokens (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	hash         TEXT NOT NULL UNIQUE,
	role         TEXT NOT NULL,
	action_types TEXT NOT NULL DEFAULT '[]',
	created_at   INTEGER NOT NULL,
	last_used    INTEGER NOT NULL DEFAULT 0,
	expires      INTEGER NOT NULL DEFAULT 0,
	revoked      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_target ON audit (target, seq);
`

// schemaV3 holds the heartbeats of the engine processes (runners).
const schemaV3 = `
CREATE TABLE runners (
	id         TEXT PRIMARY KEY,
	host       TEXT NOT NULL DEFAULT '',
	pid        INTEGER NOT NULL DEFAULT 0,
	started_at INTEGER NOT NULL DEFAULT 0,
	seen_at    INTEGER NOT NULL DEFAULT 0
);
`

// migrate applies the migrations not yet recorded in schema_migrations.
// Each runs in its own transaction with its record, so a crash leaves the
// schema at a recorded version and concurrent openers do not apply one
// twice (the second sees the first's record once it gets the write lock).
func migrate(ctx context.Context, db *sql.DB) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`
	if _, err := db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for i, m := range migrations() {
		if err := applyMigration(ctx, db, i+1, m); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, ddl string) error {
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = t.Rollback() }()
	var n int
	err = t.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := t.ExecContext(ctx, ddl); err != nil {
		return err
	}
	_, err = t.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UnixNano())
	if err != nil {
		return err
	}
	return t.Commit()
}
