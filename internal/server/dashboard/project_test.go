package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// finding makes a finding of kind and severity; suppressed ones carry a
// baseline suppression.
func finding(kind pipeline.Kind, sev pipeline.Severity, rule string, suppressed bool) pipeline.Finding {
	f := pipeline.Finding{Kind: kind, Severity: sev, RuleID: rule, Title: rule, Fingerprint: rule,
		Location: pipeline.Location{Path: "app/src/config.js", Line: 3}, Evidence: "AKIA****"}
	if suppressed {
		f.Suppressed = &pipeline.Suppression{By: "baseline"}
	}
	return f
}

// history stores a finished execution of pipeline p with findings, as if
// it had run days ago.
func (e *env) history(id, p string, status pipeline.Status, finished time.Time, fs ...pipeline.Finding) {
	e.t.Helper()
	ctx := context.Background()
	x := &store.Execution{ID: id, Pipeline: p, Status: status, Mode: pipeline.ModeSuperseded, Trigger: "poll",
		Created: finished.Add(-time.Minute), Started: finished.Add(-time.Minute), Finished: finished}
	if err := e.st.CreateExecution(ctx, x); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.ReplaceFindings(ctx, id, "Scan", "Secrets", fs); err != nil {
		e.t.Fatal(err)
	}
}

// bars reads the chart as day → "total" and day → severity → count.
func bars(t *testing.T, body string) (map[string]int, map[string]map[string]int) {
	t.Helper()
	totals := map[string]int{}
	parts := map[string]map[string]int{}
	bar := regexp.MustCompile(`(?s)<g class="bar" data-day="([0-9-]+)" data-total="([0-9]+)" data-known="true">(.*?)</g>`)
	rect := regexp.MustCompile(`data-severity="([a-z]+)" data-count="([0-9]+)"`)
	for _, m := range bar.FindAllStringSubmatch(body, -1) {
		totals[m[1]], _ = strconv.Atoi(m[2])
		parts[m[1]] = map[string]int{}
		for _, r := range rect.FindAllStringSubmatch(m[3], -1) {
			parts[m[1]][r[1]], _ = strconv.Atoi(r[2])
		}
	}
	return totals, parts
}

func TestProjectFindings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	c.login(store.RoleViewer)
	if res := c.get("/findings"); res.status != http.StatusOK || !strings.Contains(res.body, `id="chart-empty"`) ||
		!strings.Contains(res.body, "0 findings") {
		t.Errorf("GET /findings before any execution = %d, want the empty page", res.status)
	}
	now := e.now().UTC()
	ago := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	day := func(days int) string { return ago(days).Format(time.DateOnly) }
	e.history("api-1", "api", pipeline.StatusFailed, ago(10),
		finding(pipeline.KindSecret, pipeline.SeverityHigh, "aws-access-key-id", false),
		finding(pipeline.KindSecret, pipeline.SeverityHigh, "aws-secret-access-key", false),
		finding(pipeline.KindVuln, pipeline.SeverityLow, "CVE-2020-1", false))
	e.history("web-1", "web", pipeline.StatusSucceeded, ago(5),
		finding(pipeline.KindConfig, pipeline.SeverityMedium, "ssh-root-login", false))
	e.history("api-2", "api", pipeline.StatusFailed, ago(3),
		finding(pipeline.KindVuln, pipeline.SeverityCritical, "CVE-2018-17182", false),
		finding(pipeline.KindSecret, pipeline.SeverityHigh, "aws-access-key-id", false),
		finding(pipeline.KindVuln, pipeline.SeverityMedium, "CVE-2019-2", true))
	// A cancelled execution stopped early: it does not count.
	e.history("web-2", "web", pipeline.StatusCancelled, ago(1),
		finding(pipeline.KindVuln, pipeline.SeverityCritical, "CVE-2099-1", false))

	tests := []struct {
		query      string
		wantRows   []string // pipeline/kind/severity, most severe first
		wantCounts string   // critical..unknown
		// wantDays maps days ago to the chart's total that day.
		wantDays map[int]int
	}{
		{query: "", wantRows: []string{"api/vuln/critical", "api/secret/high", "web/config/medium"},
			wantCounts: "1,1,1,0,0,0", wantDays: map[int]int{29: 0, 11: 0, 10: 3, 6: 3, 5: 4, 4: 4, 3: 3, 0: 3}},
		{query: "?kind=secret", wantRows: []string{"api/secret/high"}, wantCounts: "0,1,0,0,0,0",
			wantDays: map[int]int{10: 2, 5: 2, 3: 1, 0: 1}},
		{query: "?severity=high", wantRows: []string{"api/secret/high"}, wantCounts: "1,1,1,0,0,0",
			wantDays: map[int]int{10: 3, 0: 3}},
		{query: "?pipeline=web", wantRows: []string{"web/config/medium"}, wantCounts: "0,0,1,0,0,0",
			wantDays: map[int]int{10: 0, 5: 1, 0: 1}},
		{query: "?status=suppressed", wantRows: []string{"api/vuln/medium"}, wantCounts: "0,0,1,0,0,0",
			wantDays: map[int]int{0: 3}},
		{query: "?status=all&severity=medium", wantRows: []string{"api/vuln/medium", "web/config/medium"},
			wantCounts: "1,1,2,0,0,0"},
	}
	rows := regexp.MustCompile(`<tr class="finding" data-pipeline="([a-z]+)" data-kind="([a-z]+)" data-severity="([a-z]+)"`)
	counts := regexp.MustCompile(`data-severity="([a-z]+)" data-count="([0-9]+)"><span class="count-n">`)
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := c.get("/findings" + tt.query)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d", res.status)
			}
			var got []string
			for _, m := range rows.FindAllStringSubmatch(res.body, -1) {
				got = append(got, m[1]+"/"+m[2]+"/"+m[3])
			}
			if strings.Join(got, ",") != strings.Join(tt.wantRows, ",") {
				t.Errorf("rows = %v, want %v", got, tt.wantRows)
			}
			var cs []string
			for _, m := range counts.FindAllStringSubmatch(res.body, -1) {
				cs = append(cs, m[2])
			}
			if strings.Join(cs, ",") != tt.wantCounts {
				t.Errorf("severity counts = %v, want %s", cs, tt.wantCounts)
			}
			totals, _ := bars(t, res.body)
			if len(totals) != 30 {
				t.Errorf("chart has %d computed days, want 30", len(totals))
			}
			for ago, want := range tt.wantDays {
				if got := totals[day(ago)]; got != want {
					t.Errorf("chart on %s (%d days ago) = %d, want %d", day(ago), ago, got, want)
				}
			}
			noSecrets(t, "project findings page", res.body)
		})
	}

	page := c.get("/findings")
	_, parts := bars(t, page.body)
	if got := parts[day(4)]; fmt.Sprint(got) != "map[high:2 low:1 medium:1]" {
		t.Errorf("chart 4 days ago by severity = %v, want 2 high, 1 medium, 1 low", got)
	}
	mustContain(t, "project findings page", page.body,
		`<tr class="pipeline-summary" data-pipeline="api" data-open="2">`,
		`<tr class="pipeline-summary" data-pipeline="web" data-open="1">`,
		`href="/findings?severity=critical"`, `<option value="demo">demo</option>`)
	for _, q := range []string{"?status=bogus", "?severity=severe", "?kind=x", "?pipeline=" + strings.Repeat("p", 201)} {
		if res := c.get("/findings" + q); res.status != http.StatusBadRequest {
			t.Errorf("GET /findings%s = %d, want 400", q, res.status)
		}
	}
}
