package queue

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Defaults of RiverConfig.
const (
	DefaultRiverWorkers           = 10
	DefaultRiverMaxAttempts       = 5
	DefaultRescueStuckJobsAfter   = time.Minute
	DefaultRiverFetchCooldown     = river.FetchCooldownMin
	DefaultRiverFetchPollInterval = river.FetchPollIntervalMin
)

// RiverConfig configures a River dispatcher. The zero value is usable: every
// zero field takes the default named after it.
type RiverConfig struct {
	// Logger receives dispatcher events: dropped jobs (unknown kind, retries
	// exhausted) at error level, retried failures at warn level, and River's
	// own warnings. Nil discards them.
	Logger *slog.Logger
	// Workers is how many handlers may run at once (DefaultRiverWorkers).
	Workers int
	// MaxAttempts is how many times a failing job runs before it is dropped
	// (DefaultRiverMaxAttempts). River waits attempt⁴ seconds (1 s, 16 s,
	// 81 s, ...) between attempts.
	MaxAttempts int
	// RescueStuckJobsAfter is how long a job may stay running before River's
	// rescuer (it runs every 30 s on the leader) makes it available again,
	// which is how a job whose process died gets re-run
	// (DefaultRescueStuckJobsAfter). A handler still running after this time
	// may therefore run twice at once.
	RescueStuckJobsAfter time.Duration
	// JobTimeout cancels a handler's context after this long; zero means
	// RescueStuckJobsAfter. It must not exceed RescueStuckJobsAfter: River
	// only rescues a job once its timeout has also passed. Handlers that may
	// run longer (a build) need an entry in KindTimeouts.
	JobTimeout time.Duration
	// KindTimeouts overrides JobTimeout for some kinds. A kind whose timeout
	// exceeds RescueStuckJobsAfter is rescued only after its timeout.
	KindTimeouts map[string]time.Duration
	// FetchCooldown is the least time between two fetches of due jobs
	// (DefaultRiverFetchCooldown, River's minimum).
	FetchCooldown time.Duration
	// FetchPollInterval is how often River looks for due jobs
	// (DefaultRiverFetchPollInterval, River's minimum). River adds a random
	// max(10 ms, interval/10) to each wait, so at 1 ms it polls every 1-11 ms
	// and a new job starts about 5 ms after its commit (insert notifications
	// on SQLite are polled only every 50 ms). Polling costs CPU even when
	// idle: about 10-20% of a core at 1 ms, 7-9% at 10 ms, measured on a
	// busy 2-core machine; a long-idle server may prefer 10 ms or more.
	FetchPollInterval time.Duration
	// KindQueues puts the jobs of some kinds in River queues of their own
	// (names of lower-case letters and digits, joined by - or _); the
	// other kinds share River's default queue. At Start a River works the
	// queues of the kinds it has handlers for (the default queue when one
	// of them has no entry, or when it has no handler at all), each with
	// up to Workers handlers, so that a process that handles only some
	// kinds (`secpipe worker --database`) never fetches, and drops, the
	// jobs of the others. Every process sharing a database must use the
	// same KindQueues.
	KindQueues map[string]string
}

// queueName is River's rule for queue names.
var queueName = regexp.MustCompile(`^(?:[a-z0-9])+(?:[_|\-]?[a-z0-9]+)*$`)

// withDefaults returns cfg with every zero field set to its default, or an
// error wrapping pipeline.ErrInvalid.
func (cfg RiverConfig) withDefaults() (RiverConfig, error) {
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.Workers = cmp.Or(cfg.Workers, DefaultRiverWorkers)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, DefaultRiverMaxAttempts)
	cfg.RescueStuckJobsAfter = cmp.Or(cfg.RescueStuckJobsAfter, DefaultRescueStuckJobsAfter)
	cfg.JobTimeout = cmp.Or(cfg.JobTimeout, cfg.RescueStuckJobsAfter)
	cfg.FetchCooldown = cmp.Or(cfg.FetchCooldown, DefaultRiverFetchCooldown)
	cfg.FetchPollInterval = cmp.Or(cfg.FetchPollInterval, DefaultRiverFetchPollInterval)
	switch {
	case cfg.Workers < 0 || cfg.MaxAttempts < 0:
		return cfg, fmt.Errorf("river config: negative workers or attempts: %w", pipeline.ErrInvalid)
	case cfg.RescueStuckJobsAfter < 0 || cfg.JobTimeout < 0:
		return cfg, fmt.Errorf("river config: negative duration: %w", pipeline.ErrInvalid)
	case cfg.JobTimeout > cfg.RescueStuckJobsAfter:
		return cfg, fmt.Errorf("river config: job timeout %s exceeds rescue time %s: %w",
			cfg.JobTimeout, cfg.RescueStuckJobsAfter, pipeline.ErrInvalid)
	}
	cfg.KindQueues = maps.Clone(cfg.KindQueues)
	for kind, q := range cfg.KindQueues {
		if len(q) > 64 || !queueName.MatchString(q) {
			return cfg, fmt.Errorf("river config: queue %q of %s: want lower-case letters and digits joined by - "+
				"or _, at most 64 characters: %w", q, kind, pipeline.ErrInvalid)
		}
	}
	cfg.KindTimeouts = maps.Clone(cfg.KindTimeouts)
	for kind, d := range cfg.KindTimeouts {
		if d <= 0 {
			return cfg, fmt.Errorf("river config: timeout of %s is not positive: %w", kind, pipeline.ErrInvalid)
		}
	}
	return cfg, nil
}

// River is the durable Dispatcher: jobs are rows of River's tables in the
// same database as the caller's state (SQLite with NewRiver, PostgreSQL
// with NewRiverPostgres), so a job enqueued in a transaction exists exactly
// when that transaction commits, and it survives crashes. Every queue.Job
// is stored as one River job kind (riverJobKind) whose args carry the job's
// kind and payload.
//
// Lifecycle: NewRiver (or NewRiverPostgres), Handle for each kind, Start,
// Stop. EnqueueTx works
// before Start too. A River is safe for concurrent use. Several Rivers, in
// one process or several, may work the same database; the one elected leader
// runs River's maintenance (delayed jobs, rescue, deletion of finished jobs
// after a day, of dropped ones after a week). Each must handle every kind: a
// River drops the jobs it fetches whose kind it does not know.
type River struct {
	client *river.Client[*sql.Tx]
	log    *slog.Logger
	cfg    RiverConfig

	mu       sync.RWMutex
	handlers map[string]Handler
}

var _ Dispatcher = (*River)(nil)

// NewRiver migrates River's tables in db up to date (idempotent) and returns
// a dispatcher on it. db must be a modernc.org/sqlite pool, best opened with
// OpenSQLite, and must stay open until Stop returns.
func NewRiver(db *sql.DB, cfg RiverConfig) (*River, error) {
	driver := riversqlite.New(db)
	return newRiver(driver, cfg, func(ctx context.Context) error { return migrateSQLite(ctx, db, driver) })
}

// migrateSQLite applies River's pending migrations in one transaction.
// Begun IMMEDIATE (the DSN's _txlock), it holds SQLite's write lock from
// the start, so processes opening a new database together (`secpipe run`
// and a `secpipe status` started beside it) apply them once: the second
// waits and then finds nothing to do. Without it both saw no tables and the
// second failed on "table river_migration already exists".
func migrateSQLite(ctx context.Context, db *sql.DB, driver riverdriver.Driver[*sql.Tx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate river tables: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// MigrateTx is deprecated because some PostgreSQL migrations cannot
	// share a transaction; SQLite's DDL is transactional and River's SQLite
	// migrations all apply in one (every test database is made this way),
	// and the one transaction is what keeps two processes from racing.
	//lint:ignore SA1019 see above
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river tables: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate river tables: commit: %w", err)
	}
	return nil
}

// newRiver checks cfg, runs migrateTables and returns a dispatcher on
// driver; both River constructors end here.
func newRiver(driver riverdriver.Driver[*sql.Tx], cfg RiverConfig, migrateTables func(context.Context) error,
) (*River, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := migrateTables(context.Background()); err != nil {
		return nil, err
	}
	r := &River{log: cfg.Logger, cfg: cfg, handlers: make(map[string]Handler)}
	workers := river.NewWorkers()
	river.AddWorker(workers, &riverWorker{r: r})
	r.client, err = river.NewClient(driver, &river.Config{
		ErrorHandler:         &riverErrors{log: cfg.Logger},
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		JobTimeout:           cfg.JobTimeout,
		Logger:               slog.New(minLevel{Handler: cfg.Logger.Handler(), min: slog.LevelWarn}),
		MaxAttempts:          cfg.MaxAttempts,
		Middleware:           []rivertype.Middleware{river.JobInsertMiddlewareFunc(availableSoon)},
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		Workers:              workers,
	})
	if err != nil {
		return nil, fmt.Errorf("new river client: %w", err)
	}
	return r, nil
}

// migrate applies River's pending migrations for driver.
func migrate(ctx context.Context, driver riverdriver.Driver[*sql.Tx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river tables: %w", err)
	}
	return nil
}

// EnqueueTx implements Dispatcher. RunAt becomes River's ScheduledAt. A job
// due within schedulerInterval is stored as available and is fetched by the
// first poll after RunAt; a later one waits for River's scheduler, which runs
// every 5 s on the leader, so it may start up to 5 s late.
func (r *River) EnqueueTx(ctx context.Context, tx *sql.Tx, job Job) error {
	if err := job.validate(); err != nil {
		return err
	}
	if tx == nil {
		return fmt.Errorf("enqueue %s job: nil transaction: %w", job.Kind, pipeline.ErrInvalid)
	}
	args := riverArgs{JobKind: job.Kind, Text: string(job.args())}
	opts := &river.InsertOpts{ScheduledAt: job.RunAt, Queue: r.cfg.KindQueues[job.Kind]}
	if _, err := r.client.InsertTx(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s job: %w", job.Kind, err)
	}
	return nil
}

// Handle implements Dispatcher.
func (r *River) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// handler returns the handler registered for kind.
func (r *River) handler(kind string) (Handler, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	h, ok := r.handlers[kind]
	return h, ok
}

// Start implements Dispatcher. A new process on a database whose previous
// user died picks up the available jobs at once; River's maintenance
// (scheduled jobs, retries, rescue of the dead process's running jobs) starts
// once this process is elected leader, which waits for the dead leader's
// lease to lapse (up to about 15 s).
func (r *River) Start(ctx context.Context) error {
	if err := r.workQueues(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("start river: %w", err)
	}
	return nil
}

// workQueues makes the client work the queues of the kinds handled (see
// RiverConfig.KindQueues); it starts with the default queue alone.
func (r *River) workQueues(ctx context.Context) error {
	if len(r.cfg.KindQueues) == 0 {
		return nil
	}
	r.mu.RLock()
	queues := map[string]bool{}
	for kind := range r.handlers {
		queues[cmp.Or(r.cfg.KindQueues[kind], river.QueueDefault)] = true
	}
	r.mu.RUnlock()
	if len(queues) == 0 {
		return nil
	}
	for q := range queues {
		if q == river.QueueDefault {
			continue
		}
		if err := r.client.Queues().Add(q, river.QueueConfig{MaxWorkers: r.cfg.Workers}); err != nil {
			return fmt.Errorf("work queue %s: %w", q, err)
		}
	}
	if !queues[river.QueueDefault] {
		if err := r.client.Queues().Remove(ctx, river.QueueDefault); err != nil {
			return fmt.Errorf("leave the default queue: %w", err)
		}
	}
	return nil
}

// Stop implements Dispatcher. If ctx ends first, Stop cancels the handlers'
// contexts and waits up to stopGrace for them to return, so that River can
// record their outcome before the caller closes the database.
func (r *River) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopGrace)
		defer cancel()
		_ = r.client.StopAndCancel(grace)
	}
	return fmt.Errorf("stop river: %w", err)
}

// timeout returns the handler timeout for jobs of kind.
func (r *River) timeout(kind string) time.Duration {
	if d, ok := r.cfg.KindTimeouts[kind]; ok {
		return d
	}
	return r.cfg.JobTimeout
}

// stopGrace is how long Stop waits for handlers after cancelling them.
const stopGrace = 5 * time.Second

// schedulerInterval is how often River's scheduler makes due scheduled jobs
// available (maintenance.JobSchedulerIntervalDefault, not configurable).
const schedulerInterval = 5 * time.Second

// availableSoon is a River insert middleware that stores a job scheduled
// within schedulerInterval as available rather than scheduled: River's fetch
// skips available jobs that are not yet due, so such a job starts on time
// instead of at the scheduler's next run. River does the same for retries.
func availableSoon(ctx context.Context, params []*rivertype.JobInsertParams,
	doInner func(context.Context) ([]*rivertype.JobInsertResult, error),
) ([]*rivertype.JobInsertResult, error) {
	soon := time.Now().Add(schedulerInterval)
	for _, p := range params {
		if p.State == rivertype.JobStateScheduled && p.ScheduledAt != nil && p.ScheduledAt.Before(soon) {
			p.State = rivertype.JobStateAvailable
		}
	}
	return doInner(ctx)
}

// errUnknownKind marks a job dropped because no handler is registered.
var errUnknownKind = errors.New("no handler for job kind")
