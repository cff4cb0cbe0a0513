package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/server/metrics"
	"github.com/secpipe/secpipe/internal/spec"
	"github.com/secpipe/secpipe/internal/store/postgres"
)

// Defaults of dbWorkerOptions.
const (
	// defaultWorkerPoll is how often a database worker looks for jobs:
	// each poll is a query, so a deployment of many workers polls less
	// often than a lone local run.
	defaultWorkerPoll = 50 * time.Millisecond
	// defaultWorkerStop is how long a stopping worker lets its running
	// actions finish before it abandons them to the other processes.
	defaultWorkerStop = 30 * time.Second
)

// engineQueues routes the engine's jobs to a River queue of their own, so
// that database workers, which handle only those, never fetch (and drop)
// the jobs only a server handles (trigger polls and releases). Every
// process of a deployment must use it: see queue.RiverConfig.KindQueues.
func engineQueues() map[string]string {
	return map[string]string{engine.KindAction: "engine", engine.KindDeadline: "engine"}
}

// dbWorkerOptions configure runDatabaseWorker.
type dbWorkerOptions struct {
	// database is the deployment's PostgreSQL URL (postgres://...).
	database string
	// data is the deployment's data directory: artifacts, logs, work
	// directories and the server's repository checkouts. Every process
	// of the deployment must see the same directory (a shared
	// filesystem).
	data string
	// images is the golden image store ("" for imageDir's default).
	images string
	// workers bounds the jobs run at once (queue.DefaultRiverWorkers).
	workers int
	// lease is the runner lease (engine.DefaultRunnerLease); every
	// process of the deployment must use the same.
	lease time.Duration
	// poll is how often River looks for jobs (defaultWorkerPoll).
	poll time.Duration
	// stopTimeout bounds how long a stopping worker waits for its
	// running actions (defaultWorkerStop).
	stopTimeout time.Duration
	stderr      io.Writer
	verbose     bool
	logFormat   string // text or json
	// metricsAddr, when set, is where the worker serves its own metrics.
	metricsAddr string
}

// check validates the options and resolves the data directory.
func (o *dbWorkerOptions) check() error {
	switch {
	case o.database == "":
		return usageError{errors.New("--database URL is required: the PostgreSQL database the server uses")}
	case !strings.HasPrefix(o.database, "postgres://") && !strings.HasPrefix(o.database, "postgresql://"):
		return usageError{errors.New("--database: want a postgres:// URL")}
	case o.data == "":
		return usageError{errors.New("--data DIR is required: the data directory the server and every worker share")}
	case o.workers < 0 || o.lease < 0 || o.poll < 0 || o.stopTimeout < 0:
		return usageError{errors.New("worker: counts and durations must not be negative")}
	}
	data, err := filepath.Abs(o.data)
	if err != nil {
		return err
	}
	o.data = data
	o.stopTimeout = cmp.Or(o.stopTimeout, defaultWorkerStop)
	o.poll = cmp.Or(o.poll, defaultWorkerPoll)
	return nil
}

// runDatabaseWorker executes the engine's jobs from a PostgreSQL database
// that a server (and perhaps other workers) also uses: the built-in
// providers run here, with artifacts and logs in the shared data
// directory. It runs until ctx ends or the process gets SIGINT or SIGTERM,
// then stops taking jobs, lets the running actions finish for up to
// stopTimeout (after that they are abandoned and another process runs them
// again) and returns nil. If the process dies instead, the other processes
// take its running actions back once its lease runs out.
func runDatabaseWorker(ctx context.Context, opts dbWorkerOptions) error {
	if err := opts.check(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	stderr := opts.stderr
	if stderr == nil {
		stderr = io.Discard
	}
	level := slog.LevelInfo
	if opts.verbose {
		level = slog.LevelDebug
	}
	log, err := newLogger(stderr, opts.logFormat, level)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.data, 0o700); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, opts.database)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := postgres.New(ctx, db)
	if err != nil {
		return err
	}
	disp, err := queue.NewRiverPostgres(db, queue.RiverConfig{Logger: log, Workers: opts.workers,
		KindTimeouts: map[string]time.Duration{engine.KindAction: maxActionRuntime}, FetchPollInterval: opts.poll,
		KindQueues: engineQueues()})
	if err != nil {
		return err
	}
	eng, err := newWorkerEngine(st, disp, opts, log)
	if err != nil {
		return err
	}
	if opts.metricsAddr != "" {
		stopMetrics, err := serveWorkerMetrics(opts.metricsAddr, eng, log, stderr)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	return work(ctx, eng, disp, opts, stderr)
}

// serveWorkerMetrics serves the worker's own metrics (the executions it
// ended, its actions' durations and scheduling latency, the findings its
// actions stored, Go and process figures) at http://ADDR/metrics until
// the returned function is called. The gauges read from the database
// (unfinished executions, queue depth) are the server's: every process
// would report the same numbers.
func serveWorkerMetrics(addr string, eng *engine.Engine, log *slog.Logger, stderr io.Writer) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mx := metrics.New(metrics.Config{Logger: log})
	eng.Observe(mx.Observe)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mx.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(stderr, "secpipe worker metrics at http://%s/metrics\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// newWorkerEngine builds the engine of a database worker: the same
// providers and condition and reference evaluation as `secpipe server`.
func newWorkerEngine(st *postgres.Store, disp queue.Dispatcher, opts dbWorkerOptions, log *slog.Logger,
) (*engine.Engine, error) {
	arts, err := artifact.Open(filepath.Join(opts.data, "artifacts"))
	if err != nil {
		return nil, err
	}
	imgDir, err := imageDir(opts.images)
	if err != nil {
		return nil, err
	}
	byName := map[string]pipeline.Provider{}
	for _, p := range providers(log) {
		if ip, ok := p.(*imageProvider); ok {
			ip.dir = imgDir
		}
		byName[p.Name()] = p
	}
	return engine.New(engine.Config{Store: st, Dispatcher: disp, Providers: byName, Artifacts: arts,
		DataDir: opts.data, Logger: log, RunnerLease: opts.lease, User: "worker",
		When: func(expr, repoDir string, vars map[string]string) (bool, error) {
			return spec.EvalWhen(expr, spec.WhenEnv{RepoDir: repoDir, Variables: vars})
		},
		Resolve: spec.Resolve,
	})
}

// work runs the engine's lease keeping and the dispatcher until ctx ends,
// then shuts down in order: no new attempts, the running ones finish (or
// are abandoned after opts.stopTimeout), the lease ends.
func work(ctx context.Context, eng *engine.Engine, disp *queue.River, opts dbWorkerOptions, stderr io.Writer,
) error {
	maintainCtx, stopMaintain := context.WithCancel(context.WithoutCancel(ctx))
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		eng.Maintain(maintainCtx)
	}()
	defer func() {
		stopMaintain()
		<-maintained
	}()
	if err := disp.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "secpipe worker %s (pid %d) working the engine's jobs (data %s)\n", eng.RunnerID(),
		os.Getpid(), opts.data)
	<-ctx.Done()
	fmt.Fprintf(stderr, "secpipe worker %s stopping: waiting up to %s for running actions\n", eng.RunnerID(),
		opts.stopTimeout)
	eng.Drain()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.stopTimeout)
	defer cancel()
	err := disp.Stop(stopCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		// The abandoned attempts stay marked running by this runner; once
		// Maintain has deleted its record, other processes take them back.
		fmt.Fprintf(stderr, "secpipe worker %s: actions still running after %s were abandoned; "+
			"other processes run them again\n", eng.RunnerID(), opts.stopTimeout)
		return nil
	}
	return err
}
