package image

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/executor/fswatch"
	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/executor/sinkhole"
	"github.com/secpipe/secpipe/internal/executor/telemetry"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// VerifySpec is one launch-and-verify run.
type VerifySpec struct {
	// Image is an image of the store (digest, NAME, NAME@CHANNEL) or an
	// OCI layout (oci:DIR[:TAG]).
	Image string
	// Test is the smoke test script (run with /bin/sh inside the image);
	// Context is bound read-only at /secpipe/context as its working
	// directory (default: the script's directory).
	Test, Context string
	// Events receives the run's process, file, network and DNS events as
	// JSON lines (the format scan threat reads).
	Events io.Writer
	// Log receives the smoke test's output.
	Log io.Writer
	// TraceFiles records file changes from the trace even where fanotify
	// could record them, as on a host without it (to compare the two).
	TraceFiles bool
}

// VerifyResult is what a verify run saw.
type VerifyResult struct {
	Digest   string
	ExitCode int
	Events   int
	// Queries and Connections count what the sinkhole answered and
	// accepted (zero without a sinkhole).
	Queries, Connections int
	// Files says what recorded file changes: "fanotify" (the root on a
	// tmpfs of its own) or "strace".
	Files    string
	Duration time.Duration
}

// Verify starts the image in the sandbox with no network but its own
// loopback, runs the smoke test in it while recording what every process
// does, and removes everything afterwards. The smoke test's exit status is
// in the result; an error means the run could not happen.
func (b *Builder) Verify(ctx context.Context, vs VerifySpec) (VerifyResult, error) {
	start := time.Now()
	var res VerifyResult
	if err := sandbox.Available(); err != nil {
		return res, err
	}
	if err := os.MkdirAll(b.WorkDir, 0o755); err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp(b.WorkDir, "verify-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	ref, err := b.layoutRef(ctx, vs.Image, filepath.Join(dir, "layout"))
	if err != nil {
		return res, err
	}
	// The root gets a filesystem of its own, which fanotify records
	// whole; without one (no root), file changes come from the trace.
	root := filepath.Join(dir, "rootfs")
	watch := false
	if !vs.TraceFiles {
		m, err := fswatch.MountTmpfs(root)
		switch {
		case err == nil:
			defer m.Close()
			watch = true
		case b.Logger != nil:
			b.Logger.Warn("verify: file changes recorded by strace", "err", err)
		}
	}
	info, err := base.Prepare(ctx, ref, root, base.Options{CacheDir: b.CacheDir})
	if err != nil {
		return res, err
	}
	res.Digest = info.Digest
	script, err := os.ReadFile(vs.Test)
	if err != nil {
		return res, fmt.Errorf("smoke test: %w", err)
	}
	testDir := filepath.Join(dir, "test")
	if err := os.Mkdir(testDir, 0o755); err != nil {
		return res, err
	}
	if err := os.WriteFile(filepath.Join(testDir, "smoke.sh"), script, 0o755); err != nil {
		return res, err
	}
	contextDir := vs.Context
	if contextDir == "" {
		contextDir = filepath.Dir(vs.Test)
	}
	if contextDir, err = filepath.Abs(contextDir); err != nil {
		return res, err
	}
	log := vs.Log
	if log == nil {
		log = io.Discard
	}
	events := vs.Events
	if events == nil {
		events = io.Discard
	}
	spec := sandbox.Spec{
		Root: root, Argv: []string{"/bin/sh", "/secpipe/test/smoke.sh"}, Dir: "/secpipe/context",
		Env:      []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"},
		Hostname: "secpipe-verify",
		Binds: []sandbox.Bind{{Source: testDir, Target: "/secpipe/test", ReadOnly: true},
			{Source: contextDir, Target: "/secpipe/context", ReadOnly: true}},
		Stdout: log, Stderr: log,
	}
	var code int
	var stats telemetry.Stats
	opts := telemetry.Options{WatchRoot: watch, Logger: b.Logger}
	record := func() (err error) {
		code, stats, err = telemetry.Run(ctx, spec, events, opts)
		return err
	}
	if sinkhole.Available() == nil {
		// The sandbox joins the sinkhole's network: every address is
		// local, names resolve to the sinkhole, connections complete.
		// Its UDP datagrams join the recording (the trace shows TCP
		// connects already).
		spec.Network = true
		conns := make(chan telemetry.Conn, 4096)
		opts.Conns = conns
		onConn := func(c sinkhole.Conn) {
			if c.Proto != "udp" {
				return
			}
			select {
			case conns <- telemetry.Conn{Time: c.Time, Proto: c.Proto, Src: c.Src, Dst: c.Dst, Bytes: c.Bytes, Data: c.Data}:
			default: // the recording is over or flooded; the sinkhole's log keeps it
			}
		}
		var sl *sinkhole.Log
		sl, err = sinkhole.Run(ctx, dir, sinkhole.Options{OnConn: onConn}, func(resolvConf string) error {
			spec.ResolvConf = resolvConf
			return record()
		})
		if sl != nil {
			res.Queries, res.Connections = len(sl.Queries), len(sl.Conns)
		}
	} else {
		// No sinkhole here: an empty network namespace, where
		// connections fail at once and are recorded as attempts.
		err = record()
	}
	if err != nil {
		return res, fmt.Errorf("verify %s: %w", vs.Image, err)
	}
	res.ExitCode, res.Events, res.Files, res.Duration = code, stats.Events, stats.Files, time.Since(start)
	return res, nil
}

// layoutRef turns an image reference into an oci: reference base.Prepare
// reads: an oci: reference as it is, a store image exported to dir.
func (b *Builder) layoutRef(ctx context.Context, ref, dir string) (string, error) {
	if strings.HasPrefix(ref, "oci:") {
		return ref, nil
	}
	if b.Store == nil {
		return "", fmt.Errorf("%w: image %s: no image store", pipeline.ErrInvalid, ref)
	}
	img, err := b.Store.Inspect(ctx, ref)
	if err != nil {
		return "", err
	}
	if err := b.Store.Export(ctx, img.Digest, dir); err != nil {
		return "", fmt.Errorf("image %s: %w", ref, err)
	}
	return "oci:" + dir, nil
}
