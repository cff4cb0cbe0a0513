package jobapitest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
)

const (
	typeDeploy = "Deploy/secpipe-deployer/1"
	typeTest   = "Test/secpipe-tester/1"
)

// harness drives one Service through its Producer and a manual clock.
type harness struct {
	t     *testing.T
	ctx   context.Context
	svc   jobapi.Service
	prod  Producer
	clock *clock
}

// sampleJob is a job with every field a producer sets.
func sampleJob(actionType, action string) jobapi.Job {
	return jobapi.Job{
		ActionType:      actionType,
		ExecutionID:     "20260102-030405-ab12",
		Stage:           "Deploy",
		Action:          action,
		Config:          map[string]any{"environment": "staging", "replicas": float64(2)},
		InputArtifacts:  map[string]string{"BuildArtifact": "/data/in/BuildArtifact"},
		OutputArtifacts: map[string]string{"DeployArtifact": "/data/out/DeployArtifact"},
	}
}

func (h *harness) submit(job jobapi.Job) string {
	h.t.Helper()
	id, err := h.prod.Submit(h.ctx, job)
	if err != nil || id == "" {
		h.t.Fatalf("Submit(%s) = %q, %v", job.Action, id, err)
	}
	return id
}

func (h *harness) poll(actionType string, max int) []jobapi.Job {
	h.t.Helper()
	jobs, err := h.svc.PollForJobs(h.ctx, actionType, max)
	if err != nil {
		h.t.Fatalf("PollForJobs(%s, %d) error = %v", actionType, max, err)
	}
	return jobs
}

// dispatch polls for one job of actionType and checks it is id.
func (h *harness) dispatch(actionType, id string) jobapi.Job {
	h.t.Helper()
	jobs := h.poll(actionType, 1)
	if len(jobs) != 1 || jobs[0].ID != id {
		h.t.Fatalf("PollForJobs(%s, 1) = %v, want job %s", actionType, ids(jobs), id)
	}
	return jobs[0]
}

// start dispatches and acknowledges the job id.
func (h *harness) start(actionType, id string) jobapi.Job {
	h.t.Helper()
	job := h.dispatch(actionType, id)
	if err := h.svc.AcknowledgeJob(h.ctx, id, job.Nonce); err != nil {
		h.t.Fatalf("AcknowledgeJob(%s) error = %v", id, err)
	}
	return job
}

func (h *harness) outcome(id string) jobapi.Outcome {
	h.t.Helper()
	o, err := h.prod.Outcome(h.ctx, id)
	if err != nil {
		h.t.Fatalf("Outcome(%s) error = %v", id, err)
	}
	return o
}

// wantState checks the job's state and attempt.
func (h *harness) wantState(id string, state jobapi.State, attempt int) {
	h.t.Helper()
	o := h.outcome(id)
	if o.State != state || o.Attempt != attempt {
		h.t.Errorf("Outcome(%s) = %s, attempt %d; want %s, attempt %d", id, o.State, o.Attempt, state, attempt)
	}
}

// wantNoJobs checks that a poll hands out nothing.
func (h *harness) wantNoJobs(actionType string) {
	h.t.Helper()
	if jobs := h.poll(actionType, 10); len(jobs) != 0 {
		h.t.Errorf("PollForJobs(%s) = %v, want none", actionType, ids(jobs))
	}
}

// wantErr checks that err wraps want.
func (h *harness) wantErr(what string, err, want error) {
	h.t.Helper()
	if !errors.Is(err, want) {
		h.t.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

func ids(jobs []jobapi.Job) []string {
	out := make([]string, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func testPollOrder(t *testing.T, h *harness) {
	var want []string
	for i := range 3 {
		want = append(want, h.submit(sampleJob(typeDeploy, fmt.Sprintf("Deploy%d", i))))
		h.clock.advance(1)
	}
	other := h.submit(sampleJob(typeTest, "Test"))
	first := h.poll(typeDeploy, 2)
	if diff := cmp.Diff(want[:2], ids(first)); diff != "" {
		t.Errorf("PollForJobs(deploy, 2) ids (-want +got):\n%s", diff)
	}
	for _, j := range first {
		if j.Nonce == "" || j.Attempt != 1 || j.ContinuationToken != "" {
			t.Errorf("dispatched job %s: nonce %q, attempt %d, token %q; want a nonce, attempt 1, no token",
				j.ID, j.Nonce, j.Attempt, j.ContinuationToken)
		}
	}
	if first[0].Nonce == first[1].Nonce {
		t.Errorf("two jobs got the same nonce %q", first[0].Nonce)
	}
	if rest := h.poll(typeDeploy, 0); len(rest) != 1 || rest[0].ID != want[2] {
		t.Errorf("PollForJobs(deploy, 0) = %v, want the one job left, %s", ids(rest), want[2])
	}
	h.wantNoJobs(typeDeploy)
	h.dispatch(typeTest, other)
	h.wantState(want[0], jobapi.StateDispatched, 1)
}

func testPollCopiesJob(t *testing.T, h *harness) {
	in := sampleJob(typeDeploy, "Deploy")
	id := h.submit(in)
	got := h.dispatch(typeDeploy, id)
	want := in
	want.ID, want.Nonce, want.Attempt = id, got.Nonce, 1
	if p, ok := h.prod.(Presenter); ok {
		want = p.Present(want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dispatched job (-submitted +got):\n%s", diff)
	}
}

func testPollValidation(t *testing.T, h *harness) {
	_, err := h.svc.PollForJobs(h.ctx, "", 1)
	h.wantErr("PollForJobs without an action type", err, pipeline.ErrInvalid)
	_, err = h.svc.PollForJobs(h.ctx, typeDeploy, -1)
	h.wantErr("PollForJobs(max -1)", err, pipeline.ErrInvalid)
	if jobs := h.poll(typeDeploy, 5); jobs == nil || len(jobs) != 0 {
		t.Errorf("PollForJobs on an empty queue = %#v, want an empty, non-nil list", jobs)
	}
}

func testSubmitValidation(t *testing.T, h *harness) {
	_, err := h.prod.Submit(h.ctx, jobapi.Job{Action: "NoType"})
	h.wantErr("Submit without an action type", err, pipeline.ErrInvalid)
	job := sampleJob(typeDeploy, "Deploy")
	job.ID = h.submit(job)
	_, err = h.prod.Submit(h.ctx, job)
	h.wantErr("Submit of a job id twice", err, pipeline.ErrInvalid)
}

func testAcknowledgeNonce(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	job := h.dispatch(typeDeploy, id)
	h.wantErr("AcknowledgeJob with a wrong nonce", h.svc.AcknowledgeJob(h.ctx, id, job.Nonce+"x"), pipeline.ErrInvalid)
	h.wantErr("AcknowledgeJob with no nonce", h.svc.AcknowledgeJob(h.ctx, id, ""), pipeline.ErrInvalid)
	h.wantState(id, jobapi.StateDispatched, 1)
	if err := h.svc.AcknowledgeJob(h.ctx, id, job.Nonce); err != nil {
		t.Fatalf("AcknowledgeJob with the right nonce: %v", err)
	}
	h.wantState(id, jobapi.StateInProgress, 1)
	if err := h.svc.AcknowledgeJob(h.ctx, id, job.Nonce); err != nil {
		t.Errorf("AcknowledgeJob again with the same nonce: %v, want nil", err)
	}
	h.wantErr("AcknowledgeJob of an acknowledged job with a wrong nonce",
		h.svc.AcknowledgeJob(h.ctx, id, job.Nonce+"x"), pipeline.ErrInvalid)
	h.wantState(id, jobapi.StateInProgress, 1)
}

func testAcknowledgeState(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	h.wantErr("AcknowledgeJob of a queued job", h.svc.AcknowledgeJob(h.ctx, id, "guess"), pipeline.ErrInvalid)
	job := h.start(typeDeploy, id)
	if err := h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}); err != nil {
		t.Fatal(err)
	}
	h.wantErr("AcknowledgeJob of a finished job", h.svc.AcknowledgeJob(h.ctx, id, job.Nonce), pipeline.ErrInvalid)
}

func testSuccess(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	h.start(typeDeploy, id)
	vars := map[string]string{"DeploymentId": "d-123", "Url": "https://staging.example.com"}
	r := jobapi.SuccessResult{OutputVariables: vars, Summary: "deployed", PercentComplete: 100}
	if err := h.svc.PutJobSuccessResult(h.ctx, id, r); err != nil {
		t.Fatal(err)
	}
	want := jobapi.Outcome{State: jobapi.StateSucceeded, Attempt: 1, OutputVariables: vars, Summary: "deployed", PercentComplete: 100}
	if diff := cmp.Diff(want, h.outcome(id), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Outcome after success (-want +got):\n%s", diff)
	}
	h.wantErr("a second success", h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}), pipeline.ErrInvalid)
	h.wantErr("a failure after success", h.svc.PutJobFailureResult(h.ctx, id, jobapi.FailureResult{Message: "late"}), pipeline.ErrInvalid)
	h.clock.advance(2 * lease)
	h.wantNoJobs(typeDeploy)
	h.wantState(id, jobapi.StateSucceeded, 1)
}

func testContinuation(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	first := h.start(typeDeploy, id)
	r := jobapi.SuccessResult{ContinuationToken: "step-1", Summary: "rolling out", PercentComplete: 40}
	if err := h.svc.PutJobSuccessResult(h.ctx, id, r); err != nil {
		t.Fatal(err)
	}
	o := h.outcome(id)
	if o.State != jobapi.StateQueued || o.ContinuationToken != "step-1" || o.Attempt != 2 {
		t.Errorf("Outcome after in-progress = %s, token %q, attempt %d; want queued, step-1, attempt 2",
			o.State, o.ContinuationToken, o.Attempt)
	}
	h.clock.advance(delay - 1)
	h.wantNoJobs(typeDeploy)
	h.clock.advance(1)
	second := h.start(typeDeploy, id)
	if second.ContinuationToken != "step-1" || second.Attempt != 2 || second.Nonce == first.Nonce {
		t.Errorf("continued job: token %q, attempt %d, nonce %q (first %q); want step-1, attempt 2, a new nonce",
			second.ContinuationToken, second.Attempt, second.Nonce, first.Nonce)
	}
	vars := map[string]string{"DeploymentId": "d-9"}
	if err := h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{OutputVariables: vars}); err != nil {
		t.Fatal(err)
	}
	o = h.outcome(id)
	if o.State != jobapi.StateSucceeded || !cmp.Equal(o.OutputVariables, vars) {
		t.Errorf("Outcome after the final success = %s with %v, want succeeded with %v", o.State, o.OutputVariables, vars)
	}
}

func testVariablesWithToken(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	h.start(typeDeploy, id)
	r := jobapi.SuccessResult{ContinuationToken: "t", OutputVariables: map[string]string{"A": "1"}}
	h.wantErr("success with a token and output variables", h.svc.PutJobSuccessResult(h.ctx, id, r), pipeline.ErrInvalid)
	h.wantState(id, jobapi.StateInProgress, 1)
}

func testFailure(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	h.start(typeDeploy, id)
	fail := jobapi.FailureResult{Type: jobapi.FailureConfigurationError, Message: "no such environment"}
	if err := h.svc.PutJobFailureResult(h.ctx, id, fail); err != nil {
		t.Fatal(err)
	}
	want := jobapi.Outcome{State: jobapi.StateFailed, Attempt: 1, Failure: &fail}
	if diff := cmp.Diff(want, h.outcome(id), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Outcome after failure (-want +got):\n%s", diff)
	}
	h.wantErr("a success after failure", h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}), pipeline.ErrInvalid)
	h.wantNoJobs(typeDeploy)

	id = h.submit(sampleJob(typeDeploy, "Untyped"))
	h.start(typeDeploy, id)
	if err := h.svc.PutJobFailureResult(h.ctx, id, jobapi.FailureResult{Message: "boom"}); err != nil {
		t.Fatal(err)
	}
	if o := h.outcome(id); o.Failure == nil || o.Failure.Type != jobapi.FailureJobFailed {
		t.Errorf("Outcome of a failure without a type = %+v, want type %s", o.Failure, jobapi.FailureJobFailed)
	}
}

func testResultState(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	h.wantErr("success for a queued job", h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}), pipeline.ErrInvalid)
	h.dispatch(typeDeploy, id)
	h.wantErr("success for a dispatched job", h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}), pipeline.ErrInvalid)
	h.wantErr("failure for a dispatched job", h.svc.PutJobFailureResult(h.ctx, id, jobapi.FailureResult{}), pipeline.ErrInvalid)
	h.wantState(id, jobapi.StateDispatched, 1)
}

func testResultValidation(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	h.start(typeDeploy, id)
	bad := []jobapi.SuccessResult{
		{PercentComplete: 101},
		{PercentComplete: -1},
		{OutputVariables: map[string]string{"": "x"}},
		{OutputVariables: map[string]string{"has space": "x"}},
		{ContinuationToken: strings.Repeat("t", jobapi.MaxToken+1)},
	}
	for _, r := range bad {
		h.wantErr(fmt.Sprintf("success %+v", r), h.svc.PutJobSuccessResult(h.ctx, id, r), pipeline.ErrInvalid)
	}
	h.wantErr("failure of an unknown type",
		h.svc.PutJobFailureResult(h.ctx, id, jobapi.FailureResult{Type: "Oops"}), pipeline.ErrInvalid)
	h.wantState(id, jobapi.StateInProgress, 1)
}

func testUnknownJob(t *testing.T, h *harness) {
	const id = "no-such-job"
	h.wantErr("AcknowledgeJob", h.svc.AcknowledgeJob(h.ctx, id, "n"), pipeline.ErrNotFound)
	h.wantErr("PutJobSuccessResult", h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}), pipeline.ErrNotFound)
	h.wantErr("PutJobFailureResult", h.svc.PutJobFailureResult(h.ctx, id, jobapi.FailureResult{}), pipeline.ErrNotFound)
	_, err := h.prod.Outcome(h.ctx, id)
	h.wantErr("Outcome", err, pipeline.ErrNotFound)
}

func testLeaseUnacknowledged(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	first := h.dispatch(typeDeploy, id)
	h.clock.advance(lease - 1)
	h.wantNoJobs(typeDeploy)
	h.clock.advance(1)
	second := h.dispatch(typeDeploy, id)
	if second.Attempt != 2 || second.Nonce == first.Nonce {
		t.Errorf("job after its lease ran out: attempt %d, nonce %q (first %q); want attempt 2 and a new nonce",
			second.Attempt, second.Nonce, first.Nonce)
	}
	h.wantErr("AcknowledgeJob with the first dispatch's nonce",
		h.svc.AcknowledgeJob(h.ctx, id, first.Nonce), pipeline.ErrInvalid)
	if err := h.svc.AcknowledgeJob(h.ctx, id, second.Nonce); err != nil {
		t.Errorf("AcknowledgeJob with the new nonce: %v", err)
	}
}

func testLeaseSilent(t *testing.T, h *harness) {
	id := h.submit(sampleJob(typeDeploy, "Deploy"))
	first := h.dispatch(typeDeploy, id)
	h.clock.advance(lease / 2)
	if err := h.svc.AcknowledgeJob(h.ctx, id, first.Nonce); err != nil {
		t.Fatal(err)
	}
	// The acknowledgement started a new lease.
	h.clock.advance(lease - 1)
	h.wantNoJobs(typeDeploy)
	h.wantState(id, jobapi.StateInProgress, 1)
	h.clock.advance(1)
	second := h.dispatch(typeDeploy, id)
	if second.Attempt != 2 || second.Nonce == first.Nonce {
		t.Errorf("silent job after its lease ran out: attempt %d, nonce %q (first %q); want attempt 2 and a new nonce",
			second.Attempt, second.Nonce, first.Nonce)
	}
	h.wantErr("a late result from the silent worker", h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}), pipeline.ErrInvalid)
	if err := h.svc.AcknowledgeJob(h.ctx, id, second.Nonce); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.PutJobSuccessResult(h.ctx, id, jobapi.SuccessResult{}); err != nil {
		t.Fatal(err)
	}
	h.wantState(id, jobapi.StateSucceeded, 2)
}

func testConcurrentPolls(t *testing.T, h *harness) {
	const jobs, pollers = 40, 8
	want := map[string]bool{}
	for i := range jobs {
		want[h.submit(sampleJob(typeDeploy, fmt.Sprintf("Deploy%d", i)))] = true
	}
	var (
		mu  sync.Mutex
		got = map[string]int{}
		wg  sync.WaitGroup
	)
	for range pollers {
		wg.Go(func() {
			for {
				batch, err := h.svc.PollForJobs(h.ctx, typeDeploy, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(batch) == 0 {
					return
				}
				mu.Lock()
				for _, j := range batch {
					got[j.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for id := range want {
		if got[id] != 1 {
			t.Errorf("job %s was handed out %d times, want once", id, got[id])
		}
	}
}
