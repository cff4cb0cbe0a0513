package jobapi

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// MemoryOptions configure a Memory.
type MemoryOptions struct {
	// Lease is how long a dispatched job waits for its acknowledgement,
	// and an acknowledged one for its result; zero means DefaultLease.
	Lease time.Duration
	// ContinuationDelay is how long a job that answered with a
	// continuation token waits before it is handed out again; zero means
	// DefaultContinuationDelay.
	ContinuationDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnResult, when set, is called with every result a worker reports,
	// after the job's state has changed and outside any lock, from the
	// goroutine of the call that reported it.
	OnResult func(Completion)
}

// Completion is a result a worker reported, as Memory records it.
type Completion struct {
	JobID string
	// Attempt is the attempt the result was for.
	Attempt int
	// State is the job's state after the result: succeeded, failed, or
	// queued for a continuation.
	State State
	// Exactly one of Success and Failure is set.
	Success *SuccessResult
	Failure *FailureResult
}

// Memory is the in-memory reference implementation of Service, with the
// producer's side (Submit, Outcome, Results) beside it. It is safe for
// concurrent use; it keeps every job until it is dropped.
type Memory struct {
	opts MemoryOptions

	mu      sync.Mutex
	jobs    map[string]*memJob
	seq     int64
	results []Completion
}

var _ Service = (*Memory)(nil)

// memJob is a job and its bookkeeping.
type memJob struct {
	job     Job
	state   State
	outcome Outcome
	// seq orders the queue: it is renewed when the job is queued again.
	seq int64
	// readyAt is when a queued job may be handed out; leaseEnd when a
	// dispatched or in-progress job returns to the queue.
	readyAt, leaseEnd time.Time
}

// NewMemory returns an empty Memory.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.ContinuationDelay <= 0 {
		opts.ContinuationDelay = DefaultContinuationDelay
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Memory{opts: opts, jobs: map[string]*memJob{}}
}

// Submit queues a job and returns its id: job.ID, or a new random one when
// it is empty. The nonce is ignored; Attempt 0 becomes 1. A job without an
// action type, or with the id of a job already submitted, wraps
// pipeline.ErrInvalid.
func (m *Memory) Submit(_ context.Context, job Job) (string, error) {
	if job.ActionType == "" {
		return "", fmt.Errorf("%w job: no action type", pipeline.ErrInvalid)
	}
	if job.ID == "" {
		job.ID = newID()
	}
	job.Nonce = ""
	job.Attempt = max(job.Attempt, 1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.jobs[job.ID]; ok {
		return "", fmt.Errorf("%w job %s: submitted twice", pipeline.ErrInvalid, job.ID)
	}
	j := &memJob{job: cloneJob(job)}
	m.queue(j, m.opts.Now())
	m.jobs[job.ID] = j
	return job.ID, nil
}

// Outcome returns what became of a job; an unknown id wraps
// pipeline.ErrNotFound.
func (m *Memory) Outcome(_ context.Context, id string) (Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.lookup(id)
	if err != nil {
		return Outcome{}, err
	}
	o := j.outcome
	o.State, o.Attempt, o.ContinuationToken = j.state, j.job.Attempt, j.job.ContinuationToken
	o.OutputVariables = maps.Clone(o.OutputVariables)
	return o, nil
}

// Results returns every result reported so far, in order.
func (m *Memory) Results() []Completion {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.results)
}

// PollForJobs implements Service.
func (m *Memory) PollForJobs(_ context.Context, actionType string, max int) ([]Job, error) {
	if actionType == "" || max < 0 {
		return nil, fmt.Errorf("%w poll: want an action type and a batch size of at least 0", pipeline.ErrInvalid)
	}
	max = cmp.Or(max, 1)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	var ready []*memJob
	for _, j := range m.jobs {
		m.expire(j, now)
		if j.job.ActionType == actionType && j.state == StateQueued && !j.readyAt.After(now) {
			ready = append(ready, j)
		}
	}
	slices.SortFunc(ready, func(a, b *memJob) int {
		return cmp.Or(a.readyAt.Compare(b.readyAt), cmp.Compare(a.seq, b.seq))
	})
	jobs := []Job{}
	for _, j := range ready[:min(max, len(ready))] {
		j.state, j.leaseEnd = StateDispatched, now.Add(m.opts.Lease)
		j.job.Nonce = newID()
		jobs = append(jobs, cloneJob(j.job))
	}
	return jobs, nil
}

// AcknowledgeJob implements Service.
func (m *Memory) AcknowledgeJob(_ context.Context, id, nonce string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.lookup(id)
	if err != nil {
		return err
	}
	now := m.opts.Now()
	m.expire(j, now)
	switch {
	case j.state != StateDispatched && j.state != StateInProgress:
		return fmt.Errorf("%w acknowledge job %s: it is %s, not dispatched", pipeline.ErrInvalid, id, j.state)
	case nonce != j.job.Nonce:
		return fmt.Errorf("%w acknowledge job %s: wrong nonce", pipeline.ErrInvalid, id)
	case j.state == StateDispatched:
		j.state, j.leaseEnd = StateInProgress, now.Add(m.opts.Lease)
	}
	return nil
}

// PutJobSuccessResult implements Service.
func (m *Memory) PutJobSuccessResult(_ context.Context, id string, r SuccessResult) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("job %s: %w", id, err)
	}
	r.OutputVariables = maps.Clone(r.OutputVariables)
	c, err := m.finish(id, func(j *memJob, now time.Time) {
		j.outcome.Summary, j.outcome.PercentComplete = r.Summary, r.PercentComplete
		if r.ContinuationToken == "" {
			j.state, j.outcome.OutputVariables = StateSucceeded, r.OutputVariables
			return
		}
		j.job.ContinuationToken = r.ContinuationToken
		j.job.Attempt++
		m.queue(j, now.Add(m.opts.ContinuationDelay))
	})
	if err != nil {
		return err
	}
	c.Success = &r
	m.report(c)
	return nil
}

// PutJobFailureResult implements Service.
func (m *Memory) PutJobFailureResult(_ context.Context, id string, r FailureResult) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("job %s: %w", id, err)
	}
	r = r.Normalized()
	c, err := m.finish(id, func(j *memJob, _ time.Time) {
		j.state, j.outcome.Failure = StateFailed, &r
	})
	if err != nil {
		return err
	}
	c.Failure = &r
	m.report(c)
	return nil
}

// finish applies a result to an acknowledged job and records it.
func (m *Memory) finish(id string, apply func(*memJob, time.Time)) (Completion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.lookup(id)
	if err != nil {
		return Completion{}, err
	}
	now := m.opts.Now()
	m.expire(j, now)
	if j.state != StateInProgress {
		return Completion{}, fmt.Errorf("%w result for job %s: it is %s, not acknowledged", pipeline.ErrInvalid, id, j.state)
	}
	c := Completion{JobID: id, Attempt: j.job.Attempt}
	apply(j, now)
	c.State = j.state
	return c, nil
}

// report records c and passes it to OnResult, outside the lock.
func (m *Memory) report(c Completion) {
	m.mu.Lock()
	m.results = append(m.results, c)
	m.mu.Unlock()
	if m.opts.OnResult != nil {
		m.opts.OnResult(c)
	}
}

func (m *Memory) lookup(id string) (*memJob, error) {
	j, ok := m.jobs[id]
	if !ok {
		return nil, fmt.Errorf("job %q: %w", id, pipeline.ErrNotFound)
	}
	return j, nil
}

// expire returns j to the queue, as a new attempt, when it is dispatched
// or in progress and its lease has run out. The lock must be held.
func (m *Memory) expire(j *memJob, now time.Time) {
	if (j.state == StateDispatched || j.state == StateInProgress) && !now.Before(j.leaseEnd) {
		j.job.Attempt++
		m.queue(j, now)
	}
}

// queue puts j at the back of the queue, ready at readyAt. The lock must
// be held.
func (m *Memory) queue(j *memJob, readyAt time.Time) {
	m.seq++
	j.state, j.seq, j.readyAt, j.job.Nonce = StateQueued, m.seq, readyAt, ""
}

// cloneJob copies the maps of job, so callers never share them.
func cloneJob(job Job) Job {
	job.Config = maps.Clone(job.Config)
	job.InputArtifacts = maps.Clone(job.InputArtifacts)
	job.OutputArtifacts = maps.Clone(job.OutputArtifacts)
	return job
}

// newID returns a random id in the form of a UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
