package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
)

const (
	// logPoll is how often a log stream looks for growth of the log file
	// (its action may run in another process, or started before anyone
	// listened, so the engine's log events are not enough).
	logPoll = 200 * time.Millisecond
	// statusEvery is how many polls pass between two looks at the
	// action's status when no engine event says it changed.
	statusEvery = 5
	// heartbeatEvery is how often an idle stream sends a comment, so that
	// proxies keep it open.
	heartbeatEvery = 15 * time.Second
	// maxLogLine bounds a line a stream buffers; a longer one is sent in
	// pieces.
	maxLogLine = 64 << 10
	// plainLogDeadline bounds the download of a whole log.
	plainLogDeadline = 10 * time.Minute
)

// actionLog serves an action's log: the file as plain text, or with
// ?follow=1 or "Accept: text/event-stream" a Server-Sent Events stream
// that lasts until the action ends.
func (s *Server) actionLog(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := s.executionID(ctx, r)
	if err != nil {
		return err
	}
	stage, action := r.PathValue("stage"), r.PathValue("action")
	run, err := s.store.ActionRun(ctx, id, stage, action)
	if err != nil {
		return err
	}
	path := run.LogPath
	if path == "" {
		path = s.eng.LogPath(id, stage, action)
	}
	if wantsStream(r) {
		s.streamLog(w, r, logTarget{id: id, stage: stage, action: action, path: path})
		return nil
	}
	f, err := os.Open(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if f == nil {
		return nil // the action has not written anything yet
	}
	defer f.Close()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(plainLogDeadline))
	_, err = io.Copy(w, f)
	if err != nil {
		s.log.Debug("send log", "path", r.URL.Path, "err", err)
	}
	return nil
}

// wantsStream reports whether r asks for a log stream.
func wantsStream(r *http.Request) bool {
	switch r.URL.Query().Get("follow") {
	case "1", "true":
		return true
	}
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// logTarget names the action whose log streams.
type logTarget struct {
	id, stage, action, path string
}

// streamLog sends the log as Server-Sent Events: one "message" event per
// line, its id the byte offset after the line (a client reconnecting
// with Last-Event-ID carries on from there), comments as heartbeats, and
// a final "end" event with the action's status once the action has ended
// and its whole log was sent. It returns when the action ends, the
// client leaves or the server shuts down.
func (s *Server) streamLog(w http.ResponseWriter, r *http.Request, t logTarget) {
	ctx := r.Context()
	events, unsubscribe := s.eng.Subscribe(t.id)
	defer unsubscribe()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as its action
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ls := &logSender{w: w, path: t.path}
	if n, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && n > 0 {
		ls.pos = n
	}
	poll := time.NewTicker(logPoll)
	defer poll.Stop()
	heartbeat := time.NewTicker(heartbeatEvery)
	defer heartbeat.Stop()
	check, polls := true, 0
	for {
		if err := ls.send(); err != nil {
			return
		}
		if check {
			run, err := s.store.ActionRun(ctx, t.id, t.stage, t.action)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("log stream", "execution", t.id, "err", err)
				}
				return
			}
			if run.Status.Terminal() {
				ls.finish(string(run.Status))
				_ = rc.Flush()
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
		check = false
		select {
		case <-ctx.Done():
			return
		case <-s.stopping:
			return
		case ev, ok := <-events:
			if !ok {
				events = nil // the execution ended
			}
			check = !ok || ev.Kind != engine.EventLog
		case <-poll.C:
			polls++
			check = polls%statusEvery == 0
		case <-heartbeat.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
	}
}

// logSender turns the growth of a log file into SSE events.
type logSender struct {
	w    io.Writer
	path string
	// pos is the file offset after the last line sent; partial holds the
	// bytes read after it that do not end a line yet.
	pos     int64
	partial []byte
	err     error
}

// send reads what the file gained and sends its complete lines.
func (ls *logSender) send() error {
	f, err := os.Open(ls.path)
	if errors.Is(err, os.ErrNotExist) {
		return ls.err
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(ls.pos+int64(len(ls.partial)), io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 32<<10)
	for ls.err == nil {
		n, err := f.Read(buf)
		ls.feed(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	return ls.err
}

// feed sends the complete lines of partial+b and keeps the rest.
func (ls *logSender) feed(b []byte) {
	ls.partial = append(ls.partial, b...)
	for ls.err == nil {
		i := bytes.IndexByte(ls.partial, '\n')
		switch {
		case i >= 0:
			ls.line(ls.partial[:i], i+1)
		case len(ls.partial) >= maxLogLine:
			ls.line(ls.partial[:maxLogLine], maxLogLine)
		default:
			return
		}
	}
}

// line sends one line that took n bytes of the file.
func (ls *logSender) line(text []byte, n int) {
	ls.pos += int64(n)
	clean := strings.ReplaceAll(strings.TrimSuffix(string(text), "\r"), "\r", "")
	_, ls.err = fmt.Fprintf(ls.w, "id: %d\ndata: %s\n\n", ls.pos, clean)
	ls.partial = ls.partial[n:]
}

// finish sends the rest of the log, a last line without a newline
// included, and the "end" event.
func (ls *logSender) finish(status string) {
	if ls.send() != nil {
		return
	}
	if len(ls.partial) > 0 {
		ls.line(ls.partial, len(ls.partial))
	}
	if ls.err != nil {
		return
	}
	data, _ := json.Marshal(map[string]string{"status": status})
	_, ls.err = fmt.Fprintf(ls.w, "event: end\ndata: %s\n\n", data)
}
