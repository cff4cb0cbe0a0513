package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// run waits until job is due, then runs it with retries, one worker slot
// per attempt. It gives up when the dispatcher halts.
func (m *Memory) run(job Job) {
	defer m.running.Done()
	if !m.sleepUntil(job.RunAt) {
		return
	}
	for attempt := 1; ; attempt++ {
		ran, err := m.attempt(job)
		if !ran || err == nil {
			return
		}
		attrs := []any{slog.String("kind", job.Kind), slog.Int("attempt", attempt),
			slog.Int("max_attempts", memoryMaxAttempts), slog.String("error", err.Error())}
		if attempt >= memoryMaxAttempts {
			m.Logger.Error("queue: job failed; dropping it", attrs...)
			return
		}
		m.Logger.Warn("queue: job failed; will retry", attrs...)
		if !m.sleepUntil(time.Now().Add(memoryBackoff * time.Duration(attempt*attempt))) {
			return
		}
	}
}

// attempt runs job's handler once in a worker slot. ran is false when the
// handler did not run: the dispatcher halted or the kind is unknown.
func (m *Memory) attempt(job Job) (ran bool, err error) {
	select {
	case m.sem <- struct{}{}:
	case <-m.halted:
		return false, nil
	}
	defer func() { <-m.sem }()
	m.mu.Lock()
	h, found := m.handlers[job.Kind]
	m.mu.Unlock()
	if !found {
		m.Logger.Error("queue: dropping job of unknown kind", slog.String("kind", job.Kind))
		return false, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.killed:
			cancel()
		case <-ctx.Done():
		}
	}()
	return true, call(ctx, h, job.Args)
}

// call runs h, turning a panic into an error as River does.
func call(ctx context.Context, h Handler, args json.RawMessage) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panic: %v", v)
		}
	}()
	return h(ctx, args)
}

// sleepUntil waits for t; it reports false if the dispatcher halted first.
func (m *Memory) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-m.halted:
		return false
	}
}
