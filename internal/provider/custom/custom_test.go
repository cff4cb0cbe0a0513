package custom

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestActionType(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]any
		want    string
		wantErr string
	}{
		{name: "codepipeline", cfg: map[string]any{"action_type": "Build/MyScanner/1", "extra": 1}, want: "Build/MyScanner/1"},
		{name: "plain", cfg: map[string]any{"action_type": "golden-image.v2"}, want: "golden-image.v2"},
		{name: "missing", cfg: map[string]any{}, wantErr: "action_type is required"},
		{name: "not a string", cfg: map[string]any{"action_type": 3}, wantErr: "want a string"},
		{name: "two parts", cfg: map[string]any{"action_type": "Build/X"}, wantErr: "neither Category/Provider/Version nor a plain name"},
		{name: "bad category", cfg: map[string]any{"action_type": "Compile/X/1"}, wantErr: `category "Compile" is not one of`},
		{name: "bad provider", cfg: map[string]any{"action_type": "Build/a b/1"}, wantErr: `provider "a b"`},
		{name: "long version", cfg: map[string]any{"action_type": "Build/X/1234567890"}, wantErr: `version "1234567890"`},
		{name: "empty", cfg: map[string]any{"action_type": ""}, wantErr: "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ActionType(tt.cfg)
			if tt.wantErr != "" {
				if !errors.Is(err, pipeline.ErrInvalid) || !bytes.Contains([]byte(err.Error()), []byte(tt.wantErr)) {
					t.Errorf("ActionType(%v) = %v, want an error containing %q", tt.cfg, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ActionType(%v) = %q, %v; want %q", tt.cfg, got, err, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	var log bytes.Buffer
	req := &pipeline.ActionRequest{Action: pipeline.Action{Name: "Ext"}, Config: map[string]any{"action_type": "Test/Fuzz/1"}, Log: &log}
	got, err := New(Config{}).Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := pipeline.ActionResult{State: pipeline.ActionWaiting, Message: "waiting for a job worker for action type Test/Fuzz/1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	if log.String() != want.Message+"\n" {
		t.Errorf("log = %q", log.String())
	}
	req.Config = map[string]any{}
	if _, err := New(Config{}).Run(context.Background(), req); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Run without action_type = %v, want ErrInvalid", err)
	}
}
