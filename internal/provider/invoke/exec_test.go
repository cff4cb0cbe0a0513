package invoke

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Exec runs a handler for a job from outside the engine with the job's id
// and its action's whole configuration in the event.
func TestExec(t *testing.T) {
	events := t.TempDir()
	req, log := setup(t, counter, map[string]any{
		"action_type": "Deploy/secpipe-deployer/1", "env": "staging", "replicas": 2,
		"user_parameters": "--fast", "function": "Deployer",
	})
	handler := filepath.Join(req.Inputs["SourceArtifact"], "handler.sh")
	p := New(Config{Environ: append(os.Environ(), "EVENT_DIR="+events)})
	const jobID = "0b6a1c4e-5f2d-4c1b-9a7e-3d2f1e0c9b8a"
	got, err := p.Exec(context.Background(), req, handler, jobID)
	if err != nil {
		t.Fatalf("Exec: %v\n%s", err, log)
	}
	want := pipeline.ActionResult{State: pipeline.ActionInProgress, Message: "step 1", ContinuationToken: "1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Exec result (-want +got):\n%s\nlog:\n%s", diff, log)
	}
	var ev Event
	readJSON(t, filepath.Join(events, "event-0.json"), &ev)
	wantConf := map[string]string{"FunctionName": "Deployer", "UserParameters": "--fast",
		"action_type": "Deploy/secpipe-deployer/1", "env": "staging", "replicas": "2", "handler": "handler.sh"}
	if diff := cmp.Diff(wantConf, ev.Job.Data.ActionConfiguration.Configuration); diff != "" {
		t.Errorf("event configuration (-want +got):\n%s", diff)
	}
	if ev.Job.ID != jobID || len(ev.Job.Data.InputArtifacts) != 1 || len(ev.Job.Data.OutputArtifacts) != 1 {
		t.Errorf("event job %q with %d inputs and %d outputs, want %s with one of each",
			ev.Job.ID, len(ev.Job.Data.InputArtifacts), len(ev.Job.Data.OutputArtifacts), jobID)
	}
}

func TestJobConfigurationDefaultsFunctionName(t *testing.T) {
	got := jobConfiguration(map[string]any{"user_parameters": map[string]any{"n": 1}}, "/opt/handlers/deploy.sh")
	want := map[string]string{"FunctionName": "deploy.sh", "UserParameters": `{"n":1}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobConfiguration (-want +got):\n%s", diff)
	}
}
