package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/gate"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/report"
	"github.com/secpipe/secpipe/internal/scan/threat"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// EventsFile is the recording a verify action writes to its first output.
const EventsFile = "events.jsonl"

// VerifyProvider is the `verify` action: it launches a published image in
// the sandbox, runs the repository's smoke test in it while recording what
// it does, and gates on the threat findings. Its config:
//
//	image:        REF (required; e.g. "#{Image.ImageDigest}" of the image action)
//	test:         the smoke test script, relative to the first input (required)
//	fail_on:      SEVERITY (default high)
//	threat_lists: [files relative to the first input]
//	allowed_ports: [ports the image declares]
//
// The recording goes to EventsFile in the first output, when there is one.
// The action fails when the smoke test fails or the gate does.
type VerifyProvider struct {
	b *Builder
}

var _ pipeline.Provider = (*VerifyProvider)(nil)

// NewVerifyProvider returns the provider over b.
func NewVerifyProvider(b *Builder) *VerifyProvider { return &VerifyProvider{b: b} }

// Name returns "verify".
func (p *VerifyProvider) Name() string { return "verify" }

// Run launches the image and evaluates its smoke test.
func (p *VerifyProvider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	image, _ := req.Config["image"].(string)
	test, _ := req.Config["test"].(string)
	if image == "" || test == "" {
		return pipeline.ActionResult{}, fmt.Errorf("%w config: image and test are required", pipeline.ErrInvalid)
	}
	failOn, err := pipeline.ParseSeverity(stringOr(req.Config["fail_on"], "high"))
	if err != nil {
		return pipeline.ActionResult{}, fmt.Errorf("%w config: fail_on: %v", pipeline.ErrInvalid, err)
	}
	contextDir := req.RepoDir
	if len(req.Action.Inputs) > 0 {
		contextDir = req.Inputs[req.Action.Inputs[0]]
	}
	cfg, err := threatConfig(req.Config, contextDir)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	eventsPath := filepath.Join(req.WorkDir, EventsFile)
	if len(req.Action.Outputs) > 0 {
		eventsPath = filepath.Join(req.Outputs[req.Action.Outputs[0]], EventsFile)
	}
	f, err := os.Create(eventsPath)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	res, err := p.b.Verify(ctx, VerifySpec{Image: image, Test: filepath.Join(contextDir, filepath.FromSlash(test)),
		Context: contextDir, Events: f, Log: req.Log})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	var findings []pipeline.Finding
	if err := threat.NewScanner(cfg, threat.ReadOptions{}, p.b.Logger).Scan(ctx, eventsPath, func(f pipeline.Finding) error {
		findings = append(findings, f)
		return nil
	}); err != nil {
		return pipeline.ActionResult{}, err
	}
	verdict := gate.Evaluate(gate.Policy{FailOn: failOn, Now: time.Now()}, findings)
	if w, err := report.New("table", report.Options{}); err == nil {
		w.Write(req.Log, &report.Report{Tool: report.Tool{Name: "secpipe"}, Scanner: "verify", Target: image,
			Findings: findings, Verdict: &verdict})
	}
	out := pipeline.ActionResult{State: pipeline.ActionSucceeded, Findings: findings, Verdict: &verdict,
		OutputVariables: map[string]string{"Events": fmt.Sprint(res.Events), "SmokeTestExitCode": fmt.Sprint(res.ExitCode)},
		Message:         fmt.Sprintf("smoke test passed; %d events, %d findings", res.Events, len(findings))}
	switch {
	case res.ExitCode != 0:
		out.State, out.Message = pipeline.ActionFailed, fmt.Sprintf("smoke test failed: exit status %d", res.ExitCode)
	case !verdict.Passed:
		out.State = pipeline.ActionFailed
		out.Message = fmt.Sprintf("gate failed: %d blocking threat finding(s) at or above %s", len(verdict.Blocking), failOn)
	}
	return out, nil
}

// threatConfig builds the detectors' configuration from the action config.
func threatConfig(cfg map[string]any, contextDir string) (threat.Config, error) {
	lists := intel.Default()
	names, err := stringList("threat_lists", cfg["threat_lists"])
	if err != nil {
		return threat.Config{}, err
	}
	for _, n := range names {
		l, err := intel.LoadFile(filepath.Join(contextDir, filepath.FromSlash(n)), intel.CategoryCustom)
		if err != nil {
			return threat.Config{}, err
		}
		lists = append(lists, l)
	}
	c := threat.Config{Intel: intel.NewSet(lists, nil)}
	if ports, ok := cfg["allowed_ports"].([]any); ok {
		for i, v := range ports {
			switch n := v.(type) {
			case int:
				c.AllowedPorts = append(c.AllowedPorts, n)
			case int64:
				c.AllowedPorts = append(c.AllowedPorts, int(n))
			case uint64:
				c.AllowedPorts = append(c.AllowedPorts, int(n))
			case float64:
				c.AllowedPorts = append(c.AllowedPorts, int(n))
			default:
				return threat.Config{}, fmt.Errorf("%w config: allowed_ports[%d]: want a port number", pipeline.ErrInvalid, i)
			}
		}
	}
	return c, nil
}

func stringOr(v any, def string) string {
	if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
		return s
	}
	return def
}
