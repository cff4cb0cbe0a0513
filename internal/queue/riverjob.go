package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// riverJobKind is the one River job kind under which every queue.Job is
// stored; the job's own kind travels in riverArgs.
const riverJobKind = "secpipe.job"

// riverArgs is the stored form of a queue.Job. The payload travels as a
// JSON string (Text) rather than as nested JSON: River keeps args as jsonb
// on PostgreSQL, which would reformat it (spacing, key order), and the
// Dispatcher promises handlers the args unchanged. Payload is what jobs
// stored before Text existed carry.
type riverArgs struct {
	JobKind string          `json:"kind"`
	Text    string          `json:"text,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// payload returns the job's args as they were enqueued.
func (a riverArgs) payload() json.RawMessage {
	if a.Text != "" {
		return json.RawMessage(a.Text)
	}
	return a.Payload
}

// Kind implements river.JobArgs.
func (riverArgs) Kind() string { return riverJobKind }

// riverWorker runs every River job by looking up the handler of its kind.
type riverWorker struct {
	river.WorkerDefaults[riverArgs]
	r *River
}

// Work implements river.Worker. A job of an unknown kind is cancelled (River
// will not retry it) and logged; a handler error is returned for River to
// retry.
func (w *riverWorker) Work(ctx context.Context, job *river.Job[riverArgs]) error {
	h, ok := w.r.handler(job.Args.JobKind)
	if !ok {
		w.r.log.ErrorContext(ctx, "queue: dropping job of unknown kind",
			slog.String("kind", job.Args.JobKind), slog.Int64("job_id", job.ID))
		return river.JobCancel(fmt.Errorf("%w %q", errUnknownKind, job.Args.JobKind))
	}
	if err := h(ctx, job.Args.payload()); err != nil {
		return fmt.Errorf("%s job: %w", job.Args.JobKind, err)
	}
	return nil
}

// Timeout implements river.Worker with the per-kind timeout.
func (w *riverWorker) Timeout(job *river.Job[riverArgs]) time.Duration {
	return w.r.timeout(job.Args.JobKind)
}

// riverErrors logs failed attempts: a retry at warn level, the last attempt
// (the job is dropped) at error level.
type riverErrors struct {
	log *slog.Logger
}

// HandleError implements river.ErrorHandler.
func (e *riverErrors) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	e.report(ctx, job, slog.String("error", err.Error()))
	return nil
}

// HandlePanic implements river.ErrorHandler; a panic counts as a failure.
func (e *riverErrors) HandlePanic(ctx context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	e.report(ctx, job, slog.Any("panic", v), slog.String("trace", trace))
	return nil
}

func (e *riverErrors) report(ctx context.Context, job *rivertype.JobRow, attrs ...slog.Attr) {
	attrs = append(attrs, slog.Int64("job_id", job.ID), slog.String("kind", kindOf(job)),
		slog.Int("attempt", job.Attempt), slog.Int("max_attempts", job.MaxAttempts))
	if job.Attempt >= job.MaxAttempts {
		e.log.LogAttrs(ctx, slog.LevelError, "queue: job failed; dropping it", attrs...)
		return
	}
	e.log.LogAttrs(ctx, slog.LevelWarn, "queue: job failed; will retry", attrs...)
}

// kindOf returns the queue.Job kind stored in a River job row.
func kindOf(job *rivertype.JobRow) string {
	var a riverArgs
	if err := json.Unmarshal(job.EncodedArgs, &a); err != nil {
		return job.Kind
	}
	return a.JobKind
}

// minLevel drops records below min; River logs routine events at info level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

// Enabled implements slog.Handler.
func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// WithAttrs implements slog.Handler.
func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

// WithGroup implements slog.Handler.
func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
