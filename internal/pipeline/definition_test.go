package pipeline

import (
	"errors"
	"testing"
)

func TestStatusTerminal(t *testing.T) {
	tests := []struct {
		s    Status
		want bool
	}{
		{StatusQueued, false}, {StatusRunning, false}, {StatusWaiting, false},
		{StatusSucceeded, true}, {StatusFailed, true}, {StatusCancelled, true},
		{StatusSuperseded, true}, {StatusSkipped, true},
	}
	for _, tt := range tests {
		if got := tt.s.Terminal(); got != tt.want {
			t.Errorf("%s.Terminal() = %v, want %v", tt.s, got, tt.want)
		}
		if got, err := ParseStatus(string(tt.s)); err != nil || got != tt.s {
			t.Errorf("ParseStatus(%q) = %q, %v", tt.s, got, err)
		}
	}
	if _, err := ParseStatus("done"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseStatus(done) error = %v, want ErrInvalid", err)
	}
}

func TestActionOrder(t *testing.T) {
	if got := (Action{}).Order(); got != 1 {
		t.Errorf("Order() of an unset run order = %d, want 1", got)
	}
	if got := (Action{RunOrder: 3}).Order(); got != 3 {
		t.Errorf("Order() = %d, want 3", got)
	}
}
