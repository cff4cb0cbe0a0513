package shell

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// request returns a request with one input (holding in.txt) and one
// output artifact.
func request(t *testing.T, cfg map[string]any) (*pipeline.ActionRequest, *testutil.SyncBuffer) {
	t.Helper()
	root := t.TempDir()
	req := &pipeline.ActionRequest{
		ExecutionID: "exec-1",
		Action:      pipeline.Action{Name: "Test", Inputs: []string{"Src"}, Outputs: []string{"Out"}},
		Attempt:     1,
		Config:      cfg,
		Inputs:      map[string]string{"Src": filepath.Join(root, "in")},
		Outputs:     map[string]string{"Out": filepath.Join(root, "out")},
		WorkDir:     filepath.Join(root, "work"),
	}
	for _, d := range []string{req.Inputs["Src"], req.Outputs["Out"], req.WorkDir, filepath.Join(req.Inputs["Src"], "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(req.Inputs["Src"], "in.txt"), []byte("input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := &testutil.SyncBuffer{}
	req.Log = log
	return req, log
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		cfg      map[string]any
		want     pipeline.ActionResult
		log      string // the log must contain this
		noLog    string // and must not contain this
		outFiles map[string]string
	}{
		{
			name: "commands share one shell",
			cfg: map[string]any{
				"commands":           []any{"export V=1", "cat in.txt > $OUTPUT_DIR/copy.txt", "echo $V-$GREETING > $OUTPUT_Out/v.txt", "W=$(pwd)"},
				"env":                map[string]any{"GREETING": "hi"},
				"exported_variables": []any{"V", "W"},
			},
			want:     pipeline.ActionResult{State: pipeline.ActionSucceeded, OutputVariables: map[string]string{"V": "1", "W": "<src>"}},
			log:      "$ export V=1\n$ cat in.txt > $OUTPUT_DIR/copy.txt\n",
			outFiles: map[string]string{"copy.txt": "input\n", "v.txt": "1-hi\n"},
		},
		{
			name:  "a failing command stops the rest",
			cfg:   map[string]any{"commands": []any{"echo one", "sh -c 'exit 3'", "echo never"}},
			want:  pipeline.ActionResult{State: pipeline.ActionFailed, Message: `command "sh -c 'exit 3'" exited with status 3`},
			log:   "one\n",
			noLog: "never",
		},
		{
			name:  "set -e inside a command",
			cfg:   map[string]any{"commands": "false\necho never"},
			want:  pipeline.ActionResult{State: pipeline.ActionFailed, Message: `command "false…" exited with status 1`},
			noLog: "never",
		},
		{
			name:  "script with set -e",
			cfg:   map[string]any{"script": "echo start\nfalse\necho never\n"},
			want:  pipeline.ActionResult{State: pipeline.ActionFailed, Message: "script exited with status 1"},
			log:   "start\n",
			noLog: "never",
		},
		{
			name:     "script that exits 0",
			cfg:      map[string]any{"script": "echo done > $OUTPUT_DIR/done\nexit 0\n", "shell": "bash"},
			want:     pipeline.ActionResult{State: pipeline.ActionSucceeded},
			outFiles: map[string]string{"done": "done\n"},
		},
		{
			name:     "working_dir",
			cfg:      map[string]any{"commands": []any{"pwd > $OUTPUT_DIR/pwd"}, "working_dir": "sub"},
			want:     pipeline.ActionResult{State: pipeline.ActionSucceeded},
			outFiles: map[string]string{"pwd": "<src>/sub\n"},
		},
		{
			name: "unset exported variable warns",
			cfg:  map[string]any{"commands": []any{"true"}, "exported_variables": "NOPE"},
			want: pipeline.ActionResult{State: pipeline.ActionSucceeded, Warnings: []string{"exported variable NOPE is not set"}},
			log:  "warning: exported variable NOPE is not set\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, log := request(t, tt.cfg)
			got, err := New(Config{}).Run(context.Background(), req)
			if err != nil {
				t.Fatalf("Run: %v\nlog:\n%s", err, log)
			}
			src := req.Inputs["Src"]
			for k, v := range tt.want.OutputVariables {
				tt.want.OutputVariables[k] = strings.ReplaceAll(v, "<src>", src)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run (-want +got):\n%s\nlog:\n%s", diff, log)
			}
			if !strings.Contains(log.String(), tt.log) {
				t.Errorf("log = %q, want it to contain %q", log, tt.log)
			}
			if tt.noLog != "" && strings.Contains(log.String(), tt.noLog) {
				t.Errorf("log = %q, want no %q", log, tt.noLog)
			}
			for name, want := range tt.outFiles {
				b, err := os.ReadFile(filepath.Join(req.Outputs["Out"], name))
				if err != nil {
					t.Fatal(err)
				}
				if want = strings.ReplaceAll(want, "<src>", src); string(b) != want {
					t.Errorf("output %s = %q, want %q", name, b, want)
				}
			}
		})
	}
}

func TestRunConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{name: "nothing to run", cfg: map[string]any{}, want: "invalid config: commands or script is required"},
		{name: "both", cfg: map[string]any{"commands": "a", "script": "b"}, want: "invalid config: give commands or script, not both"},
		{name: "unknown key", cfg: map[string]any{"command": "a"}, want: `invalid config: unknown key "command"`},
		{name: "escaping working_dir", cfg: map[string]any{"commands": "a", "working_dir": "../.."}, want: "must be a relative path"},
		{name: "missing working_dir", cfg: map[string]any{"commands": "a", "working_dir": "nope"}, want: "nope is not a directory"},
		{name: "missing shell", cfg: map[string]any{"commands": "a", "shell": "/no/such/shell"}, want: "invalid config: shell:"},
		{name: "bad exported name", cfg: map[string]any{"commands": "a", "exported_variables": []any{"A-B"}}, want: `"A-B" is not a variable name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := request(t, tt.cfg)
			_, err := New(Config{}).Run(context.Background(), req)
			if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run(%v) = %v, want ErrInvalid containing %q", tt.cfg, err, tt.want)
			}
		})
	}
}

func TestRunCancel(t *testing.T) {
	req, _ := request(t, map[string]any{"commands": []any{"sleep 60 & echo $! > $OUTPUT_DIR/pid; wait"}})
	ctx, cancel := context.WithCancel(context.Background())
	pidFile := filepath.Join(req.Outputs["Out"], "pid")
	cancelled := make(chan time.Time, 1)
	go func() {
		for {
			if b, err := os.ReadFile(pidFile); err == nil && bytes.HasSuffix(b, []byte("\n")) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancelled <- time.Now()
		cancel()
	}()
	_, err := New(Config{KillGrace: 5 * time.Second}).Run(ctx, req)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	if d := time.Since(<-cancelled); d > time.Second {
		t.Errorf("Run returned %v after the cancel", d)
	}
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("pid file holds %q", b)
	}
	// SIGKILL is sent before Run returns; the kernel takes a moment.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(5 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); err != nil || zombie(pid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep (pid %d) still runs after the cancel", pid)
		}
	}
}

// zombie reports whether pid is dead but not yet reaped.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func TestReadOnlyInputIsCopied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	req, log := request(t, map[string]any{"commands": []any{"echo x > made.txt", "pwd > $OUTPUT_DIR/pwd"}})
	src := req.Inputs["Src"]
	if err := os.Chmod(src, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(src, 0o755) })
	got, err := New(Config{}).Run(context.Background(), req)
	if err != nil || got.State != pipeline.ActionSucceeded {
		t.Fatalf("Run = %v, %v\n%s", got, err, log)
	}
}
