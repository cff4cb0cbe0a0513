package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Sizes of what the log page shows and the stream sends at once.
const (
	logPageTail = 256 << 10
	logChunk    = 64 << 10
)

// ansiPattern matches terminal escape sequences (colours, cursor moves),
// which the log page leaves out.
var ansiPattern = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// logData fills the log page.
type logData struct {
	Run       store.ActionRun
	Text      string
	Truncated bool
	// Offset is where the text shown ends: the stream goes on from there.
	Offset int64
	Live   bool
	Base   string
}

// actionRun reads the action run the URL's {id}, {stage} and {action}
// name; an unknown one wraps pipeline.ErrNotFound.
func (d *Dashboard) actionRun(r *http.Request) (store.ActionRun, error) {
	id, err := d.executionID(r)
	if err != nil {
		return store.ActionRun{}, err
	}
	return d.cfg.Store.ActionRun(r.Context(), id, r.PathValue("stage"), r.PathValue("action"))
}

// logPath is where an action run's log is.
func (d *Dashboard) logPath(run store.ActionRun) string {
	if run.LogPath != "" {
		return run.LogPath
	}
	return d.cfg.Engine.LogPath(run.ExecutionID, run.Stage, run.Action)
}

// logPage shows the end of an action's log; while the action runs, the
// page's script follows it through logStream.
func (d *Dashboard) logPage(w http.ResponseWriter, r *http.Request, ss *session) {
	run, err := d.actionRun(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	text, offset, truncated, err := readTail(d.logPath(run), logPageTail)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	data := logData{Run: run, Text: ansiPattern.ReplaceAllString(text, ""), Offset: offset, Truncated: truncated,
		Live: !run.Status.Terminal(), Base: logBase(run)}
	d.render(w, r, ss, http.StatusOK, "log", run.Stage+"."+run.Action+" log", data)
}

// logBase is the URL of an action's log page.
func logBase(run store.ActionRun) string {
	return "/executions/" + url.PathEscape(run.ExecutionID) + "/logs/" + url.PathEscape(run.Stage) + "/" +
		url.PathEscape(run.Action)
}

// readTail returns the last limit bytes of the file at path (from a line
// start when cut), the file's size and whether it was cut. A missing file
// is an empty log.
func readTail(path string, limit int64) (string, int64, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, false, fmt.Errorf("read log: %w", err)
	}
	size := fi.Size()
	start := max(0, size-limit)
	b := make([]byte, size-start)
	if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
		return "", 0, false, fmt.Errorf("read log: %w", err)
	}
	if start > 0 {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b), size, start > 0, nil
}

// logRaw serves the whole log as plain text.
func (d *Dashboard) logRaw(w http.ResponseWriter, r *http.Request, ss *session) {
	run, err := d.actionRun(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	f, err := os.Open(d.logPath(run))
	if errors.Is(err, fs.ErrNotExist) {
		d.fail(w, r, ss, fmt.Errorf("log of %s.%s: %w (the action has not started)", run.Stage, run.Action,
			pipeline.ErrNotFound))
		return
	}
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour)) // long logs
	if _, err := io.Copy(w, f); err != nil {
		d.log.Debug("send log", "err", err)
	}
}

// streamOffset reads where a log stream starts: the Last-Event-ID a
// reconnecting EventSource sends, else the offset query parameter.
func streamOffset(r *http.Request) (int64, error) {
	s := r.Header.Get("Last-Event-ID")
	if s == "" {
		s = r.URL.Query().Get("offset")
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w offset %q", pipeline.ErrInvalid, s)
	}
	return n, nil
}

// logStream follows an action's log as server-sent events: each "message"
// event carries new text (a JSON string) and, as its id, the offset after
// it; an "end" event carrying the action's final status ends the stream.
func (d *Dashboard) logStream(w http.ResponseWriter, r *http.Request, ss *session) {
	run, err := d.actionRun(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	offset, err := streamOffset(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	s, err := startSSE(w)
	if err != nil {
		return
	}
	t := &tail{path: d.logPath(run), offset: offset, sse: s}
	defer t.close()
	step := func(ev *engine.Event) (bool, error) {
		mine := ev == nil || (ev.Stage == run.Stage && ev.Action == run.Action)
		if !mine {
			return false, nil
		}
		if err := t.pump(false); err != nil || (ev != nil && ev.Kind == engine.EventLog) {
			return false, err
		}
		cur, err := d.cfg.Store.ActionRun(r.Context(), run.ExecutionID, run.Stage, run.Action)
		if err != nil || !cur.Status.Terminal() {
			return false, err
		}
		if err := t.pump(true); err != nil {
			return false, err
		}
		return true, s.send("end", "", jsonString(string(cur.Status)))
	}
	if err := d.follow(r.Context(), s, run.ExecutionID, step); err != nil {
		d.log.Debug("log stream ended", "execution", run.ExecutionID, "err", err)
	}
}

// tail reads a growing file from an offset and sends what it reads.
type tail struct {
	path   string
	offset int64
	f      *os.File
	sse    *sse
}

// pump sends what was appended since the last call, in chunks. Unless
// final, a character cut at the end waits for the next call.
func (t *tail) pump(final bool) error {
	if t.f == nil {
		f, err := os.Open(t.path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("open log: %w", err)
		}
		t.f = f
	}
	buf := make([]byte, logChunk)
	for {
		n, err := t.f.ReadAt(buf, t.offset)
		if n > 0 && !final {
			n = completeUTF8(buf[:n])
		}
		if n > 0 {
			t.offset += int64(n)
			if err := t.sse.send("", strconv.FormatInt(t.offset, 10), jsonString(string(buf[:n]))); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read log: %w", err)
		}
	}
}

func (t *tail) close() {
	if t.f != nil {
		t.f.Close()
	}
}

// completeUTF8 returns the length of b without a UTF-8 sequence cut at
// its end.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}

// jsonString encodes s as a JSON string (invalid UTF-8 becomes U+FFFD).
func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
