package dashboard

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// inboxScanLimit bounds the unfinished executions the approvals inbox (and
// the count in the navigation) reads, newest first: one query for the
// executions, one per execution for its actions. An older execution still
// waiting past that many newer unfinished ones is left out, and the inbox
// says so.
const inboxScanLimit = 200

// pendingApproval is an action waiting for an approval.
type pendingApproval struct {
	ExecutionID string
	Pipeline    string
	Revision    string
	Trigger     string
	Stage       string
	Action      string
	// Since is when the action began to wait.
	Since time.Time
	// Summary and Link are the action's configured summary and url.
	Summary string
	Link    string
}

// pendingApprovals lists the actions waiting for an approval across the
// newest unfinished executions, the newest wait first. Capped reports
// whether the scan hit inboxScanLimit.
func (d *Dashboard) pendingApprovals(ctx context.Context) (items []pendingApproval, capped bool, err error) {
	xs, err := d.cfg.Store.Executions(ctx, store.ExecutionFilter{
		Statuses: []pipeline.Status{pipeline.StatusRunning, pipeline.StatusWaiting}, Limit: inboxScanLimit})
	if err != nil {
		return nil, false, err
	}
	for _, x := range xs {
		runs, err := d.cfg.Store.ActionRuns(ctx, x.ID)
		if err != nil {
			return nil, false, err
		}
		for _, r := range runs {
			if r.Status != pipeline.StatusWaiting || r.Wait != store.WaitApproval {
				continue
			}
			p := pendingApproval{ExecutionID: x.ID, Pipeline: x.Pipeline, Revision: x.Revision, Trigger: x.Trigger,
				Stage: r.Stage, Action: r.Action, Since: r.Started}
			p.Summary, p.Link = approvalText(x.Definition, r.StageIndex, r.Index)
			items = append(items, p)
		}
	}
	slices.SortStableFunc(items, func(a, b pendingApproval) int { return b.Since.Compare(a.Since) })
	return items, len(xs) == inboxScanLimit, nil
}

// approvalsData fills the approvals inbox.
type approvalsData struct {
	Items  []pendingApproval
	Capped bool
	Limit  int
}

// approvalsPage is the approvals inbox: every action waiting for an
// approval, newest first, each with the approve and reject form.
func (d *Dashboard) approvalsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	items, capped, err := d.pendingApprovals(r.Context())
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	d.render(w, r, ss, http.StatusOK, "approvals", "Approvals",
		approvalsData{Items: items, Capped: capped, Limit: inboxScanLimit})
}
