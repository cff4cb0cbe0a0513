// Package jobapitest is the conformance suite of jobapi.Service: every
// implementation (the in-memory reference, the engine's store-backed one)
// runs Run in its tests and so keeps the same semantics.
package jobapitest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/jobapi"
)

// Producer is the other side of a Service: what creates jobs and learns
// what became of them (the engine, for custom actions).
type Producer interface {
	// Submit queues a job (ActionType set; ID set or left for the
	// implementation to choose; Nonce ignored) and returns its id.
	Submit(ctx context.Context, job jobapi.Job) (string, error)
	// Outcome reports the job's state, attempt, latest continuation
	// token, output variables and failure.
	Outcome(ctx context.Context, id string) (jobapi.Outcome, error)
}

// Presenter is implemented by a Producer whose Service shows workers a
// job's artifact locations other than as submitted (the HTTP API shows
// paths on the server instead of its directories): Present returns job,
// as submitted with its id set, as a worker should receive it.
type Presenter interface {
	Present(job jobapi.Job) jobapi.Job
}

// Options configure the Service under test. The implementation must take
// every time from Now (the suite's clock, which it moves forward by hand)
// and judge leases and continuation delays by it at each call.
type Options struct {
	Lease             time.Duration
	ContinuationDelay time.Duration
	Now               func() time.Time
}

// NewFunc builds a fresh, empty Service and its Producer for one subtest.
type NewFunc func(t *testing.T, opts Options) (jobapi.Service, Producer)

// The durations the suite configures.
const (
	lease = time.Minute
	delay = 30 * time.Second
)

// Run runs the suite: each case gets a fresh Service from newService.
func Run(t *testing.T, newService NewFunc) {
	cases := []struct {
		name string
		run  func(t *testing.T, h *harness)
	}{
		{"PollHandsOutJobsOfItsTypeOldestFirst", testPollOrder},
		{"PollCopiesTheJob", testPollCopiesJob},
		{"PollRejectsBadRequests", testPollValidation},
		{"SubmitRejectsBadJobs", testSubmitValidation},
		{"AcknowledgeChecksTheNonce", testAcknowledgeNonce},
		{"AcknowledgeNeedsADispatchedJob", testAcknowledgeState},
		{"SuccessFinishesTheJob", testSuccess},
		{"SuccessWithATokenContinuesAfterTheDelay", testContinuation},
		{"OutputVariablesNeedAFinalSuccess", testVariablesWithToken},
		{"FailureFinishesTheJob", testFailure},
		{"ResultsNeedAnAcknowledgedJob", testResultState},
		{"ResultsAreValidated", testResultValidation},
		{"UnknownJobsAreNotFound", testUnknownJob},
		{"UnacknowledgedJobReturnsAfterLease", testLeaseUnacknowledged},
		{"SilentJobReturnsAfterLease", testLeaseSilent},
		{"ConcurrentPollsHandOutEachJobOnce", testConcurrentPolls},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			svc, prod := newService(t, Options{Lease: lease, ContinuationDelay: delay, Now: clk.Now})
			c.run(t, &harness{t: t, ctx: context.Background(), svc: svc, prod: prod, clock: clk})
		})
	}
}

// clock is a manual clock, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
