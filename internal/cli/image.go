package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/scan/sbom/extractors"

	"github.com/spf13/cobra"

	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
	imagebuild "github.com/secpipe/secpipe/internal/provider/image"
	"github.com/secpipe/secpipe/internal/provider/scan"
	"github.com/secpipe/secpipe/internal/report"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
	"github.com/secpipe/secpipe/internal/scan/threat"
)

// imageDir returns where images live: the flag, $SECPIPE_IMAGE_DIR, or
// secpipe/images under the user's data directory.
func imageDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := os.Getenv("SECPIPE_IMAGE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "secpipe", "images"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("image store: %w (set SECPIPE_IMAGE_DIR or pass --images)", err)
	}
	return filepath.Join(home, ".local", "share", "secpipe", "images"), nil
}

// newBuilder wires an image builder: the store, the scan provider as the
// assessment, and the SBOM writer.
func newBuilder(storeDir string, log *slog.Logger) (*imagebuild.Builder, error) {
	store, err := imagestore.OpenStore(storeDir)
	if err != nil {
		return nil, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	scanner := scan.New(scan.Config{ConfigChecks: configChecks, Extractors: extractors.Default, Version: Version, Logger: log})
	return &imagebuild.Builder{
		Store: store, WorkDir: filepath.Join(storeDir, "builds"), CacheDir: filepath.Join(cache, "secpipe", "bases"),
		Logger: log, Scan: scanWith(scanner), SBOM: rootfsSBOM(log),
	}, nil
}

// scanWith adapts the scan provider to the image build's assessment.
func scanWith(p *scan.Provider) imagebuild.ScanFunc {
	return func(ctx context.Context, dir string, scanners []string, failOn, reportPath string, log io.Writer) (pipeline.ActionResult, error) {
		out := filepath.Join(filepath.Dir(reportPath), "assessment")
		work := filepath.Join(filepath.Dir(reportPath), "assessment-work")
		for _, d := range []string{out, work} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return pipeline.ActionResult{}, err
			}
		}
		list := make([]any, len(scanners))
		for i, s := range scanners {
			list[i] = s
		}
		req := &pipeline.ActionRequest{
			Action:  pipeline.Action{Name: "Assess", Provider: "scan", Inputs: []string{"RootFS"}, Outputs: []string{"Report"}},
			Config:  map[string]any{"scanners": list, "fail_on": failOn},
			Inputs:  map[string]string{"RootFS": dir},
			Outputs: map[string]string{"Report": out},
			WorkDir: work, RepoDir: dir, Log: log,
		}
		res, err := p.Run(ctx, req)
		if err != nil {
			return res, err
		}
		if err := os.Rename(filepath.Join(out, scan.ReportFile), reportPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, err
		}
		return res, nil
	}
}

// rootfsSBOM writes the CycloneDX SBOM of a built root filesystem.
func rootfsSBOM(log *slog.Logger) imagebuild.SBOMFunc {
	return func(ctx context.Context, dir string, w io.Writer) error {
		inv, err := loadInventory(ctx, dir, rootfs.RootFS, log)
		if err != nil {
			return err
		}
		return sbom.WriteCycloneDX(w, inv, sbom.Meta{Target: "image", ToolVersion: Version, Now: time.Now()})
	}
}

func newImageCmd(e *env) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build, assess, publish and manage golden images",
	}
	cmd.PersistentFlags().StringVar(&dir, "images", "", "image store `DIR` (default: $SECPIPE_IMAGE_DIR or ~/.local/share/secpipe/images)")
	cmd.AddCommand(newImageBuildCmd(e, &dir), newImageListCmd(e, &dir), newImageInspectCmd(e, &dir),
		newImagePromoteCmd(e, &dir), newImageRevokeCmd(e, &dir), newImageVerifyCmd(e, &dir))
	return cmd
}

func newImageBuildCmd(e *env, dirFlag *string) *cobra.Command {
	var (
		s       imagebuild.Spec
		network string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "build --base REF --install SCRIPT... --publish NAME",
		Short: "Build a golden image: base + install scripts in a sandbox, assessed, published only when the gate passes",
		Long: `Build a golden image. The base (oci:DIR[:TAG], a rootfs tarball, debian:SUITE
built with mmdebstrap, or busybox) is unpacked into a fresh directory; each
--install script runs as root inside a bubblewrap sandbox (own PID, IPC,
UTS and mount namespaces; the network only with --network install); the
result is assessed with --scan and published as a reproducible single-layer
OCI image, with its SBOM and findings attached, only when the gate passes.
A failed gate publishes nothing and exits 1. The build directory is removed
in every case.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if s.Base == "" {
				return usageError{errors.New("--base is required")}
			}
			switch network {
			case "install":
				s.Network = true
			case "", "none":
			default:
				return usageError{fmt.Errorf("--network %q: want install or none", network)}
			}
			dir, err := imageDir(*dirFlag)
			if err != nil {
				return err
			}
			b, err := newBuilder(dir, cliLogger(e, verbose))
			if err != nil {
				return err
			}
			s.Log = e.stdout
			res, err := b.Build(cmd.Context(), s)
			if errors.Is(err, imagebuild.ErrGateFailed) {
				fmt.Fprintf(e.stdout, "gate failed after %s: nothing was published\n", res.Duration.Round(time.Millisecond))
				return errGateFailed
			}
			if err != nil {
				return err
			}
			if res.Published != nil {
				fmt.Fprintf(e.stdout, "image %s %s built in %s\n", res.Published.Name, res.Published.Digest,
					res.Duration.Round(time.Millisecond))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.Base, "base", "", "base image `REF`: oci:DIR[:TAG], a rootfs tarball, debian:SUITE or busybox")
	f.StringArrayVar(&s.Install, "install", nil, "install `SCRIPT` run as root in the sandbox (repeatable, in order)")
	f.StringVar(&s.Context, "context", "", "`DIR` bound read-only as the scripts' working directory (default: the first script's)")
	f.StringVar(&network, "network", "none", "network for the install step: install or none")
	f.StringSliceVar(&s.Scanners, "scan", nil, "assess with these `SCANNERS` before publishing: vulns,config,secrets")
	f.StringVar(&s.FailOn, "fail-on", "high", "the assessment's gate: `SEVERITY` or none")
	f.StringVar(&s.Publish, "publish", "", "publish the image under `NAME` (default: build and assess only)")
	f.StringVar(&s.Channel, "channel", "", "the `CHANNEL` the published image enters")
	f.StringVar(&s.Output, "output", "", "also write the image as an OCI layout to `DIR`")
	f.BoolVarP(&verbose, "verbose", "v", false, "log diagnostics to standard error")
	return cmd
}

// withStore opens the image store for a command.
func withStore(dirFlag string, fn func(*imagestore.Store) error) error {
	dir, err := imageDir(dirFlag)
	if err != nil {
		return err
	}
	s, err := imagestore.OpenStore(dir)
	if err != nil {
		return err
	}
	return fn(s)
}

func newImageListCmd(e *env, dirFlag *string) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the published images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(*dirFlag, func(s *imagestore.Store) error {
				imgs, err := s.List(cmd.Context())
				if err != nil {
					return err
				}
				tw := newTable(e.stdout)
				fmt.Fprintln(tw, "NAME\tDIGEST\tPUBLISHED\tCHANNELS\tPARENT\tSTATUS")
				for _, img := range imgs {
					status := "ok"
					if img.Revoked != nil {
						status = "revoked"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", img.Name, shortDigest(img.Digest),
						img.Published.Local().Format(time.DateTime), orDash(strings.Join(img.Channels, ",")),
						orDash(shortDigest(img.Parent)), status)
				}
				return tw.Flush()
			})
		},
	}
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func newImageInspectCmd(e *env, dirFlag *string) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect REF",
		Short: "Show one image: digest, parent, labels, channels, attachments, revocation",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(*dirFlag, func(s *imagestore.Store) error {
				img, err := s.Inspect(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return printJSON(e.stdout, img)
			})
		},
	}
}

func newImagePromoteCmd(e *env, dirFlag *string) *cobra.Command {
	var channel string
	cmd := &cobra.Command{
		Use:   "promote DIGEST --channel CHANNEL",
		Short: "Put an image on a channel (dev, staging, prod...)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if channel == "" {
				return usageError{errors.New("--channel is required")}
			}
			return withStore(*dirFlag, func(s *imagestore.Store) error {
				img, err := s.Inspect(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := s.Promote(cmd.Context(), img.Digest, channel); err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "%s %s is on channel %s\n", img.Name, img.Digest, channel)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "the `CHANNEL`")
	return cmd
}

func newImageRevokeCmd(e *env, dirFlag *string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "revoke DIGEST --reason TEXT",
		Short: "Revoke an image: kept for forensics, but nothing may build on it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usageError{errors.New("--reason is required")}
			}
			return withStore(*dirFlag, func(s *imagestore.Store) error {
				img, err := s.Inspect(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := s.Revoke(cmd.Context(), img.Digest, reason); err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "revoked %s %s: %s\n", img.Name, img.Digest, reason)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	return cmd
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// imageProvider is a pipeline action run by the image builder (image,
// verify); it opens the image store on first use, so listing providers
// has no side effects.
type imageProvider struct {
	name string
	dir  string // the image store; empty: imageDir's default
	make func(*imagebuild.Builder) pipeline.Provider
	log  *slog.Logger
	once sync.Once
	p    pipeline.Provider
	err  error
}

var _ pipeline.Provider = (*imageProvider)(nil)

// Name returns the action's provider name.
func (ip *imageProvider) Name() string { return ip.name }

// Run runs the action on the builder.
func (ip *imageProvider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	ip.once.Do(func() {
		dir, err := imageDir(ip.dir)
		if err != nil {
			ip.err = err
			return
		}
		b, err := newBuilder(dir, ip.log)
		if err != nil {
			ip.err = err
			return
		}
		ip.p = ip.make(b)
	})
	if ip.err != nil {
		return pipeline.ActionResult{}, ip.err
	}
	return ip.p.Run(ctx, req)
}

func newImageVerifyCmd(e *env, dirFlag *string) *cobra.Command {
	var (
		g       gateFlags
		tf      threatFlags
		vs      imagebuild.VerifySpec
		events  string
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "verify REF --test SCRIPT",
		Short: "Launch an image in the sandbox, run its smoke test, and check what it did for threats",
		Long: `Launch an image (an image of the store, or oci:DIR[:TAG]) in the sandbox with
no network, run the smoke test script in it while recording every process,
file write, connection and DNS query, then evaluate the recording with the
threat detectors (as secpipe scan threat does) and gate on the findings.
Exit 1 when the smoke test fails or the gate fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if vs.Test == "" {
				return usageError{errors.New("--test is required")}
			}
			dir, err := imageDir(*dirFlag)
			if err != nil {
				return err
			}
			log := cliLogger(e, verbose)
			b, err := newBuilder(dir, log)
			if err != nil {
				return err
			}
			cfg, err := threatConfig(&tf)
			if err != nil {
				return err
			}
			if events == "" {
				f, err := os.CreateTemp("", "secpipe-events-*.jsonl")
				if err != nil {
					return err
				}
				f.Close()
				events = f.Name()
				defer os.Remove(events)
			}
			vs.Image, vs.Log = args[0], e.stderr
			v := &verifyScan{b: b, spec: vs, events: events,
				threat: threat.NewScanner(cfg, threat.ReadOptions{}, log)}
			ids := map[string]bool{}
			for _, t := range threat.FindingTypes() {
				ids[t.ID] = true
			}
			err = runScan(cmd.Context(), e, scanJob{scanner: v, target: args[0], root: ".", flags: &g, rules: ids,
				finish: v.finish})
			if err != nil {
				return err
			}
			if v.res.ExitCode != 0 {
				fmt.Fprintf(e.stderr, "smoke test failed: exit status %d\n", v.res.ExitCode)
				return errRunFailed
			}
			return nil
		},
	}
	g.register(cmd, "high")
	f := cmd.Flags()
	f.StringVar(&vs.Test, "test", "", "the smoke test `SCRIPT` (run with /bin/sh inside the image)")
	f.StringVar(&vs.Context, "context", "", "`DIR` bound read-only as the test's working directory (default: the script's)")
	f.StringVar(&events, "events", "", "keep the recorded events (JSON lines) in `FILE`")
	f.StringArrayVar(&tf.lists, "threat-list", nil, "threat list `FILE` (repeatable)")
	f.StringArrayVar(&tf.trusted, "trusted-list", nil, "trusted list `FILE` (repeatable)")
	f.IntSliceVar(&tf.ports, "allowed-ports", nil, "the image's declared `PORTS`")
	f.BoolVarP(&verbose, "verbose", "v", false, "log diagnostics to standard error")
	return cmd
}

// verifyScan runs a verify and evaluates its recording as the scanner of
// a scan job, keeping the smoke test's outcome for the report.
type verifyScan struct {
	b      *imagebuild.Builder
	spec   imagebuild.VerifySpec
	events string
	threat *threat.Scanner
	res    imagebuild.VerifyResult
}

var _ pipeline.Scanner = (*verifyScan)(nil)

// Name returns "verify".
func (v *verifyScan) Name() string { return "verify" }

// Scan launches the image, records the smoke test and detects threats.
func (v *verifyScan) Scan(ctx context.Context, _ string, emit func(pipeline.Finding) error) error {
	f, err := os.Create(v.events)
	if err != nil {
		return err
	}
	spec := v.spec
	spec.Events = f
	res, err := v.b.Verify(ctx, spec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	v.res = res
	return v.threat.Scan(ctx, v.events, emit)
}

// finish notes the smoke test's outcome in the report.
func (v *verifyScan) finish(r *report.Report) {
	status := "passed"
	if v.res.ExitCode != 0 {
		status = fmt.Sprintf("FAILED (exit status %d)", v.res.ExitCode)
	}
	r.Warnings = append(r.Warnings, fmt.Sprintf("smoke test %s; %d events recorded in %s; the sinkhole answered %d DNS questions and accepted %d connections",
		status, v.res.Events, v.res.Duration.Round(time.Millisecond), v.res.Queries, v.res.Connections))
}
