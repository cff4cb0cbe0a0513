package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/custom"
	"github.com/secpipe/secpipe/internal/provider/shell"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/spec"
)

const deployType = "Deploy/remote-deployer/1"

// deployHandler answers "in progress" once, then deploys: it writes its
// input's data with the configured environment to its output and names a
// URL.
const deployHandler = `#!/bin/sh
event=$(cat)
case "$event" in
*'"continuationToken":"rolling-out"'*)
  env=$(printf '%s' "$event" | sed -n 's/.*"env":"\([^"]*\)".*/\1/p')
  printf '%s deployed to %s' "$(cat "$INPUT_SourceArtifact/data.txt")" "$env" > "$OUTPUT_DeployArtifact/data.txt"
  echo "deployed to $env" >&2
  echo '{"result":"success","output_variables":{"Url":"https://staging.example.com"},"message":"deployed"}' ;;
*)
  echo "starting the roll-out" >&2
  echo '{"result":"in_progress","continuation_token":"rolling-out","message":"rolling out"}' ;;
esac
`

// jobServer is an engine behind the job API, with worker tokens: "worker"
// may work deployType jobs.
type jobServer struct {
	eng *engine.Engine
	url string
}

func workerAuth(r *http.Request, actionType string) error {
	if r.Header.Get("Authorization") != "Bearer worker" {
		return fmt.Errorf("%w: unknown token", jobhttp.ErrUnauthenticated)
	}
	if actionType != deployType {
		return fmt.Errorf("this token may not work %q jobs", actionType)
	}
	return nil
}

func newJobServer(t *testing.T) *jobServer {
	t.Helper()
	dir := t.TempDir()
	db, err := queue.OpenSQLite(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	disp := queue.NewMemory()
	eng, err := engine.New(engine.Config{DB: db, Dispatcher: disp, Artifacts: arts, DataDir: dir,
		Providers: map[string]pipeline.Provider{"shell": shell.New(shell.Config{}), "custom": custom.New(custom.Config{})},
		Resolve:   spec.Resolve, ContinuationDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := disp.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(jobhttp.NewHandler(eng.Jobs(), jobhttp.HandlerOptions{Authorize: workerAuth}))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = disp.Stop(ctx)
		_ = db.Close()
	})
	return &jobServer{eng: eng, url: srv.URL}
}

// deployPipeline builds a source, deploys it through a custom action and
// checks the deployment's artifact and output variable.
func deployPipeline() *pipeline.Pipeline {
	return &pipeline.Pipeline{Version: 1, Name: "remote", Stages: []pipeline.Stage{
		{Name: "Source", Actions: []pipeline.Action{{Name: "Src", Provider: "shell", Outputs: []string{"SourceArtifact"},
			Config: map[string]any{"commands": []any{`printf src > "$OUTPUT_DIR/data.txt"`}}}}},
		{Name: "Deploy", Actions: []pipeline.Action{{Name: "Deploy", Provider: "custom", Namespace: "Dep",
			Inputs: []string{"SourceArtifact"}, Outputs: []string{"DeployArtifact"},
			Config: map[string]any{"action_type": deployType, "env": "staging"}}}},
		{Name: "Check", Actions: []pipeline.Action{{Name: "Check", Provider: "shell", Inputs: []string{"DeployArtifact"},
			Config: map[string]any{"commands": []any{
				`test "$(cat "$CODEBUILD_SRC_DIR/data.txt")" = "src deployed to staging"`,
				`test "#{Dep.Url}" = "https://staging.example.com"`}}}}},
	}}
}

func writeHandler(t *testing.T, script string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "handler.sh")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWorkerCompletesCustomAction(t *testing.T) {
	srv := newJobServer(t)
	handler := writeHandler(t, deployHandler)
	t.Setenv("SECPIPE_TOKEN", "worker")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := srv.eng.Start(ctx, deployPipeline(), engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr testutil.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"worker", "--server", srv.url, "--action-type", deployType, "--exec", handler,
			"--poll-interval", "20ms", "--concurrency", "2"}, &stdout, &stderr)
	}()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	status, err := srv.eng.Wait(wctx, id)
	if err != nil || status != pipeline.StatusSucceeded {
		info, _ := srv.eng.Execution(context.Background(), id)
		t.Fatalf("execution = %s, %v (%s); worker log:\n%s", status, err, info.Message, stderr.String())
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("worker exit code after its context ended = %d, want 0; log:\n%s", code, stderr.String())
	}
	log := stderr.String()
	for _, want := range []string{"job in progress", "continuation_token=rolling-out", "job succeeded",
		"] starting the roll-out", "] deployed to staging", "worker stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("worker log does not say %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "Bearer") || strings.Contains(log, "=worker") {
		t.Errorf("worker log shows the token:\n%s", log)
	}
}

func TestWorkerRefusedToken(t *testing.T) {
	srv := newJobServer(t)
	handler := writeHandler(t, deployHandler)
	tests := []struct {
		name, token, actionType, want string
	}{
		{name: "unknown token", token: "guess", actionType: deployType, want: "refused this worker (401 Unauthorized: unauthenticated: unknown token)"},
		{name: "type not allowed", token: "worker", actionType: "Test/other/1", want: "(403 Forbidden: this token may not work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr testutil.SyncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			code := Run(ctx, []string{"worker", "--server", srv.url, "--token", tt.token, "--action-type", tt.actionType,
				"--exec", handler, "--poll-interval", "10ms"}, &stdout, &stderr)
			if code != ExitError || !strings.Contains(stderr.String(), tt.want) ||
				!strings.Contains(stderr.String(), "check --token or $SECPIPE_TOKEN") {
				t.Errorf("worker with a refused token = exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr.String(), ExitError, tt.want)
			}
		})
	}
}

func TestWorkerUsage(t *testing.T) {
	handler := writeHandler(t, deployHandler)
	notExec := filepath.Join(t.TempDir(), "plain.sh")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no server", args: []string{"--action-type", "T", "--exec", handler}, want: "--server URL is required"},
		{name: "no type", args: []string{"--server", "http://127.0.0.1:1", "--exec", handler}, want: "--action-type is required"},
		{name: "no handler", args: []string{"--server", "http://127.0.0.1:1", "--action-type", "T"}, want: "--exec is required"},
		{name: "handler not executable", args: []string{"--server", "http://127.0.0.1:1", "--action-type", "T", "--exec", notExec},
			want: "not an executable file"},
		{name: "handler not on PATH", args: []string{"--server", "http://127.0.0.1:1", "--action-type", "T", "--exec", "no-such-handler-x"},
			want: "--exec no-such-handler-x"},
		{name: "bad URL", args: []string{"--server", "localhost:8080", "--action-type", "T", "--exec", handler},
			want: "want http(s)://host"},
		{name: "bad concurrency", args: []string{"--server", "http://h", "--action-type", "T", "--exec", handler, "--concurrency", "0"},
			want: "--concurrency 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), append([]string{"worker"}, tt.args...), &stdout, &stderr)
			if code != ExitError || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("worker %v = exit %d, stderr %q; want exit %d with %q", tt.args, code, stderr.String(), ExitError, tt.want)
			}
		})
	}
}

// waitHandler marks that it started, then waits for a file before it
// succeeds.
const waitHandler = `#!/bin/sh
cat > /dev/null
touch "$MARKS/started"
while [ ! -e "$MARKS/finish" ]; do sleep 0.05; done
echo '{"result":"success","message":"finished after the signal"}'
`

// The first signal stops polling and lets the running handler finish;
// the second stops the handler, and its job fails as SystemUnavailable.
func TestWorkerSignals(t *testing.T) {
	if _, err := exec.LookPath("secpipe"); err != nil {
		t.Skip("the secpipe command of TestMain is not on PATH")
	}
	tests := []struct {
		name    string
		signals int
		state   jobapi.State
		message string
	}{
		{name: "one signal lets the handler finish", signals: 1, state: jobapi.StateSucceeded, message: "finished after the signal"},
		{name: "two signals stop the handler", signals: 2, state: jobapi.StateFailed, message: "stopped while the handler ran"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := jobapi.NewMemory(jobapi.MemoryOptions{})
			srv := httptest.NewServer(jobhttp.NewHandler(m, jobhttp.HandlerOptions{}))
			defer srv.Close()
			id, err := m.Submit(context.Background(), jobapi.Job{ActionType: "T"})
			if err != nil {
				t.Fatal(err)
			}
			marks := t.TempDir()
			cmd := exec.Command("secpipe", "worker", "--server", srv.URL, "--action-type", "T",
				"--exec", writeHandler(t, waitHandler), "--poll-interval", "10ms")
			var stderr testutil.SyncBuffer
			cmd.Env = append(os.Environ(), "MARKS="+marks)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer cmd.Process.Kill()
			waitUntil(t, "the handler to start", func() bool { _, err := os.Stat(filepath.Join(marks, "started")); return err == nil })
			cmd.Process.Signal(syscall.SIGINT)
			waitUntil(t, "the worker to stop polling", func() bool { return strings.Contains(stderr.String(), "stopping: no new jobs") })
			if tt.signals == 2 {
				cmd.Process.Signal(syscall.SIGINT)
			} else {
				if err := os.WriteFile(filepath.Join(marks, "finish"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("worker exit = %v, want 0; log:\n%s", err, stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the worker did not exit:\n%s", stderr.String())
			}
			o, err := m.Outcome(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			msg := o.Summary
			if o.Failure != nil {
				msg = o.Failure.Type + ": " + o.Failure.Message
			}
			if o.State != tt.state || !strings.Contains(msg, tt.message) {
				t.Errorf("job after %d signal(s) = %s %q, want %s %q; log:\n%s", tt.signals, o.State, msg, tt.state, tt.message, stderr.String())
			}
		})
	}
}

// waitUntil polls cond until it holds, failing the test after 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
