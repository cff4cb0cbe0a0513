package jobapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// DefaultPollInterval is how long Client.Work waits after a poll that found
// no job.
const DefaultPollInterval = time.Second

// reportTimeout bounds the report of a result once Work's context is done,
// so a worker shutting down still tells the service what it finished.
const reportTimeout = 10 * time.Second

// Result is what a Handler answers for a job: exactly one of Success and
// Failure. Succeeded, InProgress and Failed build them.
type Result struct {
	Success *SuccessResult
	Failure *FailureResult
}

// Succeeded is a final success with output variables (nil for none).
func Succeeded(vars map[string]string) Result {
	return Result{Success: &SuccessResult{OutputVariables: vars}}
}

// InProgress says the work goes on: the job comes back after the
// continuation delay with token.
func InProgress(token, summary string, percent int) Result {
	return Result{Success: &SuccessResult{ContinuationToken: token, Summary: summary, PercentComplete: percent}}
}

// Failed is a failure of type FailureJobFailed with a message.
func Failed(message string) Result {
	return Result{Failure: &FailureResult{Type: FailureJobFailed, Message: message}}
}

// Handler does the work of one job. It should honour ctx, which is done
// when the worker stops.
type Handler func(ctx context.Context, job Job) Result

// Client runs a worker's loop over a Service (in process, or a client of
// the HTTP API that implements Service). Its fields are read-only once
// Work runs; one Client may run several Work loops.
type Client struct {
	Service Service
	// PollInterval is the wait after a poll that found no job (or
	// failed); zero means DefaultPollInterval.
	PollInterval time.Duration
	// Concurrency is how many jobs are handled at once; zero means 1.
	Concurrency int
	// Logger receives what goes wrong with a job (a lost acknowledgement,
	// a result the service refused); nil discards it.
	Logger *slog.Logger
}

// Work polls for jobs of actionType and hands each to h, which it
// acknowledges first and whose result it reports, until ctx is done; then
// it waits for the running handlers and returns ctx.Err(). A poll that
// fails is logged and retried after the poll interval, except one the
// service refuses as invalid (an empty action type), which Work returns.
// A handler that panics, or answers neither or both of success and
// failure, fails its job. An empty actionType wraps pipeline.ErrInvalid.
func (c *Client) Work(ctx context.Context, actionType string, h Handler) error {
	if actionType == "" {
		return fmt.Errorf("%w work: no action type", pipeline.ErrInvalid)
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	n := max(c.Concurrency, 1)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if errs[i] = c.loop(inner, actionType, h); errs[i] != nil {
				cancel() // one loop's failure stops the others
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if errors.Is(err, pipeline.ErrInvalid) {
			return err // a refused poll; the others stopped for it
		}
	}
	return ctx.Err()
}

// loop is one sequential worker: poll one job, handle it, repeat.
func (c *Client) loop(ctx context.Context, actionType string, h Handler) error {
	interval := c.PollInterval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		jobs, err := c.Service.PollForJobs(ctx, actionType, 1)
		if err != nil && ctx.Err() == nil {
			if errors.Is(err, pipeline.ErrInvalid) {
				return fmt.Errorf("poll for %s jobs: %w", actionType, err)
			}
			c.logger().Warn("poll for jobs failed; retrying", "action_type", actionType, "error", err)
		}
		for _, job := range jobs {
			c.handle(ctx, job, h)
		}
		if len(jobs) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// handle acknowledges job, runs h and reports its result.
func (c *Client) handle(ctx context.Context, job Job, h Handler) {
	log := c.logger().With("job", job.ID, "attempt", job.Attempt)
	if err := c.Service.AcknowledgeJob(ctx, job.ID, job.Nonce); err != nil {
		log.Warn("acknowledge job failed; skipping it", "error", err)
		return
	}
	r := run(ctx, job, h)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reportTimeout)
	defer cancel()
	var err error
	if r.Failure != nil {
		err = c.Service.PutJobFailureResult(rctx, job.ID, *r.Failure)
	} else {
		err = c.Service.PutJobSuccessResult(rctx, job.ID, *r.Success)
	}
	if err != nil {
		log.Warn("report job result failed", "error", err)
	}
}

// run calls h, turning a panic or a malformed answer into a failure.
func run(ctx context.Context, job Job, h Handler) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Failed(fmt.Sprintf("job handler panicked: %v", p))
		}
	}()
	r = h(ctx, job)
	if (r.Success == nil) == (r.Failure == nil) {
		return Failed("job handler answered neither success nor failure, or both")
	}
	return r
}

func (c *Client) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}
