package dashboard_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// event is one server-sent event.
type event struct {
	name string
	id   string
	data string
}

// eventStream reads server-sent events from a response.
type eventStream struct {
	res *http.Response
	r   *bufio.Reader
}

// openStream opens an event stream with c's session; lastID, when set, is
// sent as Last-Event-ID like a reconnecting EventSource does.
func (c *client) openStream(ctx context.Context, path, lastID string) *eventStream {
	c.e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	hc := *c.http
	hc.Timeout = 0 // the stream lasts; ctx bounds it
	res, err := hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		c.e.t.Fatalf("GET %s = %d %q", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	c.e.t.Cleanup(func() { res.Body.Close() })
	return &eventStream{res: res, r: bufio.NewReader(res.Body)}
}

// next reads the next event, skipping comments.
func (s *eventStream) next(t *testing.T) event {
	t.Helper()
	var ev event
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("read event stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && ev.data != "":
			return ev
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func decode(t *testing.T, data string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		t.Fatalf("event data %q: %v", data, err)
	}
	return s
}

func TestLogStreamFollowsRunningAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stop := filepath.Join(e.dir, "stop")
	id := e.start(fmt.Sprintf(tailPipeline, stop))
	e.waitFor("the loop to start", func() bool {
		r, err := e.st.ActionRun(context.Background(), id, "Build", "Loop")
		return err == nil && r.Status == pipeline.StatusRunning
	})
	c := e.client()
	c.login(store.RoleViewer)
	page := c.get("/executions/" + id + "/logs/Build/Loop")
	mustContain(t, "log page of a running action", page.body, `data-stream="/executions/`+id+`/logs/Build/Loop/stream?offset=`)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := c.openStream(ctx, "/executions/"+id+"/logs/Build/Loop/stream?offset=0", "")
	var text strings.Builder
	var lastOffset int64
	var firstID string
	stopped := false
	for {
		ev := s.next(t)
		if ev.name == "end" {
			if got := decode(t, ev.data); got != "succeeded" {
				t.Errorf("end event = %q, want succeeded", got)
			}
			break
		}
		text.WriteString(decode(t, ev.data))
		off, err := strconv.ParseInt(ev.id, 10, 64)
		if err != nil || off <= lastOffset {
			t.Fatalf("event id %q after offset %d: want a growing offset", ev.id, lastOffset)
		}
		lastOffset = off
		if firstID == "" {
			firstID = ev.id
		}
		// Stop the loop only once the stream has shown it growing.
		if !stopped && strings.Contains(text.String(), "tick 3\n") {
			writeFile(t, stop)
			stopped = true
		}
	}
	file, err := os.ReadFile(e.eng.LogPath(id, "Build", "Loop"))
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != string(file) || lastOffset != int64(len(file)) {
		t.Errorf("streamed %d bytes ending at offset %d; the log has %d bytes", text.Len(), lastOffset, len(file))
	}
	if !strings.Contains(text.String(), "loop finished") {
		t.Errorf("stream lacks the last line: %q", text.String())
	}

	// A reconnecting EventSource resumes after the last event it saw.
	from, _ := strconv.Atoi(firstID)
	again := c.openStream(ctx, "/executions/"+id+"/logs/Build/Loop/stream", firstID)
	var rest strings.Builder
	for ev := again.next(t); ev.name != "end"; ev = again.next(t) {
		rest.WriteString(decode(t, ev.data))
	}
	if rest.String() != string(file[from:]) {
		t.Errorf("resumed stream = %q, want the log after offset %d", rest.String(), from)
	}
}

func TestExecutionEventsReportChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	c := e.client()
	c.login(store.RoleOperator)
	page := c.get("/executions/" + id)
	m := strings.Index(page.body, "/events?state=")
	if m < 0 {
		t.Fatalf("execution page of a running execution has no live updates")
	}
	state := page.body[m+len("/events?state=") : m+len("/events?state=")+16]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := c.openStream(ctx, "/executions/"+id+"/events?state="+state, "")
	if err := e.eng.ApproveAs(ctx, id, "Approve", "olga", "", true); err != nil {
		t.Fatal(err)
	}
	first := s.next(t)
	if first.name != "change" || decode(t, first.data) == state {
		t.Errorf("first event = %+v, want a change away from %s", first, state)
	}
	for ev := first; ev.name != "end"; {
		ev = s.next(t)
	}
	if st := e.status(id); st != pipeline.StatusSucceeded {
		t.Errorf("status = %s, want succeeded", st)
	}
	// A finished execution's page does not ask for live updates.
	if strings.Contains(c.get("/executions/"+id).body, "/events?state=") {
		t.Errorf("finished execution's page asks for live updates")
	}
}

func TestCloseEndsStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	c := e.client()
	c.login(store.RoleViewer)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := c.openStream(ctx, "/executions/"+id+"/logs/Release/Approve/stream", "")
	s.next(t) // the approval's log so far
	e.dash.Close()
	for {
		if _, err := s.r.ReadString('\n'); err != nil {
			break
		}
	}
	if ctx.Err() != nil {
		t.Errorf("the stream did not end after Close")
	}
}
