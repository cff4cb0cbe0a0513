package base_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// need skips the test (fails it under CI) with msg when missing is true.
func need(t *testing.T, missing bool, msg string) {
	t.Helper()
	if !missing {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// entry is one tar entry of a test archive.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	uid, gid         int
}

// mtime is the modification time of every test entry.
var mtime = time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)

// tarOf builds a tar archive of entries.
func tarOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			ModTime: mtime, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// goodTree is a small valid root filesystem.
func goodTree(t testing.TB) []byte {
	return tarOf(t,
		entry{name: "./", typ: tar.TypeDir, mode: 0o755},
		entry{name: "./etc/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "./etc/os-release", typ: tar.TypeReg, body: "ID=test\n"},
		entry{name: "./usr/bin/su", typ: tar.TypeReg, body: "#!/bin/sh\n", mode: 0o4755, uid: 1234, gid: 5678},
		entry{name: "./bin", typ: tar.TypeSymlink, link: "usr/bin"},
		entry{name: "./etc/alt", typ: tar.TypeSymlink, link: "/usr/bin/su"},
		entry{name: "./usr/bin/su2", typ: tar.TypeLink, link: "./usr/bin/su"},
		entry{name: "./run/fifo", typ: tar.TypeFifo, mode: 0o600},
		entry{name: "./tmp/", typ: tar.TypeDir, mode: 0o1777},
	)
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zst(t *testing.T, b []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return w.EncodeAll(b, nil)
}

// writeFile writes b to a new file in a temp dir and returns its path.
func writeFile(t *testing.T, name string, b []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestPrepareTarball(t *testing.T) {
	need(t, os.Geteuid() != 0, "unpacking with owners needs root")
	plain := goodTree(t)
	tests := []struct {
		name string
		data []byte
	}{
		{name: "plain", data: plain},
		{name: "gzip", data: gz(t, plain)},
		{name: "zstd", data: zst(t, plain)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "root.tar", tt.data)
			dst := filepath.Join(t.TempDir(), "root")
			info, err := base.Prepare(context.Background(), file, dst, base.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := base.Info{Ref: file, Digest: sha(tt.data), Kind: base.KindTar}
			if diff := cmp.Diff(want, info); diff != "" {
				t.Errorf("Prepare(%s) info (-want +got):\n%s", file, diff)
			}
			checkGoodTree(t, dst)
		})
	}
}

// checkGoodTree checks what goodTree unpacked into dst.
func checkGoodTree(t *testing.T, dst string) {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dst, "usr/bin/su"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode() != 0o755|os.ModeSetuid || st.Uid != 1234 || st.Gid != 5678 || !fi.ModTime().Equal(mtime) || st.Nlink != 2 {
		t.Errorf("usr/bin/su: mode %v owner %d:%d mtime %v links %d", fi.Mode(), st.Uid, st.Gid, fi.ModTime(), st.Nlink)
	}
	if l, err := os.Readlink(filepath.Join(dst, "etc/alt")); err != nil || l != "/usr/bin/su" {
		t.Errorf("etc/alt links to %q (%v)", l, err)
	}
	if fi, err := os.Lstat(filepath.Join(dst, "bin")); err != nil || !fi.ModTime().Equal(mtime) {
		t.Errorf("bin symlink: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "tmp")); err != nil || fi.Mode() != os.ModeDir|os.ModeSticky|0o777 || !fi.ModTime().Equal(mtime) {
		t.Errorf("tmp: %v %v", fi, err)
	}
	if fi, err := os.Lstat(filepath.Join(dst, "run/fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("run/fifo: %v %v", fi, err)
	}
}

func TestPrepareTarballRejects(t *testing.T) {
	dir := entry{name: "d/", typ: tar.TypeDir, mode: 0o755}
	tests := []struct {
		name    string
		entries []entry
		want    string // in the error
	}{
		{name: "dotdot", entries: []entry{{name: "../x", typ: tar.TypeReg, body: "x"}}, want: `entry "../x": name with ".."`},
		{name: "inner dotdot", entries: []entry{dir, {name: "d/../../x", typ: tar.TypeReg}}, want: `entry "d/../../x"`},
		{name: "absolute", entries: []entry{{name: "/etc/passwd", typ: tar.TypeReg}}, want: `entry "/etc/passwd": absolute name`},
		{name: "escaping symlink", entries: []entry{dir, {name: "d/esc", typ: tar.TypeSymlink, link: "../../outside"}}, want: `entry "d/esc": symlink to "../../outside" resolves outside`},
		{name: "write through symlink", entries: []entry{{name: "etc", typ: tar.TypeSymlink, link: "/etc"}, {name: "etc/passwd", typ: tar.TypeReg, body: "x"}}, want: `entry "etc/passwd": written through the symlink "etc"`},
		{name: "escape through a later link", entries: []entry{dir, {name: "l", typ: tar.TypeSymlink, link: "d/x/.."}, {name: "d/x", typ: tar.TypeSymlink, link: ".."}}, want: `entry "l": symlink to "d/x/.." resolves outside`},
		{name: "escaping link chain", entries: []entry{{name: "up", typ: tar.TypeSymlink, link: "."}, {name: "l", typ: tar.TypeSymlink, link: "up/up/.."}}, want: `entry "l"`},
		{name: "hardlink outside", entries: []entry{{name: "h", typ: tar.TypeLink, link: "../../etc/passwd"}}, want: `entry "h": hard link target "../../etc/passwd"`},
		{name: "absolute hardlink", entries: []entry{{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}}, want: `entry "h": hard link target "/etc/passwd"`},
		{name: "hardlink through symlink", entries: []entry{{name: "e", typ: tar.TypeSymlink, link: "/etc"}, {name: "h", typ: tar.TypeLink, link: "e/passwd"}}, want: `written through the symlink "e"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "bad.tar", tarOf(t, tt.entries...))
			parent := t.TempDir()
			_, err := base.Prepare(context.Background(), file, filepath.Join(parent, "root"), base.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Prepare(%s) error = %v, want one containing %s", tt.name, err, tt.want)
			}
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("Prepare(%s) error %v does not wrap ErrInvalid", tt.name, err)
			}
			if got, _ := os.ReadDir(parent); len(got) != 1 {
				t.Errorf("Prepare(%s) wrote beside the root: %v", tt.name, got)
			}
		})
	}
}

func TestPrepareErrors(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ref, dst string
		want           string
		is             error
	}{
		{name: "dst not empty", ref: "busybox", dst: full, want: "is not empty", is: pipeline.ErrInvalid},
		{name: "missing tarball", ref: "/nonexistent.tar", want: "nonexistent.tar", is: os.ErrNotExist},
		{name: "directory", ref: full, want: "is not a tarball", is: pipeline.ErrInvalid},
		{name: "bad suite", ref: "debian:../x", want: "not a Debian suite", is: pipeline.ErrInvalid},
		{name: "no cache", ref: "debian:bookworm", want: "cache directory", is: pipeline.ErrInvalid},
		{name: "empty", ref: "", want: "empty ref", is: pipeline.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := tt.dst
			if dst == "" {
				dst = filepath.Join(t.TempDir(), "root")
			}
			_, err := base.Prepare(context.Background(), tt.ref, dst, base.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.is) {
				t.Errorf("Prepare(%q) error = %v, want one containing %q wrapping %v", tt.ref, err, tt.want, tt.is)
			}
		})
	}
}

func TestPrepareBusybox(t *testing.T) {
	_, err := os.Stat("/bin/busybox")
	need(t, err != nil, "busybox-static is not installed: apt-get install busybox-static")
	dst := filepath.Join(t.TempDir(), "root")
	info, err := base.Prepare(context.Background(), "busybox", dst, base.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := os.ReadFile("/bin/busybox")
	if want := (base.Info{Ref: "busybox", Digest: sha(bin), Kind: base.KindBusybox}); info != want {
		t.Errorf("Prepare(busybox) = %+v, want %+v", info, want)
	}
	osr, err := os.ReadFile(filepath.Join(dst, "etc/os-release"))
	if err != nil || !strings.Contains(string(osr), "ID=busybox\n") || !strings.Contains(string(osr), "VERSION_ID=1.") {
		t.Errorf("os-release = %q (%v)", osr, err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "usr/bin/env")); err != nil || l != "../../bin/busybox" {
		t.Errorf("usr/bin/env links to %q (%v)", l, err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "tmp")); err != nil || fi.Mode() != os.ModeDir|os.ModeSticky|0o777 {
		t.Errorf("tmp: %v %v", fi, err)
	}

	missing := sandbox.Available() != nil || os.Geteuid() != 0
	need(t, missing, "bubblewrap (bwrap) is not installed or not root: apt-get install bubblewrap")
	var out bytes.Buffer
	code, err := sandbox.Run(context.Background(), sandbox.Spec{Root: dst, Argv: []string{"/bin/sh", "-c", "echo ok"}, Stdout: &out})
	if err != nil || code != 0 || out.String() != "ok\n" {
		t.Errorf("sh -c 'echo ok' in the busybox root: exit %d, output %q, error %v", code, out.String(), err)
	}
}

func TestPrepareBusyboxMissing(t *testing.T) {
	_, err := base.Prepare(context.Background(), "busybox", filepath.Join(t.TempDir(), "root"),
		base.Options{Busybox: "/nonexistent/busybox"})
	want := "busybox-static is not installed (no /nonexistent/busybox): apt-get install busybox-static"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Prepare(busybox) error = %v, want %q", err, want)
	}
}
