package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// JobService is the job API of custom actions over the engine's store
// (jobapi.Service): when a custom action starts, the engine queues a job
// for its config.action_type and the action waits; a worker polls for it,
// acknowledges it with the nonce it came with and reports success (with a
// continuation token: the job comes back after Config.ContinuationDelay)
// or failure, which finishes the action (retries apply to failures). A
// job dispatched but not acknowledged within Config.JobLease, or
// acknowledged but silent past it, returns to the queue. Safe for
// concurrent use; every call is one transaction.
type JobService struct{ e *Engine }

var _ jobapi.Service = (*JobService)(nil)

// Jobs returns the engine's job API.
func (e *Engine) Jobs() *JobService { return &JobService{e: e} }

// newJob describes the job a custom action's attempt waits for.
func (e *Engine) newJob(at *attempt, req *pipeline.ActionRequest) *store.Job {
	actionType, _ := req.Config["action_type"].(string)
	if actionType == "" {
		actionType = at.action.Name
	}
	return &store.Job{ID: newJobID(), ActionType: actionType, ExecutionID: at.x.ID, Stage: at.run.Stage,
		Action: at.run.Action, Status: store.JobQueued, Attempt: 1, Config: maps.Clone(req.Config),
		Inputs: maps.Clone(req.Inputs), Outputs: maps.Clone(req.Outputs)}
}

// newJobID returns a random id in the form of a UUID (version 4).
func newJobID() string {
	h := randomHex(16)
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	h = string(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// cancelJobs withdraws the unfinished jobs of an action.
func (e *Engine) cancelJobs(ctx context.Context, tx store.Tx, execution, stage, action string) error {
	jobs, err := tx.ExecutionJobs(ctx, execution)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Stage != stage || j.Action != action || j.Status.Terminal() {
			continue
		}
		j.Status, j.Nonce, j.Updated = store.JobCancelled, "", e.now().UTC()
		if err := tx.UpdateJob(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// expire returns j to the queue, as a new attempt, when it is dispatched
// or in progress and its lease has run out; it reports whether it did.
func (s *JobService) expire(j *store.Job) bool {
	now := s.e.now().UTC()
	if (j.Status != store.JobDispatched && j.Status != store.JobInProgress) || now.Before(j.LeaseExpires) {
		return false
	}
	j.Status, j.Nonce, j.Attempt, j.AvailableAt, j.LeaseExpires = store.JobQueued, "", j.Attempt+1, now, now
	j.Updated = now
	return true
}

// PollForJobs implements jobapi.Service.
func (s *JobService) PollForJobs(ctx context.Context, actionType string, max int) ([]jobapi.Job, error) {
	if actionType == "" || max < 0 {
		return nil, fmt.Errorf("%w poll: want an action type and a batch size of at least 0", pipeline.ErrInvalid)
	}
	max = cmp.Or(max, 1)
	var out []jobapi.Job
	err := s.e.update(ctx, func(tx store.Tx, _ *events) error {
		out = []jobapi.Job{}
		now := s.e.now().UTC()
		expired, err := tx.Jobs(ctx, store.JobFilter{ActionType: actionType, LeaseExpiredBy: now,
			Statuses: []store.JobStatus{store.JobDispatched, store.JobInProgress}})
		if err != nil {
			return err
		}
		for _, j := range expired {
			s.expire(&j)
			if err := tx.UpdateJob(ctx, j); err != nil {
				return err
			}
		}
		ready, err := tx.Jobs(ctx, store.JobFilter{ActionType: actionType, AvailableBy: now, Limit: max,
			Statuses: []store.JobStatus{store.JobQueued}})
		if err != nil {
			return err
		}
		for _, j := range ready {
			j.Status, j.Nonce, j.LeaseExpires, j.Updated = store.JobDispatched, newJobID(), now.Add(s.e.cfg.JobLease), now
			if err := tx.UpdateJob(ctx, j); err != nil {
				return err
			}
			out = append(out, wireJob(j))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("poll for %s jobs: %w", actionType, err)
	}
	return out, nil
}

// wireJob is the worker's view of a job.
func wireJob(j store.Job) jobapi.Job {
	return jobapi.Job{ID: j.ID, Nonce: j.Nonce, ActionType: j.ActionType, ExecutionID: j.ExecutionID,
		Stage: j.Stage, Action: j.Action, Config: maps.Clone(j.Config), InputArtifacts: maps.Clone(j.Inputs),
		OutputArtifacts: maps.Clone(j.Outputs), ContinuationToken: j.ContinuationToken, Attempt: j.Attempt}
}

// LookupJob returns job id as the worker holding it sees it, with its
// current nonce (empty unless a worker holds it) and its artifact
// directories, and its state: a dispatched or in-progress job whose lease
// has run out counts as queued, and a cancelled one as failed. An unknown
// id wraps pipeline.ErrNotFound. The job API over HTTP uses it to
// authorize calls by the job's action type and to serve its artifacts; it
// changes nothing.
func (s *JobService) LookupJob(ctx context.Context, id string) (jobapi.Job, jobapi.State, error) {
	j, err := s.e.store.Job(ctx, id)
	if err != nil {
		return jobapi.Job{}, "", fmt.Errorf("look up job %s: %w", id, err)
	}
	states := map[store.JobStatus]jobapi.State{store.JobQueued: jobapi.StateQueued,
		store.JobDispatched: jobapi.StateDispatched, store.JobInProgress: jobapi.StateInProgress,
		store.JobSucceeded: jobapi.StateSucceeded, store.JobFailed: jobapi.StateFailed,
		store.JobCancelled: jobapi.StateFailed}
	state := states[j.Status]
	if s.expire(&j) {
		state = jobapi.StateQueued
	}
	return wireJob(j), state, nil
}

// AcknowledgeJob implements jobapi.Service.
func (s *JobService) AcknowledgeJob(ctx context.Context, id, nonce string) error {
	return s.change(ctx, id, func(tx store.Tx, ev *events, j *store.Job) error {
		switch {
		case j.Status != store.JobDispatched && j.Status != store.JobInProgress:
			return refusal{fmt.Errorf("%w acknowledge job %s: it is %s, not dispatched", pipeline.ErrInvalid, id,
				j.Status)}
		case nonce != j.Nonce:
			return refusal{fmt.Errorf("%w acknowledge job %s: wrong nonce", pipeline.ErrInvalid, id)}
		case j.Status == store.JobInProgress:
			return nil
		}
		now := s.e.now().UTC()
		j.Status, j.LeaseExpires, j.Updated = store.JobInProgress, now.Add(s.e.cfg.JobLease), now
		return tx.UpdateJob(ctx, *j)
	})
}

// refusal is how a change function refuses a request before it changes
// anything.
type refusal struct{ error }

// change runs fn on job id in a transaction, after returning the job to
// the queue if its lease ran out. That expiry is kept even when fn refuses
// the request (returns a refusal): its error is returned after the commit.
func (s *JobService) change(ctx context.Context, id string, fn func(tx store.Tx, ev *events, j *store.Job) error) error {
	var refused error
	err := s.e.update(ctx, func(tx store.Tx, ev *events) error {
		refused = nil
		j, err := tx.Job(ctx, id)
		if err != nil {
			return err
		}
		if s.expire(&j) {
			if err := tx.UpdateJob(ctx, j); err != nil {
				return err
			}
		}
		err = fn(tx, ev, &j)
		var r refusal
		if errors.As(err, &r) {
			refused = r.error
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	return refused
}

// needAcknowledged refuses a result for a job that is not in progress.
func needAcknowledged(j *store.Job) error {
	if j.Status != store.JobInProgress {
		return refusal{fmt.Errorf("%w result for job %s: it is %s, not acknowledged", pipeline.ErrInvalid, j.ID,
			j.Status)}
	}
	return nil
}

// PutJobSuccessResult implements jobapi.Service. A final success stores
// the job's output directories as the action's output artifacts.
func (s *JobService) PutJobSuccessResult(ctx context.Context, id string, r jobapi.SuccessResult) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("job %s: %w", id, err)
	}
	final := r.ContinuationToken == ""
	var out outcome
	if final {
		var err error
		if out, err = s.finalOutputs(ctx, id); err != nil {
			return err
		}
		out.result.OutputVariables = maps.Clone(r.OutputVariables)
		out.message = r.Summary
	}
	return s.change(ctx, id, func(tx store.Tx, ev *events, j *store.Job) error {
		if err := needAcknowledged(j); err != nil {
			return err
		}
		now := s.e.now().UTC()
		j.Summary, j.PercentComplete, j.Updated = r.Summary, r.PercentComplete, now
		if final {
			j.Status, j.OutputVariables, j.Nonce = store.JobSucceeded, maps.Clone(r.OutputVariables), ""
			out.jobDone = j
			return s.finish(ctx, tx, ev, j, out)
		}
		j.Status, j.Nonce, j.Attempt, j.ContinuationToken = store.JobQueued, "", j.Attempt+1, r.ContinuationToken
		j.AvailableAt, j.LeaseExpires = now.Add(s.e.cfg.ContinuationDelay), time.Time{}
		if err := tx.UpdateJob(ctx, *j); err != nil {
			return err
		}
		return s.progress(ctx, tx, ev, j, r.Summary)
	})
}

// finalOutputs stores the output directories of a job about to succeed,
// when an action waits for it.
func (s *JobService) finalOutputs(ctx context.Context, id string) (outcome, error) {
	out := outcome{kind: outcomeSucceeded}
	j, err := s.e.store.Job(ctx, id)
	if err != nil {
		return out, err
	}
	if j.Status != store.JobInProgress || len(j.Outputs) == 0 {
		return out, nil // refused below, or nothing to store
	}
	r, err := s.e.store.ActionRun(ctx, j.ExecutionID, j.Stage, j.Action)
	if errors.Is(err, pipeline.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if r.Status != pipeline.StatusWaiting || r.Wait != store.WaitJob || r.Attempt != j.RunAttempt {
		return out, nil
	}
	digests, err := s.e.putOutputs(ctx, j.Outputs)
	if err != nil {
		return outcome{kind: outcomeFailed, message: err.Error()}, nil
	}
	out.outputs = digests
	return out, nil
}

// PutJobFailureResult implements jobapi.Service.
func (s *JobService) PutJobFailureResult(ctx context.Context, id string, r jobapi.FailureResult) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("job %s: %w", id, err)
	}
	r = r.Normalized()
	return s.change(ctx, id, func(tx store.Tx, ev *events, j *store.Job) error {
		if err := needAcknowledged(j); err != nil {
			return err
		}
		j.Status, j.Nonce, j.FailureType, j.FailureMessage, j.Updated = store.JobFailed, "", r.Type, r.Message,
			s.e.now().UTC()
		return s.finish(ctx, tx, ev, j, outcome{kind: outcomeFailed, jobDone: j,
			message: fmt.Sprintf("job failed (%s): %s", r.Type, r.Message)})
	})
}

// boundRun returns the action run waiting for job j, if any.
func boundRun(ctx context.Context, tx store.Tx, j *store.Job) (*store.ActionRun, *store.Execution, error) {
	r, err := tx.ActionRun(ctx, j.ExecutionID, j.Stage, j.Action)
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if r.Status != pipeline.StatusWaiting || r.Wait != store.WaitJob || r.Attempt != j.RunAttempt {
		return nil, nil, nil
	}
	x, err := tx.Execution(ctx, j.ExecutionID)
	if err != nil || x.Status.Terminal() {
		return nil, nil, err
	}
	return &r, &x, nil
}

// finish stores a job's final result and, when its action still waits for
// it, completes the action and advances the execution.
func (s *JobService) finish(ctx context.Context, tx store.Tx, ev *events, j *store.Job, out outcome) error {
	r, x, err := boundRun(ctx, tx, j)
	if err != nil {
		return err
	}
	if r == nil {
		return tx.UpdateJob(ctx, *j)
	}
	if err := s.e.apply(ctx, tx, ev, x, r, out); err != nil {
		return err
	}
	ev.removeDir(s.e.actionRoot(j.ExecutionID, j.Stage, j.Action))
	return s.e.advance(ctx, tx, ev, x.ID)
}

// progress records a worker's summary on the waiting action.
func (s *JobService) progress(ctx context.Context, tx store.Tx, ev *events, j *store.Job, summary string) error {
	r, _, err := boundRun(ctx, tx, j)
	if err != nil || r == nil || summary == "" {
		return err
	}
	r.Message = summary
	ev.action(*r, s.e.now().UTC())
	return tx.UpdateActionRun(ctx, *r)
}
