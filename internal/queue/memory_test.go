package queue

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Memory cannot see whether a transaction committed; the job runs anyway.
func TestMemoryRollbackStillRuns(t *testing.T) {
	t.Parallel()
	db, _ := testDB(t)
	m := NewMemory()
	rec := newRecorder()
	m.Handle("k", rec.handler("k"))
	startDispatcher(t, m)
	enqueue(t, db, m, Job{Kind: "k"}, true)
	rec.wait(t, 1)
}

func TestMemoryBacklogRunsAtStart(t *testing.T) {
	t.Parallel()
	db, _ := testDB(t)
	m := NewMemory()
	rec := newRecorder()
	m.Handle("k", rec.handler("k"))
	enqueue(t, db, m, Job{Kind: "k"}, false)
	time.Sleep(50 * time.Millisecond)
	if got := rec.sorted(); len(got) != 0 {
		t.Fatalf("handler ran before Start: %v", got)
	}
	startDispatcher(t, m)
	rec.wait(t, 1)
}

func TestMemoryRetriesThenDrops(t *testing.T) {
	t.Parallel()
	db, _ := testDB(t)
	m := NewMemory()
	var calls atomic.Int32
	m.Handle("bad", func(context.Context, json.RawMessage) error {
		if calls.Add(1)%2 == 0 {
			panic("boom")
		}
		return errors.New("boom")
	})
	startDispatcher(t, m)
	enqueue(t, db, m, Job{Kind: "bad"}, false)
	enqueue(t, db, m, Job{Kind: "unknown"}, false)
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < memoryMaxAttempts && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // backoff after a fifth failure would be 250 ms
	if got := calls.Load(); got != memoryMaxAttempts {
		t.Errorf("handler calls = %d, want %d", got, memoryMaxAttempts)
	}
}
