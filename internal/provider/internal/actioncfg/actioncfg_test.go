package actioncfg

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

type sample struct {
	Commands Strings         `json:"commands"`
	Shell    string          `json:"shell"`
	Env      map[string]Text `json:"env"`
	Delay    Duration        `json:"delay"`
	Flag     bool            `json:"flag"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]any
		want    sample
		wantErr string
	}{
		{name: "empty", cfg: nil, want: sample{}},
		{
			name: "all",
			cfg: map[string]any{"commands": []any{"a", "b"}, "shell": "bash", "delay": "2m",
				"env": map[string]any{"N": uint64(3), "B": true, "S": "x"}, "flag": true},
			want: sample{Commands: Strings{"a", "b"}, Shell: "bash", Delay: Duration(2 * time.Minute),
				Env: map[string]Text{"N": "3", "B": "true", "S": "x"}, Flag: true},
		},
		{name: "one command", cfg: map[string]any{"commands": "make"}, want: sample{Commands: Strings{"make"}}},
		{name: "seconds", cfg: map[string]any{"delay": 1.5}, want: sample{Delay: Duration(1500 * time.Millisecond)}},
		{name: "seconds string", cfg: map[string]any{"delay": "5"}, want: sample{Delay: Duration(5 * time.Second)}},
		{name: "unknown key", cfg: map[string]any{"shel": "bash"}, wantErr: `invalid config: unknown key "shel" (known: commands, shell, env, delay, flag)`},
		{name: "wrong type", cfg: map[string]any{"shell": 3}, wantErr: "invalid config: shell: want a string, not number"},
		{name: "bad list", cfg: map[string]any{"commands": map[string]any{}}, wantErr: "invalid config: commands: want a string or a list of strings"},
		{name: "bad duration", cfg: map[string]any{"delay": "soon"}, wantErr: `invalid config: delay: want a duration like "30s", not "soon"`},
		{name: "negative duration", cfg: map[string]any{"delay": -1}, wantErr: "invalid config: delay: want a duration of 0 or more seconds, not -1"},
		{name: "env object", cfg: map[string]any{"env": map[string]any{"A": []any{}}}, wantErr: "invalid config: env: want a string, number or boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got sample
			err := Decode(tt.cfg, &got)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, pipeline.ErrInvalid) {
					t.Fatalf("Decode(%v) = %v, want %q", tt.cfg, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%v): %v", tt.cfg, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Decode(%v) (-want +got):\n%s", tt.cfg, diff)
			}
		})
	}
}

func TestInputsOrder(t *testing.T) {
	req := &pipeline.ActionRequest{
		Action: pipeline.Action{Inputs: []string{"B", "A"}},
		Inputs: map[string]string{"A": "/a", "B": "/b", "C": "/c"},
	}
	want := []Artifact{{"B", "/b"}, {"A", "/a"}, {"C", "/c"}}
	if diff := cmp.Diff(want, Inputs(req)); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	if a, ok, err := Primary(req, ""); err != nil || !ok || a.Name != "B" {
		t.Errorf("Primary(\"\") = %v, %v, %v; want B", a, ok, err)
	}
	if a, ok, err := Primary(req, "C"); err != nil || !ok || a.Dir != "/c" {
		t.Errorf("Primary(C) = %v, %v, %v; want /c", a, ok, err)
	}
	if _, _, err := Primary(req, "D"); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Primary(D) = %v, want ErrInvalid", err)
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct {
		rel, want string
		ok        bool
	}{
		{rel: "", want: "/base", ok: true},
		{rel: "sub/dir", want: "/base/sub/dir", ok: true},
		{rel: "../x"},
		{rel: "/etc"},
	}
	for _, tt := range tests {
		got, err := LocalPath("/base", tt.rel, "working_dir")
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("LocalPath(/base, %q) = %q, %v; want %q ok=%v", tt.rel, got, err, tt.want, tt.ok)
		}
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("Source-Artifact.v2"); got != "Source_Artifact_v2" {
		t.Errorf("EnvName = %q", got)
	}
}
