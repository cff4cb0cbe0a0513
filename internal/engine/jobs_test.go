package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobapitest"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/storetest"
)

// producer submits jobs straight into the engine's store, as a custom
// action's attempt does, for the conformance suite.
type producer struct {
	st  store.Store
	now func() time.Time
}

func (p producer) Submit(ctx context.Context, job jobapi.Job) (string, error) {
	if job.ActionType == "" {
		return "", fmt.Errorf("%w job: no action type", pipeline.ErrInvalid)
	}
	if job.ID == "" {
		job.ID = fmt.Sprintf("job-%d", rand.Int64())
	}
	if _, err := p.st.Execution(ctx, job.ExecutionID); errors.Is(err, pipeline.ErrNotFound) {
		x := storetest.Execution(job.ExecutionID, "jobs")
		if err := p.st.Update(ctx, func(tx store.Tx) error { return tx.CreateExecution(ctx, &x) }); err != nil {
			return "", err
		}
	}
	now := p.now()
	j := store.Job{ID: job.ID, ActionType: job.ActionType, ExecutionID: job.ExecutionID, Stage: job.Stage,
		Action: job.Action, Status: store.JobQueued, Attempt: 1, Config: job.Config, Inputs: job.InputArtifacts,
		Outputs: job.OutputArtifacts, AvailableAt: now, Created: now, Updated: now}
	return job.ID, p.st.CreateJob(ctx, j)
}

func (p producer) Outcome(ctx context.Context, id string) (jobapi.Outcome, error) {
	j, err := p.st.Job(ctx, id)
	if err != nil {
		return jobapi.Outcome{}, err
	}
	states := map[store.JobStatus]jobapi.State{store.JobQueued: jobapi.StateQueued,
		store.JobDispatched: jobapi.StateDispatched, store.JobInProgress: jobapi.StateInProgress,
		store.JobSucceeded: jobapi.StateSucceeded, store.JobFailed: jobapi.StateFailed,
		store.JobCancelled: jobapi.StateFailed}
	o := jobapi.Outcome{State: states[j.Status], Attempt: j.Attempt, ContinuationToken: j.ContinuationToken,
		OutputVariables: j.OutputVariables, Summary: j.Summary, PercentComplete: j.PercentComplete}
	if j.Status == store.JobFailed {
		o.Failure = &jobapi.FailureResult{Type: j.FailureType, Message: j.FailureMessage}
	}
	return o, nil
}

func TestJobServiceConformance(t *testing.T) {
	jobapitest.Run(t, func(t *testing.T, opts jobapitest.Options) (jobapi.Service, jobapitest.Producer) {
		h := newHarness(t, options{now: opts.Now, lease: opts.Lease, continueIn: opts.ContinuationDelay,
			noStart: true})
		return h.eng.Jobs(), producer{st: h.eng.Store(), now: opts.Now}
	})
}

// fakeCustom waits for an external job.
func fakeCustom() *fakeProvider {
	return &fakeProvider{name: "custom", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		return pipeline.ActionResult{State: pipeline.ActionWaiting, Message: "waiting for a worker"}, nil
	}}
}

// pollOne polls until a job of actionType comes.
func pollOne(t *testing.T, svc jobapi.Service, actionType string) jobapi.Job {
	t.Helper()
	var job jobapi.Job
	waitFor(t, "a job", func() bool {
		jobs, err := svc.PollForJobs(context.Background(), actionType, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 {
			job = jobs[0]
		}
		return len(jobs) == 1
	})
	return job
}

func TestCustomAction(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"custom": fakeCustom(), "write": writer()},
		continueIn: 30 * time.Millisecond})
	ctx := context.Background()
	p := pipe("p",
		stage("Source", pipeline.Action{Name: "Src", Provider: "write", Outputs: []string{"SourceArtifact"},
			Config: map[string]any{"content": "src"}}),
		stage("Deploy", pipeline.Action{Name: "Ext", Provider: "custom", Inputs: []string{"SourceArtifact"},
			Outputs: []string{"DeployArtifact"}, Namespace: "Dep",
			Config: map[string]any{"action_type": "Deploy/ext/1", "env": "#{variables.Env}"}}),
		stage("After", pipeline.Action{Name: "Use", Provider: "write", Inputs: []string{"DeployArtifact"},
			Outputs: []string{"Final"}, Config: map[string]any{"content": "#{Dep.Url}"}}),
	)
	p.Variables = []pipeline.Variable{{Name: "Env", Default: "staging"}}
	id, err := h.eng.Start(ctx, p, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := h.eng.Jobs()
	job := pollOne(t, svc, "Deploy/ext/1")
	if job.ExecutionID != id || job.Config["env"] != "staging" || job.Attempt != 1 {
		t.Errorf("job = %+v", job)
	}
	b, err := os.ReadFile(filepath.Join(job.InputArtifacts["SourceArtifact"], "data.txt"))
	if err != nil || string(b) != "src" {
		t.Errorf("input artifact data.txt = %q, %v", b, err)
	}
	if err := svc.AcknowledgeJob(ctx, job.ID, job.Nonce); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := svc.PutJobSuccessResult(ctx, job.ID, jobapi.SuccessResult{ContinuationToken: "half", Summary: "50%"}); err != nil {
		t.Fatal(err)
	}
	if r := h.action(t, id, "Deploy", "Ext"); r.Status != pipeline.StatusWaiting || r.Message != "50%" {
		t.Errorf("action after a continuation = %s %q, want waiting 50%%", r.Status, r.Message)
	}
	job = pollOne(t, svc, "Deploy/ext/1")
	if d := time.Since(start); d < 30*time.Millisecond || job.ContinuationToken != "half" || job.Attempt != 2 {
		t.Errorf("continued job after %s: token %q attempt %d", d, job.ContinuationToken, job.Attempt)
	}
	if err := svc.AcknowledgeJob(ctx, job.ID, job.Nonce); err != nil {
		t.Fatal(err)
	}
	out := job.OutputArtifacts["DeployArtifact"]
	if err := os.WriteFile(filepath.Join(out, "data.txt"), []byte("deployed:"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"Url": "https://x"}
	if err := svc.PutJobSuccessResult(ctx, job.ID, jobapi.SuccessResult{OutputVariables: vars}); err != nil {
		t.Fatal(err)
	}
	if st := h.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := h.eng.Execution(ctx, id)
		t.Fatalf("status = %s: %s", st, info.Message)
	}
	arts, _ := h.eng.Artifacts(ctx, id)
	dst := t.TempDir()
	if err := h.arts.Extract(ctx, arts[len(arts)-1].Digest, dst); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "data.txt")); string(b) != "deployed:https://x" {
		t.Errorf("last artifact = %q, want deployed:https://x", b)
	}
}

func TestCustomActionFailureRetries(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"custom": fakeCustom()}})
	ctx := context.Background()
	p := pipe("p", stage("Deploy", pipeline.Action{Name: "Ext", Provider: "custom", Retries: 1,
		Config: map[string]any{"action_type": "T"}}))
	id, err := h.eng.Start(ctx, p, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc := h.eng.Jobs()
	for i := range 2 {
		job := pollOne(t, svc, "T")
		if err := svc.AcknowledgeJob(ctx, job.ID, job.Nonce); err != nil {
			t.Fatal(err)
		}
		if err := svc.PutJobFailureResult(ctx, job.ID, jobapi.FailureResult{Message: fmt.Sprintf("boom %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if st := h.wait(t, id); st != pipeline.StatusFailed {
		t.Fatalf("status = %s", st)
	}
	r := h.action(t, id, "Deploy", "Ext")
	if r.Attempt != 2 || r.Message != "job failed (JobFailed): boom 1" {
		t.Errorf("attempt %d message %q", r.Attempt, r.Message)
	}
}

func TestCustomActionCancelWithdrawsJob(t *testing.T) {
	h := newHarness(t, options{providers: map[string]pipeline.Provider{"custom": fakeCustom()}})
	ctx := context.Background()
	id, _ := h.eng.Start(ctx, pipe("p", stage("S", pipeline.Action{Name: "Ext", Provider: "custom",
		Config: map[string]any{"action_type": "T"}})), engine.StartOptions{})
	waitFor(t, "the action to wait", func() bool { return h.action(t, id, "S", "Ext").Status == pipeline.StatusWaiting })
	if err := h.eng.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	if jobs, err := h.eng.Jobs().PollForJobs(ctx, "T", 5); err != nil || len(jobs) != 0 {
		t.Errorf("PollForJobs after cancel = %v, %v; want none", jobs, err)
	}
}
