package jobapi_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestClientWork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A real clock with a tiny continuation delay.
	m := jobapi.NewMemory(jobapi.MemoryOptions{ContinuationDelay: time.Millisecond})
	ids := map[string]string{}
	for _, name := range []string{"twice", "fail", "panic", "nothing"} {
		id, err := m.Submit(ctx, jobapi.Job{ActionType: "t", Action: name})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	calls := &callCounter{n: map[string]int{}}
	c := &jobapi.Client{Service: m, PollInterval: time.Millisecond, Concurrency: 2}
	done := make(chan error, 1)
	go func() { done <- c.Work(ctx, "t", calls.handle) }()
	waitTerminal(t, m, ids)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Work() after cancel = %v, want context.Canceled", err)
	}
	tests := []struct {
		name    string
		state   jobapi.State
		varsTok string
		message string
	}{
		{name: "twice", state: jobapi.StateSucceeded, varsTok: "1"},
		{name: "fail", state: jobapi.StateFailed, message: "no luck"},
		{name: "panic", state: jobapi.StateFailed, message: "job handler panicked: handler bug"},
		{name: "nothing", state: jobapi.StateFailed, message: "job handler answered neither success nor failure, or both"},
	}
	for _, tt := range tests {
		o, err := m.Outcome(ctx, ids[tt.name])
		if err != nil {
			t.Fatal(err)
		}
		msg := ""
		if o.Failure != nil {
			msg = o.Failure.Message
		}
		if o.State != tt.state || o.OutputVariables["Token"] != tt.varsTok || msg != tt.message {
			t.Errorf("job %s: %s, vars %v, failure %q; want %s, token %q, failure %q",
				tt.name, o.State, o.OutputVariables, msg, tt.state, tt.varsTok, tt.message)
		}
	}
	if calls.count("twice") != 2 {
		t.Errorf("the continued job's handler ran %d times, want 2", calls.count("twice"))
	}
}

func TestClientWorkRejectsEmptyActionType(t *testing.T) {
	c := &jobapi.Client{Service: jobapi.NewMemory(jobapi.MemoryOptions{})}
	err := c.Work(context.Background(), "", func(context.Context, jobapi.Job) jobapi.Result { return jobapi.Succeeded(nil) })
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Work(\"\") = %v, want ErrInvalid", err)
	}
}

// callCounter is a handler that counts its calls per action and answers
// by the action's name.
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) count(action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[action]
}

func (c *callCounter) handle(_ context.Context, job jobapi.Job) jobapi.Result {
	c.mu.Lock()
	c.n[job.Action]++
	c.mu.Unlock()
	switch job.Action {
	case "twice":
		if job.ContinuationToken == "" {
			return jobapi.InProgress("1", "first half", 50)
		}
		return jobapi.Succeeded(map[string]string{"Token": job.ContinuationToken, "Attempt": strconv.Itoa(job.Attempt)})
	case "fail":
		return jobapi.Failed("no luck")
	case "panic":
		panic("handler bug")
	}
	return jobapi.Result{}
}

// waitTerminal waits until every job in ids is finished.
func waitTerminal(t *testing.T, m *jobapi.Memory, ids map[string]string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		all := true
		for _, id := range ids {
			o, err := m.Outcome(context.Background(), id)
			all = all && err == nil && o.State.Terminal()
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("jobs did not finish within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
