package jobapi

import (
	"context"
	"time"
)

// Service is the job API as workers use it. Implementations are safe for
// concurrent use and judge leases and delays by their clock at each call.
// Errors wrap pipeline.ErrNotFound for an unknown job and
// pipeline.ErrInvalid for a request the job's state or the rules refuse.
type Service interface {
	// PollForJobs hands out up to max queued jobs of actionType (max 0
	// means 1), oldest first, each with a fresh nonce and a lease; none is
	// not an error. It first returns to the queue the jobs whose lease has
	// run out. An empty actionType or a negative max wraps ErrInvalid.
	PollForJobs(ctx context.Context, actionType string, max int) ([]Job, error)
	// AcknowledgeJob claims a dispatched job for the worker holding its
	// nonce and starts a new lease. A wrong nonce, or a job not
	// dispatched (queued, finished, or returned to the queue when its
	// lease ran out), wraps ErrInvalid. Acknowledging again with the same
	// nonce succeeds and changes nothing.
	AcknowledgeJob(ctx context.Context, id, nonce string) error
	// PutJobSuccessResult finishes an acknowledged job, or with a
	// continuation token returns it to the queue after the continuation
	// delay as a new attempt carrying the token. A job not acknowledged,
	// or a result that fails SuccessResult.Validate, wraps ErrInvalid.
	PutJobSuccessResult(ctx context.Context, id string, r SuccessResult) error
	// PutJobFailureResult fails an acknowledged job. A job not
	// acknowledged, or a result that fails FailureResult.Validate, wraps
	// ErrInvalid.
	PutJobFailureResult(ctx context.Context, id string, r FailureResult) error
}

// Defaults of implementations.
const (
	// DefaultLease is how long a worker has to acknowledge a job, and then
	// to report its result, before the job goes back to the queue.
	DefaultLease = 5 * time.Minute
	// DefaultContinuationDelay is how long a job that answered "in
	// progress" waits before it is handed out again.
	DefaultContinuationDelay = 30 * time.Second
)

// State is where a job is in its life (see the package documentation).
type State string

// The job states.
const (
	// StateQueued: waiting for a worker (after a continuation, until its
	// delay has passed).
	StateQueued State = "queued"
	// StateDispatched: handed to a worker, not yet acknowledged.
	StateDispatched State = "dispatched"
	// StateInProgress: acknowledged; the worker is on it.
	StateInProgress State = "in_progress"
	// StateSucceeded and StateFailed are final.
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
)

// Terminal reports whether s is final.
func (s State) Terminal() bool { return s == StateSucceeded || s == StateFailed }

// Outcome is what the producer of a job (the engine) sees of it.
type Outcome struct {
	State   State
	Attempt int
	// ContinuationToken is the latest token a worker answered with.
	ContinuationToken string
	// OutputVariables are those of the final success.
	OutputVariables map[string]string
	// Summary and PercentComplete are from the latest success result.
	Summary         string
	PercentComplete int
	// Failure is set when the job failed.
	Failure *FailureResult
}
