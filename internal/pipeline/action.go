package pipeline

import (
	"context"
	"io"
	"time"
)

// ActionRequest is one attempt of one action, as the engine hands it to the
// action's provider. Paths are absolute directories the engine owns: inputs
// are read-only copies of artifacts, outputs start empty and become
// artifacts when the attempt succeeds.
type ActionRequest struct {
	ExecutionID string
	Pipeline    string
	Stage       string
	Action      Action
	// Attempt counts from 1; a retry or a re-invocation with a
	// continuation token is a new attempt.
	Attempt int
	// Config is Action.Config with every #{Namespace.Var} reference
	// resolved.
	Config map[string]any
	// Inputs maps each input artifact's name to its directory; Outputs
	// maps each output artifact's name to an empty directory to fill.
	Inputs  map[string]string
	Outputs map[string]string
	// WorkDir is a scratch directory, removed after the attempt.
	WorkDir string
	// RepoDir is the repository the execution runs for (secpipe run's
	// DIR); a source action reads it, others should read their inputs.
	RepoDir string
	// Variables are the pipeline variables and every output variable
	// produced so far, keyed "variables.NAME" and "Namespace.Var".
	Variables map[string]string
	// ContinuationToken is what the previous attempt answered with when
	// it said it was still in progress; empty on a first invocation.
	ContinuationToken string
	// Log receives the attempt's output (streamed to the action log).
	Log io.Writer
}

// ActionState is what an attempt ended in.
type ActionState string

// The outcomes a provider reports.
const (
	// ActionSucceeded: outputs are complete; the action succeeded.
	ActionSucceeded ActionState = "succeeded"
	// ActionFailed: the action failed (a failed build, a failed gate).
	ActionFailed ActionState = "failed"
	// ActionInProgress: still working; re-invoke after ContinuationDelay
	// with ContinuationToken.
	ActionInProgress ActionState = "in_progress"
	// ActionWaiting: waiting for something outside (an approval, an
	// external job worker); the engine resumes the action when it comes.
	ActionWaiting ActionState = "waiting"
)

// ActionResult is what a provider reports for one attempt. An error
// returned beside it (rather than ActionFailed) means the attempt could not
// run at all (bad configuration, a missing tool) and also fails it.
type ActionResult struct {
	State   ActionState
	Message string
	// ContinuationToken and ContinuationDelay go with ActionInProgress;
	// a zero delay means the default (30 s).
	ContinuationToken string
	ContinuationDelay time.Duration
	// OutputVariables become #{Namespace.Var} for later actions.
	OutputVariables map[string]string
	// Revision is the source revision a source action fetched (a commit).
	Revision string
	// Findings are what a scan found, already gated (Suppressed set).
	Findings []Finding
	// Verdict is the gate's decision when the action ran one.
	Verdict *Verdict
	// Tests are test results an action reported (buildspec reports).
	Tests []TestSuite
	// Warnings are things the user should know that did not fail the
	// action (a buildspec field that cannot apply locally).
	Warnings []string
}

// TestSuite is one suite of test results (a JUnit file).
type TestSuite struct {
	Name     string        `json:"name"`
	File     string        `json:"file,omitempty"`
	Tests    int           `json:"tests"`
	Failures int           `json:"failures"`
	Errors   int           `json:"errors"`
	Skipped  int           `json:"skipped"`
	Duration time.Duration `json:"duration"`
}

// Provider runs one kind of action. Run must honour ctx (cancelled on
// timeout and on cancel of the execution), write its output to req.Log and
// leave nothing running when it returns. Providers are safe for concurrent
// use: parallel actions call Run at the same time.
type Provider interface {
	Name() string
	Run(ctx context.Context, req *ActionRequest) (ActionResult, error)
}
