package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Runner leases.
//
// Every engine is a runner: it records itself in the store (a heartbeat)
// before it claims its first attempt, and Maintain refreshes the record
// every RunnerLease/3. An attempt marked running by a runner whose record
// is missing or older than the lease belongs to a dead process: Maintain
// (in any engine on the store) and Resume make it due again as a new
// attempt, in the transaction that enqueues its job. The runner that held
// it, if it was only slow, finds out at its next check (Maintain) and
// stops the provider; whatever it reports is dropped, since complete
// accepts only the result of the attempt a run holds, by the runner it
// names. A runner that cannot heartbeat for a lease stops its attempts
// itself (see fence).

// DefaultRunnerLease is Config.RunnerLease's default.
const DefaultRunnerLease = 30 * time.Second

// errTakenOver ends an attempt that another runner took back (this one
// was presumed dead), that no longer exists, or that this runner stops
// because its lease ran out (see fence).
var errTakenOver = errors.New("taken over by another runner")

// RunnerID returns the id this engine records in the action runs it
// claims and in its heartbeats.
func (e *Engine) RunnerID() string { return e.runner }

// Maintain keeps this engine's lease and takes back the attempts of dead
// runners, until ctx ends. Every RunnerLease/3 it heartbeats (in a
// goroutine of its own, so that a slow take-back cannot make this engine
// look lost), stops the providers of attempts this engine no longer holds
// (their execution was cancelled, or another engine took them back after a
// missed lease), and makes due again the attempts held by runners whose
// lease has run out, and those this engine holds without running them (it
// could not store their result). It also enqueues again the attempts due
// for longer than a lease that no runner claimed: their job was lost (a
// process died between fetching it and committing its claim). Run it, in
// its own goroutine, in every engine that shares a store with others; an
// Exclusive engine needs it only for cancellations made elsewhere, results
// it could not store and lost jobs.
//
// When its last successful heartbeat is older than the lease (the
// database unreachable), an engine that shares its store stops every
// attempt it runs, as others deem it lost and run them again; it logs
// that once.
//
// When ctx ends, Maintain stops taking back but goes on heartbeating while
// attempts still run in this engine, then deletes this runner's record,
// so that other engines take back at once whatever it left unfinished,
// and returns. Stop the dispatcher (see Engine) first, then wait for
// Maintain to return. Failures (the database unreachable) are logged and
// retried at the next tick.
func (e *Engine) Maintain(ctx context.Context) {
	every := e.cfg.RunnerLease / 3
	beatCtx, stopBeats := context.WithCancel(context.WithoutCancel(ctx))
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		e.keepLease(beatCtx, every)
	}()
	tick := time.NewTicker(every)
	defer tick.Stop()
	suspects := e.maintainOnce(ctx, nil)
	for {
		select {
		case <-ctx.Done():
			e.retire(context.WithoutCancel(ctx), tick.C, func() {
				stopBeats()
				<-beating
			})
			return
		case <-tick.C:
			suspects = e.maintainOnce(ctx, suspects)
		}
	}
}

// maintainOnce is one tick of Maintain but the heartbeat; see reap for
// suspects.
func (e *Engine) maintainOnce(ctx context.Context, suspects map[actionArgs]int) map[actionArgs]int {
	e.checkAttempts(ctx)
	next, err := e.reap(ctx, suspects)
	if err != nil && ctx.Err() == nil {
		e.log.Warn("take back the attempts of lost runners", "err", err)
	}
	return next
}

// keepLease heartbeats every `every` until ctx ends, each heartbeat bounded
// by `every`, and fences this runner when its lease runs out (see fence).
func (e *Engine) keepLease(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	fenced := false
	for {
		bctx, cancel := context.WithTimeout(ctx, every)
		err := e.heartbeat(bctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			e.log.Warn("runner heartbeat", "runner", e.runner, "err", err)
		}
		fenced = e.fence(fenced)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// fence stops every attempt running here once the last successful
// heartbeat is older than the lease: other engines deem this runner lost
// and run its attempts again, so they must not go on here as well. fenced
// says whether the lease had already run out at the previous call (it was
// logged); fence returns it for this one. An Exclusive engine shares its
// store with no one and never fences.
func (e *Engine) fence(fenced bool) bool {
	last := e.lastBeat.Load()
	if e.cfg.Exclusive || last == 0 || e.now().Sub(time.Unix(0, last)) < e.cfg.RunnerLease {
		if fenced {
			e.log.Info("runner heartbeat restored", "runner", e.runner)
		}
		return false
	}
	ats := e.attempts.list()
	if !fenced {
		e.log.Error("runner lease ran out (no heartbeat stored); stopping the attempts running here",
			"runner", e.runner, "last_heartbeat", time.Unix(0, last).UTC().Format(time.RFC3339),
			"attempts", len(ats))
	}
	for _, at := range ats {
		at.cancel(errTakenOver)
	}
	return true
}

// retire checks the attempts while they run here (the heartbeats go on),
// then stops the heartbeats with stopBeats and deletes the runner's
// record.
func (e *Engine) retire(ctx context.Context, tick <-chan time.Time, stopBeats func()) {
	for {
		select {
		case <-e.attempts.idle():
			stopBeats()
			e.lastBeat.Store(0)
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := e.store.DeleteRunner(ctx, e.runner); err != nil && !errors.Is(err, pipeline.ErrNotFound) {
				e.log.Warn("delete runner record", "runner", e.runner, "err", err)
			}
			return
		case <-tick:
			e.checkAttempts(ctx)
		}
	}
}

// heartbeat records this runner as alive now.
func (e *Engine) heartbeat(ctx context.Context) error {
	now := e.now().UTC()
	r := store.Runner{ID: e.runner, Host: e.host, PID: e.pid, Started: e.started, Seen: now}
	if err := e.store.Heartbeat(ctx, r); err != nil {
		return err
	}
	e.lastBeat.Store(now.UnixNano())
	return nil
}

// register heartbeats before a claim unless this runner did so within
// half a lease: an attempt must never be marked running by a runner that
// others cannot see or already deem lost (after a long pause of this
// process, say, in which they forgot it), or they would take it back at
// once.
func (e *Engine) register(ctx context.Context) error {
	if last := e.lastBeat.Load(); last != 0 && e.now().Sub(time.Unix(0, last)) < e.cfg.RunnerLease/2 {
		return nil
	}
	if err := e.heartbeat(ctx); err != nil {
		return fmt.Errorf("register runner: %w", err)
	}
	return nil
}

// checkAttempts stops the attempts running here that the store no longer
// says this runner holds.
func (e *Engine) checkAttempts(ctx context.Context) {
	for _, at := range e.attempts.list() {
		r, err := e.store.ActionRun(ctx, at.args.Execution, at.args.Stage, at.args.Action)
		switch {
		case errors.Is(err, pipeline.ErrNotFound):
			at.cancel(errTakenOver)
		case err != nil:
			continue // the next tick tries again
		case r.Status == pipeline.StatusCancelled || r.Status == pipeline.StatusSkipped:
			at.cancel(errCancelled)
		case r.Attempt == at.args.Attempt && r.Runner == e.runner:
			continue // running here, or just finished here
		default:
			e.log.Warn("attempt taken over by another runner; stopping it here", "execution", r.ExecutionID,
				"stage", r.Stage, "action", r.Action, "attempt", at.args.Attempt, "now", r.Attempt, "runner", r.Runner)
			at.cancel(errTakenOver)
		}
	}
}

// holds reports whether r is attempt a, running in this engine.
func (e *Engine) holds(r store.ActionRun, a actionArgs) bool {
	return r.Status == pipeline.StatusRunning && r.Attempt == a.Attempt && r.Runner == e.runner
}

// reap takes back the attempts held by lost runners in every unfinished
// execution, then forgets the records of lost runners.
//
// It also takes back the attempts this runner holds in the store but does
// not run (their result could not be stored, a chained claim failed): an
// attempt found so at two ticks in a row, since a claim or a chain is
// between its commit and its registration for a moment. And it enqueues
// again the attempts that no runner holds though they have been due for
// longer than a lease (see stranded): at the second tick in a row they
// are found so, then at the 4th, 8th, ..., so that a backlog of jobs
// waiting for a worker gets few duplicates (they find nothing to do).
// suspects count the ticks in a row at which each was found so, up to the
// previous one; reap returns the counts of this one.
func (e *Engine) reap(ctx context.Context, suspects map[actionArgs]int) (map[actionArgs]int, error) {
	runners, err := e.store.Runners(ctx)
	if err != nil {
		return suspects, err
	}
	lost := e.lostRunners(runners)
	xs, err := e.store.Executions(ctx, store.ExecutionFilter{Oldest: true,
		Statuses: []pipeline.Status{pipeline.StatusRunning, pipeline.StatusWaiting}})
	if err != nil {
		return suspects, err
	}
	next := map[actionArgs]int{}
	var errs []error
	for _, x := range xs {
		runs, err := e.store.ActionRuns(ctx, x.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		orphans, requeue := map[actionArgs]bool{}, map[actionArgs]bool{}
		for _, r := range runs {
			a, orphan, stranded := argsOf(r), e.orphaned(r), e.stranded(r)
			if !orphan && !stranded {
				continue
			}
			n := suspects[a] + 1
			next[a] = n
			switch {
			case orphan && n >= 2:
				orphans[a] = true
			case stranded && n >= 2 && n&(n-1) == 0:
				requeue[a] = true
			}
		}
		if len(orphans) == 0 && len(requeue) == 0 && !slices.ContainsFunc(runs, func(r store.ActionRun) bool {
			return held(r) && lost.has(r.Runner)
		}) {
			continue
		}
		err = e.update(ctx, func(tx store.Tx, ev *events) error {
			return e.reapOne(ctx, tx, ev, x.ID, orphans, requeue)
		})
		if err != nil && !errors.Is(err, errNoop) {
			errs = append(errs, fmt.Errorf("execution %s: %w", x.ID, err))
		}
	}
	if len(errs) > 0 {
		return next, errors.Join(errs...)
	}
	return next, e.forget(ctx, lost)
}

// orphaned reports whether this runner holds r in the store without
// running it.
func (e *Engine) orphaned(r store.ActionRun) bool {
	return held(r) && r.Runner == e.runner && !e.attempts.has(argsOf(r))
}

// stranded reports whether r's attempt has been due for longer than a
// lease without a runner holding it: its job may be lost, fetched by a
// process that died before it committed its claim (the dispatcher would
// run it again only after the kind's timeout).
func (e *Engine) stranded(r store.ActionRun) bool {
	return r.Runner == "" && due(r, argsOf(r)) && r.NextRunAt.Before(e.now().Add(-e.cfg.RunnerLease))
}

// reapOne takes back the attempts of execution id held by lost runners,
// and this runner's orphans, and enqueues again those of requeue still
// stranded, in tx; errNoop when there are none (any more).
func (e *Engine) reapOne(ctx context.Context, tx store.Tx, ev *events, id string,
	orphans, requeue map[actionArgs]bool) error {
	x, err := tx.Execution(ctx, id)
	if err != nil {
		return err
	}
	if x.Status.Terminal() {
		return errNoop
	}
	lost, err := e.lostRunnersTx(ctx, tx)
	if err != nil {
		return err
	}
	runs, err := tx.ActionRuns(ctx, id)
	if err != nil {
		return err
	}
	n := 0
	for i := range runs {
		r := &runs[i]
		if a := argsOf(*r); requeue[a] && e.stranded(*r) {
			e.log.Warn("enqueueing again an attempt due for longer than the runner lease", "execution", r.ExecutionID,
				"stage", r.Stage, "action", r.Action, "attempt", r.Attempt, "due", r.NextRunAt.UTC().Format(time.RFC3339))
			ev.dueNow = append(ev.dueNow, a)
			n++
			continue
		}
		if !(held(*r) && lost.has(r.Runner)) && !(orphans[argsOf(*r)] && e.orphaned(*r)) {
			continue
		}
		if err := e.takeBack(ctx, tx, ev, r, lost); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errNoop
	}
	return nil
}

// held reports whether a runner holds r: it runs it, or it is to run it
// next without a queue job (see schedule).
func held(r store.ActionRun) bool {
	return r.Runner != "" && (r.Status == pipeline.StatusRunning ||
		(r.Status == pipeline.StatusQueued && !r.NextRunAt.IsZero()))
}

// takeBack makes the attempt a lost runner held due again, in tx: a
// running one as a new attempt, a reserved one as it is.
func (e *Engine) takeBack(ctx context.Context, tx store.Tx, ev *events, r *store.ActionRun, lost lostSet) error {
	if r.Status == pipeline.StatusQueued {
		r.Runner = ""
		if err := tx.UpdateActionRun(ctx, *r); err != nil {
			return err
		}
		if r.NextRunAt.After(e.now()) {
			return e.enqueueAttempts(ctx, tx, []actionArgs{argsOf(*r)}, r.NextRunAt)
		}
		ev.dueNow = append(ev.dueNow, argsOf(*r))
		return nil
	}
	r.Message = lost.why(r.Runner)
	e.log.Warn("running an attempt of a lost runner again", "execution", r.ExecutionID, "stage", r.Stage,
		"action", r.Action, "attempt", r.Attempt, "why", r.Message)
	return e.schedule(ctx, tx, ev, r, 0)
}

// lostSet says which runners are lost: known ones whose lease has run out
// (or, for an Exclusive engine, every other), and unknown ones.
type lostSet struct {
	self  string
	all   bool // every other runner is lost
	known map[string]store.Runner
	live  map[string]bool
}

// lostRunners classifies runners as of now.
func (e *Engine) lostRunners(runners []store.Runner) lostSet {
	s := lostSet{self: e.runner, all: e.cfg.Exclusive, known: map[string]store.Runner{}, live: map[string]bool{}}
	cutoff := e.now().Add(-e.cfg.RunnerLease)
	for _, r := range runners {
		s.known[r.ID] = r
		s.live[r.ID] = r.Seen.After(cutoff)
	}
	return s
}

// lostRunnersTx is lostRunners over the runners tx sees.
func (e *Engine) lostRunnersTx(ctx context.Context, tx store.Tx) (lostSet, error) {
	runners, err := tx.Runners(ctx)
	if err != nil {
		return lostSet{}, err
	}
	return e.lostRunners(runners), nil
}

func (s lostSet) has(id string) bool {
	return id != "" && id != s.self && (s.all || !s.live[id])
}

// why explains a take-back in the action run's message.
func (s lostSet) why(id string) string {
	switch {
	case id == s.self:
		return fmt.Sprintf("runner %s lost track of the attempt; running again", id)
	case s.all:
		return "interrupted; running again"
	}
	r, ok := s.known[id]
	if !ok {
		return fmt.Sprintf("runner %s lost; running again", id)
	}
	return fmt.Sprintf("runner %s on %s (pid %d) lost: no heartbeat since %s; running again", id, r.Host, r.PID,
		r.Seen.UTC().Format(time.RFC3339))
}

// forget deletes the records of the lost runners, each in a transaction
// that checks it is still lost (it may have come back meanwhile).
func (e *Engine) forget(ctx context.Context, lost lostSet) error {
	var errs []error
	for id := range lost.known {
		if !lost.has(id) {
			continue
		}
		err := e.store.Update(ctx, func(tx store.Tx) error {
			r, err := tx.Runner(ctx, id)
			if err != nil {
				return err
			}
			if now := e.lostRunners([]store.Runner{r}); !now.has(id) {
				return nil
			}
			return tx.DeleteRunner(ctx, id)
		})
		if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
			errs = append(errs, fmt.Errorf("forget runner %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// attemptSet holds the attempts running in this engine, with the cancel
// functions of their providers' contexts.
type attemptSet struct {
	mu      sync.Mutex
	m       map[*runningAttempt]struct{}
	idleNow chan struct{} // closed while m is empty
}

type runningAttempt struct {
	args   actionArgs
	cancel context.CancelCauseFunc
}

func newAttemptSet() *attemptSet {
	s := &attemptSet{m: map[*runningAttempt]struct{}{}, idleNow: make(chan struct{})}
	close(s.idleNow)
	return s
}

// add registers a claimed attempt and returns its removal.
func (s *attemptSet) add(a actionArgs, cancel context.CancelCauseFunc) func() {
	at := &runningAttempt{args: a, cancel: cancel}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) == 0 {
		s.idleNow = make(chan struct{})
	}
	s.m[at] = struct{}{}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.m, at)
		if len(s.m) == 0 {
			close(s.idleNow)
		}
	}
}

// has reports whether attempt a runs here.
func (s *attemptSet) has(a actionArgs) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for at := range s.m {
		if at.args == a {
			return true
		}
	}
	return false
}

// list returns the attempts running now.
func (s *attemptSet) list() []*runningAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*runningAttempt, 0, len(s.m))
	for at := range s.m {
		out = append(out, at)
	}
	return out
}

// idle returns a channel closed while no attempt runs.
func (s *attemptSet) idle() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idleNow
}
