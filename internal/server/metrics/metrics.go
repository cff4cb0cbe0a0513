// Package metrics is the Prometheus instrumentation of `secpipe server`:
// a private registry (never the process-wide default one) holding
//
//   - what the engine of this process does, fed by engine.Engine.Observe:
//     executions started and finished, action durations, scheduling
//     latency, findings stored;
//   - what the database holds, read on every scrape with a short timeout:
//     unfinished executions and the queue's jobs by state, so that these
//     cover every process of a scaled-out deployment;
//   - the duration of every HTTP request by route pattern and status code
//     (Instrument);
//   - the Go runtime and process collectors.
//
// docs/operations.md lists the metrics. Lifecycle: New, then Observe as
// the engine's observer, Instrument around the server's handler and
// Handler at /metrics; every method is safe for concurrent use.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// DefaultScrapeTimeout bounds the database reads of one scrape.
const DefaultScrapeTimeout = 2 * time.Second

// Executions lists executions; store.Store is one.
type Executions interface {
	Executions(ctx context.Context, f store.ExecutionFilter) ([]store.Execution, error)
}

// Depth is how many jobs of one queue are in one state.
type Depth struct {
	Queue string
	State string
	Jobs  int
}

// DepthFunc reads the queue's depth; RiverDepth returns one.
type DepthFunc func(ctx context.Context) ([]Depth, error)

// Config configures Metrics. Every field is optional: a nil source leaves
// its metrics out.
type Config struct {
	// Executions is read on scrape for the unfinished executions.
	Executions Executions
	// Queue is read on scrape for the queue's depth.
	Queue DepthFunc
	// ScrapeTimeout bounds the reads of one scrape (DefaultScrapeTimeout).
	ScrapeTimeout time.Duration
	// Logger gets the errors of scrapes (a source that failed is left out
	// of that scrape; the others are served).
	Logger *slog.Logger
}

// Metrics holds the registry and the metrics this process updates.
type Metrics struct {
	reg          *prometheus.Registry
	handler      http.Handler
	started      *prometheus.CounterVec
	finished     *prometheus.CounterVec
	actions      *prometheus.HistogramVec
	latency      prometheus.Histogram
	findings     *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
}

// Buckets of the histograms, in seconds.
var (
	actionBuckets  = []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600}
	latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	httpBuckets    = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

// New builds the registry: the metrics above and the sources of cfg.
func New(cfg Config) *Metrics {
	if cfg.ScrapeTimeout <= 0 {
		cfg.ScrapeTimeout = DefaultScrapeTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "secpipe_executions_started_total",
			Help: "Executions this process started running (a retried execution starts again), by pipeline."},
			[]string{"pipeline"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "secpipe_executions_finished_total",
			Help: "Executions this process ended, by pipeline and final status."},
			[]string{"pipeline", "status"}),
		actions: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "secpipe_action_duration_seconds",
			Help:    "Time from an action's start to its end (all attempts), of actions this process ended.",
			Buckets: actionBuckets}, []string{"provider", "status"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "secpipe_scheduling_latency_seconds",
			Help:    "Time from an action attempt becoming due to this process starting it.",
			Buckets: latencyBuckets}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "secpipe_findings_total",
			Help: "Findings stored by the action attempts this process ran, by kind and severity."},
			[]string{"kind", "severity"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "secpipe_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and status code (streams last long).",
			Buckets: httpBuckets}, []string{"route", "code"}),
	}
	m.reg.MustRegister(m.started, m.finished, m.actions, m.latency, m.findings, m.httpDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.Executions != nil || cfg.Queue != nil {
		m.reg.MustRegister(newDBCollector(cfg))
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	})
	return m
}

// Handler serves the metrics in Prometheus' exposition formats.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry returns the private registry, for more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe counts one engine event; pass it to engine.Engine.Observe.
func (m *Metrics) Observe(ev engine.Event) {
	switch ev.Kind {
	case engine.EventExecution:
		m.execution(ev)
	case engine.EventAction:
		m.action(ev)
	case engine.EventFindings:
		for _, t := range ev.Findings {
			m.findings.WithLabelValues(string(t.Kind), t.Severity.String()).Add(float64(t.Count))
		}
	}
}

func (m *Metrics) execution(ev engine.Event) {
	switch {
	case ev.Status == pipeline.StatusRunning:
		m.started.WithLabelValues(ev.Pipeline).Inc()
	case ev.Status.Terminal():
		m.finished.WithLabelValues(ev.Pipeline, string(ev.Status)).Inc()
	}
}

func (m *Metrics) action(ev engine.Event) {
	switch {
	case ev.Status == pipeline.StatusRunning && !ev.Due.IsZero():
		m.latency.Observe(max(ev.Time.Sub(ev.Due), 0).Seconds())
	case ev.Status.Terminal() && !ev.Started.IsZero():
		m.actions.WithLabelValues(ev.Provider, string(ev.Status)).Observe(max(ev.Time.Sub(ev.Started), 0).Seconds())
	}
}
