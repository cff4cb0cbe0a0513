package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// The files a launch and a scan action leave in their output artifacts,
// which a publish action reads. The scan provider writes the last two.
const (
	// LaunchLayout is the OCI layout a launch action writes into its
	// first output artifact.
	LaunchLayout = "image"
	// ScanReportFile is the scan's JSON report; ScanSBOMFile the CycloneDX
	// SBOM of what it scanned.
	ScanReportFile = "scan-report.json"
	ScanSBOMFile   = "sbom.cdx.json"
)

// PublishSpec is the publish of an image a launch wrote and a scan judged.
type PublishSpec struct {
	// Layout is the OCI layout holding the image (Tag names it, "" for
	// its only image).
	Layout, Tag string
	// Report is the scan's JSON report (required): its verdict must have
	// passed and its target must name the image's digest
	// ("oci:LaunchArtifact/image@sha256:…").
	Report string
	// SBOM is the scan's CycloneDX SBOM; "" makes one from the image with
	// Builder.SBOM.
	SBOM string
	// Publish names the image; Channel is the channel it enters.
	Publish, Channel string
	// Log receives what the publish does.
	Log io.Writer
}

// scanRecord is the part of a scan's JSON report a publish reads.
type scanRecord struct {
	Target  string `json:"target"`
	Verdict *struct {
		Passed   bool   `json:"passed"`
		FailOn   string `json:"fail_on"`
		Blocking int    `json:"blocking"`
	} `json:"verdict"`
}

// PublishLayout publishes the image of ps.Layout into the store,
// unchanged (same digest), with the scan's SBOM and report attached and
// its parent checked against revocations as Build checks it. It refuses
// (wrapping ErrGateFailed) an image whose scan's gate failed, and
// (wrapping pipeline.ErrInvalid) a report that is unreadable, has no
// verdict or judged another image.
func (b *Builder) PublishLayout(ctx context.Context, ps PublishSpec) (imagestore.Image, error) {
	log := ps.Log
	if log == nil {
		log = io.Discard
	}
	if b.Store == nil {
		return imagestore.Image{}, fmt.Errorf("%w: no image store", pipeline.ErrInvalid)
	}
	digest, err := checkScanReport(ps.Report)
	if err != nil {
		return imagestore.Image{}, err
	}
	sbomPath := ps.SBOM
	if sbomPath == "" && b.SBOM != nil {
		if sbomPath, err = b.layoutSBOM(ctx, ps); err != nil {
			return imagestore.Image{}, err
		}
		defer os.RemoveAll(filepath.Dir(sbomPath))
	}
	var atts []imagestore.Attachment
	if sbomPath != "" {
		atts = append(atts, imagestore.Attachment{ArtifactType: "application/vnd.cyclonedx+json",
			MediaType: "application/vnd.cyclonedx+json", Path: sbomPath})
	}
	atts = append(atts, imagestore.Attachment{ArtifactType: "application/vnd.secpipe.report+json",
		MediaType: "application/json", Path: ps.Report})
	img, err := b.Store.Import(ctx, imagestore.ImportRequest{Layout: ps.Layout, Tag: ps.Tag, Digest: digest,
		Name: ps.Publish, Channel: ps.Channel, Attachments: atts})
	if err != nil {
		return imagestore.Image{}, fmt.Errorf("publish %s: %w", ps.Publish, err)
	}
	fmt.Fprintf(log, "published %s %s%s with its SBOM and scan report attached\n", img.Name, img.Digest,
		channelSuffix(ps.Channel))
	return img, nil
}

// checkScanReport reads a scan's JSON report and returns the digest of
// the image it judged, provided its gate passed.
func checkScanReport(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("scan report %s: %w", path, pipeline.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("scan report: %w", err)
	}
	var rep scanRecord
	if err := json.Unmarshal(data, &rep); err != nil {
		return "", fmt.Errorf("%w: scan report %s: %v", pipeline.ErrInvalid, path, err)
	}
	if rep.Verdict == nil {
		return "", fmt.Errorf("%w: scan report %s records no gate verdict", pipeline.ErrInvalid, path)
	}
	if !rep.Verdict.Passed {
		return "", fmt.Errorf("%w (the scan of %s: %d blocking findings at or above %s)",
			ErrGateFailed, rep.Target, rep.Verdict.Blocking, rep.Verdict.FailOn)
	}
	i := strings.LastIndex(rep.Target, "@sha256:")
	if !strings.HasPrefix(rep.Target, "oci:") || i < 0 {
		return "", fmt.Errorf("%w: the scan report judged %s, not a launched image: point the scan's target at "+
			"the launch's layout (oci:LaunchArtifact/%s)", pipeline.ErrInvalid, rep.Target, LaunchLayout)
	}
	return rep.Target[i+1:], nil
}

// layoutSBOM writes the SBOM of the layout's image into a new temporary
// directory and returns its path.
func (b *Builder) layoutSBOM(ctx context.Context, ps PublishSpec) (string, error) {
	if err := os.MkdirAll(b.WorkDir, 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(b.WorkDir, "sbom-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, ScanSBOMFile)
	f, err := os.Create(path)
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	target := "oci:" + ps.Layout
	if ps.Tag != "" {
		target += ":" + ps.Tag
	}
	err = b.SBOM(ctx, target, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("sbom of %s: %w", target, err)
	}
	return path, nil
}

// publish is the publish form of the action: the launched image and the
// scan's report and SBOM come from the inputs.
func (p *Provider) publish(ctx context.Context, req *pipeline.ActionRequest, s settings) (pipeline.ActionResult, error) {
	launch, err := findInput(req, filepath.Join(LaunchLayout, "oci-layout"))
	if err != nil {
		return pipeline.ActionResult{}, fmt.Errorf("%w config: publish: %v: list the launch action's output "+
			"(an image action with base and no publish writes %s/ into it) in inputs", pipeline.ErrInvalid, err, LaunchLayout)
	}
	scanned, err := findInput(req, ScanReportFile)
	if err != nil {
		return pipeline.ActionResult{}, fmt.Errorf("%w config: publish: %v: an image is published only as a scan "+
			"judged it; list the scan action's output in inputs", pipeline.ErrInvalid, err)
	}
	ps := PublishSpec{Layout: filepath.Join(req.Inputs[launch], LaunchLayout),
		Report: filepath.Join(req.Inputs[scanned], ScanReportFile), Publish: s.Publish, Channel: s.Channel, Log: req.Log}
	if sbom := filepath.Join(req.Inputs[scanned], ScanSBOMFile); fileExists(sbom) {
		ps.SBOM = sbom
	}
	img, err := p.b.PublishLayout(ctx, ps)
	if errors.Is(err, ErrGateFailed) {
		return pipeline.ActionResult{State: pipeline.ActionFailed, Message: err.Error()}, nil
	}
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	out := pipeline.ActionResult{State: pipeline.ActionSucceeded,
		Message:         fmt.Sprintf("published %s %s (from %s, judged by %s)", img.Name, img.Digest, launch, scanned),
		OutputVariables: map[string]string{"ImageName": img.Name, "ImageDigest": img.Digest}}
	return out, writeImageJSON(req, img)
}

// findInput names the one input artifact holding rel.
func findInput(req *pipeline.ActionRequest, rel string) (string, error) {
	var found []string
	for _, name := range req.Action.Inputs {
		if dir, ok := req.Inputs[name]; ok && fileExists(filepath.Join(dir, rel)) {
			found = append(found, name)
		}
	}
	switch len(found) {
	case 0:
		inputs := strings.Join(req.Action.Inputs, ", ")
		if inputs == "" {
			inputs = "none"
		}
		return "", fmt.Errorf("no input artifact holds %s (inputs: %s)", rel, inputs)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("input artifacts %s all hold %s; keep one", strings.Join(found, ", "), rel)
}

// fileExists reports whether p is a regular file (not a link: artifacts
// are read as they are, never followed out).
func fileExists(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().IsRegular()
}
