package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// client calls the API with a token.
type client struct {
	base, token string
	http        *http.Client
}

func newClient(base, token string) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 200
	return &client{base: base, token: token, http: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// call sends a JSON request and decodes the answer into out (when not
// nil); a status other than want is an error.
func (c *client) call(ctx context.Context, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s = %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// registerPipelines registers bench-01 … bench-NN from repo.
func registerPipelines(ctx context.Context, c *client, repo string, n int) ([]string, error) {
	var names []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("bench-%02d", i)
		if err := c.call(ctx, "POST", "/api/v1/pipelines", map[string]string{"name": name, "repo": repo},
			http.StatusCreated, nil); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

// load is what driveExecutions did.
type load struct {
	ids        []string // every execution released
	start, end time.Time
	// refused counts releases the server answered with an error (and
	// that were sent again).
	refused int
}

// Releases: at most releasers at once (a release fetches the repository
// and checks it out), each sent up to releaseTries times.
const (
	releasers    = 4
	releaseTries = 10
)

// livePoll is how often the driver lists the unfinished executions.
const livePoll = 100 * time.Millisecond

// slot is one pipeline's current execution.
type slot struct {
	name      string
	id        string
	released  time.Time // when the release answered
	releasing bool
}

// released is the answer to one release.
type released struct {
	i       int
	id      string
	at      time.Time
	err     error
	refused int
}

// releaseOnce releases pipeline name, sending the request again after a
// server error.
func releaseOnce(ctx context.Context, c *client, i int, name string) released {
	r := released{i: i}
	for try := 1; ; try++ {
		var x struct {
			ID string `json:"id"`
		}
		err := c.call(ctx, "POST", "/api/v1/pipelines/"+url.PathEscape(name)+"/executions", struct{}{},
			http.StatusCreated, &x)
		if err == nil || try == releaseTries || ctx.Err() != nil {
			r.id, r.at, r.err = x.ID, time.Now(), err
			return r
		}
		r.refused++
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// driveExecutions keeps one execution of each pipeline running until d
// has passed, then waits for the last ones to end. One lister notices the
// ends: every livePoll it asks for the unfinished executions; a released
// execution missing from a list asked for after its release has ended.
func driveExecutions(ctx context.Context, c *client, names []string, d time.Duration) (load, error) {
	l := load{start: time.Now()}
	l.end = l.start.Add(d)
	slots := make([]slot, len(names))
	answers := make(chan released, len(names))
	sem := make(chan struct{}, releasers)
	release := func(i int) {
		slots[i].releasing = true
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			answers <- releaseOnce(ctx, c, i, names[i])
		}()
	}
	for i, name := range names {
		slots[i].name = name
		release(i)
	}
	tick := time.NewTicker(livePoll)
	defer tick.Stop()
	drainUntil := l.end.Add(2 * time.Minute)
	for {
		select {
		case <-ctx.Done():
			return l, ctx.Err()
		case a := <-answers:
			l.refused += a.refused
			if a.err != nil {
				return l, fmt.Errorf("release: %w", a.err)
			}
			slots[a.i] = slot{name: slots[a.i].name, id: a.id, released: a.at}
			l.ids = append(l.ids, a.id)
		case <-tick.C:
			busy, err := poll(ctx, c, slots, release, time.Now().Before(l.end))
			if err != nil {
				return l, err
			}
			if !busy {
				return l, nil
			}
			if time.Now().After(drainUntil) {
				return l, fmt.Errorf("executions still unfinished 2 minutes after the load window")
			}
		}
	}
}

// poll lists the unfinished executions and frees the slots whose
// execution ended, releasing again while again is set. It reports
// whether any slot is still busy.
func poll(ctx context.Context, c *client, slots []slot, release func(int), again bool) (bool, error) {
	asked := time.Now()
	var page struct {
		Executions []struct {
			ID string `json:"id"`
		} `json:"executions"`
	}
	if err := c.call(ctx, "GET", "/api/v1/executions?status=queued,running&limit=500", nil, http.StatusOK,
		&page); err != nil {
		return false, err
	}
	live := map[string]bool{}
	for _, x := range page.Executions {
		live[x.ID] = true
	}
	busy := false
	for i := range slots {
		s := &slots[i]
		if s.id != "" && s.released.Before(asked) && !live[s.id] {
			s.id = ""
			if again {
				release(i)
			}
		}
		busy = busy || s.id != "" || s.releasing
	}
	return busy, nil
}
