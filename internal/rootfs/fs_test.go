package rootfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// fsFixture is the tree both FS tests read: files, a relative and an
// absolute symlink (resolved inside the root) and an empty directory.
var fsFixture = map[string]string{
	"etc/os-release":           "ID=debian\nVERSION_ID=\"9\"\n",
	"var/lib/dpkg/status":      "Package: bash\nVersion: 4.4-5\n",
	"app/go.mod":               "module example.com/app\n",
	"app/sub/empty":            "",
	"usr/lib/os-release.d/big": strings.Repeat("x", 70000),
}

// fsFixtureDir writes fsFixture into a directory.
func fsFixtureDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range fsFixture {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"app/status": "../var/lib/dpkg/status",
		"os-release": "/etc/os-release",
		"lib":        "usr/lib",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fsFixtureMem builds the same tree in memory, keeping every file but
// var/lib/dpkg/status.
func fsFixtureMem() *MemRoot {
	var entries []Entry
	contents := map[string][]byte{}
	for p, body := range fsFixture {
		entries = append(entries, Entry{Path: p, Mode: 0o644, Size: int64(len(body))})
		if p != "var/lib/dpkg/status" {
			contents[p] = []byte(body)
		}
	}
	entries = append(entries,
		Entry{Path: "app/status", Mode: fs.ModeSymlink | 0o777, Link: "../var/lib/dpkg/status"},
		Entry{Path: "os-release", Mode: fs.ModeSymlink | 0o777, Link: "/etc/os-release"},
		Entry{Path: "lib", Mode: fs.ModeSymlink | 0o777, Link: "usr/lib"},
		Entry{Path: "empty", Mode: fs.ModeDir | 0o755},
	)
	return NewMemRoot(entries, contents)
}

func TestFSDirRoot(t *testing.T) {
	d, err := NewDirRoot(fsFixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fsys := FS(d)
	if err := fstest.TestFS(fsys, "etc/os-release", "var/lib/dpkg/status", "app/go.mod", "app/sub/empty",
		"app/status", "os-release", "lib", "empty"); err != nil {
		t.Fatal(err)
	}
	checkFSReads(t, fsys, true)
}

func TestFSMemRoot(t *testing.T) {
	m := fsFixtureMem()
	fsys := FS(m)
	// TestFS reads every file, so give it a root that kept them all.
	full := NewMemRoot(m.Entries(), map[string][]byte{})
	for p, body := range fsFixture {
		full.contents[p] = []byte(body)
	}
	if err := fstest.TestFS(FS(full), "etc/os-release", "var/lib/dpkg/status", "app/go.mod", "app/sub/empty",
		"app/status", "os-release", "lib", "empty"); err != nil {
		t.Fatal(err)
	}
	checkFSReads(t, fsys, false)
}

// checkFSReads checks symlink resolution, errors and random access.
func checkFSReads(t *testing.T, fsys fs.FS, statusLoaded bool) {
	t.Helper()
	for _, tc := range []struct {
		name, path, want string
	}{
		{name: "absolute link stays in the root", path: "os-release", want: fsFixture["etc/os-release"]},
		{name: "relative link", path: "app/status", want: fsFixture["var/lib/dpkg/status"]},
		{name: "link in a directory component", path: "lib/os-release.d/big", want: fsFixture["usr/lib/os-release.d/big"]},
		{name: "empty file", path: "app/sub/empty", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fs.ReadFile(fsys, tc.path)
			if !statusLoaded && tc.path == "app/status" {
				if err == nil || !strings.Contains(err.Error(), "contents not loaded") {
					t.Fatalf("ReadFile(%q) error = %v, want contents not loaded", tc.path, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadFile(%q): %v", tc.path, err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("ReadFile(%q) mismatch (-want +got):\n%s", tc.path, diff)
			}
		})
	}
	for _, bad := range []string{"/etc/os-release", "../etc", "etc/../etc/os-release", "missing", "etc/os-release/x"} {
		if _, err := fsys.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", bad)
		}
	}
	if _, err := fsys.Open("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	f, err := fsys.Open("lib/os-release.d/big")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		t.Fatalf("Open returned %T, want an io.ReaderAt", f)
	}
	buf := make([]byte, 3)
	if n, err := ra.ReadAt(buf, 69998); n != 2 || !errors.Is(err, io.EOF) {
		t.Errorf("ReadAt at the end = %d, %v; want 2, EOF", n, err)
	}
	if target, err := fsys.(fs.ReadLinkFS).ReadLink("os-release"); err != nil || target != "/etc/os-release" {
		t.Errorf("ReadLink(os-release) = %q, %v", target, err)
	}
}
