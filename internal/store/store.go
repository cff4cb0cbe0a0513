// Package store defines how the engine persists executions: one small
// interface per aggregate (executions, stage runs, action runs, findings,
// approvals, custom-action jobs), the records they hold, and Store, which
// groups them and runs a function in one transaction.
//
// Implementations live in sub-packages (sqlite) and all pass the storetest
// suite. Every method takes ctx first; a missing record wraps
// pipeline.ErrNotFound and a broken rule (duplicate id) wraps
// pipeline.ErrInvalid.
package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Execution is one run of a pipeline: a snapshot of the definition it
// runs, where it runs and how far it got.
type Execution struct {
	ID string
	// Seq orders executions by creation; CreateExecution assigns it.
	Seq      int64
	Pipeline string
	Status   pipeline.Status
	Mode     pipeline.ExecutionMode
	// Definition is the pipeline as it was when the execution started;
	// later changes to secpipe.yml do not affect a running execution.
	Definition *pipeline.Pipeline
	RepoDir    string
	// Revision is the source revision a source action reported.
	Revision string
	// Variables are the pipeline variables (defaults overridden by the
	// values given at start), keyed by name.
	Variables map[string]string
	Message   string
	Created   time.Time
	Started   time.Time
	Finished  time.Time
}

// ExecutionFilter selects executions for Executions. Zero fields select
// everything.
type ExecutionFilter struct {
	Pipeline string
	Statuses []pipeline.Status
	// AfterSeq keeps executions created after the one with that Seq.
	AfterSeq int64
	// Oldest orders by creation, oldest first; the default is newest first.
	Oldest bool
	Limit  int
}

// ExecutionStore persists executions.
type ExecutionStore interface {
	// CreateExecution inserts x and sets x.Seq. A duplicate ID wraps
	// pipeline.ErrInvalid.
	CreateExecution(ctx context.Context, x *Execution) error
	// Execution returns the execution with that id or an error wrapping
	// pipeline.ErrNotFound.
	Execution(ctx context.Context, id string) (Execution, error)
	// UpdateExecution stores the mutable fields of x (status, revision,
	// message, times); ErrNotFound when x.ID is unknown.
	UpdateExecution(ctx context.Context, x Execution) error
	// Executions lists the executions f selects.
	Executions(ctx context.Context, f ExecutionFilter) ([]Execution, error)
}

// StageRun is the state of one stage within an execution.
type StageRun struct {
	ExecutionID string
	// Index is the stage's position in the definition, from 0.
	Index    int
	Name     string
	Status   pipeline.Status
	Message  string
	Started  time.Time
	Finished time.Time
}

// StageStore persists stage runs.
type StageStore interface {
	// CreateStageRuns inserts runs (all of one execution, usually).
	CreateStageRuns(ctx context.Context, runs []StageRun) error
	// StageRuns returns an execution's stage runs in definition order.
	StageRuns(ctx context.Context, executionID string) ([]StageRun, error)
	// UpdateStageRun stores status, message and times of r.
	UpdateStageRun(ctx context.Context, r StageRun) error
}

// Wait says what a waiting action waits for.
type Wait string

// The reasons an action waits.
const (
	WaitNone Wait = ""
	// WaitContinuation: the provider answered "in progress"; the action
	// runs again at NextRunAt with ContinuationToken.
	WaitContinuation Wait = "continuation"
	// WaitApproval: someone has to approve or reject it.
	WaitApproval Wait = "approval"
	// WaitJob: an external worker has to finish its job.
	WaitJob Wait = "job"
)

// ActionRun is the state of one action within an execution. Attempt counts
// invocations (0: not started yet); a retry or a re-invocation with a
// continuation token is a new attempt.
type ActionRun struct {
	ExecutionID string
	Stage       string
	Action      string
	// StageIndex and Index are the positions of the stage in the pipeline
	// and of the action in its stage.
	StageIndex int
	Index      int
	RunOrder   int
	Provider   string
	Status     pipeline.Status
	Wait       Wait
	Attempt    int
	// Retries counts the retries used after failed attempts.
	Retries int
	// Runner identifies the engine instance running the attempt.
	Runner            string
	Message           string
	ContinuationToken string
	NextRunAt         time.Time
	OutputVariables   map[string]string
	// Inputs and Outputs map artifact names to digests: what the last
	// attempt read and what the action produced.
	Inputs   map[string]string
	Outputs  map[string]string
	LogPath  string
	Tests    []pipeline.TestSuite
	Warnings []string
	Started  time.Time
	Finished time.Time
}

// ActionStore persists action runs.
type ActionStore interface {
	// CreateActionRuns inserts runs.
	CreateActionRuns(ctx context.Context, runs []ActionRun) error
	// ActionRun returns one run or an error wrapping pipeline.ErrNotFound.
	ActionRun(ctx context.Context, executionID, stage, action string) (ActionRun, error)
	// ActionRuns returns an execution's action runs in definition order.
	ActionRuns(ctx context.Context, executionID string) ([]ActionRun, error)
	// UpdateActionRun stores every mutable field of r.
	UpdateActionRun(ctx context.Context, r ActionRun) error
}

// ActionFinding is a finding with the action that reported it.
type ActionFinding struct {
	Stage   string
	Action  string
	Finding pipeline.Finding
}

// FindingCount counts one action's findings.
type FindingCount struct {
	Stage      string
	Action     string
	Total      int
	Suppressed int
}

// FindingStore persists the findings scan actions report.
type FindingStore interface {
	// ReplaceFindings sets the findings of one action (a new attempt
	// replaces those of the previous one).
	ReplaceFindings(ctx context.Context, executionID, stage, action string, findings []pipeline.Finding) error
	// Findings returns an execution's findings in the order they were
	// stored.
	Findings(ctx context.Context, executionID string) ([]ActionFinding, error)
	// FindingCounts counts an execution's findings per action.
	FindingCounts(ctx context.Context, executionID string) ([]FindingCount, error)
}

// Approval records a decision on an approval action.
type Approval struct {
	ExecutionID string
	Stage       string
	Action      string
	By          string
	Reason      string
	Approved    bool
	At          time.Time
}

// ApprovalStore persists approval decisions.
type ApprovalStore interface {
	AddApproval(ctx context.Context, a Approval) error
	// Approvals returns an execution's decisions, oldest first.
	Approvals(ctx context.Context, executionID string) ([]Approval, error)
}

// JobStatus is the state of a custom-action job (the states of the job
// API, plus cancelled).
type JobStatus string

// The job states: queued until polled, dispatched until acknowledged, in
// progress until the worker reports. A dispatched or in-progress job whose
// lease expires goes back to queued.
const (
	JobQueued     JobStatus = "queued"
	JobDispatched JobStatus = "dispatched"
	JobInProgress JobStatus = "in_progress"
	JobSucceeded  JobStatus = "succeeded"
	JobFailed     JobStatus = "failed"
	// JobCancelled: the action no longer waits for it (the execution was
	// cancelled, the action timed out).
	JobCancelled JobStatus = "cancelled"
)

// Terminal reports whether s is final.
func (s JobStatus) Terminal() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCancelled
}

// Job is work for an external worker (a custom action).
type Job struct {
	ID         string
	Nonce      string
	ActionType string
	// ExecutionID, Stage and Action name the action run the job belongs
	// to; RunAttempt is the run's attempt the job was created for.
	ExecutionID string
	Stage       string
	Action      string
	RunAttempt  int
	Status      JobStatus
	// Attempt counts hand-outs of the job, from 1: a lease that ran out
	// or a continuation makes a new attempt.
	Attempt int
	Config  map[string]any
	// Inputs and Outputs map artifact names to directories.
	Inputs            map[string]string
	Outputs           map[string]string
	ContinuationToken string
	// AvailableAt is when a queued job may be handed out.
	AvailableAt time.Time
	// LeaseExpires is when a dispatched or in-progress job returns to the
	// queue unless the worker reports.
	LeaseExpires time.Time
	// Summary and PercentComplete are the worker's latest report of
	// progress; FailureType and FailureMessage its report of failure.
	Summary         string
	PercentComplete int
	FailureType     string
	FailureMessage  string
	OutputVariables map[string]string
	Created         time.Time
	Updated         time.Time
}

// JobFilter selects jobs for Jobs. Zero fields select everything.
type JobFilter struct {
	ActionType string
	Statuses   []JobStatus
	// AvailableBy keeps jobs available at or before it.
	AvailableBy time.Time
	// LeaseExpiredBy keeps jobs whose lease expired at or before it.
	LeaseExpiredBy time.Time
	Limit          int
}

// JobStore persists custom-action jobs.
type JobStore interface {
	// CreateJob inserts j; a duplicate ID wraps pipeline.ErrInvalid.
	CreateJob(ctx context.Context, j Job) error
	// Job returns a job or an error wrapping pipeline.ErrNotFound.
	Job(ctx context.Context, id string) (Job, error)
	// UpdateJob stores every mutable field of j.
	UpdateJob(ctx context.Context, j Job) error
	// Jobs lists the jobs f selects, in queue order: by AvailableAt, then
	// by creation.
	Jobs(ctx context.Context, f JobFilter) ([]Job, error)
	// ExecutionJobs returns an execution's jobs, oldest first.
	ExecutionJobs(ctx context.Context, executionID string) ([]Job, error)
}

// Stores groups the per-aggregate stores.
type Stores interface {
	ExecutionStore
	StageStore
	ActionStore
	FindingStore
	ApprovalStore
	JobStore
}

// Tx is the stores bound to one transaction, plus the transaction itself
// so that queue jobs can be enqueued in it (queue.Dispatcher.EnqueueTx).
type Tx interface {
	Stores
	SQL() *sql.Tx
}

// Store is the persistent state of the engine. Its methods run outside any
// transaction; Update runs fn in one. Safe for concurrent use. Never call
// the Store's own methods from inside fn: with a single-connection pool
// (the SQLite setup) that deadlocks; use the Tx passed to fn.
type Store interface {
	Stores
	// Update runs fn in a transaction and commits when fn returns nil;
	// it rolls back and returns fn's error otherwise.
	Update(ctx context.Context, fn func(tx Tx) error) error
}
