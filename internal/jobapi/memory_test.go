package jobapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobapitest"
)

func TestMemoryConformance(t *testing.T) {
	jobapitest.Run(t, func(t *testing.T, o jobapitest.Options) (jobapi.Service, jobapitest.Producer) {
		m := jobapi.NewMemory(jobapi.MemoryOptions{Lease: o.Lease, ContinuationDelay: o.ContinuationDelay, Now: o.Now})
		return m, m
	})
}

func TestMemoryReportsResults(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var seen []jobapi.Completion
	m := jobapi.NewMemory(jobapi.MemoryOptions{
		Now:      func() time.Time { return now },
		OnResult: func(c jobapi.Completion) { seen = append(seen, c) },
	})
	id, err := m.Submit(ctx, jobapi.Job{ActionType: "t"})
	if err != nil {
		t.Fatal(err)
	}
	step := func(r jobapi.SuccessResult) {
		t.Helper()
		jobs, err := m.PollForJobs(ctx, "t", 1)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("PollForJobs() = %v, %v, want one job", jobs, err)
		}
		if err := m.AcknowledgeJob(ctx, id, jobs[0].Nonce); err != nil {
			t.Fatal(err)
		}
		if err := m.PutJobSuccessResult(ctx, id, r); err != nil {
			t.Fatal(err)
		}
	}
	step(jobapi.SuccessResult{ContinuationToken: "half"})
	now = now.Add(jobapi.DefaultContinuationDelay)
	step(jobapi.SuccessResult{OutputVariables: map[string]string{"Done": "yes"}})
	want := []jobapi.Completion{
		{JobID: id, Attempt: 1, State: jobapi.StateQueued, Success: &jobapi.SuccessResult{ContinuationToken: "half"}},
		{JobID: id, Attempt: 2, State: jobapi.StateSucceeded, Success: &jobapi.SuccessResult{OutputVariables: map[string]string{"Done": "yes"}}},
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("OnResult calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, m.Results()); diff != "" {
		t.Errorf("Results() (-want +got):\n%s", diff)
	}
}
