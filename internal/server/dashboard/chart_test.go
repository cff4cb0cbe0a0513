package dashboard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

func TestPlanDays(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	at := func(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }
	// Newest first, as the store lists them. b-2 was created after b-1
	// but finished first (parallel executions): creation order decides.
	xs := []store.Execution{
		{ID: "b-2", Pipeline: "b", Finished: at(9, 1)},
		{ID: "a-3", Pipeline: "a", Finished: at(10, 14)},
		{ID: "b-1", Pipeline: "b", Finished: at(9, 5)},
		{ID: "a-2", Pipeline: "a", Finished: at(8, 23)},
		{ID: "a-1", Pipeline: "a", Finished: at(6, 0)},
	}
	got := map[string]string{}
	for _, p := range planDays(xs, now, 6) {
		got[p.Day.Format(time.DateOnly)] = strings.Join(p.Executions, ",")
	}
	want := map[string]string{
		"2026-03-05": "",
		"2026-03-06": "a-1",
		"2026-03-07": "a-1",
		"2026-03-08": "a-2",
		"2026-03-09": "b-2,a-2",
		"2026-03-10": "b-2,a-3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("planDays (-want +got):\n%s", diff)
	}
}

func TestNiceMax(t *testing.T) {
	tests := []struct{ n, want int }{{0, 2}, {1, 2}, {2, 2}, {3, 4}, {5, 10}, {10, 10}, {11, 20}, {39, 40}, {41, 100},
		{101, 200}, {4001, 10000}}
	for _, tt := range tests {
		if got := niceMax(tt.n); got != tt.want {
			t.Errorf("niceMax(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

func TestDrawChart(t *testing.T) {
	day := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
	days := []dayCounts{
		{Day: day, Known: false},
		{Day: day.AddDate(0, 0, 1), Known: true},
		{Day: day.AddDate(0, 0, 2), Known: true},
	}
	days[2].By[pipeline.SeverityCritical] = 1
	days[2].By[pipeline.SeverityLow] = 2
	c := drawChart(days)
	if c.Max != 4 || c.Empty || c.From != "2026-03-08" || c.To != "2026-03-10" || len(c.Bars) != 3 {
		t.Fatalf("chart = max %d, empty %v, %s to %s, %d bars", c.Max, c.Empty, c.From, c.To, len(c.Bars))
	}
	if b := c.Bars[0]; b.Known || len(b.Rects) != 0 || b.Title != "2026-03-08: not computed" {
		t.Errorf("unknown day = %+v", b)
	}
	if b := c.Bars[1]; len(b.Rects) != 0 || b.Title != "2026-03-09: 0 open" {
		t.Errorf("empty day = %+v", b)
	}
	b := c.Bars[2]
	if b.Title != "2026-03-10: 3 open (1 critical, 2 low)" || len(b.Rects) != 2 {
		t.Fatalf("day with findings = %+v", b)
	}
	f := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	crit, low := b.Rects[0], b.Rects[1]
	plotH := float64(chartHeight - chartTop - chartBottom)
	base := float64(chartHeight - chartBottom)
	// Critical sits on the baseline, low on top of it; heights scale with
	// the counts against the axis' maximum (4).
	if crit.Severity != "critical" || low.Severity != "low" ||
		f(crit.Y)+f(crit.H) != base || f(low.Y)+f(low.H) != f(crit.Y) ||
		f(crit.H) != plotH/4 || f(low.H) != plotH/2 {
		t.Errorf("rects = %+v, %+v (baseline %v, plot height %v)", crit, low, base, plotH)
	}
	if got := fmt.Sprint(c.Ticks); got != "[{214.0 218.0 0} {113.0 117.0 2} {12.0 16.0 4}]" {
		t.Errorf("ticks = %s", got)
	}
	if len(c.Labels) != 1 || c.Labels[0].Text != "Mar 10" {
		t.Errorf("labels = %+v, want today's only", c.Labels)
	}
	if drawChart([]dayCounts{{Day: day, Known: true}}).Empty != true {
		t.Errorf("a chart without findings is not empty")
	}
}

// countingStore serves findings and counts the reads; the dashboard's
// other store methods are not used here.
type countingStore struct {
	Store
	findings map[string][]store.ActionFinding
	reads    int
}

func (s *countingStore) Findings(_ context.Context, id string) ([]store.ActionFinding, error) {
	s.reads++
	return s.findings[id], nil
}

func TestOpenPerDayBoundsReads(t *testing.T) {
	now := time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC)
	st := &countingStore{findings: map[string][]store.ActionFinding{}}
	var xs []store.Execution
	// Five pipelines, each with one execution a day for 30 days and one
	// open high finding (plus one suppressed) per execution.
	for d := range chartDays {
		for p := range 5 {
			id := fmt.Sprintf("p%d-%02d", p, d)
			xs = append([]store.Execution{{ID: id, Pipeline: fmt.Sprintf("p%d", p),
				Finished: now.AddDate(0, 0, d-chartDays+1).Add(-time.Hour)}}, xs...)
			st.findings[id] = []store.ActionFinding{
				{Finding: pipeline.Finding{Kind: pipeline.KindVuln, Severity: pipeline.SeverityHigh}},
				{Finding: pipeline.Finding{Kind: pipeline.KindVuln, Severity: pipeline.SeverityCritical,
					Suppressed: &pipeline.Suppression{By: "baseline"}}},
			}
		}
	}
	reader := &findingReader{st: st, cache: map[string][]store.ActionFinding{}}
	days, capped, err := openPerDay(context.Background(), xs, now, projectQuery{Status: findingOpen}, reader)
	if err != nil {
		t.Fatal(err)
	}
	if !capped || st.reads > chartReadLimit {
		t.Errorf("openPerDay read %d executions (capped %v), want at most %d and capped", st.reads, capped, chartReadLimit)
	}
	known := 0
	for i, d := range days {
		if !d.Known {
			if known > 0 {
				t.Errorf("day %d unknown after a known one: the newest days must be the ones computed", i)
			}
			continue
		}
		known++
		if d.By[pipeline.SeverityHigh] != 5 || d.total() != 5 {
			t.Errorf("day %s = %v, want 5 high (one per pipeline, suppressed left out)", d.Day.Format(time.DateOnly), d.By)
		}
	}
	if known != chartReadLimit/5 {
		t.Errorf("%d days computed, want %d", known, chartReadLimit/5)
	}
	if _, capped, _ := openPerDay(context.Background(), xs[:10], now, projectQuery{}, reader); capped {
		t.Errorf("two days of executions capped the chart")
	}
}
