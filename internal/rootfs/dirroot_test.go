package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree creates files (path → contents) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, p string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// rootfsDir builds a small root filesystem whose links point out of it
// when followed on the host.
func rootfsDir(t *testing.T) string {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"etc/passwd":               "root:x:0:0:root:/root:/bin/sh\nimage:x:1000:1000::/home/image:/bin/sh\n",
		"etc/alternatives/editor":  "not a link here\n",
		"usr/lib/os-release":       "ID=test\n",
		"usr/bin/passwd":           "\x7fELF",
		"usr/bin/wall":             "\x7fELF",
		"usr/share/doc/x/README":   "doc\n",
		"etc/ssh/sshd_config.d/a":  "PermitRootLogin no\n",
		"node_modules/pkg/a.yaml":  "kept in a rootfs\n",
		"home/image/.profile":      "umask 022\n",
		"srv/.git/config":          "[core]\n",
		"srv/Dockerfile":           "FROM scratch\n",
		"var/lib/dpkg/status":      "Package: bash\n",
		"usr/share/zoneinfo/UTC":   "TZif",
		"usr/share/zoneinfo/Local": "TZif",
	})
	symlink(t, "/etc/passwd", filepath.Join(dir, "etc/passwd-abs"))
	symlink(t, "../usr/lib/os-release", filepath.Join(dir, "etc/os-release"))
	symlink(t, "/usr/bin", filepath.Join(dir, "bin"))
	symlink(t, "../../../../../../../../etc/passwd", filepath.Join(dir, "etc/escape"))
	symlink(t, "loop-b", filepath.Join(dir, "etc/loop-a"))
	symlink(t, "loop-a", filepath.Join(dir, "etc/loop-b"))
	symlink(t, "/nowhere", filepath.Join(dir, "etc/dangling"))
	symlink(t, "/etc", filepath.Join(dir, "hostetc"))
	chmod(t, filepath.Join(dir, "usr/bin/passwd"), 0o755|fs.ModeSetuid)
	chmod(t, filepath.Join(dir, "usr/bin/wall"), 0o755|fs.ModeSetgid)
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	chmod(t, filepath.Join(dir, "tmp"), 0o777|fs.ModeSticky)
	return dir
}

func TestDirRootEntries(t *testing.T) {
	dir := rootfsDir(t)
	root, err := NewDirRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	uid, gid := os.Getuid(), os.Getgid()
	tests := []struct {
		path string
		want Entry
	}{
		{path: "usr/bin/passwd", want: Entry{Path: "usr/bin/passwd", Mode: fs.ModeSetuid | 0o755, UID: uid, GID: gid, Size: 4}},
		{path: "usr/bin/wall", want: Entry{Path: "usr/bin/wall", Mode: fs.ModeSetgid | 0o755, UID: uid, GID: gid, Size: 4}},
		{path: "tmp", want: Entry{Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777, UID: uid, GID: gid}},
		{path: "etc/passwd-abs", want: Entry{Path: "etc/passwd-abs", Mode: fs.ModeSymlink | 0o777, UID: uid, GID: gid, Link: "/etc/passwd"}},
		{path: "/bin/", want: Entry{Path: "bin", Mode: fs.ModeSymlink | 0o777, UID: uid, GID: gid, Link: "/usr/bin"}},
		{path: "node_modules/pkg/a.yaml", want: Entry{Path: "node_modules/pkg/a.yaml", Mode: 0o644, UID: uid, GID: gid, Size: 17}},
		{path: "srv/.git/config", want: Entry{Path: "srv/.git/config", Mode: 0o644, UID: uid, GID: gid, Size: 7}},
		// Lookup never follows a link on the way: bin is a symlink.
		{path: "bin/passwd"},
		{path: "hostetc/passwd"},
		{path: "missing"},
	}
	for _, tt := range tests {
		got, ok := root.Lookup(tt.path)
		if ok != (tt.want.Path != "") {
			t.Errorf("Lookup(%q) found = %v, want %v", tt.path, ok, tt.want.Path != "")
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", tt.path, diff)
		}
	}
	es := root.Entries()
	for i := 1; i < len(es); i++ {
		if es[i-1].Path >= es[i].Path {
			t.Errorf("Entries() not sorted: %q before %q", es[i-1].Path, es[i].Path)
		}
	}
	if got := Glob(root, "etc/ssh/sshd_config.d/*"); len(got) != 1 || got[0].Path != "etc/ssh/sshd_config.d/a" {
		t.Errorf("Glob(etc/ssh/sshd_config.d/*) = %v", got)
	}
	if p := root.Problems(); len(p) != 0 {
		t.Errorf("Problems() = %v, want none", p)
	}
}

func TestDirRootReadFile(t *testing.T) {
	root, err := NewDirRoot(rootfsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	image := "root:x:0:0:root:/root:/bin/sh\nimage:x:1000:1000::/home/image:/bin/sh\n"
	tests := []struct {
		path    string
		want    string
		wantErr error
	}{
		{path: "etc/passwd", want: image},
		// An absolute link resolves under the root, never on the host.
		{path: "etc/passwd-abs", want: image},
		{path: "etc/escape", want: image},
		{path: "bin/passwd", want: "\x7fELF"},
		{path: "etc/os-release", want: "ID=test\n"},
		{path: "hostetc/passwd", want: image},
		{path: "hostetc/shadow", wantErr: fs.ErrNotExist},
		{path: "etc/dangling", wantErr: fs.ErrNotExist},
		{path: "etc/missing", wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		got, err := root.ReadFile(tt.path)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadFile(%q) error = %v, want %v", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("ReadFile(%q) = %q, %v, want %q", tt.path, got, err, tt.want)
		}
	}
	for _, p := range []string{"etc/loop-a", "etc", "tmp"} {
		if _, err := root.ReadFile(p); err == nil {
			t.Errorf("ReadFile(%q) succeeded, want an error", p)
		}
	}
}

func TestDirRootTooBig(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "huge.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxReadSize + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	root, err := NewDirRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	_, err = root.ReadFile("huge.conf")
	if err == nil || !strings.Contains(err.Error(), "huge.conf") || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadFile(huge.conf) error = %v, want one naming the file and its size", err)
	}
}

func TestDirRootSkip(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Dockerfile":                  "FROM scratch\n",
		".git/config":                 "[core]\n",
		"web/node_modules/x/pod.yaml": "kind: Pod\n",
		"web/deploy.yaml":             "kind: Deployment\n",
	})
	root, err := NewDirRoot(dir, SourceSkip()...)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var got []string
	for _, e := range root.Entries() {
		got = append(got, e.Path)
	}
	want := []string{".git", "Dockerfile", "web", "web/deploy.yaml", "web/node_modules"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Entries() mismatch (-want +got):\n%s", diff)
	}
}

func TestNewDirRootErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewDirRoot(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("NewDirRoot(missing) error = %v, want fs.ErrNotExist", err)
	}
	file := filepath.Join(dir, "file")
	writeTree(t, dir, map[string]string{"file": "x"})
	if _, err := NewDirRoot(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("NewDirRoot(file) error = %v, want not a directory", err)
	}
}

func TestDirRootUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"secret/x": "x", "etc/passwd": "root:x:0:0::/:/bin/sh\n"})
	chmod(t, filepath.Join(dir, "secret"), 0)
	defer chmod(t, filepath.Join(dir, "secret"), 0o755)
	root, err := NewDirRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, ok := root.Lookup("etc/passwd"); !ok {
		t.Error("Lookup(etc/passwd) = false, want the walk to go on past an unreadable folder")
	}
	if len(root.Problems()) != 1 {
		t.Errorf("Problems() = %v, want one", root.Problems())
	}
}

func TestDirRootThroughSymlink(t *testing.T) {
	dir := rootfsDir(t)
	link := filepath.Join(t.TempDir(), "rootfs")
	symlink(t, dir, link)
	root, err := NewDirRoot(link)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if got, err := root.ReadFile("etc/os-release"); err != nil || string(got) != "ID=test\n" {
		t.Errorf("ReadFile(etc/os-release) through a linked root = %q, %v", got, err)
	}
	if root.Dir() != link {
		t.Errorf("Dir() = %q, want %q as given", root.Dir(), link)
	}
}

func TestIsPseudoFS(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self", &st); err != nil {
		t.Skip("no /proc here")
	}
	if err := syscall.Stat("/proc", &st); err != nil {
		t.Fatal(err)
	}
	if !isPseudoFS("/proc", st.Dev, map[uint64]bool{}) {
		t.Error("isPseudoFS(/proc) = false, want true")
	}
	tmp := t.TempDir()
	if err := syscall.Stat(tmp, &st); err != nil {
		t.Fatal(err)
	}
	if isPseudoFS(tmp, st.Dev, map[uint64]bool{}) {
		t.Errorf("isPseudoFS(%s) = true, want false", tmp)
	}
}
