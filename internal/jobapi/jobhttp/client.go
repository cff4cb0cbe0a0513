package jobhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// Defaults of ClientOptions.
const (
	DefaultCallTimeout = 30 * time.Second
	DefaultAttempts    = 4
	DefaultBackoff     = 250 * time.Millisecond
	// maxBackoff caps the wait between two attempts.
	maxBackoff = 5 * time.Second
	// maxErrorBody bounds how much of an error answer is read.
	maxErrorBody = 64 << 10
)

// ClientOptions configure a Client.
type ClientOptions struct {
	// Token is sent as "Authorization: Bearer <token>"; empty sends none.
	Token string
	// HTTPClient makes the requests; nil means one with connection, TLS
	// and response-header timeouts (and no overall timeout, which would
	// cut long artifact transfers; ctx bounds those).
	HTTPClient *http.Client
	// CallTimeout bounds each JSON call (DefaultCallTimeout).
	CallTimeout time.Duration
	// Attempts is how often a call that may be repeated is tried when the
	// network or the server (5xx) fails (DefaultAttempts).
	Attempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each further one up to 5 s, with jitter (DefaultBackoff).
	Backoff time.Duration
	// Limits bound a downloaded input archive; zero fields take the
	// defaults.
	Limits ArchiveLimits
	// Logger receives retried failures; nil discards them.
	Logger *slog.Logger
}

// Client is the job API of a secpipe server, as a jobapi.Service: run a
// jobapi.Client over it to work jobs. It is safe for concurrent use.
//
// Acknowledgements, results and artifact transfers are retried with
// backoff when the network or the server fails: acknowledging again is
// harmless, and a result repeated after one the server did record is
// refused as a conflict (the error then says it may have been recorded).
// Polls are not retried (a lost answer leaves its jobs to their lease);
// the worker's loop polls again. Errors the server answers are
// *StatusError, which wrap pipeline.ErrInvalid and pipeline.ErrNotFound
// as jobapi.Service documents.
type Client struct {
	base *url.URL
	opts ClientOptions
	http *http.Client
	log  *slog.Logger
}

var _ jobapi.Service = (*Client)(nil)

// NewClient returns a client of the server at baseURL (http or https, with
// an optional path prefix; the API is under baseURL + PathPrefix). A
// malformed URL wraps pipeline.ErrInvalid.
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w server URL %q: want http(s)://host[:port][/prefix]", pipeline.ErrInvalid, baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	c := &Client{base: u, opts: opts, http: opts.HTTPClient, log: opts.Logger}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}}
}

// BaseURL returns the server's URL as the client uses it.
func (c *Client) BaseURL() string { return c.base.String() }

// PollForJobs implements jobapi.Service. The jobs' artifact locations are
// paths on the server, for DownloadInputs and UploadOutputs. A 404 means
// there is no job API at the base URL, and wraps pipeline.ErrInvalid.
func (c *Client) PollForJobs(ctx context.Context, actionType string, max int) ([]jobapi.Job, error) {
	var out jobapi.PollForJobsOutput
	err := c.call(ctx, "poll", jobapi.PollForJobsInput{ActionType: actionType, MaxBatchSize: max}, &out, false)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return nil, fmt.Errorf("%w poll: no job API at %s (%v)", pipeline.ErrInvalid, c.base, err)
	}
	if err != nil {
		return nil, fmt.Errorf("poll for %s jobs: %w", actionType, err)
	}
	if out.Jobs == nil {
		out.Jobs = []jobapi.Job{}
	}
	return out.Jobs, nil
}

// AcknowledgeJob implements jobapi.Service.
func (c *Client) AcknowledgeJob(ctx context.Context, id, nonce string) error {
	var out jobapi.AcknowledgeJobOutput
	if err := c.call(ctx, "acknowledge", jobapi.AcknowledgeJobInput{JobID: id, Nonce: nonce}, &out, true); err != nil {
		return fmt.Errorf("acknowledge job %s: %w", id, err)
	}
	return nil
}

// PutJobSuccessResult implements jobapi.Service.
func (c *Client) PutJobSuccessResult(ctx context.Context, id string, r jobapi.SuccessResult) error {
	if err := c.call(ctx, "success", jobapi.PutJobSuccessResultInput{JobID: id, Result: r}, nil, true); err != nil {
		return fmt.Errorf("report success of job %s: %w", id, err)
	}
	return nil
}

// PutJobFailureResult implements jobapi.Service.
func (c *Client) PutJobFailureResult(ctx context.Context, id string, r jobapi.FailureResult) error {
	in := jobapi.PutJobFailureResultInput{JobID: id, FailureDetails: r}
	if err := c.call(ctx, "failure", in, nil, true); err != nil {
		return fmt.Errorf("report failure of job %s: %w", id, err)
	}
	return nil
}

// call posts in as JSON to the endpoint and decodes the answer into out
// (unless nil). A repeatable call is retried on network and server
// failures.
func (c *Client) call(ctx context.Context, endpoint string, in, out any, repeatable bool) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode the request: %w", err)
	}
	attempts := 1
	if repeatable {
		attempts = c.opts.Attempts
	}
	uncertain := false // an earlier attempt may have reached the server
	return c.retry(ctx, endpoint, attempts, func(ctx context.Context) (bool, error) {
		ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(PathPrefix+endpoint), bytes.NewReader(body))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := c.do(req)
		if err != nil {
			uncertain = true
			return true, err
		}
		defer drain(resp)
		if resp.StatusCode >= 300 {
			se := statusError(resp)
			if se.Status == http.StatusConflict && uncertain {
				se.Message += " (an earlier attempt of this call may have been recorded)"
			}
			uncertain = uncertain || se.retryable()
			return se.retryable(), se
		}
		if out == nil {
			return false, nil
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, MaxRequestBody*64)).Decode(out); err != nil {
			return false, fmt.Errorf("decode the answer: %w", err)
		}
		return false, nil
	})
}

// retry runs try up to attempts times while it fails with retry set,
// waiting with backoff in between; it returns the last error.
func (c *Client) retry(ctx context.Context, what string, attempts int, try func(context.Context) (bool, error)) error {
	wait := c.opts.Backoff
	for i := 1; ; i++ {
		again, err := try(ctx)
		if err == nil || !again || i >= attempts || ctx.Err() != nil {
			return err
		}
		c.log.Warn("job API call failed; retrying", "call", what, "attempt", i, "error", err)
		d := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(d):
		}
		wait = min(2*wait, maxBackoff)
	}
}

// do sends req with the token.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	return c.http.Do(req)
}

// url is the absolute URL of a path under the base URL.
func (c *Client) url(path string) string {
	u := *c.base
	u.Path += path
	return u.String()
}

// statusError reads the error answer resp.
func statusError(resp *http.Response) *StatusError {
	se := &StatusError{Status: resp.StatusCode}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var b errorBody
	if json.Unmarshal(data, &b) == nil && b.Error.Code != "" {
		se.Code, se.Message = b.Error.Code, b.Error.Message
		return se
	}
	se.Message = strings.TrimSpace(string(data))
	if len(se.Message) > 200 {
		se.Message = se.Message[:200] + "…"
	}
	if se.Message == "" {
		se.Message = http.StatusText(resp.StatusCode)
	}
	return se
}

// drain reads what is left of a body (a little) and closes it, so the
// connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}
