// Package sandbox runs a command inside a root filesystem with bubblewrap
// (Debian's bubblewrap package): its own mount, PID, IPC and UTS
// namespaces, and its own empty network namespace unless the network is
// asked for. It is meant for a build step that runs as root and needs real
// setgroups (apt), so no user namespace is created and bwrap itself must
// run as root.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// killGrace bounds how long Run waits for the output pipes to close after
// the sandbox was killed.
const killGrace = 2 * time.Second

// hostResolvConf is bound read-only into a sandbox that has the network.
const hostResolvConf = "/etc/resolv.conf"

// Bind makes Source (a host path) visible at Target (an absolute path
// inside the sandbox), read-only when ReadOnly is set.
type Bind struct {
	Source   string
	Target   string
	ReadOnly bool
}

// Spec describes one sandboxed command.
type Spec struct {
	// Root is the host directory mounted read-write as the sandbox's "/".
	Root string
	// Argv is the command and its arguments, resolved inside the sandbox.
	Argv []string
	// Env is the whole environment ("KEY=VALUE"); nothing of the caller's
	// environment leaks in.
	Env []string
	// Dir is the working directory inside the sandbox; "" means "/".
	Dir string
	// Network shares the host's network namespace (and binds the host's
	// /etc/resolv.conf read-only so names resolve); when false the sandbox
	// gets a network namespace of its own with only a loopback device.
	Network bool
	// ResolvConf, when set, is the resolv.conf bound read-only over the
	// root's instead of the host's (a sinkhole's DNS server), under the
	// same conditions.
	ResolvConf string
	// Binds are extra mounts, applied after the root, /proc and /dev.
	Binds []Bind
	// Stdout and Stderr receive the command's output as it is written;
	// nil discards it. They may be the same writer.
	Stdout, Stderr io.Writer
	// Hostname, when set, is the sandbox's host name.
	Hostname string
}

// Available reports whether bubblewrap can be run: nil, or an error that
// names the Debian package to install (it wraps pipeline.ErrNotFound).
func Available() error {
	_, err := bwrapPath()
	return err
}

// bwrapPath finds bwrap on PATH.
func bwrapPath() (string, error) {
	p, err := exec.LookPath("bwrap")
	if err != nil {
		return "", missingTool{msg: "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"}
	}
	return p, nil
}

// missingTool is the error for a tool that is not installed.
type missingTool struct{ msg string }

func (e missingTool) Error() string { return e.msg }
func (e missingTool) Unwrap() error { return pipeline.ErrNotFound }

// Run runs s.Argv in a new sandbox and waits for it, streaming its output
// to s.Stdout and s.Stderr. It returns the command's exit code (128+N when
// a signal N ended it) with a nil error, whatever that code is. An error
// means the command did not run to its end: the spec is invalid (wraps
// pipeline.ErrInvalid), bwrap is missing (wraps pipeline.ErrNotFound),
// bwrap could not set the sandbox up or start the command (the error
// quotes bwrap's message), or ctx was cancelled: then the whole sandbox is
// killed (SIGKILL to bwrap's process group; bwrap's --die-with-parent
// takes everything inside with it) and ctx's error is returned.
//
// bwrap creates missing mount points (for /proc, /dev, Binds' targets,
// /etc/resolv.conf) inside Root; Run removes those it created once the
// sandbox is gone, as long as they are still empty. Run may be called
// concurrently for different roots.
func Run(ctx context.Context, s Spec) (int, error) {
	bwrap, args, cleanup, err := Command(s)
	if err != nil {
		return -1, err
	}
	defer cleanup()
	return run(ctx, bwrap, args, s.Stdout, s.Stderr)
}

// Command returns the bwrap program and its command line for s (fd 3 is
// bwrap's JSON status pipe), and creates the mount points bwrap needs
// inside s.Root; call cleanup once the sandbox is gone to remove those
// still empty. It is what Run executes, for callers that wrap bwrap in
// another program (telemetry runs it under strace). Errors are as Run's.
func Command(s Spec) (bwrap string, args []string, cleanup func(), err error) {
	if args, err = arguments(s); err != nil {
		return "", nil, nil, err
	}
	if bwrap, err = bwrapPath(); err != nil {
		return "", nil, nil, err
	}
	created, err := missingMountPoints(s)
	if err != nil {
		return "", nil, nil, err
	}
	return bwrap, args, func() { removeMountPoints(s.Root, created) }, nil
}

// arguments builds bwrap's command line for s; fd 3 is the status pipe.
func arguments(s Spec) ([]string, error) {
	if err := validate(s); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	args := []string{
		"--json-status-fd", "3",
		"--die-with-parent", "--new-session",
		"--unshare-pid", "--unshare-ipc", "--unshare-uts",
	}
	if !s.Network {
		args = append(args, "--unshare-net")
	}
	if s.Hostname != "" {
		args = append(args, "--hostname", s.Hostname)
	}
	args = append(args, "--bind", s.Root, "/", "--proc", "/proc", "--dev", "/dev")
	if resolvConfBind(s) {
		args = append(args, "--ro-bind", resolvConfSource(s), hostResolvConf)
	}
	for _, b := range s.Binds {
		flag := "--bind"
		if b.ReadOnly {
			flag = "--ro-bind"
		}
		args = append(args, flag, b.Source, b.Target)
	}
	dir := s.Dir
	if dir == "" {
		dir = "/"
	}
	args = append(args, "--chdir", dir, "--clearenv")
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		args = append(args, "--setenv", k, v)
	}
	args = append(args, "--")
	return append(args, s.Argv...), nil
}

// validate checks the parts of s that bwrap would misread or reject late.
func validate(s Spec) error {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return fmt.Errorf("no command: %w", pipeline.ErrInvalid)
	}
	if !filepath.IsAbs(s.Root) {
		return fmt.Errorf("root %q is not an absolute path: %w", s.Root, pipeline.ErrInvalid)
	}
	fi, err := os.Stat(s.Root)
	if err != nil {
		return fmt.Errorf("root: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("root %s is not a directory: %w", s.Root, pipeline.ErrInvalid)
	}
	if s.Dir != "" && !path.IsAbs(s.Dir) {
		return fmt.Errorf("working directory %q is not absolute: %w", s.Dir, pipeline.ErrInvalid)
	}
	for _, kv := range s.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("environment entry %q is not KEY=VALUE: %w", kv, pipeline.ErrInvalid)
		}
	}
	for _, b := range s.Binds {
		if !path.IsAbs(b.Target) || path.Clean(b.Target) == "/" {
			return fmt.Errorf("bind target %q must be an absolute path below /: %w", b.Target, pipeline.ErrInvalid)
		}
		if _, err := os.Stat(b.Source); err != nil {
			return fmt.Errorf("bind %s: %w", b.Target, err)
		}
	}
	return nil
}

// resolvConfBind says whether the host's resolv.conf is bound into the
// sandbox: only with the network, only when the root has a real /etc
// directory and its resolv.conf, if any, is not a symlink (a link would
// be followed outside the root's view while bwrap sets up the mounts).
func resolvConfBind(s Spec) bool {
	if !s.Network {
		return false
	}
	if _, err := os.Stat(resolvConfSource(s)); err != nil {
		return false
	}
	etc, err := os.Lstat(filepath.Join(s.Root, "etc"))
	if err != nil || !etc.IsDir() {
		return false
	}
	fi, err := os.Lstat(filepath.Join(s.Root, "etc", "resolv.conf"))
	return errors.Is(err, os.ErrNotExist) || (err == nil && fi.Mode().IsRegular())
}

// resolvConfSource is the resolv.conf a networked sandbox gets.
func resolvConfSource(s Spec) string {
	if s.ResolvConf != "" {
		return s.ResolvConf
	}
	return hostResolvConf
}

// run starts bwrap with args in its own process group and waits for it.
func run(ctx context.Context, bwrap string, args []string, stdout, stderr io.Writer) (int, error) {
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("sandbox: %w", err)
	}
	defer statusR.Close()
	tail := &tailWriter{}
	cmd := exec.CommandContext(ctx, bwrap, args...)
	cmd.Stdout, cmd.Stderr = outputs(stdout, stderr, tail)
	cmd.ExtraFiles = []*os.File{statusW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = killGrace
	if err := cmd.Start(); err != nil {
		statusW.Close()
		return -1, fmt.Errorf("sandbox: start bwrap: %w", err)
	}
	statusW.Close()
	status := make(chan bwrapStatus, 1)
	go func() { status <- readStatus(statusR) }()
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return -1, fmt.Errorf("sandbox: %w", ctx.Err())
	}
	st := <-status
	if st.ExitCode == nil {
		return -1, fmt.Errorf("sandbox: bwrap could not run the command (%v): %s", waitErr, tail.String())
	}
	return *st.ExitCode, nil
}

// outputs wraps the caller's writers so bwrap's own messages can be
// quoted in errors; one writer given twice stays one writer, so exec
// shares one pipe and never writes to it from two goroutines.
func outputs(stdout, stderr io.Writer, tail *tailWriter) (io.Writer, io.Writer) {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	if stdout == stderr {
		tail.w = stderr
		return tail, tail
	}
	tail.w = stderr
	return stdout, tail
}

// bwrapStatus holds the fields of bwrap's --json-status-fd documents that
// Run uses.
type bwrapStatus struct {
	ChildPID *int `json:"child-pid"`
	ExitCode *int `json:"exit-code"`
}

// readStatus reads bwrap's status documents until the pipe closes.
func readStatus(r io.Reader) bwrapStatus {
	var st bwrapStatus
	dec := json.NewDecoder(r)
	for {
		var doc bwrapStatus
		if err := dec.Decode(&doc); err != nil {
			_, _ = io.Copy(io.Discard, r)
			return st
		}
		if doc.ChildPID != nil {
			st.ChildPID = doc.ChildPID
		}
		if doc.ExitCode != nil {
			st.ExitCode = doc.ExitCode
		}
	}
}

// tailWriter passes writes to w and keeps the last bytes written.
type tailWriter struct {
	w    io.Writer
	last []byte
}

// tailKeep is how much of the stream a tailWriter keeps.
const tailKeep = 1024

func (t *tailWriter) Write(p []byte) (int, error) {
	t.last = append(t.last, p...)
	if len(t.last) > tailKeep {
		t.last = append(t.last[:0:0], t.last[len(t.last)-tailKeep:]...)
	}
	return t.w.Write(p)
}

// String returns the kept bytes, trimmed.
func (t *tailWriter) String() string { return strings.TrimSpace(string(t.last)) }
