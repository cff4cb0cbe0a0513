package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// busyboxRoot returns a fresh busybox root, or skips when the tools are
// missing (fails under CI).
func busyboxRoot(t *testing.T) string {
	t.Helper()
	missing := ""
	if err := sandbox.Available(); err != nil {
		missing = err.Error()
	} else if os.Geteuid() != 0 {
		missing = "the sandbox needs root"
	} else if _, err := os.Stat("/bin/busybox"); err != nil {
		missing = "busybox-static is not installed: apt-get install busybox-static"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	root := filepath.Join(t.TempDir(), "root")
	if _, err := base.Prepare(context.Background(), "busybox", root, base.Options{}); err != nil {
		t.Fatal(err)
	}
	return root
}

// sh runs script with /bin/sh in the sandbox s and returns its exit code
// and combined output.
func sh(t *testing.T, s sandbox.Spec, script string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	s.Argv = []string{"/bin/sh", "-c", script}
	s.Stdout, s.Stderr = &out, &out
	if s.Env == nil {
		s.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	code, err := sandbox.Run(context.Background(), s)
	if err != nil {
		t.Fatalf("Run(%q) error: %v; output %s", script, err, out.String())
	}
	return code, out.String()
}

func TestRunExitCodes(t *testing.T) {
	root := busyboxRoot(t)
	tests := []struct {
		name, script string
		want         int
	}{
		{name: "success", script: "echo ok", want: 0},
		{name: "failure", script: "exit 3", want: 3},
		{name: "signal", script: "kill -9 $$", want: 137},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, out := sh(t, sandbox.Spec{Root: root}, tt.script); got != tt.want {
				t.Errorf("exit code of %q = %d, want %d (output %q)", tt.script, got, tt.want, out)
			}
		})
	}
}

func TestRunCannotWriteOutsideRoot(t *testing.T) {
	root := busyboxRoot(t)
	marker := fmt.Sprintf("secpipe-escape-%d", time.Now().UnixNano())
	script := "echo x > /../" + marker + " && echo y > /tmp/../../../" + marker + "-2 && echo z > /" + marker + "-3"
	if code, out := sh(t, sandbox.Spec{Root: root}, script); code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, name := range []string{marker, marker + "-2", marker + "-3"} {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("%s is not inside the root: %v", name, err)
		}
		for _, host := range []string{"/" + name, filepath.Join(filepath.Dir(root), name)} {
			if _, err := os.Stat(host); err == nil {
				os.Remove(host)
				t.Errorf("the sandbox wrote %s on the host", host)
			}
		}
	}
}

func TestRunSeesOnlyItsProcesses(t *testing.T) {
	root := busyboxRoot(t)
	code, out := sh(t, sandbox.Spec{Root: root}, "ls /proc | grep -E '^[0-9]+$'")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	pids := strings.Fields(out)
	if len(pids) == 0 || len(pids) > 5 {
		t.Errorf("sandbox sees PIDs %v, want only its own few", pids)
	}
	for _, p := range pids {
		if p == fmt.Sprint(os.Getpid()) && os.Getpid() > 10 {
			t.Errorf("sandbox sees the host's PID %s", p)
		}
	}
}

func TestRunNetwork(t *testing.T) {
	root := busyboxRoot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprint(c, "pong")
			c.Close()
		}
	}()
	// busybox's static wget needs NSS files a busybox root lacks; nc does not.
	script := fmt.Sprintf("nc -w 2 127.0.0.1 %d </dev/null", ln.Addr().(*net.TCPAddr).Port)
	tests := []struct {
		name     string
		network  bool
		wantCode bool // whether it exits 0
	}{
		{name: "no network", network: false, wantCode: false},
		{name: "network", network: true, wantCode: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := sh(t, sandbox.Spec{Root: root, Network: tt.network}, script)
			if (code == 0) != tt.wantCode {
				t.Fatalf("Network=%v: nc exit %d (%q), want success %v", tt.network, code, out, tt.wantCode)
			}
			if tt.wantCode && out != "pong" {
				t.Errorf("Network=%v: output %q, want pong", tt.network, out)
			}
		})
	}
}

func TestRunResolvConf(t *testing.T) {
	root := busyboxRoot(t)
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Skip("the host has no /etc/resolv.conf")
	}
	code, out := sh(t, sandbox.Spec{Root: root, Network: true}, "cat /etc/resolv.conf")
	if code != 0 || out != string(host) {
		t.Errorf("resolv.conf in the sandbox = %q (exit %d), want the host's %q", out, code, host)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/resolv.conf")); err == nil {
		t.Error("the resolv.conf mount point was left in the root")
	}
}

func TestRunEnvDirHostnameBinds(t *testing.T) {
	root := busyboxRoot(t)
	scripts := t.TempDir()
	if err := os.WriteFile(filepath.Join(scripts, "s.sh"), []byte("echo \"$A|$(pwd)|$(hostname)|$HOME\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", "/leak")
	s := sandbox.Spec{
		Root: root, Dir: "/tmp", Hostname: "box",
		Env:   []string{"PATH=/bin:/usr/bin", "A=1"},
		Binds: []sandbox.Bind{{Source: scripts, Target: "/opt/scripts", ReadOnly: true}},
	}
	code, out := sh(t, s, "sh /opt/scripts/s.sh && ! touch /opt/scripts/new 2>/dev/null")
	if want := "1|/tmp|box|\n"; code != 0 || out != want {
		t.Errorf("output %q (exit %d), want %q", out, code, want)
	}
	if _, err := os.Lstat(filepath.Join(root, "opt")); err == nil {
		t.Error("the bind mount point was left in the root")
	}
	if _, err := os.Stat(filepath.Join(scripts, "new")); err == nil {
		t.Error("a read-only bind was written")
	}
}

func TestRunCancelKills(t *testing.T) {
	root := busyboxRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := sandbox.Run(ctx, sandbox.Spec{Root: root, Argv: []string{"/bin/sh", "-c", "sleep 60.4242; echo late"}})
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Run returned %v after cancel, want under 1s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	deadline := time.Now().Add(time.Second)
	for sleeping() {
		if time.Now().After(deadline) {
			t.Fatal("the sandboxed sleep survived the cancel")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sleeping reports whether a process of TestRunCancelKills still runs.
func sleeping() bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte("60.4242")) {
			return true
		}
	}
	return false
}

func TestRunErrors(t *testing.T) {
	root := busyboxRoot(t)
	tests := []struct {
		name    string
		spec    sandbox.Spec
		invalid bool   // whether the error wraps pipeline.ErrInvalid
		want    string // in the error
	}{
		{name: "no command", spec: sandbox.Spec{Root: root}, invalid: true, want: "no command"},
		{name: "relative root", spec: sandbox.Spec{Root: "root", Argv: []string{"/bin/true"}}, invalid: true, want: "absolute"},
		{name: "bad env", spec: sandbox.Spec{Root: root, Argv: []string{"/bin/true"}, Env: []string{"NOEQUALS"}}, invalid: true, want: "KEY=VALUE"},
		{name: "relative bind", spec: sandbox.Spec{Root: root, Argv: []string{"/bin/true"}, Binds: []sandbox.Bind{{Source: root, Target: "x"}}}, invalid: true, want: "bind target"},
		{name: "missing command", spec: sandbox.Spec{Root: root, Argv: []string{"/nonexistent"}}, want: "/nonexistent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sandbox.Run(context.Background(), tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run() error = %v, want one containing %q", err, tt.want)
			}
			if got := errors.Is(err, pipeline.ErrInvalid); got != tt.invalid {
				t.Errorf("Run() error %v: errors.Is(ErrInvalid) = %v, want %v", err, got, tt.invalid)
			}
		})
	}
}
