package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Bounds of the project's findings page. It reads the newest
// projectScanLimit finished executions (one query), the findings of the
// newest of each pipeline among them (one query each), and for the chart
// the findings of at most chartReadLimit further executions (the ones that
// were a pipeline's newest at the end of some day); days needing more are
// left out of the chart, and the page says so. The table shows at most
// projectRowLimit findings.
const (
	projectScanLimit = 500
	chartReadLimit   = 100
	projectRowLimit  = 500
	maxPipelineName  = 200
)

// Finding statuses the project page filters by.
const (
	findingOpen       = "open"
	findingSuppressed = "suppressed"
	findingAny        = "all"
)

// finishedStatuses are the statuses of executions that ran to their end:
// their findings are the pipeline's current state. Cancelled and
// superseded executions may have stopped before their scans.
var finishedStatuses = []pipeline.Status{pipeline.StatusSucceeded, pipeline.StatusFailed}

// projectQuery is the project page's filter: pipeline, kind, severity and
// finding status (open by default).
type projectQuery struct {
	Pipeline string
	Kind     pipeline.Kind
	Severity string
	Status   string
}

// parseProjectQuery reads the project page's query; a bad value wraps
// pipeline.ErrInvalid.
func parseProjectQuery(q url.Values) (projectQuery, error) {
	p := projectQuery{Pipeline: strings.TrimSpace(q.Get("pipeline")), Status: findingOpen}
	if len(p.Pipeline) > maxPipelineName {
		return p, fmt.Errorf("%w pipeline: longer than %d bytes", pipeline.ErrInvalid, maxPipelineName)
	}
	f, err := parseFindingFilter(q)
	if err != nil {
		return p, err
	}
	p.Kind, p.Severity = f.Kind, f.Severity
	switch s := strings.ToLower(strings.TrimSpace(q.Get("status"))); s {
	case "":
	case findingOpen, findingSuppressed, findingAny:
		p.Status = s
	default:
		return p, fmt.Errorf("%w status %q: want open, suppressed or all", pipeline.ErrInvalid, s)
	}
	return p, nil
}

// matchStatus reports whether x has the status q asks for.
func (q projectQuery) matchStatus(x pipeline.Finding) bool {
	switch q.Status {
	case findingOpen:
		return x.Suppressed == nil
	case findingSuppressed:
		return x.Suppressed != nil
	}
	return true
}

// match reports whether q selects x; severity is left out when withSeverity
// is false (the severity counts ignore the severity filter).
func (q projectQuery) match(x pipeline.Finding, withSeverity bool) bool {
	return (q.Kind == "" || x.Kind == q.Kind) && q.matchStatus(x) &&
		(!withSeverity || q.Severity == "" || x.Severity.String() == q.Severity)
}

// url is the page's URL for q with the severity changed to severity.
func (q projectQuery) url(severity string) string {
	v := url.Values{}
	if q.Pipeline != "" {
		v.Set("pipeline", q.Pipeline)
	}
	if q.Kind != "" {
		v.Set("kind", string(q.Kind))
	}
	if severity != "" {
		v.Set("severity", severity)
	}
	if q.Status != findingOpen {
		v.Set("status", q.Status)
	}
	if len(v) == 0 {
		return "/findings"
	}
	return "/findings?" + v.Encode()
}

// projectRow is one finding of the project table.
type projectRow struct {
	findingRow
	Pipeline    string
	ExecutionID string
	rank        pipeline.Severity
}

// severityCount is one severity's count, linking to the table filtered by
// it (or back to every severity when it is the filter already).
type severityCount struct {
	Severity string
	Count    int
	URL      string
	Active   bool
}

// pipelineSummary is one pipeline's newest finished execution with its
// open findings.
type pipelineSummary struct {
	Pipeline    string
	ExecutionID string
	Status      pipeline.Status
	Finished    time.Time
	Open        int
	Suppressed  int
}

// projectData fills the project's findings page.
type projectData struct {
	Query      projectQuery
	Pipelines  []string
	Kinds      []pipeline.Kind
	Severities []string
	Statuses   []string
	Counts     []severityCount
	Matching   int
	Rows       []projectRow
	RowLimit   int
	Summary    []pipelineSummary
	Chart      chartView
	// ScanCapped says the newest ScanLimit executions did not reach back
	// over the whole chart; ChartCapped that some days were not computed.
	ScanCapped  bool
	ScanLimit   int
	ChartCapped bool
	ReadLimit   int
}

// projectFindings shows the findings of the project: for each pipeline,
// those of its newest finished execution (what is exposed now, rather
// than every rerun's copy of the same findings), filtered, with counts by
// severity and a chart of open findings per day over the last 30 days.
func (d *Dashboard) projectFindings(w http.ResponseWriter, r *http.Request, ss *session) {
	q, err := parseProjectQuery(r.URL.Query())
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	data, err := d.projectData(r.Context(), q)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	d.render(w, r, ss, http.StatusOK, "project", "Findings", data)
}

// projectData gathers the page's data.
func (d *Dashboard) projectData(ctx context.Context, q projectQuery) (projectData, error) {
	xs, err := d.cfg.Store.Executions(ctx, store.ExecutionFilter{Pipeline: q.Pipeline, Statuses: finishedStatuses,
		Limit: projectScanLimit})
	if err != nil {
		return projectData{}, err
	}
	data := projectData{Query: q, Kinds: pipeline.Kinds(), Statuses: []string{findingOpen, findingSuppressed, findingAny},
		RowLimit: projectRowLimit, ScanLimit: projectScanLimit, ScanCapped: len(xs) == projectScanLimit,
		ReadLimit: chartReadLimit}
	for _, s := range slices.Backward(pipeline.Severities()) {
		data.Severities = append(data.Severities, s.String())
	}
	if data.Pipelines, err = d.pipelineNames(ctx, xs); err != nil {
		return projectData{}, err
	}
	reader := &findingReader{st: d.cfg.Store, cache: map[string][]store.ActionFinding{}}
	if err := fillLatest(ctx, &data, xs, reader); err != nil {
		return projectData{}, err
	}
	days, capped, err := openPerDay(ctx, xs, d.now(), q, reader)
	if err != nil {
		return projectData{}, err
	}
	data.Chart, data.ChartCapped = drawChart(days), capped
	return data, nil
}

// pipelineNames lists the pipelines the filter offers: the registered
// ones and those of xs, by name.
func (d *Dashboard) pipelineNames(ctx context.Context, xs []store.Execution) ([]string, error) {
	recs, err := d.cfg.Store.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range recs {
		names = append(names, p.Name)
	}
	for _, x := range xs {
		names = append(names, x.Pipeline)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// fillLatest fills the table, the counts and the summary from the newest
// execution of each pipeline in xs.
func fillLatest(ctx context.Context, data *projectData, xs []store.Execution, reader *findingReader) error {
	q := data.Query
	counts := [numSeverities]int{}
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x.Pipeline] {
			continue
		}
		seen[x.Pipeline] = true
		afs, err := reader.read(ctx, x.ID)
		if err != nil {
			return err
		}
		sum := pipelineSummary{Pipeline: x.Pipeline, ExecutionID: x.ID, Status: x.Status, Finished: x.Finished}
		for _, af := range afs {
			if af.Finding.Suppressed != nil {
				sum.Suppressed++
			} else {
				sum.Open++
			}
			if !q.match(af.Finding, false) {
				continue
			}
			counts[sevIndex(af.Finding.Severity)]++
			if q.match(af.Finding, true) {
				data.Matching++
				data.Rows = append(data.Rows, projectRow{findingRow: rowOf(af), Pipeline: x.Pipeline,
					ExecutionID: x.ID, rank: af.Finding.Severity})
			}
		}
		data.Summary = append(data.Summary, sum)
	}
	slices.SortStableFunc(data.Rows, func(a, b projectRow) int {
		return cmp.Or(cmp.Compare(b.rank, a.rank), strings.Compare(a.Pipeline, b.Pipeline))
	})
	if len(data.Rows) > projectRowLimit {
		data.Rows = data.Rows[:projectRowLimit]
	}
	slices.SortFunc(data.Summary, func(a, b pipelineSummary) int { return strings.Compare(a.Pipeline, b.Pipeline) })
	for _, s := range slices.Backward(pipeline.Severities()) {
		c := severityCount{Severity: s.String(), Count: counts[s], Active: q.Severity == s.String()}
		c.URL = q.url(s.String())
		if c.Active {
			c.URL = q.url("")
		}
		data.Counts = append(data.Counts, c)
	}
	return nil
}

// openPerDay counts the open findings of each of the last chartDays days,
// by severity, under q's kind (the pipeline filter applied to xs already).
// Days are computed newest first until chartReadLimit further executions
// were read; capped reports days left out for that, or for predating the
// oldest execution read when xs was cut at projectScanLimit.
func openPerDay(ctx context.Context, xs []store.Execution, now time.Time, q projectQuery,
	reader *findingReader) ([]dayCounts, bool, error) {
	plans := planDays(xs, now, chartDays)
	var oldest time.Time
	if len(xs) == projectScanLimit {
		oldest = xs[len(xs)-1].Finished
	}
	days := make([]dayCounts, len(plans))
	budget := reader.reads + chartReadLimit
	capped := false
	for i := len(plans) - 1; i >= 0; i-- {
		p := plans[i]
		days[i].Day = p.Day
		if !oldest.IsZero() && p.Day.AddDate(0, 0, 1).Before(oldest) {
			capped = true
			continue
		}
		if reader.missing(p.Executions) > budget-reader.reads {
			capped = true
			continue
		}
		for _, id := range p.Executions {
			afs, err := reader.read(ctx, id)
			if err != nil {
				return nil, false, err
			}
			for _, af := range afs {
				if af.Finding.Suppressed == nil && (q.Kind == "" || af.Finding.Kind == q.Kind) {
					days[i].By[sevIndex(af.Finding.Severity)]++
				}
			}
		}
		days[i].Known = true
	}
	return days, capped, nil
}

// sevIndex is s as an index of per-severity counts; a value out of range
// counts as unknown.
func sevIndex(s pipeline.Severity) int {
	if s < 0 || int(s) >= numSeverities {
		return int(pipeline.SeverityUnknown)
	}
	return int(s)
}

// findingReader reads executions' findings once each per page.
type findingReader struct {
	st    Store
	cache map[string][]store.ActionFinding
	reads int
}

// read returns the findings of execution id.
func (f *findingReader) read(ctx context.Context, id string) ([]store.ActionFinding, error) {
	if afs, ok := f.cache[id]; ok {
		return afs, nil
	}
	afs, err := f.st.Findings(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("findings of %s: %w", id, err)
	}
	f.cache[id] = afs
	f.reads++
	return afs, nil
}

// missing counts the executions of ids not read yet.
func (f *findingReader) missing(ids []string) int {
	n := 0
	for _, id := range ids {
		if _, ok := f.cache[id]; !ok {
			n++
		}
	}
	return n
}
