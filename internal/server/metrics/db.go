package metrics

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// riverDepthQuery counts River's unfinished jobs; River's tables have the
// same names and states on SQLite and PostgreSQL.
const riverDepthQuery = `SELECT queue, state, COUNT(*) FROM river_job
WHERE state IN ('available', 'scheduled', 'running', 'retryable') GROUP BY queue, state`

// RiverDepth reads the depth of the River queues in db (SQLite or
// PostgreSQL, as queue.NewRiver and queue.NewRiverPostgres set them up):
// the jobs available (due, waiting for a worker), scheduled (due later),
// running and retryable (failed, to run again), by queue.
func RiverDepth(db *sql.DB) DepthFunc {
	return func(ctx context.Context) ([]Depth, error) {
		rows, err := db.QueryContext(ctx, riverDepthQuery)
		if err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
		defer rows.Close()
		var out []Depth
		for rows.Next() {
			var d Depth
			if err := rows.Scan(&d.Queue, &d.State, &d.Jobs); err != nil {
				return nil, fmt.Errorf("queue depth: %w", err)
			}
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
		return out, nil
	}
}

// dbCollector reads the database on every scrape.
type dbCollector struct {
	cfg     Config
	running *prometheus.Desc
	queued  *prometheus.Desc
	jobs    *prometheus.Desc
}

func newDBCollector(cfg Config) *dbCollector {
	return &dbCollector{
		cfg: cfg,
		running: prometheus.NewDesc("secpipe_executions_running",
			"Executions running now (any process), by pipeline.", []string{"pipeline"}, nil),
		queued: prometheus.NewDesc("secpipe_executions_queued",
			"Executions waiting to start (queued mode, or not yet admitted), by pipeline.", []string{"pipeline"}, nil),
		jobs: prometheus.NewDesc("secpipe_queue_jobs",
			"Jobs in the queue by queue and state: available (due), scheduled (later), running, retryable.",
			[]string{"queue", "state"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.running
	ch <- c.queued
	ch <- c.jobs
}

// Collect implements prometheus.Collector: one read of each source,
// bounded together by the scrape timeout. A source that fails yields an
// invalid metric, which the handler logs and leaves out.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ScrapeTimeout)
	defer cancel()
	if c.cfg.Executions != nil {
		c.collectExecutions(ctx, ch)
	}
	if c.cfg.Queue != nil {
		c.collectQueue(ctx, ch)
	}
}

func (c *dbCollector) collectExecutions(ctx context.Context, ch chan<- prometheus.Metric) {
	xs, err := c.cfg.Executions.Executions(ctx, store.ExecutionFilter{
		Statuses: []pipeline.Status{pipeline.StatusQueued, pipeline.StatusRunning}})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.running, fmt.Errorf("unfinished executions: %w", err))
		return
	}
	running, queued := map[string]int{}, map[string]int{}
	for _, x := range xs {
		if x.Status == pipeline.StatusRunning {
			running[x.Pipeline]++
		} else {
			queued[x.Pipeline]++
		}
	}
	for name, n := range running {
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(n), name)
	}
	for name, n := range queued {
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(n), name)
	}
}

func (c *dbCollector) collectQueue(ctx context.Context, ch chan<- prometheus.Metric) {
	depths, err := c.cfg.Queue(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.jobs, err)
		return
	}
	for _, d := range depths {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(d.Jobs), d.Queue, d.State)
	}
}
