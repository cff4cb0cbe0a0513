package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Provider is the `image` action: one golden-image build (base, install
// scripts in the sandbox, assessment, publish) per attempt. Its config:
//
//	base:    oci:DIR[:TAG] | rootfs tarball | debian:SUITE | busybox (required)
//	install: [scripts, relative to the first input]
//	network: install | none (default none: the install step is offline)
//	scan:    [vulns, config, secrets] (default none)
//	fail_on: SEVERITY (default high)
//	publish: NAME (default: build and assess only)
//	channel: CHANNEL
//
// The first input is the build context (the scripts' working directory);
// the first output, when there is one, receives image.json with the
// published name and digest. Output variables: ImageName, ImageDigest.
type Provider struct {
	b *Builder
}

var _ pipeline.Provider = (*Provider)(nil)

// NewProvider returns the provider over b.
func NewProvider(b *Builder) *Provider { return &Provider{b: b} }

// Name returns "image".
func (p *Provider) Name() string { return "image" }

// settings is the decoded config.
type settings struct {
	Base     string `json:"base"`
	Install  any    `json:"install"`
	Network  string `json:"network"`
	Scan     any    `json:"scan"`
	FailOn   string `json:"fail_on"`
	Publish  string `json:"publish"`
	Channel  string `json:"channel"`
	install  []string
	scanners []string
}

func parseSettings(cfg map[string]any) (settings, error) {
	var s settings
	data, err := json.Marshal(cfg)
	if err != nil {
		return s, err
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%w config: %v (want base, install, network, scan, fail_on, publish, channel)", pipeline.ErrInvalid, err)
	}
	if s.Base == "" {
		return s, fmt.Errorf("%w config: base: required (oci:DIR[:TAG], a rootfs tarball, debian:SUITE or busybox)", pipeline.ErrInvalid)
	}
	switch s.Network {
	case "", "none", "install":
	default:
		return s, fmt.Errorf("%w config: network: %q (want install or none)", pipeline.ErrInvalid, s.Network)
	}
	if s.install, err = stringList("install", s.Install); err != nil {
		return s, err
	}
	if s.scanners, err = stringList("scan", s.Scan); err != nil {
		return s, err
	}
	for _, sc := range s.scanners {
		if !slices.Contains([]string{"vulns", "config", "secrets"}, sc) {
			return s, fmt.Errorf("%w config: scan: unknown scanner %q (want vulns, config, secrets)", pipeline.ErrInvalid, sc)
		}
	}
	return s, nil
}

// stringList reads a list of strings or a comma-separated string.
func stringList(field string, v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return splitList(v), nil
	case []any:
		var out []string
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%w config: %s[%d]: want a string", pipeline.ErrInvalid, field, i)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w config: %s: want a list of strings", pipeline.ErrInvalid, field)
}

// Run builds the image the config describes.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	s, err := parseSettings(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	contextDir := req.RepoDir
	if len(req.Action.Inputs) > 0 {
		contextDir = req.Inputs[req.Action.Inputs[0]]
	}
	var scripts []string
	for _, sc := range s.install {
		full := filepath.Join(contextDir, filepath.FromSlash(sc))
		if rel, err := filepath.Rel(contextDir, full); err != nil || strings.HasPrefix(rel, "..") {
			return pipeline.ActionResult{}, fmt.Errorf("%w config: install: %s is outside the input", pipeline.ErrInvalid, sc)
		}
		scripts = append(scripts, full)
	}
	base := s.Base
	if strings.HasPrefix(base, "oci:") || strings.HasSuffix(base, ".tar") || strings.Contains(base, ".tar.") {
		// Relative image paths name files of the context.
		if p, ok := strings.CutPrefix(base, "oci:"); ok && !filepath.IsAbs(p) {
			base = "oci:" + filepath.Join(contextDir, p)
		} else if !strings.HasPrefix(base, "oci:") && !filepath.IsAbs(base) {
			base = filepath.Join(contextDir, base)
		}
	}
	labels := map[string]string{"secpipe.execution": req.ExecutionID, "secpipe.pipeline": req.Pipeline}
	if rev := req.Variables["SourceVariables.CommitId"]; rev != "" {
		labels["org.opencontainers.image.revision"] = rev
	}
	res, err := p.b.Build(ctx, Spec{Base: base, Install: scripts, Context: contextDir, Network: s.Network == "install",
		Scanners: s.scanners, FailOn: s.FailOn, Publish: s.Publish, Channel: s.Channel, Labels: labels, Log: req.Log})
	out := pipeline.ActionResult{State: pipeline.ActionSucceeded}
	if res.Assessment != nil {
		out.Findings, out.Verdict, out.Warnings = res.Assessment.Findings, res.Assessment.Verdict, res.Assessment.Warnings
	}
	if errors.Is(err, ErrGateFailed) {
		out.State, out.Message = pipeline.ActionFailed, err.Error()
		return out, nil
	}
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	if res.Published == nil {
		out.Message = "built and assessed " + s.Base + " (not published)"
		return out, nil
	}
	img := res.Published
	out.Message = fmt.Sprintf("published %s %s", img.Name, img.Digest)
	out.OutputVariables = map[string]string{"ImageName": img.Name, "ImageDigest": img.Digest}
	if len(req.Action.Outputs) > 0 {
		data, _ := json.MarshalIndent(map[string]string{"name": img.Name, "digest": img.Digest}, "", "  ")
		if err := os.WriteFile(filepath.Join(req.Outputs[req.Action.Outputs[0]], "image.json"), append(data, '\n'), 0o644); err != nil {
			return pipeline.ActionResult{}, err
		}
	}
	return out, nil
}
