package metrics_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/approval"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/server/metrics"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/postgres"
	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// resultProvider answers every action with one result.
type resultProvider struct {
	name   string
	result pipeline.ActionResult
}

func (p resultProvider) Name() string { return p.name }

func (p resultProvider) Run(context.Context, *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	return p.result, nil
}

// backend is a database with a store and River on it.
type backend struct {
	db    *sql.DB
	store store.Store
	disp  *queue.River
}

func openBackend(t *testing.T, kind, dir string) backend {
	t.Helper()
	ctx := context.Background()
	cfg := queue.RiverConfig{Workers: 4, RescueStuckJobsAfter: time.Hour, FetchPollInterval: 5 * time.Millisecond}
	var b backend
	var err error
	switch kind {
	case "sqlite":
		if b.db, err = queue.OpenSQLite(filepath.Join(dir, "state.db")); err != nil {
			t.Fatal(err)
		}
		if b.store, err = sqlite.New(ctx, b.db); err != nil {
			t.Fatal(err)
		}
		b.disp, err = queue.NewRiver(b.db, cfg)
	case "postgres":
		if b.db, err = postgres.Open(ctx, pgtest.DSN(t)); err != nil {
			t.Fatal(err)
		}
		if b.store, err = postgres.New(ctx, b.db); err != nil {
			t.Fatal(err)
		}
		b.disp, err = queue.NewRiverPostgres(b.db, cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScrapeAfterRun runs real executions on an engine the metrics
// observe, on SQLite and on PostgreSQL, and checks what /metrics says:
// one execution failed, one waits for an approval (still running, its
// deadline job scheduled in the queue), a scan stored findings.
func TestScrapeAfterRun(t *testing.T) {
	found := []pipeline.Finding{
		{Kind: pipeline.KindSecret, Severity: pipeline.SeverityHigh, RuleID: "aws-access-key"},
		{Kind: pipeline.KindSecret, Severity: pipeline.SeverityHigh, RuleID: "github-pat"},
		{Kind: pipeline.KindVuln, Severity: pipeline.SeverityCritical, RuleID: "CVE-2018-17182"},
	}
	providers := map[string]pipeline.Provider{
		"noop": resultProvider{name: "noop", result: pipeline.ActionResult{State: pipeline.ActionSucceeded}},
		"fail": resultProvider{name: "fail", result: pipeline.ActionResult{State: pipeline.ActionFailed,
			Message: "tests failed"}},
		"scan": resultProvider{name: "scan", result: pipeline.ActionResult{State: pipeline.ActionSucceeded,
			Findings: found}},
		"approval": approval.New(approval.Config{}),
	}
	broken := &pipeline.Pipeline{Version: 1, Name: "broken", ExecutionMode: pipeline.ModeParallel,
		Stages: []pipeline.Stage{
			{Name: "Build", Actions: []pipeline.Action{{Name: "Compile", Provider: "noop"}}},
			{Name: "Test", Actions: []pipeline.Action{{Name: "Unit", Provider: "fail"}}},
		}}
	gated := &pipeline.Pipeline{Version: 1, Name: "gated", ExecutionMode: pipeline.ModeParallel,
		Stages: []pipeline.Stage{
			{Name: "Scan", Actions: []pipeline.Action{{Name: "Secrets", Provider: "scan"}}},
			{Name: "Release", Actions: []pipeline.Action{{Name: "Approve", Provider: "approval"}}},
		}}
	want := map[string]float64{
		`secpipe_executions_started_total{pipeline="broken"}`:                       1,
		`secpipe_executions_started_total{pipeline="gated"}`:                        1,
		`secpipe_executions_finished_total{pipeline="broken",status="failed"}`:      1,
		`secpipe_executions_running{pipeline="gated"}`:                              1,
		`secpipe_action_duration_seconds_count{provider="noop",status="succeeded"}`: 1,
		`secpipe_action_duration_seconds_count{provider="fail",status="failed"}`:    1,
		`secpipe_action_duration_seconds_count{provider="scan",status="succeeded"}`: 1,
		`secpipe_scheduling_latency_seconds_count`:                                  4,
		`secpipe_findings_total{kind="secret",severity="high"}`:                     2,
		`secpipe_findings_total{kind="vuln",severity="critical"}`:                   1,
		`secpipe_queue_jobs{queue="default",state="scheduled"}`:                     1,
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			b := openBackend(t, kind, dir)
			arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
			if err != nil {
				t.Fatal(err)
			}
			eng, err := engine.New(engine.Config{Store: b.store, Dispatcher: b.disp, Providers: providers,
				Artifacts: arts, DataDir: dir, Exclusive: true})
			if err != nil {
				t.Fatal(err)
			}
			m := metrics.New(metrics.Config{Executions: b.store, Queue: metrics.RiverDepth(b.db)})
			eng.Observe(m.Observe)
			ctx := context.Background()
			if err := b.disp.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				_ = b.disp.Stop(stopCtx)
				_ = b.db.Close()
			})

			id, err := eng.Start(ctx, broken, engine.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if st, err := eng.Wait(waitCtx, id); err != nil || st != pipeline.StatusFailed {
				t.Fatalf("Wait(broken) = %s, %v; want failed", st, err)
			}
			if _, err := eng.Start(ctx, gated, engine.StartOptions{}); err != nil {
				t.Fatal(err)
			}
			var got map[string]float64
			deadline := time.Now().Add(20 * time.Second)
			for {
				got = pick(scrape(t, m.Handler()), "secpipe_executions_", "secpipe_action_duration_seconds_count",
					"secpipe_scheduling_latency_seconds_count", "secpipe_findings_", "secpipe_queue_")
				if cmp.Equal(want, got) || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("/metrics after the runs (-want +got):\n%s", diff)
			}
		})
	}
}
