package approval

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		action string
		cfg    map[string]any
		want   pipeline.ActionResult
		log    string
	}{
		{
			name:   "plain",
			action: "Approve",
			want:   pipeline.ActionResult{State: pipeline.ActionWaiting, Message: "waiting for approval: secpipe approve exec-1 Approve --reason ..."},
			log:    "waiting for approval: secpipe approve exec-1 Approve --reason ...\n",
		},
		{
			name:   "summary and url, odd name",
			action: "Go live",
			cfg:    map[string]any{"summary": "check the image", "url": "https://example.com/review"},
			want:   pipeline.ActionResult{State: pipeline.ActionWaiting, Message: "waiting for approval: secpipe approve exec-1 'Go live' --reason ..."},
			log:    "summary: check the image\nreview: https://example.com/review\nwaiting for approval: secpipe approve exec-1 'Go live' --reason ...\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			req := &pipeline.ActionRequest{ExecutionID: "exec-1", Action: pipeline.Action{Name: tt.action}, Config: tt.cfg, Log: &log}
			got, err := New(Config{}).Run(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Run (-want +got):\n%s", diff)
			}
			if log.String() != tt.log {
				t.Errorf("log = %q, want %q", log.String(), tt.log)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, cfg := range []map[string]any{
		{"url": "javascript:alert(1)"},
		{"url": "example.com"},
		{"summary": []any{"x"}},
		{"reviewers": "me"},
	} {
		if err := New(Config{}).Validate(cfg); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("Validate(%v) = %v, want ErrInvalid", cfg, err)
		}
	}
}
