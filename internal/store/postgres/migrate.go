package postgres

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema versions, applied in order; append only.
func migrations() []string {
	return []string{schemaV1, schemaV2, schemaV3}
}

// schemaV1 holds the engine's tables. Times are timestamptz (NULL for
// none), JSON is jsonb, and serial columns keep insertion order where the
// SQLite store relies on rowid.
const schemaV1 = `
CREATE TABLE executions (
	seq         bigserial PRIMARY KEY,
	id          text NOT NULL UNIQUE,
	pipeline    text NOT NULL,
	status      text NOT NULL,
	mode        text NOT NULL,
	definition  jsonb NOT NULL,
	repo_dir    text NOT NULL DEFAULT '',
	revision    text NOT NULL DEFAULT '',
	trigger     text NOT NULL DEFAULT '',
	variables   jsonb NOT NULL DEFAULT '{}',
	message     text NOT NULL DEFAULT '',
	created_at  timestamptz,
	started_at  timestamptz,
	finished_at timestamptz
);
CREATE INDEX executions_pipeline_status ON executions (pipeline, status);
CREATE INDEX executions_status ON executions (status);

CREATE TABLE stage_runs (
	execution_id text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	idx          integer NOT NULL,
	name         text NOT NULL,
	status       text NOT NULL,
	message      text NOT NULL DEFAULT '',
	started_at   timestamptz,
	finished_at  timestamptz,
	PRIMARY KEY (execution_id, idx)
);

CREATE TABLE action_runs (
	execution_id       text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage              text NOT NULL,
	action             text NOT NULL,
	stage_idx          integer NOT NULL,
	idx                integer NOT NULL,
	run_order          integer NOT NULL,
	provider           text NOT NULL,
	status             text NOT NULL,
	wait               text NOT NULL DEFAULT '',
	attempt            integer NOT NULL DEFAULT 0,
	retries            integer NOT NULL DEFAULT 0,
	runner             text NOT NULL DEFAULT '',
	message            text NOT NULL DEFAULT '',
	continuation_token text NOT NULL DEFAULT '',
	next_run_at        timestamptz,
	output_variables   jsonb NOT NULL DEFAULT '{}',
	inputs             jsonb NOT NULL DEFAULT '{}',
	outputs            jsonb NOT NULL DEFAULT '{}',
	log_path           text NOT NULL DEFAULT '',
	tests              jsonb NOT NULL DEFAULT '[]',
	warnings           jsonb NOT NULL DEFAULT '[]',
	started_at         timestamptz,
	finished_at        timestamptz,
	PRIMARY KEY (execution_id, stage, action)
);

CREATE TABLE findings (
	id           bigserial PRIMARY KEY,
	execution_id text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage        text NOT NULL,
	action       text NOT NULL,
	kind         text NOT NULL,
	rule_id      text NOT NULL,
	severity     text NOT NULL,
	suppressed   boolean NOT NULL,
	finding      jsonb NOT NULL
);
CREATE INDEX findings_action ON findings (execution_id, stage, action);

CREATE TABLE approvals (
	id           bigserial PRIMARY KEY,
	execution_id text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage        text NOT NULL,
	action       text NOT NULL,
	decided_by   text NOT NULL,
	reason       text NOT NULL,
	approved     boolean NOT NULL,
	at           timestamptz
);
CREATE INDEX approvals_execution ON approvals (execution_id);

CREATE TABLE jobs (
	ord                bigserial UNIQUE,
	id                 text PRIMARY KEY,
	nonce              text NOT NULL DEFAULT '',
	action_type        text NOT NULL,
	execution_id       text NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	stage              text NOT NULL,
	action             text NOT NULL,
	run_attempt        integer NOT NULL,
	status             text NOT NULL,
	attempt            integer NOT NULL,
	config             jsonb NOT NULL DEFAULT '{}',
	inputs             jsonb NOT NULL DEFAULT '{}',
	outputs            jsonb NOT NULL DEFAULT '{}',
	continuation_token text NOT NULL DEFAULT '',
	available_at       timestamptz,
	lease_expires      timestamptz,
	summary            text NOT NULL DEFAULT '',
	percent_complete   integer NOT NULL DEFAULT 0,
	failure_type       text NOT NULL DEFAULT '',
	failure_message    text NOT NULL DEFAULT '',
	output_variables   jsonb NOT NULL DEFAULT '{}',
	created_at         timestamptz,
	updated_at         timestamptz
);
CREATE INDEX jobs_claim ON jobs (action_type, status, available_at);
CREATE INDEX jobs_execution ON jobs (execution_id);
`

// schemaV2 holds what only a server uses: registered pipelines, API
// tokens and the audit log.
const schemaV2 = `
CREATE TABLE pipelines (
	name             text PRIMARY KEY,
	repo             text NOT NULL,
	branch           text NOT NULL DEFAULT '',
	dir              text NOT NULL DEFAULT '',
	poll_interval_ns bigint NOT NULL DEFAULT 0,
	webhook_secret   text NOT NULL DEFAULT '',
	filter           jsonb NOT NULL DEFAULT '{}',
	last_revision    text NOT NULL DEFAULT '',
	paused           boolean NOT NULL DEFAULT false,
	created_at       timestamptz,
	updated_at       timestamptz
);

CREATE TABLE tokens (
	ord          bigserial UNIQUE,
	id           text PRIMARY KEY,
	name         text NOT NULL UNIQUE,
	hash         text NOT NULL UNIQUE,
	role         text NOT NULL,
	action_types jsonb NOT NULL DEFAULT '[]',
	created_at   timestamptz,
	last_used    timestamptz,
	expires      timestamptz,
	revoked      timestamptz
);

CREATE TABLE audit (
	seq    bigserial PRIMARY KEY,
	at     timestamptz,
	actor  text NOT NULL,
	action text NOT NULL,
	target text NOT NULL DEFAULT '',
	detail text NOT NULL DEFAULT ''
);
CREATE INDEX audit_target ON audit (target, seq);
`

// schemaV3 holds the heartbeats of the engine processes (runners).
const schemaV3 = `
CREATE TABLE runners (
	id         text PRIMARY KEY,
	host       text NOT NULL DEFAULT '',
	pid        integer NOT NULL DEFAULT 0,
	started_at timestamptz,
	seen_at    timestamptz
);
`

// migrationLock is the key of the advisory lock that serializes migrations
// across processes (the bytes "secpipe1" as a bigint).
const migrationLock int64 = 0x7365637069706531

// migrate applies the migrations not yet recorded in
// secpipe_schema_migrations. Each runs in its own transaction, which first
// takes the advisory lock and (re)creates the record table if needed, so
// that a second process starting at the same time waits, then sees the
// first's record and skips the version.
func migrate(ctx context.Context, db *sql.DB) error {
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
	if _, err := t.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	const create = `CREATE TABLE IF NOT EXISTS secpipe_schema_migrations (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := t.ExecContext(ctx, create); err != nil {
		return err
	}
	var n int
	err = t.QueryRowContext(ctx, `SELECT count(*) FROM secpipe_schema_migrations WHERE version = $1`,
		version).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := t.ExecContext(ctx, ddl); err != nil {
		return err
	}
	if _, err = t.ExecContext(ctx, `INSERT INTO secpipe_schema_migrations (version) VALUES ($1)`, version); err != nil {
		return err
	}
	return t.Commit()
}
