// Package approval is the manual approval action provider. Running an
// approval action only announces it: the action waits until someone runs
// `secpipe approve EXECUTION ACTION --reason ...` (or rejects it), which
// the engine records.
//
// Configuration keys: summary (what to review) and url (an http or https
// link to it), both optional, as CodePipeline's CustomData and
// ExternalEntityLink.
package approval

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
	"github.com/secpipe/secpipe/internal/provider/internal/proc"
)

// Config configures the provider.
type Config struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Provider runs approval actions. It is safe for concurrent use.
type Provider struct {
	log *slog.Logger
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns an approval provider.
func New(cfg Config) *Provider {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{log: log}
}

// Name returns "approval".
func (p *Provider) Name() string { return "approval" }

type settings struct {
	Summary string `json:"summary"`
	URL     string `json:"url"`
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
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, fmt.Errorf("%w config: url: %q is not an http or https URL", pipeline.ErrInvalid, s.URL)
		}
	}
	return s, nil
}

// Run writes the summary and link to the action log and returns
// ActionWaiting with a message saying how to approve. It never blocks.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	s, err := parse(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	log := proc.NewLineWriter(req.Log)
	if s.Summary != "" {
		log.Line("summary: " + s.Summary)
	}
	if s.URL != "" {
		log.Line("review: " + s.URL)
	}
	msg := fmt.Sprintf("waiting for approval: secpipe approve %s %s --reason ...", quote(req.ExecutionID), quote(req.Action.Name))
	log.Line(msg)
	p.log.Debug("approval waiting", "execution", req.ExecutionID, "action", req.Action.Name)
	return pipeline.ActionResult{State: pipeline.ActionWaiting, Message: msg}, nil
}

// quote quotes a command-line word for a POSIX shell when it needs it.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@") == "" {
		return s
	}
	return proc.Quote(s)
}
