// Package invoke is the invoke action provider, modelled on CodePipeline's
// Lambda invoke action: it runs a handler executable with the
// CodePipeline.job event as JSON on its standard input and reads its reply,
// the last JSON object on its standard output:
//
//	{"result": "success"|"failure"|"in_progress", "continuation_token": "…",
//	 "output_variables": {…}, "message": "…"}
//
// A handler still working answers in_progress with a continuation token;
// the engine invokes it again after continuation_delay, with the token in
// data.continuationToken. The handler's standard error goes to the action
// log; SECPIPE_JOB_ID holds the event's job id.
//
// Configuration keys: handler (required; an executable path, relative to
// the primary input artifact or else to the execution's repository),
// function (the FunctionName in the event; default the handler's file
// name), user_parameters (a string, or any value sent as JSON text),
// continuation_delay (default 30s).
package invoke

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
	"github.com/secpipe/secpipe/internal/provider/internal/proc"
	"github.com/secpipe/secpipe/internal/provider/internal/workspace"
)

// DefaultContinuationDelay is how long the engine waits before invoking a
// handler again that answered in_progress.
const DefaultContinuationDelay = 30 * time.Second

// maxStdout is how much of a handler's standard output is kept (its end).
const maxStdout = 4 << 20

// Config configures the provider.
type Config struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// KillGrace is the time between SIGTERM and SIGKILL when an action is
	// cancelled or times out; zero means proc.DefaultGrace.
	KillGrace time.Duration
	// Environ is the environment handlers start from; nil means the
	// environment of this process.
	Environ []string
}

// Provider runs invoke actions. It is safe for concurrent use.
type Provider struct {
	cfg Config
	log *slog.Logger
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns an invoke provider.
func New(cfg Config) *Provider {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{cfg: cfg, log: log}
}

// Name returns "invoke".
func (p *Provider) Name() string { return "invoke" }

type settings struct {
	Handler           string             `json:"handler"`
	Function          string             `json:"function"`
	UserParameters    json.RawMessage    `json:"user_parameters"`
	ContinuationDelay actioncfg.Duration `json:"continuation_delay"`
}

// Validate checks an action's configuration; errors wrap
// pipeline.ErrInvalid.
func (p *Provider) Validate(cfg map[string]any) error {
	_, err := parse(cfg)
	return err
}

func parse(cfg map[string]any) (settings, error) {
	var s settings
	if err := actioncfg.Decode(cfg, &s); err != nil {
		return s, err
	}
	if s.Handler == "" {
		return s, fmt.Errorf("%w config: handler is required", pipeline.ErrInvalid)
	}
	if s.ContinuationDelay == 0 {
		s.ContinuationDelay = actioncfg.Duration(DefaultContinuationDelay)
	}
	return s, nil
}

// Run invokes the handler once. A handler that cannot be found is an
// error wrapping pipeline.ErrInvalid; a handler that fails, exits with a
// non-zero status or answers a malformed reply fails the action; ctx's end
// kills it and returns the context's error.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	s, err := parse(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	handler, err := findHandler(req, s.Handler)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	jobID, err := newJobID()
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	return p.invoke(ctx, req, s.Handler, handler, newEvent(req, s, handler, jobID), time.Duration(s.ContinuationDelay))
}

// Exec invokes handler (an executable's path) once for job jobID that
// comes from outside the engine (`secpipe worker` runs custom actions'
// jobs with it), as Run does: the event on its standard input, the reply
// read from its standard output, its standard error to req.Log, in a
// scratch directory under req.WorkDir, with Run's environment. The
// event's configuration holds FunctionName (req.Config's "function", else
// the handler's file name), UserParameters (its "user_parameters") and
// every other key of req.Config as text. An
// ActionInProgress result carries no delay: the job's owner decides it.
// Errors are Run's.
func (p *Provider) Exec(ctx context.Context, req *pipeline.ActionRequest, handler, jobID string) (pipeline.ActionResult, error) {
	return p.invoke(ctx, req, handler, handler, jobEvent(req, handler, jobID), 0)
}

// invoke runs handler (named display in the log) with event.
func (p *Provider) invoke(ctx context.Context, req *pipeline.ActionRequest, display, handler string, ev Event,
	delay time.Duration) (pipeline.ActionResult, error) {
	jobID := ev.Job.ID
	event, err := json.Marshal(ev)
	if err != nil {
		return pipeline.ActionResult{}, fmt.Errorf("encode the job event: %w", err)
	}
	scratch, remove, err := workspace.Scratch(req.WorkDir, "invoke-")
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	defer remove()
	log := proc.NewLineWriter(req.Log)
	defer log.Flush()
	log.Line(fmt.Sprintf("invoking %s (job %s, attempt %d)", display, jobID, req.Attempt))
	stdout := &tail{max: maxStdout}
	cmd := exec.Command(handler)
	cmd.Dir = scratch
	cmd.Env = p.env(req, jobID)
	cmd.Stdin = bytesReader(event)
	cmd.Stdout, cmd.Stderr = stdout, log
	runErr := proc.Run(ctx, cmd, p.cfg.KillGrace)
	if ctx.Err() != nil {
		return pipeline.ActionResult{}, ctx.Err()
	}
	res := decide(runErr, stdout, delay)
	log.Line(describe(res))
	return res, nil
}

// env is the handler's environment.
func (p *Provider) env(req *pipeline.ActionRequest, jobID string) []string {
	env := p.cfg.Environ
	if env == nil {
		env = os.Environ()
	}
	primary, srcDir := "", ""
	if in, ok, _ := actioncfg.Primary(req, ""); ok {
		primary, srcDir = in.Name, in.Dir
	}
	env = append(append([]string(nil), env...), actioncfg.Env(req, primary, srcDir)...)
	return append(env, "SECPIPE_JOB_ID="+jobID)
}

// decide turns the handler's exit and output into the action's result.
func decide(runErr error, stdout *tail, delay time.Duration) pipeline.ActionResult {
	reply, perr := ParseReply(stdout.bytes())
	if runErr != nil {
		msg := fmt.Sprintf("the handler exited with status %d", proc.ExitStatus(runErr))
		if proc.ExitStatus(runErr) < 0 {
			msg = "the handler did not run: " + runErr.Error()
		}
		if perr == nil && reply.Message != "" {
			msg += ": " + reply.Message
		}
		return pipeline.ActionResult{State: pipeline.ActionFailed, Message: msg}
	}
	if perr != nil {
		if stdout.truncated {
			perr = fmt.Errorf("%w (only the last %d bytes of the output were kept)", perr, maxStdout)
		}
		return pipeline.ActionResult{State: pipeline.ActionFailed, Message: "malformed reply from the handler: " + perr.Error()}
	}
	switch reply.Result {
	case resultInProgress:
		return pipeline.ActionResult{
			State: pipeline.ActionInProgress, Message: reply.Message,
			ContinuationToken: reply.ContinuationToken, ContinuationDelay: delay,
		}
	case resultFailure:
		msg := reply.Message
		if msg == "" {
			msg = "the handler reported a failure"
		}
		return pipeline.ActionResult{State: pipeline.ActionFailed, Message: msg}
	}
	return pipeline.ActionResult{State: pipeline.ActionSucceeded, Message: reply.Message, OutputVariables: reply.OutputVariables}
}

// describe is the log line of a result.
func describe(res pipeline.ActionResult) string {
	switch res.State {
	case pipeline.ActionInProgress:
		if res.ContinuationDelay == 0 { // Exec: the job's owner decides when
			return fmt.Sprintf("in progress (continuation token %q)", res.ContinuationToken)
		}
		return fmt.Sprintf("in progress (continuation token %q); invoking again in %s", res.ContinuationToken, res.ContinuationDelay)
	case pipeline.ActionFailed:
		return "failed: " + res.Message
	}
	return fmt.Sprintf("succeeded with %d output variable(s)", len(res.OutputVariables))
}

// findHandler resolves the handler path: absolute, or relative to the
// primary input, or else to the execution's repository.
func findHandler(req *pipeline.ActionRequest, handler string) (string, error) {
	var candidates []string
	if filepath.IsAbs(handler) {
		candidates = []string{handler}
	} else {
		if in, ok, _ := actioncfg.Primary(req, ""); ok {
			if p, err := actioncfg.LocalPath(in.Dir, handler, "handler"); err == nil {
				candidates = append(candidates, p)
			}
		}
		if req.RepoDir != "" {
			if p, err := actioncfg.LocalPath(req.RepoDir, handler, "handler"); err == nil {
				candidates = append(candidates, p)
			}
		}
	}
	for _, c := range candidates {
		info, err := os.Stat(c)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if info.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("%w config: handler: %s is not executable", pipeline.ErrInvalid, c)
		}
		return c, nil
	}
	return "", fmt.Errorf("%w config: handler: %q not found in the primary input artifact or the repository", pipeline.ErrInvalid, handler)
}

// newJobID returns a random UUID, as CodePipeline job ids are.
func newJobID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random job id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}
