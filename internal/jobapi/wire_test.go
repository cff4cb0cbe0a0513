package jobapi

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWireShapes(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{
			name: "job",
			v: Job{ID: "j1", Nonce: "n1", ActionType: "Deploy/x/1", ExecutionID: "e1", Stage: "S", Action: "A",
				Config: map[string]any{"k": "v"}, InputArtifacts: map[string]string{"In": "/in"},
				OutputArtifacts: map[string]string{"Out": "/out"}, ContinuationToken: "t", Attempt: 2},
			want: `{"id":"j1","nonce":"n1","actionType":"Deploy/x/1","pipelineExecutionId":"e1","stageName":"S",` +
				`"actionName":"A","actionConfiguration":{"k":"v"},"inputArtifacts":{"In":"/in"},` +
				`"outputArtifacts":{"Out":"/out"},"continuationToken":"t","attempt":2}`,
		},
		{
			name: "poll output without jobs",
			v:    PollForJobsOutput{Jobs: []Job{}},
			want: `{"jobs":[]}`,
		},
		{
			name: "poll input",
			v:    PollForJobsInput{ActionType: "Deploy/x/1", MaxBatchSize: 5},
			want: `{"actionType":"Deploy/x/1","maxBatchSize":5}`,
		},
		{
			name: "acknowledge input",
			v:    AcknowledgeJobInput{JobID: "j1", Nonce: "n1"},
			want: `{"jobId":"j1","nonce":"n1"}`,
		},
		{
			name: "success in progress",
			v: PutJobSuccessResultInput{JobID: "j1", Result: SuccessResult{ContinuationToken: "t",
				Summary: "half way", PercentComplete: 50}},
			want: `{"jobId":"j1","continuationToken":"t","executionDetails":{"summary":"half way","percentComplete":50}}`,
		},
		{
			name: "final success",
			v:    PutJobSuccessResultInput{JobID: "j1", Result: SuccessResult{OutputVariables: map[string]string{"A": "1"}}},
			want: `{"jobId":"j1","outputVariables":{"A":"1"}}`,
		},
		{
			name: "bare success result",
			v:    SuccessResult{Summary: "done"},
			want: `{"executionDetails":{"summary":"done"}}`,
		},
		{
			name: "failure",
			v:    PutJobFailureResultInput{JobID: "j1", FailureDetails: FailureResult{Type: FailureJobFailed, Message: "boom"}},
			want: `{"jobId":"j1","failureDetails":{"type":"JobFailed","message":"boom"}}`,
		},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.v)
		if err != nil {
			t.Fatalf("Marshal(%s): %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("Marshal(%s) =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestSuccessInputRoundTrip(t *testing.T) {
	in := PutJobSuccessResultInput{JobID: "j1", Result: SuccessResult{ContinuationToken: "t", Summary: "s", PercentComplete: 7}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var back PutJobSuccessResultInput
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// CodePipeline's own clients send fields secpipe does not use.
	var r SuccessResult
	aws := `{"currentRevision":{"revision":"r"},"executionDetails":{"externalExecutionId":"x","summary":"ok"}}`
	if err := json.Unmarshal([]byte(aws), &r); err != nil || r.Summary != "ok" {
		t.Errorf("Unmarshal(%s) = %+v, %v, want summary ok", aws, r, err)
	}
}
