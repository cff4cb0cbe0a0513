// Package storetest is the conformance suite every store.Store passes:
// implementations call Run from a test with a constructor for a fresh,
// empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Run runs the suite; newStore returns a fresh, empty store for each
// subtest (and registers its own cleanup).
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Executions", testExecutions},
		{"ExecutionFilter", testExecutionFilter},
		{"StageRuns", testStageRuns},
		{"ActionRuns", testActionRuns},
		{"Findings", testFindings},
		{"Approvals", testApprovals},
		{"Jobs", testJobs},
		{"JobFilter", testJobFilter},
		{"UpdateCommitsOrRollsBack", testUpdate},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Trigger", testTrigger},
		{"Pipelines", testPipelines},
		{"Tokens", testTokens},
		{"Audit", testAudit},
		{"Runners", testRunners},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
	}
}

// at is a fixed instant plus d, so tests do not depend on the clock.
func at(d time.Duration) time.Time {
	return time.Date(2026, 11, 28, 15, 30, 12, 0, time.UTC).Add(d)
}

// Execution returns a minimal execution with that id and pipeline, for
// tests that need a parent row.
func Execution(id, pipelineName string) store.Execution {
	return store.Execution{
		ID: id, Pipeline: pipelineName, Status: pipeline.StatusQueued, Mode: pipeline.ModeQueued,
		Definition: &pipeline.Pipeline{Version: 1, Name: pipelineName, Stages: []pipeline.Stage{{
			Name: "Source", Actions: []pipeline.Action{{Name: "Source", Provider: "git", Outputs: []string{"Src"}}},
		}}},
		Created: at(0),
	}
}

func mustCreate(t *testing.T, s store.Store, x store.Execution) store.Execution {
	t.Helper()
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.CreateExecution(context.Background(), &x) }); err != nil {
		t.Fatalf("CreateExecution(%s) = %v", x.ID, err)
	}
	return x
}

func testExecutions(t *testing.T, s store.Store) {
	ctx := context.Background()
	x := Execution("20261128-153012-ab12", "golden")
	x.RepoDir, x.Variables = "/repo", map[string]string{"ENV": "dev"}
	x = mustCreate(t, s, x)
	if x.Seq == 0 {
		t.Errorf("CreateExecution did not set Seq")
	}
	got, err := s.Execution(ctx, x.ID)
	if err != nil {
		t.Fatalf("Execution(%s) = %v", x.ID, err)
	}
	if diff := cmp.Diff(x, got); diff != "" {
		t.Errorf("Execution round trip (-want +got):\n%s", diff)
	}
	x.Status, x.Revision, x.Message = pipeline.StatusFailed, "abc123", "stage Build failed"
	x.Started, x.Finished = at(time.Second), at(3*time.Second+5*time.Microsecond)
	if err := s.UpdateExecution(ctx, x); err != nil {
		t.Fatalf("UpdateExecution = %v", err)
	}
	got, _ = s.Execution(ctx, x.ID)
	if diff := cmp.Diff(x, got); diff != "" {
		t.Errorf("Execution after update (-want +got):\n%s", diff)
	}
	dup := Execution(x.ID, "golden")
	err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateExecution(ctx, &dup) })
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("CreateExecution(duplicate) = %v, want ErrInvalid", err)
	}
	if _, err := s.Execution(ctx, "nope"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Execution(nope) = %v, want ErrNotFound", err)
	}
	missing := Execution("nope", "golden")
	if err := s.UpdateExecution(ctx, missing); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("UpdateExecution(nope) = %v, want ErrNotFound", err)
	}
}

func testExecutionFilter(t *testing.T, s store.Store) {
	ctx := context.Background()
	var seqs []int64
	statuses := []pipeline.Status{pipeline.StatusSucceeded, pipeline.StatusRunning, pipeline.StatusQueued,
		pipeline.StatusQueued}
	for i, st := range statuses {
		x := Execution(fmt.Sprintf("x%d", i), "a")
		x.Status = st
		seqs = append(seqs, mustCreate(t, s, x).Seq)
	}
	mustCreate(t, s, Execution("other", "b"))
	tests := []struct {
		name   string
		filter store.ExecutionFilter
		want   []string
	}{
		{name: "all newest first", filter: store.ExecutionFilter{}, want: []string{"other", "x3", "x2", "x1", "x0"}},
		{name: "limit", filter: store.ExecutionFilter{Limit: 2}, want: []string{"other", "x3"}},
		{name: "pipeline", filter: store.ExecutionFilter{Pipeline: "a", Oldest: true},
			want: []string{"x0", "x1", "x2", "x3"}},
		{name: "statuses", filter: store.ExecutionFilter{Pipeline: "a",
			Statuses: []pipeline.Status{pipeline.StatusQueued, pipeline.StatusRunning}, Oldest: true, Limit: 2},
			want: []string{"x1", "x2"}},
		{name: "after", filter: store.ExecutionFilter{Pipeline: "a", AfterSeq: seqs[1]}, want: []string{"x3", "x2"}},
		{name: "before", filter: store.ExecutionFilter{Pipeline: "a", BeforeSeq: seqs[2]}, want: []string{"x1", "x0"}},
		{name: "between", filter: store.ExecutionFilter{AfterSeq: seqs[0], BeforeSeq: seqs[3]}, want: []string{"x2", "x1"}},
		{name: "before, limited", filter: store.ExecutionFilter{BeforeSeq: seqs[3], Limit: 1}, want: []string{"x2"}},
		{name: "none", filter: store.ExecutionFilter{Pipeline: "zzz"}, want: nil},
	}
	for _, tt := range tests {
		xs, err := s.Executions(ctx, tt.filter)
		if err != nil {
			t.Fatalf("%s: Executions = %v", tt.name, err)
		}
		var ids []string
		for _, x := range xs {
			ids = append(ids, x.ID)
		}
		if diff := cmp.Diff(tt.want, ids); diff != "" {
			t.Errorf("%s: Executions(%+v) ids (-want +got):\n%s", tt.name, tt.filter, diff)
		}
	}
}

func testStageRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, Execution("x", "a"))
	runs := []store.StageRun{
		{ExecutionID: "x", Index: 1, Name: "Build", Status: pipeline.StatusQueued},
		{ExecutionID: "x", Index: 0, Name: "Source", Status: pipeline.StatusQueued},
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateStageRuns(ctx, runs) }); err != nil {
		t.Fatalf("CreateStageRuns = %v", err)
	}
	runs[1].Status, runs[1].Started, runs[1].Finished = pipeline.StatusSucceeded, at(time.Second), at(2*time.Second)
	runs[1].Message = "done"
	if err := s.UpdateStageRun(ctx, runs[1]); err != nil {
		t.Fatalf("UpdateStageRun = %v", err)
	}
	got, err := s.StageRuns(ctx, "x")
	if err != nil {
		t.Fatalf("StageRuns = %v", err)
	}
	if diff := cmp.Diff([]store.StageRun{runs[1], runs[0]}, got); diff != "" {
		t.Errorf("StageRuns (-want +got):\n%s", diff)
	}
	if err := s.UpdateStageRun(ctx, store.StageRun{ExecutionID: "x", Index: 9}); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("UpdateStageRun(missing) = %v, want ErrNotFound", err)
	}
}

func testActionRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, Execution("x", "a"))
	runs := []store.ActionRun{
		{ExecutionID: "x", Stage: "Build", Action: "Test", StageIndex: 1, Index: 1, RunOrder: 2,
			Provider: "shell", Status: pipeline.StatusQueued},
		{ExecutionID: "x", Stage: "Build", Action: "Compile", StageIndex: 1, Index: 0, RunOrder: 1,
			Provider: "buildspec", Status: pipeline.StatusQueued},
		{ExecutionID: "x", Stage: "Source", Action: "Source", StageIndex: 0, Index: 0, RunOrder: 1,
			Provider: "git", Status: pipeline.StatusQueued},
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateActionRuns(ctx, runs) }); err != nil {
		t.Fatalf("CreateActionRuns = %v", err)
	}
	full := runs[1]
	full.Status, full.Wait, full.Attempt, full.Retries, full.Runner = pipeline.StatusWaiting, store.WaitContinuation, 3, 1, "r1"
	full.Message, full.ContinuationToken, full.NextRunAt = "in progress", "tok-2", at(30*time.Second)
	full.OutputVariables = map[string]string{"CommitId": "abc"}
	full.Inputs = map[string]string{"Src": "sha256:aa"}
	full.Outputs = map[string]string{"Build": "sha256:bb"}
	full.LogPath = "/logs/x/Build.Compile.log"
	full.Tests = []pipeline.TestSuite{{Name: "unit", File: "r.xml", Tests: 3, Failures: 1, Duration: time.Second}}
	full.Warnings = []string{"runtime-versions cannot apply locally"}
	full.Started, full.Finished = at(time.Second), at(time.Minute)
	if err := s.UpdateActionRun(ctx, full); err != nil {
		t.Fatalf("UpdateActionRun = %v", err)
	}
	got, err := s.ActionRun(ctx, "x", "Build", "Compile")
	if err != nil {
		t.Fatalf("ActionRun = %v", err)
	}
	if diff := cmp.Diff(full, got); diff != "" {
		t.Errorf("ActionRun round trip (-want +got):\n%s", diff)
	}
	all, err := s.ActionRuns(ctx, "x")
	if err != nil {
		t.Fatalf("ActionRuns = %v", err)
	}
	if diff := cmp.Diff([]store.ActionRun{runs[2], full, runs[0]}, all); diff != "" {
		t.Errorf("ActionRuns order (-want +got):\n%s", diff)
	}
	if _, err := s.ActionRun(ctx, "x", "Build", "nope"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("ActionRun(missing) = %v, want ErrNotFound", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.CreateActionRuns(ctx, runs[:1]) })
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("CreateActionRuns(duplicate) = %v, want ErrInvalid", err)
	}
}

func testFindings(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, Execution("x", "a"))
	f1 := pipeline.Finding{Kind: pipeline.KindSecret, RuleID: "aws-access-key", Severity: pipeline.SeverityHigh,
		Title: "AWS key", Location: pipeline.Location{Path: "app/src/config.js", Line: 3}, Fingerprint: "fp1",
		Evidence: pipeline.Redact("AKIAEXAMPLEEXAMPLE")}
	f2 := pipeline.Finding{Kind: pipeline.KindVuln, RuleID: "CVE-2018-17182", Severity: pipeline.SeverityHigh,
		Title: "kernel", Location: pipeline.Location{Package: "linux", Version: "4.15"}, Fingerprint: "fp2",
		Suppressed: &pipeline.Suppression{By: "baseline"}}
	if err := s.ReplaceFindings(ctx, "x", "Build", "Scan", []pipeline.Finding{f1, f1}); err != nil {
		t.Fatalf("ReplaceFindings = %v", err)
	}
	if err := s.ReplaceFindings(ctx, "x", "Build", "Scan", []pipeline.Finding{f1, f2}); err != nil {
		t.Fatalf("ReplaceFindings (again) = %v", err)
	}
	if err := s.ReplaceFindings(ctx, "x", "Image", "Scan", []pipeline.Finding{f2}); err != nil {
		t.Fatalf("ReplaceFindings (other action) = %v", err)
	}
	got, err := s.Findings(ctx, "x")
	if err != nil {
		t.Fatalf("Findings = %v", err)
	}
	want := []store.ActionFinding{
		{Stage: "Build", Action: "Scan", Finding: f1},
		{Stage: "Build", Action: "Scan", Finding: f2},
		{Stage: "Image", Action: "Scan", Finding: f2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Findings (-want +got):\n%s", diff)
	}
	counts, err := s.FindingCounts(ctx, "x")
	if err != nil {
		t.Fatalf("FindingCounts = %v", err)
	}
	wantCounts := []store.FindingCount{
		{Stage: "Build", Action: "Scan", Total: 2, Suppressed: 1},
		{Stage: "Image", Action: "Scan", Total: 1, Suppressed: 1},
	}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("FindingCounts (-want +got):\n%s", diff)
	}
}

func testApprovals(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, Execution("x", "a"))
	want := []store.Approval{
		{ExecutionID: "x", Stage: "Deploy", Action: "Approve", By: "ana", Reason: "not yet", At: at(time.Minute)},
		{ExecutionID: "x", Stage: "Deploy", Action: "Approve", By: "bo", Reason: "ok", Approved: true,
			At: at(2 * time.Minute)},
	}
	for _, a := range want {
		if err := s.AddApproval(ctx, a); err != nil {
			t.Fatalf("AddApproval = %v", err)
		}
	}
	got, err := s.Approvals(ctx, "x")
	if err != nil {
		t.Fatalf("Approvals = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Approvals (-want +got):\n%s", diff)
	}
}

func testJobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, Execution("x", "a"))
	j := store.Job{ID: "j1", ActionType: "Build/Custom/1", ExecutionID: "x", Stage: "Build", Action: "Ext",
		RunAttempt: 1, Status: store.JobQueued, Attempt: 1, Config: map[string]any{"action_type": "Build/Custom/1"},
		Inputs: map[string]string{"Src": "/in/Src"}, Outputs: map[string]string{"Out": "/out/Out"},
		AvailableAt: at(0), Created: at(0), Updated: at(0)}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.CreateJob(ctx, j) }); err != nil {
		t.Fatalf("CreateJob = %v", err)
	}
	if err := s.CreateJob(ctx, j); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("CreateJob(duplicate) = %v, want ErrInvalid", err)
	}
	j.Nonce, j.Status, j.Attempt, j.LeaseExpires = "n1", store.JobSucceeded, 2, at(5*time.Minute)
	j.ContinuationToken, j.Summary, j.FailureType, j.PercentComplete = "t", "done", "JobFailed", 40
	j.FailureMessage = "boom"
	j.OutputVariables, j.Updated = map[string]string{"K": "v"}, at(time.Minute)
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatalf("UpdateJob = %v", err)
	}
	got, err := s.Job(ctx, "j1")
	if err != nil {
		t.Fatalf("Job = %v", err)
	}
	if diff := cmp.Diff(j, got); diff != "" {
		t.Errorf("Job round trip (-want +got):\n%s", diff)
	}
	if _, err := s.Job(ctx, "nope"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Job(nope) = %v, want ErrNotFound", err)
	}
	if err := s.UpdateJob(ctx, store.Job{ID: "nope"}); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("UpdateJob(nope) = %v, want ErrNotFound", err)
	}
	jobs, err := s.ExecutionJobs(ctx, "x")
	if err != nil || len(jobs) != 1 || jobs[0].ID != "j1" {
		t.Errorf("ExecutionJobs = %v, %v; want [j1]", jobs, err)
	}
}

func testJobFilter(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, Execution("x", "a"))
	now := at(time.Hour)
	jobs := []store.Job{
		{ID: "b-ready", Status: store.JobQueued, AvailableAt: now.Add(-time.Second)},
		{ID: "a-ready-earlier", Status: store.JobQueued, AvailableAt: now.Add(-time.Minute)},
		{ID: "later", Status: store.JobQueued, AvailableAt: now.Add(time.Second)},
		{ID: "leased", Status: store.JobDispatched, AvailableAt: now.Add(-time.Hour), LeaseExpires: now.Add(time.Minute)},
		{ID: "expired", Status: store.JobDispatched, AvailableAt: now.Add(-time.Hour), LeaseExpires: now.Add(-time.Minute)},
		{ID: "silent", Status: store.JobInProgress, AvailableAt: now.Add(-time.Hour), LeaseExpires: now},
		{ID: "done", Status: store.JobSucceeded, AvailableAt: now.Add(-time.Hour)},
		{ID: "othertype", Status: store.JobQueued, ActionType: "other", AvailableAt: now.Add(-time.Hour)},
		{ID: "c-ready-same", Status: store.JobQueued, AvailableAt: now.Add(-time.Second)},
	}
	for i, j := range jobs {
		j.ExecutionID, j.Stage, j.Action, j.Attempt = "x", "S", "A", 1
		if j.ActionType == "" {
			j.ActionType = "T"
		}
		j.Created, j.Updated = at(time.Duration(i)), at(time.Duration(i))
		if err := s.CreateJob(ctx, j); err != nil {
			t.Fatalf("CreateJob(%s) = %v", j.ID, err)
		}
	}
	queued := []store.JobStatus{store.JobQueued}
	leased := []store.JobStatus{store.JobDispatched, store.JobInProgress}
	tests := []struct {
		name   string
		filter store.JobFilter
		want   []string
	}{
		{name: "queued and available, in queue order",
			filter: store.JobFilter{ActionType: "T", Statuses: queued, AvailableBy: now},
			want:   []string{"a-ready-earlier", "b-ready", "c-ready-same"}},
		{name: "limit", filter: store.JobFilter{ActionType: "T", Statuses: queued, AvailableBy: now, Limit: 1},
			want: []string{"a-ready-earlier"}},
		{name: "expired leases", filter: store.JobFilter{ActionType: "T", Statuses: leased, LeaseExpiredBy: now},
			want: []string{"expired", "silent"}},
		{name: "other type", filter: store.JobFilter{ActionType: "other"}, want: []string{"othertype"}},
	}
	for _, tt := range tests {
		got, err := s.Jobs(ctx, tt.filter)
		if err != nil {
			t.Fatalf("Jobs = %v", err)
		}
		var ids []string
		for _, j := range got {
			ids = append(ids, j.ID)
		}
		if diff := cmp.Diff(tt.want, ids); diff != "" {
			t.Errorf("%s: Jobs(%+v) (-want +got):\n%s", tt.name, tt.filter, diff)
		}
	}
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		if tx.SQL() == nil {
			t.Errorf("Tx.SQL() = nil")
		}
		x := Execution("rolled-back", "a")
		if err := tx.CreateExecution(ctx, &x); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Update = %v, want %v", err, boom)
	}
	if _, err := s.Execution(ctx, "rolled-back"); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Execution after rollback = %v, want ErrNotFound", err)
	}
	mustCreate(t, s, Execution("committed", "a"))
	if _, err := s.Execution(ctx, "committed"); err != nil {
		t.Errorf("Execution after commit = %v", err)
	}
}

// testConcurrentUpdates checks that read-modify-write transactions from
// many goroutines do not lose updates (the engine relies on it).
func testConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, Execution("x", "a"))
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx store.Tx) error {
				x, err := tx.Execution(ctx, "x")
				if err != nil {
					return err
				}
				c, _ := strconv.Atoi(x.Message)
				x.Message = strconv.Itoa(c + 1)
				return tx.UpdateExecution(ctx, x)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update = %v", err)
		}
	}
	x, err := s.Execution(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if x.Message != strconv.Itoa(n) {
		t.Errorf("counter after %d concurrent updates = %s", n, x.Message)
	}
}
