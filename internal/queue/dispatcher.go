package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Job is one unit of background work. Kind selects the [Handler]; Args is the
// handler's JSON input, passed through unchanged; RunAt delays the job until
// that time (the zero time means as soon as possible).
type Job struct {
	Kind  string
	Args  json.RawMessage
	RunAt time.Time
}

// Handler does the work of one job kind. It is called with a context that is
// cancelled when the job's timeout expires or the dispatcher is stopped
// without waiting. A returned error makes the dispatcher retry the job a few
// times with backoff and then drop it; the error is logged. Handlers may run
// concurrently with each other and must be idempotent: a job can run more than
// once (after a crash, a stuck-job rescue or a retry).
type Handler func(ctx context.Context, args json.RawMessage) error

// Dispatcher stores jobs transactionally and runs them in the background.
//
// Lifecycle: register every handler with Handle, then Start once, then Stop
// once. EnqueueTx may be called at any time, before Start too, and from any
// number of goroutines; jobs enqueued before Start run after it.
type Dispatcher interface {
	// EnqueueTx inserts job inside tx: the job exists iff tx commits.
	// It neither commits nor rolls back tx. A job with an empty kind or
	// invalid JSON args is rejected with pipeline.ErrInvalid. Safe for
	// concurrent use.
	EnqueueTx(ctx context.Context, tx *sql.Tx, job Job) error
	// Handle registers h for jobs of kind, replacing an earlier handler of
	// the same kind. A job whose kind has no handler when it is due is
	// logged and dropped.
	Handle(kind string, h Handler) // register before Start
	// Start begins running due jobs in the background and returns at once.
	// Cancelling ctx later stops fetching new jobs, like Stop without the
	// wait.
	Start(ctx context.Context) error
	// Stop stops fetching new jobs and returns when the running handlers
	// have returned. If ctx ends first, it cancels the handlers' contexts,
	// waits a few seconds at most for them to return, and returns ctx's
	// error.
	Stop(ctx context.Context) error // waits for running handlers
}

// validate reports a job that no dispatcher can store, wrapping
// pipeline.ErrInvalid.
func (j Job) validate() error {
	if j.Kind == "" {
		return fmt.Errorf("job kind is empty: %w", pipeline.ErrInvalid)
	}
	if len(j.Args) > 0 && !json.Valid(j.Args) {
		return fmt.Errorf("job %s: args are not valid JSON: %w", j.Kind, pipeline.ErrInvalid)
	}
	return nil
}

// args returns the job's arguments, with JSON null standing in for none.
func (j Job) args() json.RawMessage {
	if len(j.Args) == 0 {
		return json.RawMessage("null")
	}
	return j.Args
}
