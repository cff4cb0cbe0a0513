package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// treeFile is one file of a test tree.
type treeFile struct {
	path     string
	contents string
	mode     os.FileMode
	uid, gid int
}

var testFiles = []treeFile{
	{path: "bin/tool", contents: "#!/bin/sh\necho tool\n", mode: os.ModeSetuid | 0o755},
	{path: "etc/passwd", contents: "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n", mode: 0o644},
	{path: "home/app/notes.txt", contents: "hello\n", mode: 0o600, uid: 1000, gid: 1000},
	{path: "usr/share/doc/README", contents: "read me\n", mode: 0o644, uid: 0, gid: 50},
	{path: "tmp/.keep", contents: "", mode: 0o644},
}

// makeTree writes the test tree under dir, creating files in reverse order
// when reverse is set and stamping mtime on everything.
func makeTree(t testing.TB, dir string, reverse bool, mtime time.Time) {
	t.Helper()
	files := append([]treeFile(nil), testFiles...)
	if reverse {
		for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
			files[i], files[j] = files[j], files[i]
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, f.path)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f.contents), 0o644))
		if os.Geteuid() == 0 {
			must(t, os.Lchown(p, f.uid, f.gid))
		}
		must(t, os.Chmod(p, f.mode)) // after chown, which clears setuid
	}
	must(t, os.Chmod(filepath.Join(dir, "tmp"), os.ModeSticky|0o777))
	must(t, os.Link(filepath.Join(dir, "bin/tool"), filepath.Join(dir, "bin/tool-alias")))
	must(t, os.Symlink("../bin/tool", filepath.Join(dir, "usr/tool")))
	must(t, syscall.Mkfifo(filepath.Join(dir, "tmp/fifo"), 0o600))
	must(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, mtime, mtime)
	}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestWriteLayerReproducible(t *testing.T) {
	for _, uncompressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("uncompressed=%v", uncompressed), func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			makeTree(t, a, false, time.Date(2020, 1, 2, 3, 4, 5, 6, time.UTC))
			makeTree(t, b, true, time.Date(2024, 6, 7, 8, 9, 10, 11, time.UTC))
			opts := LayerOptions{TmpDir: t.TempDir(), Uncompressed: uncompressed}
			la, err := WriteLayer(context.Background(), a, opts)
			must(t, err)
			lb, err := WriteLayer(context.Background(), b, opts)
			must(t, err)
			if la.Digest != lb.Digest || la.DiffID != lb.DiffID || la.Size != lb.Size {
				t.Errorf("same tree, different layers: %+v vs %+v", la, lb)
			}
			if uncompressed && la.Digest != la.DiffID {
				t.Errorf("uncompressed layer: digest %s != diffID %s", la.Digest, la.DiffID)
			}
			if fi, err := os.Stat(la.Path); err != nil || fi.Size() != la.Size {
				t.Errorf("layer file %s: %v, size %v want %d", la.Path, err, fi, la.Size)
			}
			must(t, la.Remove())
			must(t, lb.Remove())
		})
	}
}

// tarEntry is what the tests check of a tar header.
type tarEntry struct {
	Name, Link string
	Type       byte
	Mode       int64
	UID, GID   int
	Size       int64
}

func readLayer(t *testing.T, path string) ([]tarEntry, []*tar.Header) {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	must(t, err)
	tr := tar.NewReader(zr)
	var out []tarEntry
	var hdrs []*tar.Header
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, hdrs
		}
		must(t, err)
		out = append(out, tarEntry{Name: h.Name, Link: h.Linkname, Type: h.Typeflag, Mode: h.Mode, UID: h.Uid, GID: h.Gid, Size: h.Size})
		hdrs = append(hdrs, h)
	}
}

func TestWriteLayerEntries(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to set file owners")
	}
	dir := t.TempDir()
	makeTree(t, dir, true, time.Now())
	l, err := net.Listen("unix", filepath.Join(dir, "tmp/sock"))
	must(t, err)
	defer l.Close()
	epoch := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	layer, err := WriteLayer(context.Background(), dir, LayerOptions{TmpDir: t.TempDir(), Epoch: epoch})
	must(t, err)
	defer layer.Remove()
	got, hdrs := readLayer(t, layer.Path)
	want := []tarEntry{
		{Name: "bin/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "bin/tool", Type: tar.TypeReg, Mode: 0o4755, Size: 20},
		{Name: "bin/tool-alias", Link: "bin/tool", Type: tar.TypeLink, Mode: 0o4755},
		{Name: "etc/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "etc/passwd", Type: tar.TypeReg, Mode: 0o644, Size: 65},
		{Name: "home/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "home/app/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "home/app/notes.txt", Type: tar.TypeReg, Mode: 0o600, UID: 1000, GID: 1000, Size: 6},
		{Name: "tmp/", Type: tar.TypeDir, Mode: 0o1777},
		{Name: "tmp/.keep", Type: tar.TypeReg, Mode: 0o644},
		{Name: "tmp/fifo", Type: tar.TypeFifo, Mode: 0o600},
		{Name: "usr/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "usr/share/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "usr/share/doc/", Type: tar.TypeDir, Mode: 0o755},
		{Name: "usr/share/doc/README", Type: tar.TypeReg, Mode: 0o644, GID: 50, Size: 8},
		{Name: "usr/tool", Link: "../bin/tool", Type: tar.TypeSymlink, Mode: 0o777},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
	for _, h := range hdrs {
		if !h.ModTime.Equal(epoch) || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: mtime %v uname %q gname %q, want %v and no names", h.Name, h.ModTime, h.Uname, h.Gname, epoch)
		}
	}
}

func TestWriteLayerErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(file, nil, 0o644))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	big := t.TempDir()
	for i := range 600 {
		must(t, os.WriteFile(filepath.Join(big, fmt.Sprintf("f%03d", i)), nil, 0o644))
	}
	tests := []struct {
		name string
		ctx  context.Context
		root string
		want error
	}{
		{name: "missing", ctx: context.Background(), root: filepath.Join(t.TempDir(), "nope"), want: pipeline.ErrNotFound},
		{name: "file", ctx: context.Background(), root: file, want: pipeline.ErrInvalid},
		{name: "canceled", ctx: canceled, root: big, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			_, err := WriteLayer(tt.ctx, tt.root, LayerOptions{TmpDir: tmp})
			if !errors.Is(err, tt.want) {
				t.Errorf("WriteLayer(%s) = %v, want %v", tt.root, err, tt.want)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Errorf("WriteLayer(%s) left %d temp files", tt.root, len(ents))
			}
		})
	}
}

// BenchmarkWriteLayer writes a ~50 MB tree (half random, half text).
func BenchmarkWriteLayer(b *testing.B) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	var total int64
	for i := range 500 {
		data := make([]byte, 100<<10)
		if i%2 == 0 {
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
		} else {
			for j := range data {
				data[j] = "lorem ipsum dolor sit amet\n"[j%27]
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("d%02d/f%03d", i%20, i))
		must(b, os.MkdirAll(filepath.Dir(p), 0o755))
		must(b, os.WriteFile(p, data, 0o644))
		total += int64(len(data))
	}
	tmp := b.TempDir()
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		l, err := WriteLayer(context.Background(), dir, LayerOptions{TmpDir: tmp})
		if err != nil {
			b.Fatal(err)
		}
		l.Remove()
	}
}
