package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
)

// Timing of live streams. The engine's events wake a stream at once for
// work done in this process; the poll interval catches work other
// processes (workers on a shared database) do.
const (
	streamPoll      = 500 * time.Millisecond
	streamKeepalive = 15 * time.Second
)

// sse writes server-sent events.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startSSE sends the headers of an event stream. It lifts the server's
// write deadline, which would otherwise cut a long stream.
func startSSE(w http.ResponseWriter) (*sse, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // not every ResponseWriter supports deadlines
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, rc: rc}
	return s, s.rc.Flush()
}

// send writes one event. data must be a single line (callers send JSON).
func (s *sse) send(event, id, data string) error {
	var b strings.Builder
	if event != "" {
		fmt.Fprintf(&b, "event: %s\n", event)
	}
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", id)
	}
	fmt.Fprintf(&b, "data: %s\n\n", data)
	if _, err := s.w.Write([]byte(b.String())); err != nil {
		return err
	}
	return s.rc.Flush()
}

// keepalive writes a comment, which keeps proxies from closing an idle
// stream.
func (s *sse) keepalive() error {
	if _, err := s.w.Write([]byte(": keepalive\n\n")); err != nil {
		return err
	}
	return s.rc.Flush()
}

// follow calls step at once, then on every event of execution id (ev set)
// and every poll interval (ev nil), until step reports done or fails, the
// client goes away or the dashboard closes. It returns step's error, or
// ctx's or errClosed.
func (d *Dashboard) follow(ctx context.Context, s *sse, id string, step func(ev *engine.Event) (bool, error)) error {
	select {
	case <-d.closing:
		return errClosed
	default:
	}
	events, unsubscribe := d.cfg.Engine.Subscribe(id)
	defer unsubscribe()
	poll := time.NewTicker(streamPoll)
	defer poll.Stop()
	alive := time.NewTicker(streamKeepalive)
	defer alive.Stop()
	for {
		if done, err := step(nil); done || err != nil {
			return err
		}
		err := d.wait(ctx, s, &events, poll.C, alive.C, step)
		if errors.Is(err, errStepDone) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// errStepDone stops a wait whose step reported done.
var errStepDone = errors.New("stream done")

// wait blocks until an event, a poll tick, the end of ctx or of the
// dashboard; events it receives go to step right away (a nil channel, once
// the engine closed it, is never ready). It returns nil to poll again.
func (d *Dashboard) wait(ctx context.Context, s *sse, events *<-chan engine.Event, poll, alive <-chan time.Time,
	step func(ev *engine.Event) (bool, error)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.closing:
			return errClosed
		case <-alive:
			if err := s.keepalive(); err != nil {
				return err
			}
		case <-poll:
			return nil
		case ev, ok := <-*events:
			if !ok {
				*events = nil
				return nil
			}
			done, err := step(&ev)
			if err != nil {
				return err
			}
			if done {
				return errStepDone
			}
		}
	}
}
