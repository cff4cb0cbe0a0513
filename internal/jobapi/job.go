// Package jobapi is the job API of custom actions, modelled on AWS
// CodePipeline's: a worker outside the engine polls for the jobs of an
// action type, acknowledges one with the nonce it came with, does the work
// and reports success (optionally "still in progress" with a continuation
// token) or failure.
//
// The package holds the wire types (with CodePipeline's camelCase JSON
// names, so the HTTP API serves them as they are), the Service interface
// the engine implements over its store, Memory, an in-memory reference
// implementation that pins the semantics, and Client, the loop a worker
// runs. Package jobapitest is the conformance suite every Service passes.
//
// The life of a job:
//
//	queued ──Poll──▶ dispatched ──Acknowledge(nonce)──▶ in_progress
//	  ▲                  │                                 │
//	  │     lease ends   │     lease ends, or success      ├─ success ─▶ succeeded
//	  └──────────────────┴──── with a continuation token ◀─┤
//	       (attempt+1)         (after the delay)           └─ failure ─▶ failed
//
// Each dispatch carries a fresh random nonce and starts a lease; an
// acknowledgement starts a new lease. A job dispatched but not acknowledged
// within its lease, or acknowledged but silent past it, returns to the
// queue as a new attempt. A success with a continuation token returns the
// job to the queue after the continuation delay, as a new attempt that
// carries the token; output variables go only with a final success.
package jobapi

import (
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Job is one unit of work of a custom action, as a worker receives it.
type Job struct {
	// ID names the job; it stays the same across its attempts.
	ID string `json:"id"`
	// Nonce is fresh on every dispatch; AcknowledgeJob must quote it.
	Nonce string `json:"nonce,omitempty"`
	// ActionType is what workers poll for: "Category/Provider/Version" or
	// a plain name (the custom action's config.action_type).
	ActionType  string `json:"actionType"`
	ExecutionID string `json:"pipelineExecutionId,omitempty"`
	Stage       string `json:"stageName,omitempty"`
	Action      string `json:"actionName,omitempty"`
	// Config is the action's configuration, references resolved.
	Config map[string]any `json:"actionConfiguration,omitempty"`
	// InputArtifacts and OutputArtifacts map artifact names to where the
	// worker reads and writes them (a directory, or a digest).
	InputArtifacts  map[string]string `json:"inputArtifacts,omitempty"`
	OutputArtifacts map[string]string `json:"outputArtifacts,omitempty"`
	// ContinuationToken is what the previous attempt answered with when it
	// said the work was still in progress; empty on a first attempt.
	ContinuationToken string `json:"continuationToken,omitempty"`
	// Attempt counts from 1; a lease that ran out or a continuation makes
	// a new attempt.
	Attempt int `json:"attempt"`
}

// SuccessResult is a worker's report that a job's work succeeded, or, with
// a ContinuationToken, that it is still in progress. On the wire the
// summary and percentage sit under "executionDetails" (see MarshalJSON).
type SuccessResult struct {
	// ContinuationToken, when set, says the work goes on: the job comes
	// back after the continuation delay carrying the token.
	ContinuationToken string
	// OutputVariables become #{Namespace.Var} for later actions. They may
	// only go with a final success (no ContinuationToken).
	OutputVariables map[string]string
	// Summary and PercentComplete describe the progress, for people.
	Summary         string
	PercentComplete int
}

// FailureResult is a worker's report that a job failed.
type FailureResult struct {
	// Type is one of the Failure* constants; empty means FailureJobFailed.
	Type    string `json:"type"`
	Message string `json:"message"`
}

// The failure types, as in CodePipeline.
const (
	FailureJobFailed           = "JobFailed"
	FailureConfigurationError  = "ConfigurationError"
	FailurePermissionError     = "PermissionError"
	FailureRevisionOutOfSync   = "RevisionOutOfSync"
	FailureRevisionUnavailable = "RevisionUnavailable"
	FailureSystemUnavailable   = "SystemUnavailable"
)

// Limits a result must keep, as in CodePipeline.
const (
	MaxSummary      = 2048
	MaxMessage      = 5000
	MaxToken        = 2048
	MaxVariableName = 128
	// MaxVariablesSize bounds the names and values of a result's output
	// variables together.
	MaxVariablesSize = 122880
)

// Validate checks r against the rules every Service applies: output
// variables only without a continuation token, names of letters, digits,
// '@', '_' and '-', the size limits, and a percentage from 0 to 100. Its
// errors wrap pipeline.ErrInvalid.
func (r SuccessResult) Validate() error {
	if r.ContinuationToken != "" && len(r.OutputVariables) > 0 {
		return fmt.Errorf("%w result: output variables may not go with a continuation token", pipeline.ErrInvalid)
	}
	if len(r.ContinuationToken) > MaxToken || len(r.Summary) > MaxSummary {
		return fmt.Errorf("%w result: continuation token or summary longer than %d or %d bytes", pipeline.ErrInvalid, MaxToken, MaxSummary)
	}
	if r.PercentComplete < 0 || r.PercentComplete > 100 {
		return fmt.Errorf("%w result: percent complete %d is not 0 to 100", pipeline.ErrInvalid, r.PercentComplete)
	}
	size := 0
	for k, v := range r.OutputVariables {
		if len(k) > MaxVariableName || !validName(k) {
			return fmt.Errorf("%w result: output variable name %q (want up to %d letters, digits, '@', '_' or '-')",
				pipeline.ErrInvalid, k, MaxVariableName)
		}
		size += len(k) + len(v)
	}
	if size > MaxVariablesSize {
		return fmt.Errorf("%w result: output variables of %d bytes exceed %d", pipeline.ErrInvalid, size, MaxVariablesSize)
	}
	return nil
}

// Validate checks r: a known type (or none) and a message within
// MaxMessage. Its errors wrap pipeline.ErrInvalid.
func (r FailureResult) Validate() error {
	switch r.Type {
	case "", FailureJobFailed, FailureConfigurationError, FailurePermissionError, FailureRevisionOutOfSync,
		FailureRevisionUnavailable, FailureSystemUnavailable:
	default:
		return fmt.Errorf("%w failure type %q", pipeline.ErrInvalid, r.Type)
	}
	if len(r.Message) > MaxMessage {
		return fmt.Errorf("%w failure message longer than %d bytes", pipeline.ErrInvalid, MaxMessage)
	}
	return nil
}

// Normalized returns r with an empty Type set to FailureJobFailed.
func (r FailureResult) Normalized() FailureResult {
	if r.Type == "" {
		r.Type = FailureJobFailed
	}
	return r
}

// validName reports whether s is a non-empty run of letters, digits, '@',
// '_' and '-'.
func validName(s string) bool {
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '@', c == '_', c == '-':
		default:
			return false
		}
	}
	return s != ""
}
