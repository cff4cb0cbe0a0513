package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// findingRow is one finding as ReplaceFindings sends it: the columns the
// store filters and counts on, and the finding itself.
type findingRow struct {
	Kind       string           `json:"kind"`
	RuleID     string           `json:"rule_id"`
	Severity   string           `json:"severity"`
	Suppressed bool             `json:"suppressed"`
	Finding    pipeline.Finding `json:"finding"`
}

// ReplaceFindings implements store.FindingStore. It is one statement, so
// it is atomic even outside a transaction.
func (s stores) ReplaceFindings(ctx context.Context, executionID, stage, action string, findings []pipeline.Finding) error {
	rows := make([]findingRow, len(findings))
	for i, f := range findings {
		rows[i] = findingRow{Kind: string(f.Kind), RuleID: f.RuleID, Severity: f.Severity.String(),
			Suppressed: f.Suppressed != nil, Finding: f}
	}
	js, err := encode(rows)
	if err != nil {
		return fmt.Errorf("replace findings of %s/%s/%s: %w", executionID, stage, action, err)
	}
	_, err = s.q.ExecContext(ctx, `WITH gone AS (
			DELETE FROM findings WHERE execution_id = $1 AND stage = $2 AND action = $3
		)
		INSERT INTO findings (execution_id, stage, action, kind, rule_id, severity, suppressed, finding)
		SELECT $1, $2, $3, e->>'kind', e->>'rule_id', e->>'severity', (e->>'suppressed')::boolean, e->'finding'
		FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS t(e, n)
		ORDER BY n`, executionID, stage, action, js)
	if err != nil {
		return fmt.Errorf("replace findings of %s/%s/%s: %w", executionID, stage, action, err)
	}
	return nil
}

// Findings implements store.FindingStore.
func (s stores) Findings(ctx context.Context, executionID string) ([]store.ActionFinding, error) {
	return collect(ctx, s.q, "findings of "+executionID, func(sc rowScanner) (store.ActionFinding, error) {
		var af store.ActionFinding
		var js string
		if err := sc.Scan(&af.Stage, &af.Action, &js); err != nil {
			return af, err
		}
		return af, decode(js, &af.Finding)
	}, `SELECT stage, action, finding FROM findings WHERE execution_id = $1 ORDER BY id`, executionID)
}

// FindingCounts implements store.FindingStore.
func (s stores) FindingCounts(ctx context.Context, executionID string) ([]store.FindingCount, error) {
	return collect(ctx, s.q, "count findings of "+executionID, func(sc rowScanner) (store.FindingCount, error) {
		var c store.FindingCount
		return c, sc.Scan(&c.Stage, &c.Action, &c.Total, &c.Suppressed)
	}, `SELECT stage, action, count(*), count(*) FILTER (WHERE suppressed) FROM findings
		WHERE execution_id = $1 GROUP BY stage, action ORDER BY min(id)`, executionID)
}

// AddApproval implements store.ApprovalStore.
func (s stores) AddApproval(ctx context.Context, a store.Approval) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO approvals (execution_id, stage, action, decided_by, reason,
		approved, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.ExecutionID, a.Stage, a.Action, a.By, a.Reason,
		a.Approved, ts(a.At))
	if err != nil {
		return fmt.Errorf("add approval for %s/%s/%s: %w", a.ExecutionID, a.Stage, a.Action, err)
	}
	return nil
}

// Approvals implements store.ApprovalStore.
func (s stores) Approvals(ctx context.Context, executionID string) ([]store.Approval, error) {
	return collect(ctx, s.q, "approvals of "+executionID, func(sc rowScanner) (store.Approval, error) {
		var a store.Approval
		var at sql.NullTime
		err := sc.Scan(&a.ExecutionID, &a.Stage, &a.Action, &a.By, &a.Reason, &a.Approved, &at)
		a.At = fromTS(at)
		return a, err
	}, `SELECT execution_id, stage, action, decided_by, reason, approved, at FROM approvals
		WHERE execution_id = $1 ORDER BY id`, executionID)
}
