package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/server/metrics"
	"github.com/secpipe/secpipe/internal/store"
)

// scrape GETs the metrics from h and flattens them into samples keyed
// like `name{label="value",...}` (labels sorted); histograms give their
// _count and _sum.
func scrape(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name + labels(m)
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"+labels(m)] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"+labels(m)] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func labels(m *dto.Metric) string {
	var ls []string
	for _, l := range m.GetLabel() {
		ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	if len(ls) == 0 {
		return ""
	}
	slices.Sort(ls)
	return "{" + strings.Join(ls, ",") + "}"
}

// pick returns the samples whose key starts with one of the prefixes.
func pick(samples map[string]float64, prefixes ...string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range samples {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				out[k] = v
			}
		}
	}
	return out
}

func TestObserve(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		events []engine.Event
		want   map[string]float64
	}{
		{
			name: "execution starts and ends",
			events: []engine.Event{
				{Kind: engine.EventExecution, Pipeline: "web", Status: pipeline.StatusQueued, Time: t0},
				{Kind: engine.EventExecution, Pipeline: "web", Status: pipeline.StatusRunning, Time: t0},
				{Kind: engine.EventExecution, Pipeline: "web", Status: pipeline.StatusFailed, Time: t0},
				{Kind: engine.EventExecution, Pipeline: "web", Status: pipeline.StatusRunning, Time: t0},
				{Kind: engine.EventExecution, Pipeline: "web", Status: pipeline.StatusSucceeded, Time: t0},
				{Kind: engine.EventExecution, Pipeline: "api", Status: pipeline.StatusSuperseded, Time: t0},
			},
			want: map[string]float64{
				`secpipe_executions_started_total{pipeline="web"}`:                      2,
				`secpipe_executions_finished_total{pipeline="api",status="superseded"}`: 1,
				`secpipe_executions_finished_total{pipeline="web",status="failed"}`:     1,
				`secpipe_executions_finished_total{pipeline="web",status="succeeded"}`:  1,
				`secpipe_scheduling_latency_seconds_count`:                              0,
				`secpipe_scheduling_latency_seconds_sum`:                                0,
			},
		},
		{
			name: "action latency and duration",
			events: []engine.Event{
				{Kind: engine.EventAction, Provider: "shell", Status: pipeline.StatusQueued, Due: t0, Time: t0},
				{Kind: engine.EventAction, Provider: "shell", Status: pipeline.StatusRunning, Due: t0,
					Started: t0.Add(250 * time.Millisecond), Time: t0.Add(250 * time.Millisecond)},
				{Kind: engine.EventAction, Provider: "shell", Status: pipeline.StatusSucceeded,
					Started: t0.Add(250 * time.Millisecond), Time: t0.Add(3 * time.Second)},
				// Never started: no duration.
				{Kind: engine.EventAction, Provider: "scan", Status: pipeline.StatusCancelled, Time: t0},
				{Kind: engine.EventAction, Provider: "scan", Status: pipeline.StatusSkipped, Time: t0},
			},
			want: map[string]float64{
				`secpipe_scheduling_latency_seconds_count`:                                   1,
				`secpipe_scheduling_latency_seconds_sum`:                                     0.25,
				`secpipe_action_duration_seconds_count{provider="shell",status="succeeded"}`: 1,
				`secpipe_action_duration_seconds_sum{provider="shell",status="succeeded"}`:   2.75,
			},
		},
		{
			name: "findings by kind and severity",
			events: []engine.Event{
				{Kind: engine.EventFindings, Findings: []engine.FindingTally{
					{Kind: pipeline.KindSecret, Severity: pipeline.SeverityHigh, Count: 2},
					{Kind: pipeline.KindVuln, Severity: pipeline.SeverityUnknown, Count: 1}}},
				{Kind: engine.EventFindings, Findings: []engine.FindingTally{
					{Kind: pipeline.KindSecret, Severity: pipeline.SeverityHigh, Count: 3}}},
			},
			want: map[string]float64{
				`secpipe_findings_total{kind="secret",severity="high"}`:  5,
				`secpipe_findings_total{kind="vuln",severity="unknown"}`: 1,
				`secpipe_scheduling_latency_seconds_count`:               0,
				`secpipe_scheduling_latency_seconds_sum`:                 0,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(metrics.Config{})
			for _, ev := range tt.events {
				m.Observe(ev)
			}
			got := pick(scrape(t, m.Handler()), "secpipe_executions_", "secpipe_scheduling_",
				"secpipe_action_", "secpipe_findings_")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("samples after %d events (-want +got):\n%s", len(tt.events), diff)
			}
		})
	}
}

// fakeExecutions lists fixed executions, or fails.
type fakeExecutions struct {
	xs  []store.Execution
	err error
}

func (f fakeExecutions) Executions(_ context.Context, filter store.ExecutionFilter) ([]store.Execution, error) {
	var out []store.Execution
	for _, x := range f.xs {
		if slices.Contains(filter.Statuses, x.Status) {
			out = append(out, x)
		}
	}
	return out, f.err
}

func TestDatabaseSources(t *testing.T) {
	xs := fakeExecutions{xs: []store.Execution{
		{Pipeline: "web", Status: pipeline.StatusRunning},
		{Pipeline: "web", Status: pipeline.StatusRunning},
		{Pipeline: "web", Status: pipeline.StatusQueued},
		{Pipeline: "api", Status: pipeline.StatusSucceeded},
	}}
	depth := func(context.Context) ([]metrics.Depth, error) {
		return []metrics.Depth{{Queue: "engine", State: "available", Jobs: 7}}, nil
	}
	broken := func(context.Context) ([]metrics.Depth, error) { return nil, errors.New("no such table") }
	tests := []struct {
		name string
		cfg  metrics.Config
		want map[string]float64
	}{
		{
			name: "both read",
			cfg:  metrics.Config{Executions: xs, Queue: depth},
			want: map[string]float64{
				`secpipe_executions_running{pipeline="web"}`:           2,
				`secpipe_executions_queued{pipeline="web"}`:            1,
				`secpipe_queue_jobs{queue="engine",state="available"}`: 7,
			},
		},
		{
			name: "a failing source is left out, the other served",
			cfg:  metrics.Config{Executions: xs, Queue: broken},
			want: map[string]float64{
				`secpipe_executions_running{pipeline="web"}`: 2,
				`secpipe_executions_queued{pipeline="web"}`:  1,
			},
		},
		{
			name: "failing executions",
			cfg:  metrics.Config{Executions: fakeExecutions{err: errors.New("database is closed")}, Queue: depth},
			want: map[string]float64{`secpipe_queue_jobs{queue="engine",state="available"}`: 7},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pick(scrape(t, metrics.New(tt.cfg).Handler()), "secpipe_executions_", "secpipe_queue_")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("samples (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRuntimeCollectors(t *testing.T) {
	got := scrape(t, metrics.New(metrics.Config{}).Handler())
	for _, name := range []string{"go_goroutines", "process_open_fds"} {
		if _, ok := got[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
}
