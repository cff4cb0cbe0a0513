// Package engine runs pipeline executions: a state machine persisted in a
// store.Store. Every state change commits in one transaction with the queue
// jobs that carry out what it makes due, so that a crash loses nothing and
// a restarted engine (Resume) carries on. (One exception for speed: the
// handler that finishes an action runs the next due one itself, without a
// job; the store records it as due and held by that engine, and if the
// engine dies first, Resume or another engine's Maintain enqueues it.)
//
// An execution runs its stages in order; a stage whose `when` condition is
// false is skipped; within a stage, actions run by run_order (equal orders
// in parallel) and the first failure (after retries) fails the stage and
// the execution. Each action attempt extracts its input artifacts into a
// fresh directory, runs its provider with a timeout and stores the result,
// output variables, findings and output artifacts together with the next
// step. Providers may answer "in progress" (re-invoked after a delay with a
// continuation token) or "waiting" (an approval, or a job for an external
// worker through the job API).
package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// Queue job kinds the engine registers on its Dispatcher. Providers are
// bounded by the engine's action timeouts, not by the dispatcher's job
// timeout: a KindAction handler ignores its context's deadline (it honours
// its cancellation, the dispatcher stopping). A dispatcher that re-runs a
// job still running (River's stuck-job rescue) gets a no-op.
const (
	// KindAction runs attempts of actions, in parallel.
	KindAction = "engine.action"
	// KindDeadline fails an action still waiting (for an approval or an
	// external job) when its timeout passes.
	KindDeadline = "engine.deadline"
)

// Defaults of Config.
const (
	DefaultContinuationDelay = 30 * time.Second
	DefaultJobLease          = 5 * time.Minute
	// DefaultTimeout bounds an attempt of a provider without a default.
	DefaultTimeout = time.Hour
)

// DefaultTimeouts returns the attempt timeout of each built-in provider
// (for approval and custom: how long the action may wait).
func DefaultTimeouts() map[string]time.Duration {
	return map[string]time.Duration{
		"git":       10 * time.Minute,
		"buildspec": time.Hour,
		"shell":     time.Hour,
		"scan":      30 * time.Minute,
		"invoke":    15 * time.Minute,
		"approval":  7 * 24 * time.Hour,
		"custom":    time.Hour,
	}
}

// Artifacts is the artifact store the engine keeps action outputs in
// (*artifact.Store satisfies it). Both methods must be safe for concurrent
// use.
type Artifacts interface {
	// Put stores the tree under dir and returns its digest.
	Put(ctx context.Context, dir string) (string, error)
	// Extract recreates the tree with that digest under dir.
	Extract(ctx context.Context, digest, dir string) error
}

// Config configures an Engine. Dispatcher, Artifacts, DataDir and one of
// DB or Store are required; every other zero field takes a default.
type Config struct {
	// DB is the database the store lives in and the Dispatcher enqueues
	// into (queue.OpenSQLite). Used to build Store when Store is nil.
	DB *sql.DB
	// Store overrides the SQLite store built over DB.
	Store      store.Store
	Dispatcher queue.Dispatcher
	// Providers maps provider names (git, shell, ...) to providers.
	Providers map[string]pipeline.Provider
	Artifacts Artifacts
	// DataDir holds action logs (DataDir/logs/EXEC/STAGE.ACTION.log) and
	// work directories (DataDir/work).
	DataDir string
	Logger  *slog.Logger
	// Now tells the time (time.Now).
	Now func() time.Time
	// ContinuationDelay is how long an action that answered "in progress"
	// waits before its next invocation when the provider names no delay
	// (DefaultContinuationDelay); it also applies to external jobs that
	// report a continuation token.
	ContinuationDelay time.Duration
	// DefaultTimeouts overrides entries of DefaultTimeouts().
	DefaultTimeouts map[string]time.Duration
	// When evaluates a stage condition over the repository and variables
	// (spec.EvalWhen). Nil makes any stage with a condition fail.
	When func(expr, repoDir string, vars map[string]string) (bool, error)
	// Resolve replaces #{Namespace.Var} references in an action's config
	// (spec.Resolve). Nil passes the config unchanged.
	Resolve func(v any, vars map[string]string) (any, error)
	// JobLease is how long an external worker holds a polled or
	// acknowledged job before it returns to the queue (DefaultJobLease).
	JobLease time.Duration
	// User is recorded as the author of approvals ("local").
	User string
	// RunnerLease is how long this engine's heartbeat vouches for the
	// attempts it runs (DefaultRunnerLease): an engine sharing the store
	// takes them back once it has not heartbeat for that long. Every
	// engine on a store must use the same lease, and their clocks must
	// agree to well within it.
	RunnerLease time.Duration
	// Exclusive says this engine is the only one working the store (a
	// local `secpipe run`, which holds a lock): Resume then takes back at
	// once every attempt another runner left running, without waiting for
	// its lease to run out. Leave it false when other processes may share
	// the store.
	Exclusive bool
}

// Engine runs executions. Create it with New, call Resume (to carry on
// what a previous process left), run Maintain in a goroutine, then start
// the Dispatcher; to shut down, Cancel what must not go on, Drain, stop the
// Dispatcher (it waits for the running attempts), end Maintain and wait
// for it, and close the database. Its methods are safe for concurrent use.
//
// Several engines, in one process or several, may work one store (on
// PostgreSQL; see Config.Exclusive and Maintain): each is a runner with a
// lease, an attempt is claimed by one runner in a transaction, and the
// attempts of a runner whose lease runs out run again elsewhere. Actions
// are therefore run at least once, not exactly once: a provider that was
// killed with its process may have done part of its work (see
// docs/operations.md).
type Engine struct {
	cfg      Config
	store    store.Store
	log      *slog.Logger
	now      func() time.Time
	runner   string // identifies this engine instance in action runs
	timeouts map[string]time.Duration
	running  *registry
	hub      *hub
	draining atomic.Bool
	// order makes this engine publish the events of its transactions in
	// the order they took their turn (see update).
	order sequencer

	// Runner record (see runners.go).
	host     string
	pid      int
	started  time.Time
	lastBeat atomic.Int64 // UnixNano of the latest heartbeat; 0 for none
	attempts *attemptSet
}

// New checks cfg, builds the store when needed (running its migrations)
// and registers the engine's handlers on cfg.Dispatcher, which must not
// have been started yet.
func New(cfg Config) (*Engine, error) {
	if cfg.Dispatcher == nil || cfg.Artifacts == nil || cfg.DataDir == "" {
		return nil, fmt.Errorf("engine: %w config: Dispatcher, Artifacts and DataDir are required", pipeline.ErrInvalid)
	}
	st := cfg.Store
	if st == nil {
		if cfg.DB == nil {
			return nil, fmt.Errorf("engine: %w config: DB or Store is required", pipeline.ErrInvalid)
		}
		var err error
		if st, err = sqlite.New(context.Background(), cfg.DB); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
	}
	e := &Engine{cfg: cfg, store: st, log: cfg.Logger, now: cfg.Now, runner: randomHex(8),
		timeouts: DefaultTimeouts(), running: newRegistry(), hub: newHub(), pid: os.Getpid(),
		attempts: newAttemptSet()}
	e.host, _ = os.Hostname()
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.cfg.ContinuationDelay <= 0 {
		e.cfg.ContinuationDelay = DefaultContinuationDelay
	}
	if e.cfg.JobLease <= 0 {
		e.cfg.JobLease = DefaultJobLease
	}
	if e.cfg.User == "" {
		e.cfg.User = "local"
	}
	if e.cfg.RunnerLease <= 0 {
		e.cfg.RunnerLease = DefaultRunnerLease
	}
	e.started = e.now().UTC()
	maps.Copy(e.timeouts, cfg.DefaultTimeouts)
	cfg.Dispatcher.Handle(KindAction, e.handleAction)
	cfg.Dispatcher.Handle(KindDeadline, e.handleDeadline)
	return e, nil
}

// Drain makes the engine's handlers stop taking on attempts themselves:
// whatever becomes due from now on gets a queue job instead (see
// handleAction). Call it before stopping the Dispatcher, so that Stop waits
// only for the attempts running now rather than for their successors too.
// It cannot be undone.
func (e *Engine) Drain() { e.draining.Store(true) }

// Store returns the engine's store, for read-only use by callers that need
// more than the query methods.
func (e *Engine) Store() store.Store { return e.store }

// timeout returns the attempt timeout of an action.
func (e *Engine) timeout(a pipeline.Action) time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	if d, ok := e.timeouts[a.Provider]; ok && d > 0 {
		return d
	}
	return DefaultTimeout
}

// update runs fn in a transaction and then enqueues the attempts fn made
// due (flushDue); once it has committed, it removes the directories fn
// asked to remove and publishes the events fn collected (in that order, so
// that whoever sees an execution end sees its work directory gone).
func (e *Engine) update(ctx context.Context, fn func(tx store.Tx, ev *events) error) error {
	var (
		ev     events
		turn   uint64
		inLine bool // turn is taken by the last try of fn
	)
	leave := func() {
		if inLine {
			e.order.done(turn)
			inLine = false
		}
	}
	defer leave()
	err := e.store.Update(ctx, func(tx store.Tx) error {
		leave() // a try whose commit failed
		ev = events{}
		if err := fn(tx, &ev); err != nil {
			return err
		}
		if err := e.flushDue(ctx, tx, &ev); err != nil {
			return err
		}
		// The turn is taken last, inside the transaction: a transaction
		// that starts after this one committed (the claim of a job this
		// one enqueued) gets a later turn, and publishes later.
		turn, inLine = e.order.take(), true
		return nil
	})
	if err != nil {
		return err
	}
	e.order.wait(turn)
	// The directories go out of the way before the events announce the
	// end that removed them (a quick rename); deleting their contents
	// waits until the turn is over.
	var trash []string
	for _, dir := range ev.dirs {
		moved := dir + ".removed-" + randomHex(4)
		switch err := os.Rename(dir, moved); {
		case err == nil:
			trash = append(trash, moved)
		case errors.Is(err, fs.ErrNotExist):
		default:
			trash = append(trash, dir) // removed in place, after the turn
		}
	}
	for _, x := range ev.list {
		e.hub.publish(x)
	}
	leave()
	for _, dir := range trash {
		if err := os.RemoveAll(dir); err != nil {
			e.log.Warn("remove work directory", "dir", dir, "err", err)
		}
	}
	return nil
}

// sequencer hands out turns and lets each holder act only after every
// earlier turn is done. Turns are taken inside transactions and waited
// for after their commit, with no lock of the store held, so a turn whose
// commit failed (and is retried) never blocks the store.
type sequencer struct {
	mu   sync.Mutex
	cond *sync.Cond
	next uint64          // the next turn to hand out
	low  uint64          // every turn before low is done
	over map[uint64]bool // done turns at or after low
}

func (q *sequencer) init() {
	if q.cond == nil {
		q.cond = sync.NewCond(&q.mu)
		q.over = map[uint64]bool{}
	}
}

// take hands out the next turn.
func (q *sequencer) take() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.init()
	t := q.next
	q.next++
	return t
}

// wait returns when every turn before t is done.
func (q *sequencer) wait(t uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.init()
	for q.low < t {
		q.cond.Wait()
	}
}

// done ends turn t.
func (q *sequencer) done(t uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.init()
	q.over[t] = true
	for q.over[q.low] {
		delete(q.over, q.low)
		q.low++
	}
	q.cond.Broadcast()
}

// errNoop ends a transaction that found nothing to do; update callers turn
// it into nil after the rollback.
var errNoop = errors.New("nothing to do")

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// newExecutionID returns an id like 20261128-153012-ab12.
func newExecutionID(now time.Time) string {
	return now.UTC().Format("20060102-150405") + "-" + randomHex(2)
}
