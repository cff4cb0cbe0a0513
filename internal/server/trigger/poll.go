package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/store"
)

// Timing of the poll chains.
const (
	// jitter spreads polls over ±10 % of the interval, so pipelines
	// registered together do not poll together.
	jitter = 0.1
	// startSpread bounds the delay of the first poll after EnsurePolling.
	startSpread = 10 * time.Second
	// reviveGrace is how late a chain may be before Revive restarts it.
	reviveGrace = time.Minute
	// lsRemoteTimeout bounds one poll of a repository.
	lsRemoteTimeout = 45 * time.Second
)

// pollArgs are the arguments of a KindPoll job.
type pollArgs struct {
	Pipeline string `json:"pipeline"`
	// Stamp is the record's Updated time, in Unix microseconds, when the
	// job was enqueued: the chain the job belongs to.
	Stamp int64 `json:"stamp"`
}

// releaseArgs are the arguments of a KindRelease job.
type releaseArgs struct {
	Pipeline string `json:"pipeline"`
	Revision string `json:"revision"`
	Trigger  string `json:"trigger"`
	// ID identifies the release in the audit log, so that a job run twice
	// releases once.
	ID string `json:"id"`
}

// polls reports whether rec should have a poll chain.
func polls(rec store.PipelineRecord) bool {
	return rec.PollInterval > 0 && !rec.Paused
}

// stampOf is the chain stamp rec carries.
func stampOf(rec store.PipelineRecord) int64 { return rec.Updated.UnixMicro() }

// nextStamp returns a chain stamp later than prev: now, to the microsecond
// (PostgreSQL keeps no more), or prev plus a microsecond.
func nextStamp(now, prev time.Time) time.Time {
	s := now.UTC().Truncate(time.Microsecond)
	if p := prev.UTC().Truncate(time.Microsecond); !s.After(p) {
		s = p.Add(time.Microsecond)
	}
	return s
}

// Arm retires every poll chain of rec by giving it a new stamp (rec.Updated,
// stored in tx) and, when rec polls, starts a new chain whose first poll is
// due at now+delay. Call it in the transaction that creates or changes rec;
// the chain exists iff tx commits.
func Arm(ctx context.Context, tx store.Tx, d queue.Dispatcher, rec *store.PipelineRecord, now time.Time,
	delay time.Duration,
) error {
	rec.Updated = nextStamp(now, rec.Updated)
	if err := tx.UpdatePipeline(ctx, *rec); err != nil {
		return fmt.Errorf("arm polling of %s: %w", rec.Name, err)
	}
	if !polls(*rec) {
		return nil
	}
	return enqueuePoll(ctx, tx, d, *rec, now.Add(delay))
}

// enqueuePoll enqueues rec's next poll, carrying its current stamp.
func enqueuePoll(ctx context.Context, tx store.Tx, d queue.Dispatcher, rec store.PipelineRecord, at time.Time) error {
	args, err := json.Marshal(pollArgs{Pipeline: rec.Name, Stamp: stampOf(rec)})
	if err != nil {
		return err
	}
	if err := d.EnqueueTx(ctx, tx.SQL(), queue.Job{Kind: KindPoll, Args: args, RunAt: at}); err != nil {
		return fmt.Errorf("schedule poll of %s: %w", rec.Name, err)
	}
	return nil
}

// EnsurePolling starts a new poll chain for every pipeline that polls,
// retiring the chains of earlier runs: call it once when a server starts.
// First polls are spread over up to 10 seconds.
func (t *Triggers) EnsurePolling(ctx context.Context) error {
	return t.armWhere(ctx, func(store.PipelineRecord) bool { return true },
		func(interval time.Duration) time.Duration {
			return time.Duration(t.rand() * float64(min(interval, startSpread)))
		})
}

// Revive starts a new chain for every polling pipeline whose last poll is
// more than the interval (plus jitter and a minute) ago: its chain ended,
// for instance because the record was changed without Schedule. A server
// may call it every minute or so.
func (t *Triggers) Revive(ctx context.Context) error {
	now := t.now()
	return t.armWhere(ctx, func(rec store.PipelineRecord) bool {
		late := time.Duration(float64(rec.PollInterval)*(1+jitter)) + reviveGrace
		return now.After(rec.Updated.Add(late))
	}, func(time.Duration) time.Duration { return 0 })
}

// Run calls EnsurePolling, then Revive every minute, until ctx ends.
// Their errors are logged: a chain EnsurePolling could not start is
// revived later.
func (t *Triggers) Run(ctx context.Context) {
	if err := t.EnsurePolling(ctx); err != nil && ctx.Err() == nil {
		t.log.Error("start poll chains", "err", err)
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := t.Revive(ctx); err != nil && ctx.Err() == nil {
				t.log.Warn("revive poll chains", "err", err)
			}
		}
	}
}

// armWhere arms each polling pipeline that want selects, each in its own
// transaction, the first poll delay(interval) from now.
func (t *Triggers) armWhere(ctx context.Context, want func(store.PipelineRecord) bool,
	delay func(time.Duration) time.Duration,
) error {
	recs, err := t.store.Pipelines(ctx)
	if err != nil {
		return fmt.Errorf("list pipelines: %w", err)
	}
	for _, r := range recs {
		if !polls(r) || !want(r) {
			continue
		}
		err := t.store.Update(ctx, func(tx store.Tx) error {
			rec, err := tx.Pipeline(ctx, r.Name)
			if err != nil || !polls(rec) || !want(rec) {
				return ignoreNotFound(err)
			}
			return Arm(ctx, tx, t.disp, &rec, t.now(), delay(rec.PollInterval))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Schedule restarts the poll chain of pipeline name after a change
// (created, resumed, interval changed): the old chain ends, and a new one
// polls at once when the pipeline polls.
func (t *Triggers) Schedule(ctx context.Context, name string) error {
	return t.store.Update(ctx, func(tx store.Tx) error {
		rec, err := tx.Pipeline(ctx, name)
		if err != nil {
			return err
		}
		return Arm(ctx, tx, t.disp, &rec, t.now(), 0)
	})
}

// handlePoll runs one KindPoll job.
func (t *Triggers) handlePoll(ctx context.Context, raw json.RawMessage) error {
	var a pollArgs
	if err := json.Unmarshal(raw, &a); err != nil || a.Pipeline == "" {
		t.log.Error("drop malformed poll job", "args", string(raw))
		return nil
	}
	rec, err := t.store.Pipeline(ctx, a.Pipeline)
	if err != nil || !t.current(rec, a) {
		return ignoreNotFound(err)
	}
	head, gitErr := t.head(ctx, rec)
	if gitErr != nil {
		t.log.Warn("poll failed", "pipeline", rec.Name, "repo", redactURL(rec.Repo),
			"err", redact(gitErr.Error(), rec.Repo))
	}
	return t.store.Update(ctx, func(tx store.Tx) error {
		rec, err := tx.Pipeline(ctx, a.Pipeline)
		if err != nil || !t.current(rec, a) {
			return ignoreNotFound(err)
		}
		now := t.now()
		if gitErr == nil && head != rec.LastRevision {
			rec.LastRevision = head
			if err := t.enqueueRelease(ctx, tx, rec.Name, head, "poll "+shortSHA(head)); err != nil {
				return err
			}
			t.log.Info("new revision", "pipeline", rec.Name, "revision", head)
		}
		rec.Updated = nextStamp(now, rec.Updated)
		if err := tx.UpdatePipeline(ctx, rec); err != nil {
			return err
		}
		return enqueuePoll(ctx, tx, t.disp, rec, now.Add(t.jittered(rec.PollInterval)))
	})
}

// current reports whether the job's chain is rec's live chain.
func (t *Triggers) current(rec store.PipelineRecord, a pollArgs) bool {
	return polls(rec) && stampOf(rec) == a.Stamp
}

// head reads the head of rec's branch (of the default branch when none
// is set).
func (t *Triggers) head(ctx context.Context, rec store.PipelineRecord) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, lsRemoteTimeout)
	defer cancel()
	ref := "HEAD"
	if rec.Branch != "" {
		ref = "refs/heads/" + rec.Branch
	}
	return t.git.Head(ctx, rec.Repo, ref)
}

// jittered returns interval ± 10 %.
func (t *Triggers) jittered(interval time.Duration) time.Duration {
	return time.Duration(float64(interval) * (1 - jitter + 2*jitter*t.rand()))
}

// enqueueRelease enqueues a KindRelease job in tx.
func (t *Triggers) enqueueRelease(ctx context.Context, tx store.Tx, name, revision, trigger string) error {
	args, err := json.Marshal(releaseArgs{Pipeline: name, Revision: revision, Trigger: trigger, ID: newID()})
	if err != nil {
		return err
	}
	if err := t.disp.EnqueueTx(ctx, tx.SQL(), queue.Job{Kind: KindRelease, Args: args}); err != nil {
		return fmt.Errorf("enqueue release of %s: %w", name, err)
	}
	return nil
}

// handleRelease runs one KindRelease job.
func (t *Triggers) handleRelease(ctx context.Context, raw json.RawMessage) error {
	var a releaseArgs
	if err := json.Unmarshal(raw, &a); err != nil || a.Pipeline == "" || a.ID == "" {
		t.log.Error("drop malformed release job", "args", string(raw))
		return nil
	}
	rec, err := t.store.Pipeline(ctx, a.Pipeline)
	if err != nil {
		return ignoreNotFound(err)
	}
	if rec.Paused {
		t.log.Info("skip release of paused pipeline", "pipeline", a.Pipeline, "revision", a.Revision)
		return nil
	}
	if done, err := t.released(ctx, a.Pipeline, a.ID); err != nil || done {
		return err
	}
	id, err := t.rel.Release(ctx, a.Pipeline, a.Trigger, a.Revision)
	if err != nil {
		msg := redact(err.Error(), rec.Repo)
		if !final(err) {
			return fmt.Errorf("release %s at %s: %s", a.Pipeline, shortSHA(a.Revision), msg)
		}
		t.log.Warn("release failed", "pipeline", a.Pipeline, "revision", a.Revision, "err", msg)
		return t.audit(ctx, "poll", "pipeline.release_failed", a.Pipeline,
			detail("revision", a.Revision, "release", a.ID, "error", msg))
	}
	t.log.Debug("released", "pipeline", a.Pipeline, "revision", a.Revision, "execution", id, "trigger", a.Trigger)
	return t.audit(ctx, "poll", "pipeline.release", a.Pipeline,
		detail("revision", a.Revision, "execution", id, "release", a.ID))
}

// released reports whether the release with that id is in the audit log.
func (t *Triggers) released(ctx context.Context, name, id string) (bool, error) {
	entries, err := t.store.Audit(ctx, store.AuditFilter{Target: name, Limit: 100})
	if err != nil {
		return false, fmt.Errorf("read audit of %s: %w", name, err)
	}
	for _, e := range entries {
		if (e.Action == "pipeline.release" || e.Action == "pipeline.release_failed") &&
			parseDetail(e.Detail)["release"] == id {
			return true, nil
		}
	}
	return false, nil
}

// audit appends an entry to the audit log.
func (t *Triggers) audit(ctx context.Context, actor, action, target, detail string) error {
	e := &store.AuditEntry{At: t.now(), Actor: actor, Action: action, Target: target, Detail: detail}
	if err := t.store.AddAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// final reports whether a release error will not pass by retrying.
func final(err error) bool {
	return errors.Is(err, pipeline.ErrInvalid) || errors.Is(err, pipeline.ErrNotFound)
}

// ignoreNotFound turns an error wrapping ErrNotFound into nil: the
// pipeline was deleted, which ends whatever concerned it.
func ignoreNotFound(err error) error {
	if errors.Is(err, pipeline.ErrNotFound) {
		return nil
	}
	return err
}
