package fswatch_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/secpipe/secpipe/internal/executor/fswatch"
	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// need skips the test without root, bwrap or busybox, and fails it under
// CI=true, where they must be present.
func need(t *testing.T) {
	t.Helper()
	missing := ""
	switch {
	case os.Geteuid() != 0:
		missing = "fanotify and mounts need root"
	case sandbox.Available() != nil:
		missing = sandbox.Available().Error()
	}
	if _, err := os.Stat("/bin/busybox"); err != nil && missing == "" {
		missing = "busybox-static is not installed: apt-get install busybox-static"
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(missing)
	}
	t.Skip(missing)
}

// unsupported fails the test, or skips it when fanotify is unsupported
// here (an old kernel) outside CI=true, where it must work.
func unsupported(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") != "true" && (errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) ||
		errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOSYS)) {
		t.Skip("fanotify is unsupported here:", err)
	}
	t.Fatal(err)
}

// collector keeps the events a Watcher emits.
type collector struct {
	mu  sync.Mutex
	evs []fswatch.Event
}

func (c *collector) add(e fswatch.Event) {
	c.mu.Lock()
	c.evs = append(c.evs, e)
	c.mu.Unlock()
}

// TestWatchSandbox runs a script in a bubblewrap sandbox whose root is a
// watched tmpfs: every change and execution inside the root is recorded
// with its path inside the root, and nothing that happens on the
// read-write bind mount of a host directory is.
func TestWatchSandbox(t *testing.T) {
	need(t)
	dir := t.TempDir()
	m, err := fswatch.MountTmpfs(filepath.Join(dir, "root"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "root")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the mount point is still there after Close: %v", err)
		}
	}()
	if _, err := base.Prepare(context.Background(), "busybox", m.Dir, base.Options{}); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"out", "etc/motd"} { // bwrap's mount point, a file to change
		if err := os.WriteFile(filepath.Join(m.Dir, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(m.Dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(m.Dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	var c collector
	w, err := fswatch.Start(m.Dir, c.add)
	if err != nil {
		unsupported(t, err)
	}
	script := `set -e
echo new > /tmp/created
echo more >> /etc/motd
mv /tmp/created /tmp/renamed
chmod 700 /tmp/renamed
rm /tmp/renamed
cp /bin/busybox /tmp/true
/tmp/true
echo host > /out/file; mv /out/file /out/moved; chmod 600 /out/moved; rm /out/moved
mkdir -p /tmp/d/e; echo x > /tmp/d/e/f; rm -r /tmp/d
`
	var out bytes.Buffer
	code, err := sandbox.Run(context.Background(), sandbox.Spec{Root: m.Dir, Argv: []string{"/bin/sh", "-c", script},
		Env: []string{"PATH=/bin"}, Binds: []sandbox.Bind{{Source: outside, Target: "/out"}}, Stdout: &out, Stderr: &out})
	if err != nil || code != 0 {
		t.Fatalf("sandbox: exit %d, %v: %s", code, err, out.String())
	}
	st := w.Stop()
	t.Logf("stats %+v", st)
	type change struct{ Op, Path, OldPath string }
	var got []change
	for _, e := range c.evs {
		if e.PID <= 0 || e.Time.IsZero() {
			t.Errorf("event without pid or time: %+v", e)
		}
		if e.Path == "/tmp/created" && e.Op == fswatch.OpCreate && (e.Comm != "sh" || e.Exe != "/bin/busybox") {
			t.Errorf("create of /tmp/created by %q (%q), want the shell, sh (/bin/busybox)", e.Comm, e.Exe)
		}
		got = append(got, change{string(e.Op), e.Path, e.OldPath})
	}
	want := []change{
		{"exec", "/bin/busybox", ""},
		{"create", "/tmp/created", ""},
		{"write", "/etc/motd", ""},
		{"rename", "/tmp/renamed", "/tmp/created"},
		{"chmod", "/tmp/renamed", ""},
		{"delete", "/tmp/renamed", ""},
		{"create", "/tmp/true", ""},
		{"exec", "/tmp/true", ""},
		{"create", "/tmp/d/e/f", ""},
		{"delete", "/tmp/d/e/f", ""},
		{"delete", "/tmp/d/e", ""},
		{"delete", "/tmp/d", ""},
	}
	// Programs run from /bin/busybox many times: keep the first of each
	// repeated exec, the rest of the order as it happened.
	got = slices.DeleteFunc(got, func(c change) bool { return c.Op == "exec" && c.Path == "/bin/busybox" })
	got = append([]change{{"exec", "/bin/busybox", ""}}, got...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for _, e := range c.evs {
		if strings.HasPrefix(e.Path, "/out") || strings.HasPrefix(e.Path, outside) {
			t.Errorf("event outside the root: %+v", e)
		}
	}
	if st.Events != len(c.evs) || st.Overflows != 0 || st.Malformed != 0 {
		t.Errorf("stats = %+v with %d events", st, len(c.evs))
	}
	if st2 := w.Stop(); st2 != st {
		t.Errorf("second Stop = %+v, want %+v", st2, st)
	}
}

func TestStartRefusesPlainDirectory(t *testing.T) {
	need(t)
	_, err := fswatch.Start(t.TempDir(), func(fswatch.Event) {})
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Start on a directory that is not a mount point: %v, want ErrInvalid", err)
	}
}
