package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Settings of Memory.
const (
	memoryWorkers     = 10
	memoryMaxAttempts = 5
	memoryBackoff     = 10 * time.Millisecond // times the attempt number squared
	txProbeMax        = 2 * time.Millisecond  // longest pause between probes of a tx
)

// Memory is a non-durable, in-process Dispatcher for tests and benchmarks:
// jobs live in memory and are lost when the process exits or Stop returns.
//
// database/sql has no commit hook, so Memory cannot tell a commit from a
// rollback. EnqueueTx holds the job until tx has ended (it probes tx until
// tx reports sql.ErrTxDone) and then runs it either way: a handler never sees
// the state as it was before the commit, but a job enqueued in a transaction
// that rolled back runs too. Handlers must therefore be idempotent, as they
// must be anyway. Use River where "the job exists iff tx commits" matters.
//
// Up to 10 handlers run at once. A failing (or panicking) job runs 5 times
// in all, 10 ms × attempt² apart, and is then dropped. Lifecycle and
// concurrency are those of Dispatcher; Logger must be set, if at all, before
// Start.
type Memory struct {
	// Logger receives dropped jobs (unknown kind, retries exhausted) at
	// error level and retried failures at warn level. Nil discards them.
	Logger *slog.Logger

	sem      chan struct{}  // one token per running handler
	halted   chan struct{}  // closed when no more jobs may start
	killed   chan struct{}  // closed to cancel the handlers' contexts
	running  sync.WaitGroup // jobs accepted after Start
	haltOnce sync.Once
	killOnce sync.Once

	mu       sync.Mutex
	handlers map[string]Handler
	backlog  []Job // jobs whose tx ended before Start
	started  bool
	stopped  bool
}

var _ Dispatcher = (*Memory)(nil)

// NewMemory returns a Memory ready for Handle and Start.
func NewMemory() *Memory {
	return &Memory{
		sem:      make(chan struct{}, memoryWorkers),
		halted:   make(chan struct{}),
		killed:   make(chan struct{}),
		handlers: make(map[string]Handler),
	}
}

// EnqueueTx implements Dispatcher, with the caveat in Memory's doc: the job
// runs once tx has ended, committed or not.
func (m *Memory) EnqueueTx(ctx context.Context, tx *sql.Tx, job Job) error {
	if err := job.validate(); err != nil {
		return err
	}
	if tx == nil {
		return fmt.Errorf("enqueue %s job: nil transaction: %w", job.Kind, pipeline.ErrInvalid)
	}
	job.Args = job.args()
	go m.afterTx(tx, job)
	return nil
}

// afterTx waits until tx has ended, then hands job over.
func (m *Memory) afterTx(tx *sql.Tx, job Job) {
	pause := 20 * time.Microsecond
	for {
		_, err := tx.ExecContext(context.Background(), "SELECT 1")
		if errors.Is(err, sql.ErrTxDone) {
			m.accept(job)
			return
		}
		select {
		case <-m.halted:
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, txProbeMax)
	}
}

// accept queues a job whose tx has ended: before Start into the backlog,
// after it to run, after Stop nowhere.
func (m *Memory) accept(job Job) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.stopped:
	case !m.started:
		m.backlog = append(m.backlog, job)
	default:
		m.running.Add(1)
		go m.run(job)
	}
}

// Handle implements Dispatcher.
func (m *Memory) Handle(kind string, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handlers[kind] = h
}

// Start implements Dispatcher; it runs the jobs enqueued so far.
func (m *Memory) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.stopped {
		return errors.New("start memory dispatcher: already started")
	}
	m.started = true
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	for _, job := range m.backlog {
		m.running.Add(1)
		go m.run(job)
	}
	m.backlog = nil
	context.AfterFunc(ctx, m.halt)
	return nil
}

// halt stops jobs from starting; waiting jobs are dropped.
func (m *Memory) halt() {
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.haltOnce.Do(func() { close(m.halted) })
}

// kill cancels the contexts of running handlers.
func (m *Memory) kill() {
	m.killOnce.Do(func() { close(m.killed) })
}

// Stop implements Dispatcher. Jobs not yet started are dropped. If ctx ends
// first, Stop cancels the handlers' contexts and waits up to stopGrace for
// them to return.
func (m *Memory) Stop(ctx context.Context) error {
	m.halt()
	done := make(chan struct{})
	go func() {
		m.running.Wait()
		close(done)
	}()
	defer m.kill()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	m.kill()
	select {
	case <-done:
	case <-time.After(stopGrace):
	}
	return fmt.Errorf("stop memory dispatcher: %w", ctx.Err())
}
