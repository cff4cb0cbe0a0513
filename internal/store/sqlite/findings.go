package sqlite

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// ReplaceFindings implements store.FindingStore.
func (s stores) ReplaceFindings(ctx context.Context, executionID, stage, action string, findings []pipeline.Finding) error {
	_, err := s.q.ExecContext(ctx, `DELETE FROM findings WHERE execution_id = ? AND stage = ? AND action = ?`,
		executionID, stage, action)
	if err != nil {
		return fmt.Errorf("replace findings of %s/%s/%s: %w", executionID, stage, action, err)
	}
	for _, f := range findings {
		js, err := encode(f)
		if err != nil {
			return fmt.Errorf("replace findings of %s/%s/%s: %w", executionID, stage, action, err)
		}
		_, err = s.q.ExecContext(ctx, `INSERT INTO findings (execution_id, stage, action, kind, rule_id, severity,
			suppressed, finding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, executionID, stage, action, string(f.Kind),
			f.RuleID, f.Severity.String(), f.Suppressed != nil, js)
		if err != nil {
			return fmt.Errorf("replace findings of %s/%s/%s: %w", executionID, stage, action, err)
		}
	}
	return nil
}

// Findings implements store.FindingStore.
func (s stores) Findings(ctx context.Context, executionID string) ([]store.ActionFinding, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT stage, action, finding FROM findings WHERE execution_id = ?
		ORDER BY id`, executionID)
	if err != nil {
		return nil, fmt.Errorf("findings of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []store.ActionFinding
	for rows.Next() {
		var af store.ActionFinding
		var js string
		if err := rows.Scan(&af.Stage, &af.Action, &js); err != nil {
			return nil, fmt.Errorf("findings of %s: %w", executionID, err)
		}
		if err := decode(js, &af.Finding); err != nil {
			return nil, fmt.Errorf("findings of %s: %w", executionID, err)
		}
		out = append(out, af)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("findings of %s: %w", executionID, err)
	}
	return out, nil
}

// FindingCounts implements store.FindingStore.
func (s stores) FindingCounts(ctx context.Context, executionID string) ([]store.FindingCount, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT stage, action, count(*), sum(suppressed) FROM findings
		WHERE execution_id = ? GROUP BY stage, action ORDER BY min(id)`, executionID)
	if err != nil {
		return nil, fmt.Errorf("count findings of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []store.FindingCount
	for rows.Next() {
		var c store.FindingCount
		if err := rows.Scan(&c.Stage, &c.Action, &c.Total, &c.Suppressed); err != nil {
			return nil, fmt.Errorf("count findings of %s: %w", executionID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count findings of %s: %w", executionID, err)
	}
	return out, nil
}

// AddApproval implements store.ApprovalStore.
func (s stores) AddApproval(ctx context.Context, a store.Approval) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO approvals (execution_id, stage, action, by, reason, approved, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.ExecutionID, a.Stage, a.Action, a.By, a.Reason, a.Approved, nanos(a.At))
	if err != nil {
		return fmt.Errorf("add approval for %s/%s/%s: %w", a.ExecutionID, a.Stage, a.Action, err)
	}
	return nil
}

// Approvals implements store.ApprovalStore.
func (s stores) Approvals(ctx context.Context, executionID string) ([]store.Approval, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT execution_id, stage, action, by, reason, approved, at FROM approvals
		WHERE execution_id = ? ORDER BY id`, executionID)
	if err != nil {
		return nil, fmt.Errorf("approvals of %s: %w", executionID, err)
	}
	defer rows.Close()
	var out []store.Approval
	for rows.Next() {
		var a store.Approval
		var at int64
		if err := rows.Scan(&a.ExecutionID, &a.Stage, &a.Action, &a.By, &a.Reason, &a.Approved, &at); err != nil {
			return nil, fmt.Errorf("approvals of %s: %w", executionID, err)
		}
		a.At = fromNanos(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("approvals of %s: %w", executionID, err)
	}
	return out, nil
}
