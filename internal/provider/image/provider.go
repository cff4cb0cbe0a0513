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

	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// Provider is the `image` action. It has three forms, told apart by its
// config:
//
//   - build (base and publish): one golden-image build per attempt: base,
//     install scripts in the sandbox, assessment (scan), publish;
//   - launch (base, no publish, an output artifact): the same build,
//     assessed or not, written unpublished as an OCI layout to
//     LaunchLayout ("image/") in the first output artifact, for a scan
//     action to judge (target: oci:LaunchArtifact/image); without an
//     output the build is only assessed;
//   - publish (publish, no base): publishes the image a launch action
//     wrote, found in the inputs, with the SBOM and report a scan action
//     wrote (also an input) attached; refused when that scan's gate
//     failed or it judged another image.
//
// Its config:
//
//	base:    oci:DIR[:TAG] | rootfs tarball | debian:SUITE | busybox
//	install: [scripts, relative to the first input]
//	network: install | none (default none: the install step is offline)
//	scan:    [vulns, config, secrets] (default none)
//	fail_on: SEVERITY (default high)
//	publish: NAME (with base, default: build and assess only)
//	channel: CHANNEL
//
// The first input is the build context (the scripts' working directory).
// A build's first output, when there is one, receives image.json with the
// published name and digest, as a publish's does. Output variables:
// ImageName (build, publish), ImageDigest, BaseDigest (build, launch).
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
	if s.Base == "" && s.Publish == "" {
		return s, fmt.Errorf("%w config: base: required (oci:DIR[:TAG], a rootfs tarball, debian:SUITE or busybox), "+
			"or publish alone to publish an image an earlier action launched", pipeline.ErrInvalid)
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
	if s.Base != "" {
		return s, nil
	}
	// A publish of a launched image: the build's fields have no use.
	for _, f := range []struct {
		name string
		set  bool
	}{{"install", len(s.install) > 0}, {"network", s.Network != ""}, {"scan", len(s.scanners) > 0}, {"fail_on", s.FailOn != ""}} {
		if f.set {
			return s, fmt.Errorf("%w config: %s: needs base; an action with publish and no base publishes the image "+
				"an earlier action launched, as its scan action judged it", pipeline.ErrInvalid, f.name)
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

// Run builds, launches or publishes the image the config describes. A
// bad config or missing input is an error wrapping pipeline.ErrInvalid; a
// failed gate (its own assessment's, or, for a publish, the scan's) is an
// ActionFailed result.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	s, err := parseSettings(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	if s.Base == "" {
		return p.publish(ctx, req, s)
	}
	contextDir := req.RepoDir
	if len(req.Action.Inputs) > 0 {
		contextDir = req.Inputs[req.Action.Inputs[0]]
	}
	spec, err := buildSpec(req, s, contextDir)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	res, err := p.b.Build(ctx, spec)
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
	switch {
	case res.Layout != nil:
		img := res.Layout
		out.Message = fmt.Sprintf("launched %s (not published): %s/%s", img.Digest, req.Action.Outputs[0], LaunchLayout)
		out.OutputVariables = map[string]string{"ImageDigest": img.Digest, "BaseDigest": res.Base.Digest}
		return out, nil
	case res.Published == nil:
		out.Message = "built and assessed " + s.Base + " (not published)"
		return out, nil
	}
	img := res.Published
	out.Message = fmt.Sprintf("published %s %s", img.Name, img.Digest)
	out.OutputVariables = map[string]string{"ImageName": img.Name, "ImageDigest": img.Digest, "BaseDigest": res.Base.Digest}
	return out, writeImageJSON(req, *img)
}

// buildSpec turns the config into the build: scripts and relative image
// paths resolved in the context, labels, and for a launch the layout in
// the first output.
func buildSpec(req *pipeline.ActionRequest, s settings, contextDir string) (Spec, error) {
	var scripts []string
	for _, sc := range s.install {
		full := filepath.Join(contextDir, filepath.FromSlash(sc))
		if rel, err := filepath.Rel(contextDir, full); err != nil || strings.HasPrefix(rel, "..") {
			return Spec{}, fmt.Errorf("%w config: install: %s is outside the input", pipeline.ErrInvalid, sc)
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
	if rev := sourceRevision(req.Variables); rev != "" {
		labels["org.opencontainers.image.revision"] = rev
	}
	spec := Spec{Base: base, Install: scripts, Context: contextDir, Network: s.Network == "install",
		Scanners: s.scanners, FailOn: s.FailOn, Publish: s.Publish, Channel: s.Channel, Labels: labels, Log: req.Log}
	if s.Publish == "" && len(req.Action.Outputs) > 0 {
		out, ok := req.Outputs[req.Action.Outputs[0]]
		if !ok {
			return Spec{}, fmt.Errorf("image: output artifact %s: %w", req.Action.Outputs[0], pipeline.ErrNotFound)
		}
		spec.Output, spec.Name = filepath.Join(out, LaunchLayout), layoutName(req.Pipeline)
	}
	return spec, nil
}

// sourceRevision is the commit the execution builds: the CommitId output
// variable of its source action (any namespace; SourceVariables first).
func sourceRevision(vars map[string]string) string {
	if rev := vars["SourceVariables.CommitId"]; rev != "" {
		return rev
	}
	var keys []string
	for k := range vars {
		if strings.HasSuffix(k, ".CommitId") && !strings.HasPrefix(k, "variables.") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return vars[keys[0]]
}

// layoutName names a launched image after its pipeline, in the form image
// names take (lower-case letters, digits, . _ -); "image" when nothing is
// left.
func layoutName(pipelineName string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(pipelineName) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	if name := strings.TrimRight(b.String(), "-"); name != "" {
		return name
	}
	return "image"
}

// writeImageJSON writes image.json (name and digest) into the first
// output artifact, when there is one.
func writeImageJSON(req *pipeline.ActionRequest, img imagestore.Image) error {
	if len(req.Action.Outputs) == 0 {
		return nil
	}
	data, _ := json.MarshalIndent(map[string]string{"name": img.Name, "digest": img.Digest}, "", "  ")
	return os.WriteFile(filepath.Join(req.Outputs[req.Action.Outputs[0]], "image.json"), append(data, '\n'), 0o644)
}
