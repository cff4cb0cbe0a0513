// Package store defines how the engine persists executions: one small
// interface per aggregate (executions, stage runs, action runs, findings,
// approvals, custom-action jobs, the engine processes (runners) working the
// store, and for a server registered pipelines, API tokens and the audit
// log), the records they hold, and Store, which groups them and runs a
// function in one transaction.
//
// Implementations live in sub-packages (sqlite, postgres) and all pass the
// storetest suite. Every method takes ctx first; a missing record wraps
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
	// Trigger says what started the execution: "cli", "manual",
	// "poll", "webhook:github", "webhook:gitlab", "webhook:gitea",
	// "retry"; with who or what after a space where known
	// ("manual alice", "webhook:github 1a2b3c4").
	Trigger string
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
	// BeforeSeq keeps executions created before the one with that Seq
	// (paging newest first).
	BeforeSeq int64
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

// PushFilter selects the pushes that start a pipeline. Each list holds
// doublestar globs; an empty list selects everything. A push starts the
// pipeline when its branch (or tag) matches and, if Paths is set, at least
// one changed file matches.
type PushFilter struct {
	Branches []string
	Tags     []string
	Paths    []string
}

// PipelineRecord is a pipeline registered with a server: where its
// repository is and what starts it. The definition itself is read from the
// repository's secpipe.yml at each execution.
type PipelineRecord struct {
	// Name is unique; it is the pipeline's name in secpipe.yml unless the
	// user chose another.
	Name string
	// Repo is a git URL or a local path; Branch the branch it follows;
	// Dir the folder inside the repository holding secpipe.yml ("" for
	// the top).
	Repo   string
	Branch string
	Dir    string
	// PollInterval is how often the repository is polled for new commits;
	// zero turns polling off (webhooks or manual starts only).
	PollInterval time.Duration
	// WebhookSecret verifies webhook signatures (HMAC-SHA256 for GitHub
	// and Gitea, the token for GitLab). Never returned by the API.
	WebhookSecret string
	Filter        PushFilter
	// LastRevision is the newest revision a trigger started an execution
	// for, so a poll starts each commit once.
	LastRevision string
	// Paused pipelines ignore triggers; manual starts still work.
	Paused  bool
	Created time.Time
	Updated time.Time
}

// PipelineStore persists registered pipelines.
type PipelineStore interface {
	// CreatePipeline inserts p; a duplicate name wraps ErrInvalid.
	CreatePipeline(ctx context.Context, p PipelineRecord) error
	// Pipeline returns one pipeline or an error wrapping ErrNotFound.
	Pipeline(ctx context.Context, name string) (PipelineRecord, error)
	// Pipelines lists every pipeline by name.
	Pipelines(ctx context.Context) ([]PipelineRecord, error)
	// UpdatePipeline stores every field of p but Name and Created;
	// ErrNotFound when p.Name is unknown.
	UpdatePipeline(ctx context.Context, p PipelineRecord) error
	// DeletePipeline removes a pipeline (its executions stay);
	// ErrNotFound when unknown.
	DeletePipeline(ctx context.Context, name string) error
}

// Role is what an API token may do. Each role may do what the roles
// before it may.
type Role string

// The roles, weakest first. RoleWorker may use only the job API.
const (
	RoleWorker   Role = "worker"
	RoleViewer   Role = "viewer"
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
)

// Token is an API token. The secret is never stored: Hash is the SHA-256
// of the token's secret part, hex-encoded, and is what lookups use.
type Token struct {
	ID   string
	Name string
	Hash string
	Role Role
	// ActionTypes limits a worker token to these custom action types
	// (empty: any).
	ActionTypes []string
	Created     time.Time
	// LastUsed is updated at most once a minute.
	LastUsed time.Time
	// Expires, when set, ends the token's validity.
	Expires time.Time
	Revoked time.Time
}

// TokenStore persists API tokens.
type TokenStore interface {
	// CreateToken inserts t; a duplicate ID, name or hash wraps ErrInvalid.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token with that hash (revoked or not) or
	// an error wrapping ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// Tokens lists every token, oldest first.
	Tokens(ctx context.Context) ([]Token, error)
	// UpdateToken stores LastUsed, Expires and Revoked of t; ErrNotFound
	// when t.ID is unknown.
	UpdateToken(ctx context.Context, t Token) error
}

// AuditEntry records who did what: approvals, rejections, retries,
// cancels, manual starts, pipeline and token changes.
type AuditEntry struct {
	// Seq orders entries; AddAudit assigns it.
	Seq int64
	At  time.Time
	// Actor is the token name (or "local" for the CLI).
	Actor string
	// Action is a dotted verb: "approval.approve", "pipeline.create", ...
	Action string
	// Target names what was acted on: an execution id, a pipeline, a token.
	Target string
	Detail string
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Target string
	// BeforeSeq keeps entries older than that Seq (paging backwards).
	BeforeSeq int64
	Limit     int
}

// AuditStore persists the audit log. Entries are never changed or removed.
type AuditStore interface {
	// AddAudit appends e and sets e.Seq.
	AddAudit(ctx context.Context, e *AuditEntry) error
	// Audit lists entries f selects, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// Runner is an engine process working the store. The engine records it
// before it claims its first attempt and refreshes Seen every few seconds
// while it runs (its heartbeat); ActionRun.Runner names the runner running
// an attempt. A runner whose heartbeat is older than the engines' lease is
// presumed dead and its attempts are run again elsewhere.
type Runner struct {
	ID string
	// Host and PID say where the runner runs, for the people reading it.
	Host    string
	PID     int
	Started time.Time
	// Seen is the time of the runner's latest heartbeat, by its own
	// clock.
	Seen time.Time
}

// RunnerStore persists the runners' heartbeats.
type RunnerStore interface {
	// Heartbeat inserts r, or stores Host, PID, Started and Seen of the
	// runner with r.ID.
	Heartbeat(ctx context.Context, r Runner) error
	// Runner returns one runner or an error wrapping ErrNotFound.
	Runner(ctx context.Context, id string) (Runner, error)
	// Runners lists every runner, oldest Started first (then by ID).
	Runners(ctx context.Context) ([]Runner, error)
	// DeleteRunner removes a runner's record; ErrNotFound when unknown.
	DeleteRunner(ctx context.Context, id string) error
}

// ServerStores groups the aggregates only a server uses (registered
// pipelines, API tokens, the audit log). Every Store has them; the CLI's
// local runs leave them empty.
type ServerStores interface {
	PipelineStore
	TokenStore
	AuditStore
}

// Stores groups the per-aggregate stores.
type Stores interface {
	ExecutionStore
	StageStore
	ActionStore
	FindingStore
	ApprovalStore
	JobStore
	RunnerStore
	ServerStores
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
//
// Times are kept to the microsecond at least (PostgreSQL's resolution;
// SQLite keeps nanoseconds); the zero time stays zero.
type Store interface {
	Stores
	// Update runs fn in a transaction and commits when fn returns nil;
	// it rolls back and returns fn's error otherwise. Transactions are
	// serializable: concurrent Updates behave as if run one at a time.
	// An implementation that detects a conflict with a concurrent
	// transaction (PostgreSQL) rolls back and runs fn again, so fn must
	// leave no effect outside tx, or reset it when it starts.
	Update(ctx context.Context, fn func(tx Tx) error) error
}
