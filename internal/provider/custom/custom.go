// Package custom is the custom action provider: the action is done by an
// external worker that takes it as a job through the job API
// (PollForJobs, AcknowledgeJob, PutJobSuccessResult or
// PutJobFailureResult), as CodePipeline's custom actions are. Running a
// custom action only validates it; the engine creates the job and resumes
// the action when the worker reports.
//
// Configuration keys: action_type (required): "Category/Provider/Version"
// as in CodePipeline (Category one of Source, Build, Test, Deploy,
// Approval, Invoke) or a plain name; every other key is handed to the
// worker as the job's configuration.
package custom

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/proc"
)

// Config configures the provider.
type Config struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Provider runs custom actions. It is safe for concurrent use.
type Provider struct {
	log *slog.Logger
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns a custom action provider.
func New(cfg Config) *Provider {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{log: log}
}

// Name returns "custom".
func (p *Provider) Name() string { return "custom" }

// Validate checks an action's configuration; errors wrap
// pipeline.ErrInvalid.
func (p *Provider) Validate(cfg map[string]any) error {
	_, err := ActionType(cfg)
	return err
}

var (
	categories = []string{"Source", "Build", "Test", "Deploy", "Approval", "Invoke"}
	// providerName and version follow CodePipeline's limits.
	providerName = regexp.MustCompile(`^[0-9A-Za-z_-]{1,35}$`)
	version      = regexp.MustCompile(`^[0-9A-Za-z_-]{1,9}$`)
	plainName    = regexp.MustCompile(`^[0-9A-Za-z_.-]{1,100}$`)
)

// ActionType returns the action type a custom action's configuration
// names, which is what job workers poll for. A missing or malformed one is
// an error wrapping pipeline.ErrInvalid.
func ActionType(cfg map[string]any) (string, error) {
	raw, ok := cfg["action_type"]
	if !ok {
		return "", fmt.Errorf("%w config: action_type is required", pipeline.ErrInvalid)
	}
	t, ok := raw.(string)
	if !ok {
		return "", fmt.Errorf("%w config: action_type: want a string", pipeline.ErrInvalid)
	}
	parts := strings.Split(t, "/")
	switch {
	case len(parts) == 1 && plainName.MatchString(t):
		return t, nil
	case len(parts) != 3:
		return "", fmt.Errorf("%w config: action_type: %q is neither Category/Provider/Version nor a plain name", pipeline.ErrInvalid, t)
	}
	if !slices.Contains(categories, parts[0]) {
		return "", fmt.Errorf("%w config: action_type: category %q is not one of %s", pipeline.ErrInvalid, parts[0], strings.Join(categories, ", "))
	}
	if !providerName.MatchString(parts[1]) {
		return "", fmt.Errorf("%w config: action_type: provider %q: want 1 to 35 letters, digits, - or _", pipeline.ErrInvalid, parts[1])
	}
	if !version.MatchString(parts[2]) {
		return "", fmt.Errorf("%w config: action_type: version %q: want 1 to 9 letters, digits, - or _", pipeline.ErrInvalid, parts[2])
	}
	return t, nil
}

// Run validates the configuration and returns ActionWaiting: the engine
// creates the job for external workers and completes the action with
// their result. It never blocks.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	t, err := ActionType(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	msg := "waiting for a job worker for action type " + t
	if req.ContinuationToken != "" {
		msg += " (continuing)"
	}
	proc.NewLineWriter(req.Log).Line(msg)
	p.log.Debug("custom action waiting", "execution", req.ExecutionID, "action", req.Action.Name, "type", t)
	return pipeline.ActionResult{State: pipeline.ActionWaiting, Message: msg}, nil
}
