package pipeline

import (
	"fmt"
	"time"
)

// ExecutionMode says what happens when a pipeline is started while an
// execution of it is still running.
type ExecutionMode string

// The execution modes, as in CodePipeline.
const (
	// ModeSuperseded (the default): a newer execution overtakes an older
	// one between stages; the older one ends as superseded.
	ModeSuperseded ExecutionMode = "superseded"
	// ModeQueued: executions run one at a time, in the order they started.
	ModeQueued ExecutionMode = "queued"
	// ModeParallel: executions run side by side, independently.
	ModeParallel ExecutionMode = "parallel"
)

// Pipeline is a pipeline definition: what secpipe.yml (or an imported
// CodePipeline declaration) describes. An Execution keeps a snapshot of it.
type Pipeline struct {
	Version       int           `json:"version"`
	Name          string        `json:"name"`
	ExecutionMode ExecutionMode `json:"execution_mode"`
	Triggers      []Trigger     `json:"triggers,omitempty"`
	// Variables are the pipeline's variables with their default values,
	// in file order; actions read them as #{variables.NAME}.
	Variables []Variable `json:"variables,omitempty"`
	Stages    []Stage    `json:"stages"`
}

// Variable is one pipeline-level variable.
type Variable struct {
	Name        string `json:"name"`
	Default     string `json:"default,omitempty"`
	Description string `json:"description,omitempty"`
}

// Trigger starts executions. Only git triggers exist today.
type Trigger struct {
	Git *GitTrigger `json:"git,omitempty"`
}

// GitTrigger starts an execution on a push that matches its filters
// (doublestar globs; empty means any).
type GitTrigger struct {
	Branches []string `json:"branches,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Paths    []string `json:"paths,omitempty"`
}

// Stage is a named group of actions; stages run one after another.
type Stage struct {
	Name string `json:"name"`
	// When is a condition (an expression over repository files and
	// variables) that must hold for the stage to run; empty always runs.
	// A stage whose condition is false is skipped, not failed.
	When    string   `json:"when,omitempty"`
	Actions []Action `json:"actions"`
}

// Action is one step of a stage.
type Action struct {
	Name string `json:"name"`
	// Provider names what runs the action: git, buildspec, shell, scan,
	// approval, invoke, custom (and image, verify later).
	Provider string `json:"provider"`
	// RunOrder orders the actions of a stage: lower first, equal in
	// parallel. Zero means 1.
	RunOrder int `json:"run_order,omitempty"`
	// Inputs and Outputs name artifacts. An input must be the output of
	// an action of an earlier stage or of a lower run order.
	Inputs  []string `json:"inputs,omitempty"`
	Outputs []string `json:"outputs,omitempty"`
	// Namespace names the action's output variables for later actions:
	// #{Namespace.Var}.
	Namespace string `json:"namespace,omitempty"`
	// Config is the provider's configuration, decoded from YAML or JSON;
	// string values may hold #{Namespace.Var} references, resolved when
	// the action starts.
	Config map[string]any `json:"config,omitempty"`
	// Timeout bounds one attempt; zero means the provider's default.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Retries is how many more attempts a failed action gets.
	Retries int `json:"retries,omitempty"`
}

// Order returns the action's run order, 1 when unset.
func (a Action) Order() int {
	if a.RunOrder <= 0 {
		return 1
	}
	return a.RunOrder
}

// Status is the state of an execution, stage or action.
type Status string

// The statuses. Terminal ones are succeeded, failed, cancelled, superseded
// and skipped.
const (
	StatusQueued     Status = "queued"
	StatusRunning    Status = "running"
	StatusWaiting    Status = "waiting" // for an approval, a continuation or an external worker
	StatusSucceeded  Status = "succeeded"
	StatusFailed     Status = "failed"
	StatusCancelled  Status = "cancelled"
	StatusSuperseded Status = "superseded"
	StatusSkipped    Status = "skipped"
)

// Terminal reports whether s is a final status.
func (s Status) Terminal() bool {
	switch s {
	case StatusSucceeded, StatusFailed, StatusCancelled, StatusSuperseded, StatusSkipped:
		return true
	}
	return false
}

// ParseStatus reads a status name; it wraps ErrInvalid for an unknown one.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case StatusQueued, StatusRunning, StatusWaiting, StatusSucceeded, StatusFailed, StatusCancelled,
		StatusSuperseded, StatusSkipped:
		return st, nil
	}
	return "", fmt.Errorf("%w status %q", ErrInvalid, s)
}
