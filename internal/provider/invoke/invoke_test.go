package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// counter answers in_progress twice, counting in its continuation token,
// then success; it saves each event it reads in $EVENT_DIR.
const counter = `#!/bin/sh
event=$(cat)
echo "job $SECPIPE_JOB_ID" >&2
case "$event" in
*"\"id\":\"$SECPIPE_JOB_ID\""*) ;;
*) echo '{"result":"failure","message":"job id mismatch"}'; exit 0 ;;
esac
token=$(printf '%s' "$event" | sed -n 's/.*"continuationToken":"\([0-9]*\)".*/\1/p')
printf '%s' "$event" > "$EVENT_DIR/event-${token:-0}.json"
next=$(( ${token:-0} + 1 ))
echo "log line on stdout"
if [ "$next" -le 2 ]; then
  printf '{"result":"in_progress","continuation_token":"%s","message":"step %s"}\n' "$next" "$next"
else
  printf '{\n  "result": "success",\n  "output_variables": {"Calls": "%s", "Answer": 42}\n}\n' "$next"
fi
`

// setup writes handler as handler.sh into a primary input artifact and
// returns a request for it.
func setup(t *testing.T, handler string, cfg map[string]any) (*pipeline.ActionRequest, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	in := filepath.Join(root, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "handler.sh"), []byte(handler), 0o755); err != nil {
		t.Fatal(err)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	if _, ok := cfg["handler"]; !ok {
		cfg["handler"] = "handler.sh"
	}
	log := &bytes.Buffer{}
	return &pipeline.ActionRequest{
		ExecutionID: "exec-1",
		Action:      pipeline.Action{Name: "Launch", Inputs: []string{"SourceArtifact"}, Outputs: []string{"LaunchArtifact"}},
		Attempt:     1,
		Config:      cfg,
		Inputs:      map[string]string{"SourceArtifact": in},
		Outputs:     map[string]string{"LaunchArtifact": filepath.Join(root, "out")},
		WorkDir:     t.TempDir(),
		Log:         log,
	}, log
}

func TestContinuation(t *testing.T) {
	events := t.TempDir()
	req, log := setup(t, counter, map[string]any{
		"user_parameters": map[string]any{"image": "base", "n": 2}, "continuation_delay": "10ms",
	})
	p := New(Config{Environ: append(os.Environ(), "EVENT_DIR="+events)})
	wants := []pipeline.ActionResult{
		{State: pipeline.ActionInProgress, Message: "step 1", ContinuationToken: "1", ContinuationDelay: 10 * time.Millisecond},
		{State: pipeline.ActionInProgress, Message: "step 2", ContinuationToken: "2", ContinuationDelay: 10 * time.Millisecond},
		{State: pipeline.ActionSucceeded, OutputVariables: map[string]string{"Calls": "3", "Answer": "42"}},
	}
	for i, want := range wants {
		got, err := p.Run(context.Background(), req)
		if err != nil {
			t.Fatalf("call %d: %v\n%s", i+1, err, log)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("call %d (-want +got):\n%s\nlog:\n%s", i+1, diff, log)
		}
		req.ContinuationToken = got.ContinuationToken
		req.Attempt++
	}
	if !strings.Contains(log.String(), "job ") || strings.Contains(log.String(), "log line on stdout") {
		t.Errorf("log = %q, want stderr only", log)
	}

	var first, second Event
	readJSON(t, filepath.Join(events, "event-0.json"), &first)
	readJSON(t, filepath.Join(events, "event-1.json"), &second)
	want := Event{Job: Job{AccountID: "local", Data: JobData{
		ActionConfiguration: ActionConfiguration{Configuration: map[string]string{
			"FunctionName": "handler.sh", "UserParameters": `{"image":"base","n":2}`,
		}},
		InputArtifacts:  []Artifact{{Name: "SourceArtifact", Location: Location{Type: "Local", Path: req.Inputs["SourceArtifact"]}}},
		OutputArtifacts: []Artifact{{Name: "LaunchArtifact", Location: Location{Type: "Local", Path: req.Outputs["LaunchArtifact"]}}},
	}}}
	if diff := cmp.Diff(want, first, cmpopts.IgnoreFields(Job{}, "ID")); diff != "" {
		t.Errorf("first event (-want +got):\n%s", diff)
	}
	want.Job.Data.ContinuationToken = "1"
	if diff := cmp.Diff(want, second, cmpopts.IgnoreFields(Job{}, "ID")); diff != "" {
		t.Errorf("second event (-want +got):\n%s", diff)
	}
	if first.Job.ID == second.Job.ID || len(first.Job.ID) != 36 {
		t.Errorf("job ids %q and %q: want two fresh UUIDs", first.Job.ID, second.Job.ID)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		handler string
		cfg     map[string]any
		want    pipeline.ActionResult
	}{
		{
			name:    "failure",
			handler: "#!/bin/sh\necho '{\"result\":\"failure\",\"message\":\"scan found 2 HIGH\"}'\n",
			want:    pipeline.ActionResult{State: pipeline.ActionFailed, Message: "scan found 2 HIGH"},
		},
		{
			name:    "string user parameters and function",
			handler: "#!/bin/sh\nev=$(cat)\ncase \"$ev\" in *'\"FunctionName\":\"fn\",\"UserParameters\":\"plain\"'*) echo '{\"result\":\"success\"}';; *) echo '{\"result\":\"failure\"}';; esac\n",
			cfg:     map[string]any{"user_parameters": "plain", "function": "fn"},
			want:    pipeline.ActionResult{State: pipeline.ActionSucceeded},
		},
		{
			name:    "non-zero exit",
			handler: "#!/bin/sh\necho '{\"result\":\"failure\",\"message\":\"boom\"}'\nexit 4\n",
			want:    pipeline.ActionResult{State: pipeline.ActionFailed, Message: "the handler exited with status 4: boom"},
		},
		{
			name:    "no reply",
			handler: "#!/bin/sh\necho done\n",
			want:    pipeline.ActionResult{State: pipeline.ActionFailed, Message: `malformed reply from the handler: the standard output does not end with a JSON object (it ends with "done")`},
		},
		{
			name:    "in progress without token",
			handler: "#!/bin/sh\necho '{\"result\":\"in_progress\"}'\n",
			want:    pipeline.ActionResult{State: pipeline.ActionFailed, Message: `malformed reply from the handler: reply: result "in_progress" needs a continuation_token`},
		},
		{
			name:    "default delay",
			handler: "#!/bin/sh\necho '{\"result\":\"in_progress\",\"continuation_token\":\"t\"}'\n",
			want:    pipeline.ActionResult{State: pipeline.ActionInProgress, ContinuationToken: "t", ContinuationDelay: DefaultContinuationDelay},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, log := setup(t, tt.handler, tt.cfg)
			got, err := New(Config{}).Run(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run (-want +got):\n%s\nlog:\n%s", diff, log)
			}
		})
	}
}

func TestHandlerErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		prep func(req *pipeline.ActionRequest)
		want string
	}{
		{name: "no handler", cfg: map[string]any{"handler": ""}, want: "handler is required"},
		{name: "missing", cfg: map[string]any{"handler": "nope.sh"}, want: `"nope.sh" not found`},
		{name: "escaping", cfg: map[string]any{"handler": "../in/handler.sh"}, want: "not found"},
		{name: "not executable", prep: func(req *pipeline.ActionRequest) {
			_ = os.Chmod(filepath.Join(req.Inputs["SourceArtifact"], "handler.sh"), 0o644)
		}, want: "is not executable"},
		{name: "bad delay", cfg: map[string]any{"continuation_delay": "soon"}, want: "continuation_delay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := setup(t, "#!/bin/sh\n", tt.cfg)
			if tt.prep != nil {
				tt.prep(req)
			}
			_, err := New(Config{}).Run(context.Background(), req)
			if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestHandlerFromRepository(t *testing.T) {
	req, _ := setup(t, "#!/bin/sh\n", map[string]any{"handler": "tools/h.sh"})
	req.RepoDir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(req.RepoDir, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(req.RepoDir, "tools/h.sh"), []byte("#!/bin/sh\necho '{\"result\":\"success\"}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := New(Config{}).Run(context.Background(), req)
	if err != nil || got.State != pipeline.ActionSucceeded {
		t.Errorf("Run = %+v, %v; want success", got, err)
	}
}

func TestCancel(t *testing.T) {
	req, _ := setup(t, "#!/bin/sh\nsleep 60\n", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := New(Config{}).Run(ctx, req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 1200*time.Millisecond {
		t.Errorf("Run took %v after a 200ms timeout", d)
	}
}
