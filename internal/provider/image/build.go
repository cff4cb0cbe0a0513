// Package image builds golden images: it unpacks a base image into a fresh
// directory, runs the install scripts inside a bubblewrap sandbox (network
// only for the install step, and only when asked), assesses the result with
// secpipe's scanners and publishes it to the local image store — with its
// SBOM and findings attached — only when the gate passes. The build
// directory is removed on success, failure and cancel.
//
// A build may also stop before publishing and write the image as an OCI
// layout (Spec.Output without Spec.Publish): a pipeline's launch action
// does, a scan action judges that layout, and Builder.PublishLayout then
// publishes exactly that image with the scan's SBOM and report attached.
//
// Builder.Build serves `secpipe image build`; Provider runs the same build
// (or its launch and publish halves) as the `image` action of a pipeline.
package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// ScanFunc assesses a root filesystem: it runs the named scanners over dir,
// gates on failOn, writes its json report to reportPath and logs a table to
// log. The command line wires it to the scan provider.
type ScanFunc func(ctx context.Context, dir string, scanners []string, failOn, reportPath string, log io.Writer) (pipeline.ActionResult, error)

// SBOMFunc writes the CycloneDX SBOM of the root filesystem at target (a
// directory, or an image as "oci:DIR[:TAG]") to w.
type SBOMFunc func(ctx context.Context, target string, w io.Writer) error

// Builder builds and publishes images. Its fields are set once; Build is
// safe for concurrent use (each build has its own directory).
type Builder struct {
	Store *imagestore.Store
	Scan  ScanFunc
	SBOM  SBOMFunc
	// WorkDir holds build directories (removed after each build) and
	// CacheDir cached bases (mmdebstrap tarballs).
	WorkDir, CacheDir string
	Logger            *slog.Logger
}

// Spec is one build.
type Spec struct {
	// Base is the base image: oci:DIR[:TAG], a rootfs tarball, debian:SUITE
	// or busybox.
	Base string
	// Install are the install scripts, run in order with /bin/sh inside
	// the image; Context is the directory bound read-only at
	// /secpipe/context as their working directory (default: the first
	// script's directory), for the files they install.
	Install []string
	Context string
	// Network is true when the install step may use the network.
	Network bool
	// Scanners assess the built root filesystem (secrets, config, vulns);
	// none skips the assessment. FailOn is the gate (default high).
	Scanners []string
	FailOn   string
	// Publish names the image; empty builds and assesses without
	// publishing. Channel is the channel it enters.
	Publish, Channel string
	// Output, when set, also writes the image as an OCI layout there:
	// the published image with its attachments, or, without Publish, the
	// unpublished image alone, named Name (default "image").
	Output, Name string
	// Labels go on the image (source revision, execution).
	Labels map[string]string
	// Log receives the scripts' output and the assessment report.
	Log io.Writer
}

// Result is what a build produced.
type Result struct {
	Base      base.Info
	Published *imagestore.Image
	// Layout is the image written to Spec.Output without publishing.
	Layout *imagestore.Image
	// Assessment is the scan's result; State is failed when the gate
	// blocked the image.
	Assessment *pipeline.ActionResult
	Duration   time.Duration
}

// ErrGateFailed is returned (wrapped) when the assessment blocked the
// image: nothing was published.
var ErrGateFailed = errors.New("the assessment's gate failed: nothing was published")

// Build runs one build. The build directory is removed whatever happens.
func (b *Builder) Build(ctx context.Context, s Spec) (Result, error) {
	start := time.Now()
	res := Result{}
	log := s.Log
	if log == nil {
		log = io.Discard
	}
	if err := sandbox.Available(); err != nil && len(s.Install) > 0 {
		return res, err
	}
	if err := os.MkdirAll(b.WorkDir, 0o755); err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp(b.WorkDir, "build-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(root, 0o755); err != nil {
		return res, err
	}
	fmt.Fprintf(log, "base: preparing %s\n", s.Base)
	info, err := base.Prepare(ctx, s.Base, root, base.Options{CacheDir: b.CacheDir})
	if err != nil {
		return res, err // it names the base
	}
	res.Base = info
	if b.Store != nil && info.Digest != "" {
		if err := b.Store.CheckParent(ctx, info.Digest); err != nil && !errors.Is(err, pipeline.ErrNotFound) {
			return res, fmt.Errorf("base %s: %w", s.Base, err)
		}
	}
	if err := b.install(ctx, s, root, log); err != nil {
		return res, err
	}
	reportPath := filepath.Join(dir, "scan-report.json")
	if len(s.Scanners) > 0 {
		if b.Scan == nil {
			return res, fmt.Errorf("%w: no scanner wired for the image build", pipeline.ErrInvalid)
		}
		failOn := s.FailOn
		if failOn == "" {
			failOn = "high"
		}
		a, err := b.Scan(ctx, root, s.Scanners, failOn, reportPath, log)
		if err != nil {
			return res, fmt.Errorf("assess: %w", err)
		}
		res.Assessment = &a
		if a.State == pipeline.ActionFailed {
			res.Duration = time.Since(start)
			return res, fmt.Errorf("%w: %s", ErrGateFailed, a.Message)
		}
	}
	if s.Publish == "" && s.Output != "" {
		img, err := b.writeLayout(ctx, s, dir, root, info, log)
		if err != nil {
			return res, err
		}
		res.Layout = &img
	}
	if s.Publish == "" {
		res.Duration = time.Since(start)
		return res, nil
	}
	img, err := b.publish(ctx, s, dir, root, info, reportPath, log)
	if err != nil {
		return res, err
	}
	res.Published = &img
	if s.Output != "" {
		if err := b.Store.Export(ctx, img.Digest, s.Output); err != nil {
			return res, fmt.Errorf("export to %s: %w", s.Output, err)
		}
		fmt.Fprintf(log, "wrote the OCI layout to %s\n", s.Output)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// install runs the install scripts in the sandbox, one after another.
func (b *Builder) install(ctx context.Context, s Spec, root string, log io.Writer) error {
	if len(s.Install) == 0 {
		return nil
	}
	contextDir := s.Context
	if contextDir == "" {
		contextDir = filepath.Dir(s.Install[0])
	}
	contextDir, err := filepath.Abs(contextDir)
	if err != nil {
		return err
	}
	scripts := filepath.Join(filepath.Dir(root), "scripts")
	if err := os.Mkdir(scripts, 0o755); err != nil {
		return err
	}
	for i, script := range s.Install {
		data, err := os.ReadFile(script)
		if err != nil {
			return fmt.Errorf("install script: %w", err)
		}
		name := fmt.Sprintf("%02d-%s", i+1, filepath.Base(script))
		if err := os.WriteFile(filepath.Join(scripts, name), data, 0o755); err != nil {
			return err
		}
		fmt.Fprintf(log, "install: running %s (network %s)\n", script, onOff(s.Network))
		code, err := sandbox.Run(ctx, sandbox.Spec{
			Root: root, Argv: []string{"/bin/sh", "/secpipe/scripts/" + name}, Dir: "/secpipe/context",
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
				"DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8"},
			Network: s.Network, Hostname: "secpipe-build",
			Binds: []sandbox.Bind{{Source: scripts, Target: "/secpipe/scripts", ReadOnly: true},
				{Source: contextDir, Target: "/secpipe/context", ReadOnly: true}},
			Stdout: log, Stderr: log,
		})
		if err != nil {
			return fmt.Errorf("install script %s: %w", script, err)
		}
		if code != 0 {
			return fmt.Errorf("install script %s exited with status %d", script, code)
		}
	}
	// The bind mount points are not part of the image.
	return os.RemoveAll(filepath.Join(root, "secpipe"))
}

// publish writes the image with its SBOM and report attached.
func (b *Builder) publish(ctx context.Context, s Spec, dir, root string, info base.Info, reportPath string,
	log io.Writer) (imagestore.Image, error) {
	if b.Store == nil {
		return imagestore.Image{}, fmt.Errorf("%w: no image store", pipeline.ErrInvalid)
	}
	var atts []imagestore.Attachment
	if b.SBOM != nil {
		sbomPath := filepath.Join(dir, "sbom.cdx.json")
		f, err := os.Create(sbomPath)
		if err != nil {
			return imagestore.Image{}, err
		}
		err = b.SBOM(ctx, root, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return imagestore.Image{}, fmt.Errorf("sbom: %w", err)
		}
		atts = append(atts, imagestore.Attachment{ArtifactType: "application/vnd.cyclonedx+json",
			MediaType: "application/vnd.cyclonedx+json", Path: sbomPath})
	}
	if _, err := os.Stat(reportPath); err == nil {
		atts = append(atts, imagestore.Attachment{ArtifactType: "application/vnd.secpipe.report+json",
			MediaType: "application/json", Path: reportPath})
	}
	img, err := b.Store.Publish(ctx, imagestore.PublishRequest{Name: s.Publish, RootFS: root, Parent: info.Digest,
		Labels: imageLabels(s), Attachments: atts, Channel: s.Channel})
	if err != nil {
		return imagestore.Image{}, fmt.Errorf("publish %s: %w", s.Publish, err)
	}
	fmt.Fprintf(log, "published %s %s%s\n", img.Name, img.Digest, channelSuffix(s.Channel))
	return img, nil
}

// writeLayout writes the unpublished image as an OCI layout at s.Output:
// published into a scratch store inside the build directory (so it is
// built exactly as Publish builds it) and exported from there.
func (b *Builder) writeLayout(ctx context.Context, s Spec, dir, root string, info base.Info, log io.Writer) (imagestore.Image, error) {
	scratch, err := imagestore.OpenStore(filepath.Join(dir, "layout-store"))
	if err != nil {
		return imagestore.Image{}, err
	}
	name := s.Name
	if name == "" {
		name = "image"
	}
	img, err := scratch.Publish(ctx, imagestore.PublishRequest{Name: name, RootFS: root, Parent: info.Digest,
		Labels: imageLabels(s)})
	if err != nil {
		return imagestore.Image{}, fmt.Errorf("write the image: %w", err)
	}
	if err := scratch.Export(ctx, img.Digest, s.Output); err != nil {
		return imagestore.Image{}, fmt.Errorf("export to %s: %w", s.Output, err)
	}
	fmt.Fprintf(log, "wrote image %s (not published) as an OCI layout to %s\n", img.Digest, s.Output)
	return img, nil
}

// imageLabels are the labels of the image s builds: its base and s.Labels.
func imageLabels(s Spec) map[string]string {
	labels := map[string]string{"org.opencontainers.image.base.name": s.Base}
	for k, v := range s.Labels {
		labels[k] = v
	}
	return labels
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func channelSuffix(c string) string {
	if c == "" {
		return ""
	}
	return " on channel " + c
}

// splitList reads a comma-separated flag or config value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
