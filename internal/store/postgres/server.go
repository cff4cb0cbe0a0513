package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/store"
)

const pipelineColumns = `name, repo, branch, dir, poll_interval_ns, webhook_secret, filter, last_revision, paused,
	created_at, updated_at`

// CreatePipeline implements store.PipelineStore.
func (s stores) CreatePipeline(ctx context.Context, p store.PipelineRecord) error {
	filter, err := encode(p.Filter)
	if err != nil {
		return fmt.Errorf("create pipeline %s: %w", p.Name, err)
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO pipelines (`+pipelineColumns+`) VALUES (`+placeholders(11)+`)
		ON CONFLICT (name) DO NOTHING`,
		p.Name, p.Repo, p.Branch, p.Dir, int64(p.PollInterval), p.WebhookSecret, filter, p.LastRevision, p.Paused,
		ts(p.Created), ts(p.Updated))
	return created(res, err, "pipeline "+p.Name, "name")
}

// Pipeline implements store.PipelineStore.
func (s stores) Pipeline(ctx context.Context, name string) (store.PipelineRecord, error) {
	p, err := scanPipeline(s.q.QueryRowContext(ctx, `SELECT `+pipelineColumns+` FROM pipelines WHERE name = $1`,
		name))
	if err != nil {
		return p, notFound(err, "pipeline "+name)
	}
	return p, nil
}

// Pipelines implements store.PipelineStore. Names sort byte-wise, as in
// SQLite, whatever the database's collation.
func (s stores) Pipelines(ctx context.Context) ([]store.PipelineRecord, error) {
	return collect(ctx, s.q, "list pipelines", scanPipeline,
		`SELECT `+pipelineColumns+` FROM pipelines ORDER BY name COLLATE "C"`)
}

// UpdatePipeline implements store.PipelineStore.
func (s stores) UpdatePipeline(ctx context.Context, p store.PipelineRecord) error {
	filter, err := encode(p.Filter)
	if err != nil {
		return fmt.Errorf("update pipeline %s: %w", p.Name, err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE pipelines SET repo = $1, branch = $2, dir = $3, poll_interval_ns = $4,
		webhook_secret = $5, filter = $6, last_revision = $7, paused = $8, updated_at = $9 WHERE name = $10`,
		p.Repo, p.Branch, p.Dir, int64(p.PollInterval), p.WebhookSecret, filter, p.LastRevision, p.Paused,
		ts(p.Updated), p.Name)
	if err != nil {
		return fmt.Errorf("update pipeline %s: %w", p.Name, err)
	}
	return checkAffected(res, "update", "pipeline "+p.Name)
}

// DeletePipeline implements store.PipelineStore.
func (s stores) DeletePipeline(ctx context.Context, name string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM pipelines WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete pipeline %s: %w", name, err)
	}
	return checkAffected(res, "delete", "pipeline "+name)
}

func scanPipeline(sc rowScanner) (store.PipelineRecord, error) {
	var p store.PipelineRecord
	var poll int64
	var filter string
	var created, updated sql.NullTime
	err := sc.Scan(&p.Name, &p.Repo, &p.Branch, &p.Dir, &poll, &p.WebhookSecret, &filter, &p.LastRevision,
		&p.Paused, &created, &updated)
	if err != nil {
		return p, err
	}
	p.PollInterval = time.Duration(poll)
	p.Created, p.Updated = fromTS(created), fromTS(updated)
	if err := decode(filter, &p.Filter); err != nil {
		return p, err
	}
	p.Filter = store.PushFilter{Branches: nilIfEmpty(p.Filter.Branches), Tags: nilIfEmpty(p.Filter.Tags),
		Paths: nilIfEmpty(p.Filter.Paths)}
	return p, nil
}

const tokenColumns = `id, name, hash, role, action_types, created_at, last_used, expires, revoked`

// CreateToken implements store.TokenStore.
func (s stores) CreateToken(ctx context.Context, t store.Token) error {
	types, err := encode(nonNilSlice(t.ActionTypes))
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES (`+placeholders(9)+`)
		ON CONFLICT DO NOTHING`,
		t.ID, t.Name, t.Hash, string(t.Role), types, ts(t.Created), ts(t.LastUsed), ts(t.Expires), ts(t.Revoked))
	return created(res, err, "token "+t.Name, "id, name or hash")
}

// TokenByHash implements store.TokenStore.
func (s stores) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := scanToken(s.q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if err != nil {
		// The hash identifies a secret: keep it out of the message.
		return t, notFound(err, "token")
	}
	return t, nil
}

// Tokens implements store.TokenStore.
func (s stores) Tokens(ctx context.Context) ([]store.Token, error) {
	return collect(ctx, s.q, "list tokens", scanToken,
		`SELECT `+tokenColumns+` FROM tokens ORDER BY created_at NULLS FIRST, ord`)
}

// UpdateToken implements store.TokenStore.
func (s stores) UpdateToken(ctx context.Context, t store.Token) error {
	res, err := s.q.ExecContext(ctx, `UPDATE tokens SET last_used = $1, expires = $2, revoked = $3 WHERE id = $4`,
		ts(t.LastUsed), ts(t.Expires), ts(t.Revoked), t.ID)
	if err != nil {
		return fmt.Errorf("update token %s: %w", t.ID, err)
	}
	return checkAffected(res, "update", "token "+t.ID)
}

func scanToken(sc rowScanner) (store.Token, error) {
	var t store.Token
	var role, types string
	var created, used, expires, revoked sql.NullTime
	if err := sc.Scan(&t.ID, &t.Name, &t.Hash, &role, &types, &created, &used, &expires, &revoked); err != nil {
		return t, err
	}
	t.Role = store.Role(role)
	t.Created, t.LastUsed, t.Expires, t.Revoked = fromTS(created), fromTS(used), fromTS(expires), fromTS(revoked)
	if err := decode(types, &t.ActionTypes); err != nil {
		return t, err
	}
	t.ActionTypes = nilIfEmpty(t.ActionTypes)
	return t, nil
}

// AddAudit implements store.AuditStore.
func (s stores) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	err := s.q.QueryRowContext(ctx, `INSERT INTO audit (at, actor, action, target, detail)
		VALUES ($1, $2, $3, $4, $5) RETURNING seq`, ts(e.At), e.Actor, e.Action, e.Target, e.Detail).Scan(&e.Seq)
	if err != nil {
		return fmt.Errorf("add audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit implements store.AuditStore.
func (s stores) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	var where []string
	var a args
	if f.Target != "" {
		where = append(where, "target = "+a.add(f.Target))
	}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < "+a.add(f.BeforeSeq))
	}
	q := `SELECT seq, at, actor, action, target, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return collect(ctx, s.q, "list audit", func(sc rowScanner) (store.AuditEntry, error) {
		var e store.AuditEntry
		var at sql.NullTime
		err := sc.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.Detail)
		e.At = fromTS(at)
		return e, err
	}, q, a...)
}
