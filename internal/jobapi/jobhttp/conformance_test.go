package jobhttp_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobapitest"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/storetest"
)

// The Client over the handler over a Service keeps the Service's
// semantics: the conformance suite passes through HTTP.
func TestConformanceOverHTTPMemory(t *testing.T) {
	jobapitest.Run(t, func(t *testing.T, o jobapitest.Options) (jobapi.Service, jobapitest.Producer) {
		m := newTracked(jobapi.MemoryOptions{Lease: o.Lease, ContinuationDelay: o.ContinuationDelay, Now: o.Now})
		c, _ := serve(t, m, jobhttp.HandlerOptions{}, jobhttp.ClientOptions{})
		return c, presenter{m}
	})
}

func TestConformanceOverHTTPEngine(t *testing.T) {
	jobapitest.Run(t, func(t *testing.T, o jobapitest.Options) (jobapi.Service, jobapitest.Producer) {
		eng := newEngine(t, engine.Config{Now: o.Now, JobLease: o.Lease, ContinuationDelay: o.ContinuationDelay})
		// Authorization by the job's type exercises the engine's LookupJob.
		allow := func(_ *http.Request, actionType string) error { return nil }
		c, _ := serve(t, eng.Jobs(), jobhttp.HandlerOptions{Authorize: allow}, jobhttp.ClientOptions{})
		return c, presenter{storeProducer{st: eng.Store(), now: o.Now}}
	})
}

// newEngine is an engine over a fresh SQLite store, its dispatcher not
// started (jobs are submitted straight into the store).
func newEngine(t testing.TB, cfg engine.Config) *engine.Engine {
	t.Helper()
	dir := t.TempDir()
	db, err := queue.OpenSQLite(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB, cfg.Dispatcher, cfg.Artifacts, cfg.DataDir = db, queue.NewMemory(), arts, dir
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// storeProducer submits jobs straight into the engine's store, as a
// custom action's attempt does.
type storeProducer struct {
	st  store.Store
	now func() time.Time
}

func (p storeProducer) Submit(ctx context.Context, job jobapi.Job) (string, error) {
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

func (p storeProducer) Outcome(ctx context.Context, id string) (jobapi.Outcome, error) {
	j, err := p.st.Job(ctx, id)
	if err != nil {
		return jobapi.Outcome{}, err
	}
	states := map[store.JobStatus]jobapi.State{store.JobQueued: jobapi.StateQueued,
		store.JobDispatched: jobapi.StateDispatched, store.JobInProgress: jobapi.StateInProgress,
		store.JobSucceeded: jobapi.StateSucceeded, store.JobFailed: jobapi.StateFailed}
	o := jobapi.Outcome{State: states[j.Status], Attempt: j.Attempt, ContinuationToken: j.ContinuationToken,
		OutputVariables: j.OutputVariables, Summary: j.Summary, PercentComplete: j.PercentComplete}
	if j.Status == store.JobFailed {
		o.Failure = &jobapi.FailureResult{Type: j.FailureType, Message: j.FailureMessage}
	}
	return o, nil
}

// The engine's LookupJob shows a job as its holder sees it, and a lease
// that ran out as the job back in the queue.
func TestEngineLookupJob(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	eng := newEngine(t, engine.Config{Now: clock, JobLease: time.Minute})
	id, err := storeProducer{st: eng.Store(), now: clock}.Submit(ctx, jobapi.Job{ActionType: "t", ExecutionID: "x-1",
		InputArtifacts: map[string]string{"Src": "/work/in/Src"}})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func() (jobapi.Job, jobapi.State) {
		t.Helper()
		job, state, err := eng.Jobs().LookupJob(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return job, state
	}
	if job, state := lookup(); state != jobapi.StateQueued || job.Nonce != "" {
		t.Errorf("LookupJob of a queued job = %s with nonce %q, want queued without one", state, job.Nonce)
	}
	jobs, err := eng.Jobs().PollForJobs(ctx, "t", 1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("PollForJobs = %v, %v", jobs, err)
	}
	job, state := lookup()
	if state != jobapi.StateDispatched || job.Nonce != jobs[0].Nonce || job.InputArtifacts["Src"] != "/work/in/Src" {
		t.Errorf("LookupJob of a dispatched job = %s, %+v; want dispatched with its nonce and directories", state, job)
	}
	now = now.Add(time.Minute)
	if job, state := lookup(); state != jobapi.StateQueued || job.Nonce != "" {
		t.Errorf("LookupJob after the lease = %s with nonce %q, want queued without one", state, job.Nonce)
	}
	if _, _, err := eng.Jobs().LookupJob(ctx, "nope"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("LookupJob of an unknown job = %v, want ErrNotFound", err)
	}
}
