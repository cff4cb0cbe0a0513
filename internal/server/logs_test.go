package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	id, event, data string
}

// sseStream reads the events of a log stream.
type sseStream struct {
	t    testing.TB
	sc   *bufio.Scanner
	resp *http.Response
}

// openStream requests a log as a stream, asking with accept or ?follow=1.
func (ts *testServer) openStream(ctx context.Context, path string, accept bool, lastID string) *sseStream {
	ts.t.Helper()
	url := ts.url + path
	if !accept {
		url += "?follow=1"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.tokens[store.RoleViewer])
	if accept {
		req.Header.Set("Accept", "text/event-stream")
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		ts.t.Fatalf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ts.t.Cleanup(func() { resp.Body.Close() })
	return &sseStream{t: ts.t, sc: bufio.NewScanner(resp.Body), resp: resp}
}

// next returns the next event; ok is false at the end of the stream.
func (s *sseStream) next() (ev sseEvent, ok bool) {
	s.t.Helper()
	seen := false
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "" && seen:
			return ev, true
		case strings.HasPrefix(line, ":"), line == "":
		case strings.HasPrefix(line, "id: "):
			ev.id, seen = strings.TrimPrefix(line, "id: "), true
		case strings.HasPrefix(line, "event: "):
			ev.event, seen = strings.TrimPrefix(line, "event: "), true
		case strings.HasPrefix(line, "data: "):
			ev.data, seen = strings.TrimPrefix(line, "data: "), true
		default:
			s.t.Fatalf("malformed stream line %q", line)
		}
	}
	if err := s.sc.Err(); err != nil {
		s.t.Fatalf("read stream: %v", err)
	}
	return ev, false
}

// until reads events until one's data contains text and returns it.
func (s *sseStream) until(text string) sseEvent {
	s.t.Helper()
	for {
		ev, ok := s.next()
		if !ok {
			s.t.Fatalf("stream ended before %q", text)
		}
		if strings.Contains(ev.data, text) {
			return ev
		}
	}
}

func TestLogStream(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	signal := filepath.Join(t.TempDir(), "signal")
	// printf's format keeps the words apart in the command as the shell
	// echoes it: only the output has "alpha-one".
	yml := fmt.Sprintf(`version: 1
name: talk
stages:
  - name: Build
    actions:
      - name: Talk
        provider: shell
        config:
          commands:
            - printf 'alpha-%%s\n' one
            - while [ ! -f %s ]; do sleep 0.05; done
            - printf 'beta-%%s\n' two
`, signal)
	repo := newRepo(t, map[string]string{"secpipe.yml": yml})
	ts.register("talk", repo.dir)
	x := ts.release("talk", nil)
	path := "/api/v1/executions/" + x.ID + "/actions/Build/Talk/log"

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := ts.openStream(ctx, path, false, "")
	first := s.until("alpha-one")
	if first.id == "" || first.event != "" {
		t.Errorf("log event = %+v, want a message with an id", first)
	}
	if st := action(ts.execution(x.ID), "Build", "Talk").Status; st != pipeline.StatusRunning {
		t.Fatalf("the action is %s after its first line, want running", st)
	}
	if err := os.WriteFile(signal, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s.until("beta-two")
	var end sseEvent
	for {
		ev, ok := s.next()
		if !ok {
			t.Fatal("stream ended without an end event")
		}
		if ev.event == "end" {
			end = ev
			break
		}
	}
	if end.data != `{"status":"succeeded"}` {
		t.Errorf("end event data = %q", end.data)
	}
	if ev, ok := s.next(); ok {
		t.Errorf("event %+v after the end event", ev)
	}

	// After the end, a stream sends the whole log at once; Last-Event-ID
	// carries on after the line it names.
	again := ts.openStream(ctx, path, true, first.id)
	var rest []string
	for {
		ev, ok := again.next()
		if !ok {
			break
		}
		rest = append(rest, ev.data)
	}
	joined := strings.Join(rest, "\n")
	if strings.Contains(joined, "alpha-one") || !strings.Contains(joined, "beta-two") ||
		rest[len(rest)-1] != `{"status":"succeeded"}` {
		t.Errorf("stream after %s = %q, want beta-two and the end only", first.id, rest)
	}

	code, plain := ts.do("GET", path, store.RoleViewer, nil)
	if code != http.StatusOK || !strings.Contains(string(plain), "alpha-one\n") || !strings.Contains(string(plain), "beta-two\n") {
		t.Errorf("plain log = %d %q", code, plain)
	}
	if code, _ := ts.do("GET", "/api/v1/executions/"+x.ID+"/actions/Build/Nope/log", store.RoleViewer, nil); code != http.StatusNotFound {
		t.Errorf("log of an unknown action = %d, want 404", code)
	}
}

// TestShutdownEndsStreams stops a server while a log streams: the stream
// ends without an end event, the running action may finish, and Run
// returns cleanly.
func TestShutdownEndsStreams(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	never := filepath.Join(t.TempDir(), "never")
	yml := fmt.Sprintf(`version: 1
name: slow
stages:
  - name: Build
    actions:
      - {name: Wait, provider: shell, config: {commands: ["echo waiting", "while [ ! -f %s ]; do sleep 0.05; done"]}}
`, never)
	repo := newRepo(t, map[string]string{"secpipe.yml": yml})
	ts.register("slow", repo.dir)
	x := ts.release("slow", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := ts.openStream(ctx, "/api/v1/executions/"+x.ID+"/actions/Build/Wait/log", true, "")
	s.until("waiting")
	stopped := make(chan error, 1)
	go func() { stopped <- ts.shutdown() }()
	for {
		ev, ok := s.next()
		if !ok {
			break
		}
		if ev.event == "end" {
			t.Errorf("end event %q: the action did not end", ev.data)
		}
	}
	// The running action is let finish before the dispatcher stops.
	if err := os.WriteFile(never, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run = %v", err)
	}
}
