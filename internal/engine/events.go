package engine

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// EventKind says what an Event is about.
type EventKind string

// The event kinds.
const (
	EventExecution EventKind = "execution"
	EventStage     EventKind = "stage"
	EventAction    EventKind = "action"
	// EventLog carries a chunk of an action's log output in Log.
	EventLog EventKind = "log"
	// EventFindings tallies in Findings the findings an attempt of an
	// action stored. Only observers (Observe) see these events.
	EventFindings EventKind = "findings"
)

// Event reports a status change (or log output) of an execution, a stage
// or an action, for live progress. Stage is empty for execution events,
// Action for stage events.
type Event struct {
	Kind        EventKind
	ExecutionID string
	Stage       string
	Action      string
	Status      pipeline.Status
	Attempt     int
	Message     string
	Time        time.Time
	Log         []byte
	// Pipeline names the execution's pipeline (execution events).
	Pipeline string
	// Provider names the action's provider (action and findings events).
	Provider string
	// Started is when the execution or action first started running, zero
	// before; on the event of a finished run, Time - Started is how long
	// it took.
	Started time.Time
	// Due is, on the event of an attempt's start (status running), when
	// that attempt was due: Time - Due is how long it waited for a process
	// to take it. On other action events it is the run's next time: when
	// a queued or continuing attempt is due, when a waiting action's
	// deadline passes; zero for none.
	Due time.Time
	// Findings tallies an EventFindings event's findings by kind and
	// severity.
	Findings []FindingTally
}

// FindingTally counts the findings of one kind and severity.
type FindingTally struct {
	Kind     pipeline.Kind
	Severity pipeline.Severity
	Count    int
}

// subscriberBuffer is how many events a slow subscriber may lag behind
// before further events are dropped for it.
const subscriberBuffer = 1024

// events collects what one transaction causes outside the database:
// events to publish and work directories to remove, both done only after
// the transaction commits.
type events struct {
	list []Event
	dirs []string
	// dueNow are the attempts scheduled to run at once; with chain set,
	// flushDue hands them to the calling handler (next) instead of
	// enqueueing a job for them.
	dueNow []actionArgs
	chain  bool
	next   []actionArgs
}

func (ev *events) execution(x store.Execution, at time.Time) {
	ev.list = append(ev.list, Event{Kind: EventExecution, ExecutionID: x.ID, Status: x.Status,
		Message: x.Message, Time: at, Pipeline: x.Pipeline, Started: x.Started})
}

func (ev *events) stage(s store.StageRun, at time.Time) {
	ev.list = append(ev.list, Event{Kind: EventStage, ExecutionID: s.ExecutionID, Stage: s.Name, Status: s.Status,
		Message: s.Message, Time: at})
}

func (ev *events) action(r store.ActionRun, at time.Time) {
	ev.list = append(ev.list, Event{Kind: EventAction, ExecutionID: r.ExecutionID, Stage: r.Stage, Action: r.Action,
		Status: r.Status, Attempt: r.Attempt, Message: r.Message, Time: at, Provider: r.Provider,
		Started: r.Started, Due: r.NextRunAt})
}

// claimed records the start of r's attempt, which was due at due.
func (ev *events) claimed(r store.ActionRun, due, at time.Time) {
	ev.action(r, at)
	ev.list[len(ev.list)-1].Due = due
}

// found records the findings an attempt of r stored.
func (ev *events) found(r store.ActionRun, fs []pipeline.Finding, at time.Time) {
	if len(fs) == 0 {
		return
	}
	ev.list = append(ev.list, Event{Kind: EventFindings, ExecutionID: r.ExecutionID, Stage: r.Stage,
		Action: r.Action, Attempt: r.Attempt, Time: at, Provider: r.Provider, Findings: tally(fs)})
}

// tally counts findings by kind and severity, in that order.
func tally(fs []pipeline.Finding) []FindingTally {
	var out []FindingTally
	for _, f := range fs {
		i := slices.IndexFunc(out, func(t FindingTally) bool { return t.Kind == f.Kind && t.Severity == f.Severity })
		if i < 0 {
			out = append(out, FindingTally{Kind: f.Kind, Severity: f.Severity})
			i = len(out) - 1
		}
		out[i].Count++
	}
	slices.SortFunc(out, func(a, b FindingTally) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Severity, b.Severity))
	})
	return out
}

// removeDir asks for dir to be removed after commit.
func (ev *events) removeDir(dir string) { ev.dirs = append(ev.dirs, dir) }

// hub fans events out to subscribers and observers.
type hub struct {
	mu        sync.Mutex
	subs      map[string]map[*subscription]struct{}
	observers atomic.Pointer[[]func(Event)] // replaced whole under mu
}

type subscription struct {
	ch     chan Event
	closed bool
}

func newHub() *hub { return &hub{subs: map[string]map[*subscription]struct{}{}} }

// Subscribe returns the events of execution id (every execution when id is
// empty) from now on, and a function that ends the subscription. The
// channel is closed when the execution reaches a terminal status in this
// process or when cancel is called. Events are dropped for a subscriber
// that lags more than 1,024 behind, so progress displays should re-read
// Execution on terminal events rather than count them. Events of work done
// by other processes are not seen.
func (e *Engine) Subscribe(id string) (<-chan Event, func()) {
	s := &subscription{ch: make(chan Event, subscriberBuffer)}
	h := e.hub
	h.mu.Lock()
	if h.subs[id] == nil {
		h.subs[id] = map[*subscription]struct{}{}
	}
	h.subs[id][s] = struct{}{}
	h.mu.Unlock()
	return s.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[id], s)
		if !s.closed {
			s.closed = true
			close(s.ch)
		}
	}
}

// Observe makes the engine call fn with every event of the work it does
// from now on, for metrics: status changes of executions, stages and
// actions, and EventFindings; not log output. fn runs in the goroutine
// that made the change, after the change committed, so it must return
// quickly, must not block and must be safe for concurrent use. It sees
// only this engine's work: an execution another process advances is
// observed there. Observe cannot be undone; call it before Resume and
// the dispatcher's start to miss nothing.
func (e *Engine) Observe(fn func(Event)) {
	h := e.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	var fns []func(Event)
	if old := h.observers.Load(); old != nil {
		fns = slices.Clone(*old)
	}
	fns = append(fns, fn)
	h.observers.Store(&fns)
}

// active reports whether anyone listens to execution id.
func (h *hub) active(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[id]) > 0 || len(h.subs[""]) > 0
}

func (h *hub) publish(ev Event) {
	if fns := h.observers.Load(); fns != nil && ev.Kind != EventLog {
		for _, fn := range *fns {
			fn(ev)
		}
	}
	if ev.Kind == EventFindings {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, key := range []string{ev.ExecutionID, ""} {
		for s := range h.subs[key] {
			select {
			case s.ch <- ev:
			default:
			}
		}
	}
	if ev.Kind != EventExecution || !ev.Status.Terminal() {
		return
	}
	for s := range h.subs[ev.ExecutionID] {
		s.closed = true
		close(s.ch)
	}
	delete(h.subs, ev.ExecutionID)
}

// waitPoll is how often Wait re-reads the store, for executions advanced
// by other processes.
const waitPoll = 250 * time.Millisecond

// Wait blocks until execution id ("latest" names the newest) reaches a
// terminal status and returns it, or returns ctx's error.
func (e *Engine) Wait(ctx context.Context, id string) (pipeline.Status, error) {
	id, err := e.resolveID(ctx, id)
	if err != nil {
		return "", err
	}
	ch, cancel := e.Subscribe(id)
	defer cancel()
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for {
		x, err := e.store.Execution(ctx, id)
		if err != nil {
			return "", err
		}
		if x.Status.Terminal() {
			return x.Status, nil
		}
		if err := waitChange(ctx, &ch, tick.C); err != nil {
			return "", err
		}
	}
}

// waitChange returns on an execution event, a closed channel (after which
// *ch is nil), a tick or the end of ctx (its error).
func waitChange(ctx context.Context, ch *<-chan Event, tick <-chan time.Time) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-*ch:
			if !ok {
				*ch = nil
				return nil
			}
			if ev.Kind == EventExecution {
				return nil
			}
		case <-tick:
			return nil
		}
	}
}
