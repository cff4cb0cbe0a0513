package buildspec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/spec"
)

// newRequest returns a request with a primary input (Src, holding files)
// and one output (Out).
func newRequest(t *testing.T, cfg map[string]any, files map[string]string) (*pipeline.ActionRequest, *testutil.SyncBuffer) {
	t.Helper()
	root := t.TempDir()
	log := &testutil.SyncBuffer{}
	req := &pipeline.ActionRequest{
		ExecutionID: "exec-1",
		Pipeline:    "demo",
		Action:      pipeline.Action{Name: "Build", Inputs: []string{"Src"}, Outputs: []string{"Out"}},
		Attempt:     1,
		Config:      cfg,
		Inputs:      map[string]string{"Src": filepath.Join(root, "src")},
		Outputs:     map[string]string{"Out": filepath.Join(root, "out")},
		WorkDir:     filepath.Join(root, "work"),
		Log:         log,
	}
	for _, d := range []string{req.Inputs["Src"], req.Outputs["Out"], req.WorkDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		p := filepath.Join(req.Inputs["Src"], filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return req, log
}

// phase builds a phase whose commands and finally commands append their
// names to $TRACE; a name starting with "!" fails.
func phase(name, onFailure string, commands, finally []string) spec.Phase {
	cmd := func(list []string) []string {
		var out []string
		for _, c := range list {
			if rest, ok := strings.CutPrefix(c, "!"); ok {
				out = append(out, "echo "+rest+" >> \"$TRACE\"; false")
				continue
			}
			out = append(out, "echo "+c+" >> \"$TRACE\"")
		}
		return out
	}
	return spec.Phase{Name: name, OnFailure: onFailure, Commands: cmd(commands), Finally: cmd(finally)}
}

func TestPhaseTransitions(t *testing.T) {
	tests := []struct {
		name    string
		phases  []spec.Phase
		trace   string
		message string
	}{
		{
			name: "all succeed in order",
			phases: []spec.Phase{
				phase("install", "", []string{"i1", "i2"}, []string{"ifin"}),
				phase("pre_build", "", []string{"p1"}, nil),
				phase("build", "", []string{"b1"}, []string{"bfin"}),
				phase("post_build", "", []string{"o1"}, nil),
			},
			trace: "i1 i2 ifin p1 b1 bfin o1",
		},
		{
			name: "failed build still runs post_build",
			phases: []spec.Phase{
				phase("pre_build", "", []string{"p1"}, nil),
				phase("build", "", []string{"b1", "!b2", "b3"}, []string{"bfin"}),
				phase("post_build", "", []string{"o1"}, []string{"ofin"}),
			},
			trace:   "p1 b1 b2 bfin o1 ofin",
			message: `phase build failed: command "echo b2 >> \"$TRACE\"; false" exited with status 1`,
		},
		{
			name: "failed install ends the build",
			phases: []spec.Phase{
				phase("install", "", []string{"!i1", "i2"}, []string{"ifin"}),
				phase("pre_build", "", []string{"p1"}, nil),
				phase("build", "", []string{"b1"}, nil),
				phase("post_build", "", []string{"o1"}, nil),
			},
			trace:   "i1 ifin",
			message: `phase install failed: command "echo i1 >> \"$TRACE\"; false" exited with status 1`,
		},
		{
			name: "failed pre_build ends the build",
			phases: []spec.Phase{
				phase("pre_build", "", []string{"!p1"}, nil),
				phase("build", "", []string{"b1"}, nil),
				phase("post_build", "", []string{"o1"}, nil),
			},
			trace:   "p1",
			message: `phase pre_build failed: command "echo p1 >> \"$TRACE\"; false" exited with status 1`,
		},
		{
			name: "ABORT on build skips post_build",
			phases: []spec.Phase{
				phase("build", "ABORT", []string{"!b1"}, []string{"bfin"}),
				phase("post_build", "", []string{"o1"}, nil),
			},
			trace:   "b1 bfin",
			message: `phase build failed: command "echo b1 >> \"$TRACE\"; false" exited with status 1`,
		},
		{
			name: "CONTINUE on install goes on but fails the build",
			phases: []spec.Phase{
				phase("install", "CONTINUE", []string{"!i1", "i2"}, nil),
				phase("pre_build", "", []string{"p1"}, nil),
				phase("build", "", []string{"b1"}, nil),
			},
			trace:   "i1 p1 b1",
			message: `phase install failed: command "echo i1 >> \"$TRACE\"; false" exited with status 1`,
		},
		{
			name: "failing finally fails the phase",
			phases: []spec.Phase{
				phase("pre_build", "", []string{"p1"}, []string{"!pfin", "pfin2"}),
				phase("build", "", []string{"b1"}, nil),
			},
			trace:   "p1 pfin",
			message: `phase pre_build failed: command "echo pfin >> \"$TRACE\"; false" exited with status 1`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			req, log := newRequest(t, nil, nil)
			p := New(Config{Environ: append(os.Environ(), "TRACE="+trace)})
			got, err := p.run(context.Background(), req, settings{}, &spec.Buildspec{Version: "0.2", Phases: tt.phases}, nil)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, log)
			}
			b, _ := os.ReadFile(trace)
			if gotTrace := strings.Join(strings.Fields(string(b)), " "); gotTrace != tt.trace {
				t.Errorf("commands ran: %q, want %q\nlog:\n%s", gotTrace, tt.trace, log)
			}
			wantState := pipeline.ActionSucceeded
			if tt.message != "" {
				wantState = pipeline.ActionFailed
			}
			if got.State != wantState || got.Message != tt.message {
				t.Errorf("run = %s %q, want %s %q", got.State, got.Message, wantState, tt.message)
			}
		})
	}
}

func TestSessionCarriesAcrossPhases(t *testing.T) {
	req, log := newRequest(t, nil, nil)
	bs := &spec.Buildspec{
		Version: "0.2",
		Env:     spec.BuildspecEnv{ExportedVariables: []string{"FROM_INSTALL", "DIR", "STATE", "SUCCEEDING"}},
		Phases: []spec.Phase{
			{Name: "install", Commands: []string{"export FROM_INSTALL=yes", "mkdir sub && cd sub"}},
			{Name: "build", Commands: []string{"DIR=$(basename \"$(pwd)\")", "false"}, Finally: []string{"STATE=$CODEBUILD_BUILD_SUCCEEDING"}},
			{Name: "post_build", Commands: []string{"SUCCEEDING=$CODEBUILD_BUILD_SUCCEEDING", "echo post $FROM_INSTALL $DIR $STATE $SUCCEEDING"}},
		},
	}
	got, err := New(Config{}).run(context.Background(), req, settings{}, bs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != pipeline.ActionFailed {
		t.Errorf("State = %s, want failed", got.State)
	}
	if !strings.Contains(log.String(), "post yes sub 1 0\n") {
		t.Errorf("log = %q, want the state carried into post_build", log)
	}
}

func TestExitStartsNewShell(t *testing.T) {
	req, log := newRequest(t, nil, nil)
	bs := &spec.Buildspec{
		Version: "0.2",
		Env:     spec.BuildspecEnv{ExportedVariables: []string{"A", "B"}},
		Phases: []spec.Phase{
			{Name: "build", Commands: []string{"A=1", "exit 0", "B=2"}},
		},
	}
	got, err := New(Config{}).run(context.Background(), req, settings{}, bs, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := pipeline.ActionResult{
		State:           pipeline.ActionSucceeded,
		OutputVariables: map[string]string{"B": "2"},
		Warnings: []string{
			"a command ended the build shell: exported variables set before it are lost",
			"exported variable A is not set",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("run (-want +got):\n%s\nlog:\n%s", diff, log)
	}
}
