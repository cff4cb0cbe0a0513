package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// maxEvidence bounds the evidence shown per finding (evidence is redacted
// by the scanners already; this only keeps rows readable).
const maxEvidence = 160

// findingFilter selects findings by kind and severity; zero fields select
// everything.
type findingFilter struct {
	Kind     pipeline.Kind
	Severity string
}

// parseFindingFilter reads the kind and severity query parameters; an
// unknown name wraps pipeline.ErrInvalid.
func parseFindingFilter(q url.Values) (findingFilter, error) {
	var f findingFilter
	if s := q.Get("kind"); s != "" {
		k, err := pipeline.ParseKind(s)
		if err != nil {
			return f, err
		}
		f.Kind = k
	}
	if s := q.Get("severity"); s != "" {
		sev, err := pipeline.ParseSeverity(s)
		if err != nil {
			return f, err
		}
		f.Severity = sev.String()
	}
	return f, nil
}

// match reports whether f selects finding x.
func (f findingFilter) match(x pipeline.Finding) bool {
	return (f.Kind == "" || x.Kind == f.Kind) && (f.Severity == "" || x.Severity.String() == f.Severity)
}

// findingRow is one line of the findings table.
type findingRow struct {
	Stage, Action string
	Severity      string
	Kind          pipeline.Kind
	RuleID        string
	Title         string
	Location      string
	Evidence      string
	Status        string
	Remediation   string
}

// findingsData fills the findings page.
type findingsData struct {
	ExecutionID string
	Pipeline    string
	Filter      findingFilter
	Kinds       []pipeline.Kind
	Severities  []string
	Total       int
	Rows        []findingRow
}

// findingsPage lists an execution's findings, most severe first.
func (d *Dashboard) findingsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	f, err := parseFindingFilter(r.URL.Query())
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	x, err := d.execution(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	all, err := d.cfg.Engine.Findings(r.Context(), x.ID)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	data := findingsData{ExecutionID: x.ID, Pipeline: x.Pipeline, Filter: f, Kinds: pipeline.Kinds(), Total: len(all)}
	for _, s := range slices.Backward(pipeline.Severities()) {
		data.Severities = append(data.Severities, s.String())
	}
	slices.SortStableFunc(all, func(a, b store.ActionFinding) int { return int(b.Finding.Severity - a.Finding.Severity) })
	for _, af := range all {
		if f.match(af.Finding) {
			data.Rows = append(data.Rows, rowOf(af))
		}
	}
	d.render(w, r, ss, http.StatusOK, "findings", "Findings of "+x.ID, data)
}

// rowOf renders a finding for the table.
func rowOf(af store.ActionFinding) findingRow {
	x := af.Finding
	row := findingRow{Stage: af.Stage, Action: af.Action, Severity: x.Severity.String(), Kind: x.Kind,
		RuleID: x.RuleID, Title: x.Title, Location: x.Location.String(), Remediation: x.Remediation,
		Evidence: x.Evidence, Status: "open"}
	if len(row.Evidence) > maxEvidence {
		row.Evidence = strings.ToValidUTF8(row.Evidence[:maxEvidence], "") + "…"
	}
	switch {
	case x.Suppressed != nil:
		row.Status = "suppressed (" + x.Suppressed.By + ")"
	case x.Expired != nil:
		row.Status = "open (ignore expired)"
	}
	return row
}
