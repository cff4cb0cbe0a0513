package jobapi

import (
	"encoding/json"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// The request and response bodies of the job API over HTTP, shaped like
// CodePipeline's: the server decodes the inputs, calls the Service and
// encodes the outputs as they are.

// PollForJobsInput asks for jobs of an action type.
type PollForJobsInput struct {
	ActionType string `json:"actionType"`
	// MaxBatchSize is the most jobs wanted; 0 means 1.
	MaxBatchSize int `json:"maxBatchSize,omitempty"`
}

// PollForJobsOutput holds the jobs handed out (an empty list, not null,
// when there are none).
type PollForJobsOutput struct {
	Jobs []Job `json:"jobs"`
}

// AcknowledgeJobInput claims a job.
type AcknowledgeJobInput struct {
	JobID string `json:"jobId"`
	Nonce string `json:"nonce"`
}

// AcknowledgeJobOutput answers an acknowledgement: the job's state, which
// is "InProgress" as in CodePipeline.
type AcknowledgeJobOutput struct {
	Status string `json:"status"`
}

// StatusInProgress is AcknowledgeJobOutput.Status after a successful
// acknowledgement.
const StatusInProgress = "InProgress"

// ExecutionDetails is the progress part of a success result on the wire.
type ExecutionDetails struct {
	Summary         string `json:"summary,omitempty"`
	PercentComplete int    `json:"percentComplete,omitempty"`
}

// PutJobSuccessResultInput reports a success (or progress) for a job:
// {"jobId", "continuationToken", "executionDetails", "outputVariables"}.
type PutJobSuccessResultInput struct {
	JobID  string
	Result SuccessResult
}

// PutJobFailureResultInput reports a failure for a job.
type PutJobFailureResultInput struct {
	JobID          string        `json:"jobId"`
	FailureDetails FailureResult `json:"failureDetails"`
}

// successWire is a success result as JSON carries it.
type successWire struct {
	JobID             string            `json:"jobId,omitempty"`
	ContinuationToken string            `json:"continuationToken,omitempty"`
	ExecutionDetails  *ExecutionDetails `json:"executionDetails,omitempty"`
	OutputVariables   map[string]string `json:"outputVariables,omitempty"`
}

func (r SuccessResult) wire(id string) successWire {
	w := successWire{JobID: id, ContinuationToken: r.ContinuationToken, OutputVariables: r.OutputVariables}
	if r.Summary != "" || r.PercentComplete != 0 {
		w.ExecutionDetails = &ExecutionDetails{Summary: r.Summary, PercentComplete: r.PercentComplete}
	}
	return w
}

func (w successWire) result() SuccessResult {
	r := SuccessResult{ContinuationToken: w.ContinuationToken, OutputVariables: w.OutputVariables}
	if d := w.ExecutionDetails; d != nil {
		r.Summary, r.PercentComplete = d.Summary, d.PercentComplete
	}
	return r
}

// MarshalJSON encodes r in CodePipeline's shape: {"continuationToken",
// "executionDetails": {"summary", "percentComplete"}, "outputVariables"}.
func (r SuccessResult) MarshalJSON() ([]byte, error) { return json.Marshal(r.wire("")) }

// UnmarshalJSON decodes what MarshalJSON encodes. Fields it does not know
// (CodePipeline's currentRevision, say) are ignored; malformed JSON wraps
// pipeline.ErrInvalid.
func (r *SuccessResult) UnmarshalJSON(data []byte) error {
	w, err := decodeSuccess(data)
	if err != nil {
		return err
	}
	*r = w.result()
	return nil
}

// MarshalJSON encodes the input with the job id beside the result's fields.
func (in PutJobSuccessResultInput) MarshalJSON() ([]byte, error) {
	return json.Marshal(in.Result.wire(in.JobID))
}

// UnmarshalJSON decodes what MarshalJSON encodes, like
// SuccessResult.UnmarshalJSON.
func (in *PutJobSuccessResultInput) UnmarshalJSON(data []byte) error {
	w, err := decodeSuccess(data)
	if err != nil {
		return err
	}
	*in = PutJobSuccessResultInput{JobID: w.JobID, Result: w.result()}
	return nil
}

func decodeSuccess(data []byte) (successWire, error) {
	var w successWire
	if err := json.Unmarshal(data, &w); err != nil {
		return w, fmt.Errorf("%w success result: %v", pipeline.ErrInvalid, err)
	}
	return w, nil
}
