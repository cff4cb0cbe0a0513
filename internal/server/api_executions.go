package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// maxPageSize bounds the limit parameter of listings.
const maxPageSize = 500

// pageLimit reads the limit query parameter (default def).
func pageLimit(q url.Values, def int) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxPageSize {
		return 0, fmt.Errorf("%w limit %q: want 1 to %d", pipeline.ErrInvalid, s, maxPageSize)
	}
	return n, nil
}

// cursor reads the cursor query parameter: what a previous page returned
// as next_cursor.
func cursor(q url.Values) (int64, error) {
	s := q.Get("cursor")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w cursor %q", pipeline.ErrInvalid, s)
	}
	return n, nil
}

// splitList reads a comma-separated query parameter.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	query := engine.ExecutionQuery{Pipeline: q.Get("pipeline")}
	for _, name := range splitList(q.Get("status")) {
		st, err := pipeline.ParseStatus(name)
		if err != nil {
			return err
		}
		query.Statuses = append(query.Statuses, st)
	}
	var err error
	if query.Limit, err = pageLimit(q, engine.DefaultPageSize); err != nil {
		return err
	}
	if query.Before, err = cursor(q); err != nil {
		return err
	}
	xs, next, err := s.eng.ListExecutions(r.Context(), query)
	if err != nil {
		return err
	}
	now := s.now()
	out := make([]Execution, 0, len(xs))
	for _, x := range xs {
		d := x.Finished.Sub(x.Started)
		switch {
		case x.Started.IsZero():
			d = 0
		case x.Finished.IsZero():
			d = now.Sub(x.Started)
		}
		out = append(out, executionJSON(x, d))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"executions": out, "next_cursor": cursorString(next)})
}

func cursorString(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request) error {
	info, err := s.eng.Execution(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, executionInfoJSON(info))
}

// executionID resolves the id path value ("latest" names the newest).
func (s *Server) executionID(ctx context.Context, r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id != engine.LatestID {
		return id, nil
	}
	x, err := s.eng.Latest(ctx)
	if err != nil {
		return "", err
	}
	return x.ID, nil
}

func (s *Server) cancelExecution(w http.ResponseWriter, r *http.Request) error {
	if err := decode(w, r, &struct{}{}, true); err != nil {
		return err
	}
	id, err := s.executionID(r.Context(), r)
	if err != nil {
		return err
	}
	if err := s.eng.Cancel(r.Context(), id); err != nil {
		return err
	}
	s.audit(r, "execution.cancel", id, "")
	return s.getExecution(w, r)
}

// retryRequest is the body of POST /executions/{id}/retry.
type retryRequest struct {
	// Stage names the stage to retry; empty: the one that failed.
	Stage string `json:"stage"`
}

func (s *Server) retryExecution(w http.ResponseWriter, r *http.Request) error {
	var req retryRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	ctx := r.Context()
	id, err := s.executionID(ctx, r)
	if err != nil {
		return err
	}
	if err := s.Retry(ctx, id, req.Stage); err != nil {
		return err
	}
	detail := "stage " + req.Stage
	if req.Stage == "" {
		detail = "the failed stage"
	}
	s.audit(r, "execution.retry", id, detail)
	return s.getExecution(w, r)
}

// findingFilter selects findings by the query parameters kind, severity
// (at least), status (open or suppressed) and stage.
type findingFilter struct {
	kinds      map[pipeline.Kind]bool
	minimum    pipeline.Severity
	hasMinimum bool
	status     string
	stages     map[string]bool
}

func parseFindingFilter(q url.Values) (findingFilter, error) {
	f := findingFilter{kinds: map[pipeline.Kind]bool{}, stages: map[string]bool{}, status: q.Get("status")}
	for _, name := range splitList(q.Get("kind")) {
		k, err := pipeline.ParseKind(name)
		if err != nil {
			return f, err
		}
		f.kinds[k] = true
	}
	if s := q.Get("severity"); s != "" {
		sev, err := pipeline.ParseSeverity(s)
		if err != nil {
			return f, err
		}
		f.minimum, f.hasMinimum = sev, true
	}
	switch f.status {
	case "", "open", "suppressed":
	default:
		return f, fmt.Errorf("%w status %q (want open or suppressed)", pipeline.ErrInvalid, f.status)
	}
	for _, st := range splitList(q.Get("stage")) {
		f.stages[st] = true
	}
	return f, nil
}

func (f findingFilter) match(stage string, x pipeline.Finding) bool {
	switch {
	case len(f.kinds) > 0 && !f.kinds[x.Kind],
		f.hasMinimum && x.Severity < f.minimum,
		f.status == "open" && x.Suppressed != nil,
		f.status == "suppressed" && x.Suppressed == nil,
		len(f.stages) > 0 && !f.stages[stage]:
		return false
	}
	return true
}

func (s *Server) listFindings(w http.ResponseWriter, r *http.Request) error {
	f, err := parseFindingFilter(r.URL.Query())
	if err != nil {
		return err
	}
	afs, err := s.eng.Findings(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []Finding{}
	for _, af := range afs {
		if f.match(af.Stage, af.Finding) {
			out = append(out, Finding{Stage: af.Stage, Action: af.Action, Finding: af.Finding})
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"findings": out})
}

func (s *Server) listArtifacts(w http.ResponseWriter, r *http.Request) error {
	arts, err := s.eng.Artifacts(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]Artifact, 0, len(arts))
	for _, a := range arts {
		out = append(out, Artifact{Name: a.Name, Digest: a.Digest, Stage: a.Stage, Action: a.Action})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"artifacts": out})
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) error {
	id, err := s.executionID(r.Context(), r)
	if err != nil {
		return err
	}
	if _, err := s.store.Execution(r.Context(), id); err != nil {
		return err
	}
	as, err := s.store.Approvals(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]Approval, 0, len(as))
	for _, a := range as {
		out = append(out, Approval{Stage: a.Stage, Action: a.Action, By: a.By, Reason: a.Reason,
			Approved: a.Approved, At: a.At})
	}
	return writeJSON(w, http.StatusOK, map[string]any{"approvals": out})
}

// decisionRequest is the body of approve and reject.
type decisionRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error { return s.decide(w, r, true) }

func (s *Server) reject(w http.ResponseWriter, r *http.Request) error { return s.decide(w, r, false) }

// decide approves or rejects the approval action the path names,
// recording the caller as the one who decided.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, approved bool) error {
	var req decisionRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	if !approved && strings.TrimSpace(req.Reason) == "" {
		return fmt.Errorf("%w reason: a rejection needs one", pipeline.ErrInvalid)
	}
	id, err := s.executionID(r.Context(), r)
	if err != nil {
		return err
	}
	stage, action := r.PathValue("stage"), r.PathValue("action")
	if _, err := s.store.ActionRun(r.Context(), id, stage, action); err != nil {
		return err
	}
	if err := s.eng.ApproveAs(r.Context(), id, stage+"."+action, actor(r), req.Reason, approved); err != nil {
		return err
	}
	verb := map[bool]string{true: "approval.approve", false: "approval.reject"}[approved]
	s.audit(r, verb, id, stage+"."+action+suffixed(req.Reason))
	return s.getExecution(w, r)
}

// suffixed is ": reason" or "".
func suffixed(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}
