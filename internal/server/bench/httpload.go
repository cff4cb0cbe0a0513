package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// target is one page or endpoint of the HTTP load.
type target struct {
	name string
	path string
	api  bool // bearer token; else the dashboard session
}

// hit is one request's outcome.
type hit struct {
	d   time.Duration
	err error
}

// httpResult holds every request's outcome by target.
type httpResult struct {
	targets []target
	hits    [][]hit
	rate    int
	window  time.Duration
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login opens a dashboard session with token: the login form, then its
// post; the client's jar keeps the session cookie.
func login(ctx context.Context, hc *http.Client, base, token string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/login", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("dashboard login form: no csrf field (status %d)", resp.StatusCode)
	}
	form := url.Values{"token": {token}, "csrf": {string(m[1])}, "next": {"/pipelines"}}
	req, _ = http.NewRequestWithContext(ctx, "POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/pipelines" {
		return fmt.Errorf("dashboard login: ended at %s with %d", resp.Request.URL.Path, resp.StatusCode)
	}
	return nil
}

// loadHTTP logs in, then sends rate requests a second for d, each at its
// scheduled time whatever the answers before (an open loop, so a slow
// answer does not hide the ones queued behind it), round robin over the
// dashboard's main pages and the API's lists and details.
func loadHTTP(ctx context.Context, base, token string, rate int, d time.Duration) (httpResult, error) {
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 200
	hc := &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second}
	if err := login(ctx, hc, base, token); err != nil {
		return httpResult{}, err
	}
	// From now on a redirect (to the login form) is an answer, and a
	// failure.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var page struct {
		Executions []struct {
			ID string `json:"id"`
		} `json:"executions"`
	}
	if err := newClient(base, token).call(ctx, "GET", "/api/v1/executions?limit=1", nil, http.StatusOK,
		&page); err != nil {
		return httpResult{}, err
	}
	if len(page.Executions) == 0 {
		return httpResult{}, fmt.Errorf("no execution to show")
	}
	id := url.PathEscape(page.Executions[0].ID)
	res := httpResult{rate: rate, window: d, targets: []target{
		{name: "dashboard /pipelines", path: "/pipelines"},
		{name: "dashboard /executions", path: "/executions"},
		{name: "dashboard /executions/{id}", path: "/executions/" + id},
		{name: "dashboard /findings", path: "/findings"},
		{name: "API GET /pipelines", path: "/api/v1/pipelines", api: true},
		{name: "API GET /executions", path: "/api/v1/executions", api: true},
		{name: "API GET /executions/{id}", path: "/api/v1/executions/" + id, api: true},
	}}
	n := int(float64(rate) * d.Seconds())
	hits := make([]hit, n)
	every := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * every)); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return res, ctx.Err()
			case <-time.After(wait):
			}
		}
		wg.Go(func() { hits[i] = send(ctx, hc, base, token, res.targets[i%len(res.targets)]) })
	}
	wg.Wait()
	res.hits = make([][]hit, len(res.targets))
	for i, h := range hits {
		res.hits[i%len(res.targets)] = append(res.hits[i%len(res.targets)], h)
	}
	return res, nil
}

// send makes one request and reads the whole answer.
func send(ctx context.Context, hc *http.Client, base, token string, t target) hit {
	req, err := http.NewRequestWithContext(ctx, "GET", base+t.path, nil)
	if err != nil {
		return hit{err: err}
	}
	if t.api {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return hit{d: time.Since(start), err: err}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	h := hit{d: time.Since(start), err: err}
	if resp.StatusCode != http.StatusOK {
		h.err = fmt.Errorf("%s: %d", t.path, resp.StatusCode)
	}
	return h
}
