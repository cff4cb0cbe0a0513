package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

const pipelineColumns = `name, repo, branch, dir, poll_interval, webhook_secret, filter, last_revision, paused,
	created_at, updated_at`

// CreatePipeline implements store.PipelineStore.
func (s stores) CreatePipeline(ctx context.Context, p store.PipelineRecord) error {
	filter, err := encode(p.Filter)
	if err != nil {
		return fmt.Errorf("create pipeline %s: %w", p.Name, err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO pipelines (`+pipelineColumns+`) VALUES (`+placeholders(11)+`)`,
		p.Name, p.Repo, p.Branch, p.Dir, int64(p.PollInterval), p.WebhookSecret, filter, p.LastRevision, p.Paused,
		nanos(p.Created), nanos(p.Updated))
	if isUnique(err) {
		return fmt.Errorf("create pipeline %s: %w: duplicate name", p.Name, pipeline.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("create pipeline %s: %w", p.Name, err)
	}
	return nil
}

// Pipeline implements store.PipelineStore.
func (s stores) Pipeline(ctx context.Context, name string) (store.PipelineRecord, error) {
	p, err := scanPipeline(s.q.QueryRowContext(ctx, `SELECT `+pipelineColumns+` FROM pipelines WHERE name = ?`, name))
	if err != nil {
		return p, notFound(err, "pipeline "+name)
	}
	return p, nil
}

// Pipelines implements store.PipelineStore.
func (s stores) Pipelines(ctx context.Context) ([]store.PipelineRecord, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+pipelineColumns+` FROM pipelines ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	defer rows.Close()
	var out []store.PipelineRecord
	for rows.Next() {
		p, err := scanPipeline(rows)
		if err != nil {
			return nil, fmt.Errorf("list pipelines: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	return out, nil
}

// UpdatePipeline implements store.PipelineStore.
func (s stores) UpdatePipeline(ctx context.Context, p store.PipelineRecord) error {
	filter, err := encode(p.Filter)
	if err != nil {
		return fmt.Errorf("update pipeline %s: %w", p.Name, err)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE pipelines SET repo = ?, branch = ?, dir = ?, poll_interval = ?,
		webhook_secret = ?, filter = ?, last_revision = ?, paused = ?, updated_at = ? WHERE name = ?`,
		p.Repo, p.Branch, p.Dir, int64(p.PollInterval), p.WebhookSecret, filter, p.LastRevision, p.Paused,
		nanos(p.Updated), p.Name)
	if err != nil {
		return fmt.Errorf("update pipeline %s: %w", p.Name, err)
	}
	return checkAffected(res, "pipeline "+p.Name)
}

// DeletePipeline implements store.PipelineStore.
func (s stores) DeletePipeline(ctx context.Context, name string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM pipelines WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete pipeline %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete pipeline %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("delete pipeline %s: %w", name, pipeline.ErrNotFound)
	}
	return nil
}

func scanPipeline(sc scanner) (store.PipelineRecord, error) {
	var p store.PipelineRecord
	var poll, created, updated int64
	var filter string
	err := sc.Scan(&p.Name, &p.Repo, &p.Branch, &p.Dir, &poll, &p.WebhookSecret, &filter, &p.LastRevision,
		&p.Paused, &created, &updated)
	if err != nil {
		return p, err
	}
	p.PollInterval = time.Duration(poll)
	p.Created, p.Updated = fromNanos(created), fromNanos(updated)
	if err := decode(filter, &p.Filter); err != nil {
		return p, err
	}
	p.Filter = store.PushFilter{Branches: nilIfEmpty(p.Filter.Branches), Tags: nilIfEmpty(p.Filter.Tags),
		Paths: nilIfEmpty(p.Filter.Paths)}
	return p, nil
}

// nilIfEmpty makes empty lists read back as nil, whatever was stored.
func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

const tokenColumns = `id, name, hash, role, action_types, created_at, last_used, expires, revoked`

// CreateToken implements store.TokenStore.
func (s stores) CreateToken(ctx context.Context, t store.Token) error {
	types, err := encode(nonNilSlice(t.ActionTypes))
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES (`+placeholders(9)+`)`,
		t.ID, t.Name, t.Hash, string(t.Role), types, nanos(t.Created), nanos(t.LastUsed), nanos(t.Expires),
		nanos(t.Revoked))
	if isUnique(err) {
		return fmt.Errorf("create token %s: %w: duplicate id, name or hash", t.Name, pipeline.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// TokenByHash implements store.TokenStore.
func (s stores) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := scanToken(s.q.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash))
	if err != nil {
		// The hash identifies a secret: keep it out of the message.
		return t, notFound(err, "token")
	}
	return t, nil
}

// Tokens implements store.TokenStore.
func (s stores) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens ORDER BY created_at, rowid`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// UpdateToken implements store.TokenStore.
func (s stores) UpdateToken(ctx context.Context, t store.Token) error {
	res, err := s.q.ExecContext(ctx, `UPDATE tokens SET last_used = ?, expires = ?, revoked = ? WHERE id = ?`,
		nanos(t.LastUsed), nanos(t.Expires), nanos(t.Revoked), t.ID)
	if err != nil {
		return fmt.Errorf("update token %s: %w", t.ID, err)
	}
	return checkAffected(res, "token "+t.ID)
}

func scanToken(sc scanner) (store.Token, error) {
	var t store.Token
	var role, types string
	var created, used, expires, revoked int64
	if err := sc.Scan(&t.ID, &t.Name, &t.Hash, &role, &types, &created, &used, &expires, &revoked); err != nil {
		return t, err
	}
	t.Role = store.Role(role)
	t.Created, t.LastUsed, t.Expires, t.Revoked = fromNanos(created), fromNanos(used), fromNanos(expires),
		fromNanos(revoked)
	if err := decode(types, &t.ActionTypes); err != nil {
		return t, err
	}
	t.ActionTypes = nilIfEmpty(t.ActionTypes)
	return t, nil
}

// nonNilSlice keeps JSON columns as arrays rather than null.
func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// AddAudit implements store.AuditStore.
func (s stores) AddAudit(ctx context.Context, e *store.AuditEntry) error {
	res, err := s.q.ExecContext(ctx, `INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		nanos(e.At), e.Actor, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("add audit %s: %w", e.Action, err)
	}
	if e.Seq, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("add audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit implements store.AuditStore.
func (s stores) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	var where []string
	var args []any
	if f.Target != "" {
		where = append(where, "target = ?")
		args = append(args, f.Target)
	}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < ?")
		args = append(args, f.BeforeSeq)
	}
	q := `SELECT seq, at, actor, action, target, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}
