package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/executor/fswatch"
	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/executor/telemetry"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/scan/threat"
)

// tmpfsRoot returns a busybox root on a tmpfs of its own.
func tmpfsRoot(t *testing.T) string {
	t.Helper()
	need(t)
	m, err := fswatch.MountTmpfs(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, err := base.Prepare(context.Background(), "busybox", m.Dir, base.Options{}); err != nil {
		t.Fatal(err)
	}
	return m.Dir
}

// record runs script under telemetry and returns the raw log, its events
// and the stats.
func record(t *testing.T, spec sandbox.Spec, opts telemetry.Options) ([]byte, []threat.Event, telemetry.Stats) {
	t.Helper()
	var out, events bytes.Buffer
	spec.Stdout, spec.Stderr = &out, &out
	if spec.Env == nil {
		spec.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	opts.Timeout = 20 * time.Second
	code, stats, err := telemetry.Run(context.Background(), spec, &events, opts)
	if err != nil || code != 0 {
		t.Fatalf("Run: exit %d, %v; output %s", code, err, out.String())
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
	for i := 1; i < len(evs); i++ {
		if evs[i].Time.Before(evs[i-1].Time) {
			t.Errorf("event %d is older than the one before it:\n%s", i+1, events.String())
			break
		}
	}
	return events.Bytes(), evs, stats
}

// fileOps lists the file events as "op path", in the order of the log.
func fileOps(evs []threat.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == threat.EventFile {
			out = append(out, e.Op+" "+e.Path)
		}
	}
	return out
}

// TestRunWatchRoot: with the root on a tmpfs of its own, fanotify reports
// the changes inside it — each once, whichever way the program made it —
// strace those on other mounts, and bwrap's own setup is not reported; a
// copied binary's exec comes after the copy. (The append is made by
// another process than the create: the kernel merges one process's
// events on one file while they wait to be read.)
func TestRunWatchRoot(t *testing.T) {
	root := tmpfsRoot(t)
	host := t.TempDir()
	script := `set -e
echo hi > /tmp/x
ls / >> /tmp/x
mkdir -p /etc/cron.d && echo job > /etc/cron.d/job
cd /tmp && echo y > rel && mv rel moved && chmod 755 moved && rm moved
cp /bin/busybox /tmp/true && /tmp/true
echo dev > /dev/shm/y 2>/dev/null || true
echo host > /out/f
`
	raw, evs, stats := record(t, sandbox.Spec{Root: root, Argv: []string{"/bin/sh", "-c", script},
		Binds: []sandbox.Bind{{Source: host, Target: "/out"}}}, telemetry.Options{WatchRoot: true})
	if stats.Files != telemetry.FilesFanotify && os.Getenv("CI") != "true" && strings.Contains(stats.FanotifyError, "fanotify_") {
		t.Skip("fanotify is unsupported here:", stats.FanotifyError)
	}
	if stats.Files != telemetry.FilesFanotify || stats.FanotifyError != "" || stats.FilesLost != 0 {
		t.Fatalf("stats = %+v, want file changes recorded by fanotify", stats)
	}
	got := fileOps(evs)
	want := []string{"create /tmp/x", "write /tmp/x", "create /etc/cron.d/job", "create /tmp/rel", "rename /tmp/moved",
		"chmod /tmp/moved", "delete /tmp/moved", "create /tmp/true", "create /dev/shm/y", "create /out/f"}
	if !slices.Equal(got, want) {
		t.Errorf("file events:\n got %q\nwant %q\n%s", got, want, raw)
	}
	for _, e := range evs {
		if e.Type == threat.EventFile && e.PID == 0 {
			t.Errorf("file event without a pid: %+v", e)
		}
	}
	if !bytes.Contains(raw, []byte(`"comm":"sh","exe":"/bin/busybox","op":"create","path":"/tmp/x","source":"fanotify"`)) ||
		!bytes.Contains(raw, []byte(`"op":"create","path":"/out/f"}`)) {
		t.Errorf("want the root's changes from fanotify and the bind mount's from strace:\n%s", raw)
	}
	created := slices.IndexFunc(evs, func(e threat.Event) bool { return e.Type == threat.EventFile && e.Path == "/tmp/true" })
	ran := slices.IndexFunc(evs, func(e threat.Event) bool { return e.Type == threat.EventExec && e.Exe == "/tmp/true" })
	if created < 0 || ran < created || len(evs[ran].Argv) == 0 {
		t.Errorf("exec of /tmp/true (event %d) must follow its creation (event %d) and keep its argv:\n%s", ran+1, created+1, raw)
	}
	if n := bytes.Count(raw, []byte(`"exe":"/tmp/true"`)); n != 1 {
		t.Errorf("%d exec events of /tmp/true, want 1:\n%s", n, raw)
	}
}

// TestRunWatchRootFallback: without a filesystem of its own, file changes
// come from strace, and the log and the stats say why, once.
func TestRunWatchRootFallback(t *testing.T) {
	root := busyboxRoot(t)
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	_, evs, stats := record(t, sandbox.Spec{Root: root, Argv: []string{"/bin/sh", "-c", "echo hi > /tmp/x"}},
		telemetry.Options{WatchRoot: true, Logger: log})
	if stats.Files != telemetry.FilesStrace || !strings.Contains(stats.FanotifyError, "not the root of a filesystem") {
		t.Errorf("stats = %+v, want strace with the reason", stats)
	}
	if n := strings.Count(logBuf.String(), "fanotify"); n != 1 {
		t.Errorf("log mentions fanotify %d times, want once:\n%s", n, logBuf.String())
	}
	if got := fileOps(evs); !slices.Equal(got, []string{"create /tmp/x"}) {
		t.Errorf("file events = %q, want strace's create", got)
	}
}

// TestRunConns: connections delivered on Options.Conns are merged into
// the log as connect events, named after the traced process that sent to
// the same destination (tftp sends with sendto, no connect: the trace
// has no event of its own for it).
func TestRunConns(t *testing.T) {
	root := busyboxRoot(t)
	conns := make(chan telemetry.Conn, 4)
	dst := netip.MustParseAddrPort("10.0.0.9:69")
	// The script signals once tftp has sent, the test hands over the
	// datagram "seen" and signals back; then the script ends.
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(filepath.Join(root, "tmp", "sending")); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		conns <- telemetry.Conn{Time: time.Now(), Proto: "udp", Src: netip.MustParseAddrPort("10.0.0.9:40000"), Dst: dst,
			Bytes: 21, Data: "000166696c65…"}
		os.WriteFile(filepath.Join(root, "tmp", "handed"), nil, 0o644)
	}()
	script := `ip link set lo up; ip addr add 10.0.0.9/32 dev lo
tftp -g -r file 10.0.0.9 2>/dev/null & sleep 0.2; echo > /tmp/sending
while [ ! -e /tmp/handed ]; do sleep 0.02; done; kill $!; wait; true`
	raw, evs, stats := record(t, sandbox.Spec{Root: root, Argv: []string{"/bin/sh", "-c", script}},
		telemetry.Options{Conns: conns})
	if stats.Conns != 1 {
		t.Fatalf("Stats.Conns = %d, want 1:\n%s", stats.Conns, raw)
	}
	i := slices.IndexFunc(evs, func(e threat.Event) bool { return e.Type == threat.EventConnect && e.SrcPort == 40000 })
	if i < 0 {
		t.Fatalf("no connect event from the network:\n%s", raw)
	}
	e := evs[i]
	if e.Proto != "udp" || e.DstIP != dst.Addr() || e.DstPort != 69 || e.Comm != "tftp" || e.PID == 0 {
		t.Errorf("network's event = %+v, want udp to %s named after tftp:\n%s", e, dst, raw)
	}
	if !bytes.Contains(raw, []byte(`"bytes":21,"data":"000166696c65…","source":"sinkhole"`)) {
		t.Errorf("want the size, first bytes and source in the log:\n%s", raw)
	}
}

// TestRunScriptApplets: busybox applets a script starts through
// /proc/self/exe run the script's interpreter, not the script.
func TestRunScriptApplets(t *testing.T) {
	root := busyboxRoot(t)
	script := "#!/bin/sh\nnslookup example.com 10.0.0.53 > /dev/null 2>&1\ntrue\n"
	if err := os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "usr/local/bin/svc"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	raw, evs, _ := record(t, sandbox.Spec{Root: root, Argv: []string{"/usr/local/bin/svc"}}, telemetry.Options{})
	i := slices.IndexFunc(evs, func(e threat.Event) bool { return e.Type == threat.EventExec && e.Comm == "nslookup" })
	if i < 0 || evs[i].Exe != "/bin/sh" || evs[0].Exe != "/usr/local/bin/svc" {
		t.Errorf("want the script run as itself and nslookup as /bin/sh:\n%s", raw)
	}
}
