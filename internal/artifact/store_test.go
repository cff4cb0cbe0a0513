package artifact

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// file is one entry of a test tree: a file with contents, a directory
// (Dir) or a symbolic link (Link).
type file struct {
	path, data string
	mode       fs.FileMode
	dir        bool
	link       string
}

// writeTree creates files under a new temporary directory and returns it.
func writeTree(t testing.TB, files []file) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case f.dir:
			err = os.Mkdir(p, 0o755)
		case f.link != "":
			err = os.Symlink(f.link, p)
		default:
			err = os.WriteFile(p, []byte(f.data), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.mode != 0 {
			if err := os.Chmod(p, f.mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// sampleTree has nested and empty directories, an executable, a duplicate
// file, and links inside and outside the tree.
func sampleTree() []file {
	return []file{
		{path: "app/src/config.js", data: "module.exports = {region: 'eu-west-1'};\n"},
		{path: "app/src/copy.js", data: "module.exports = {region: 'eu-west-1'};\n"},
		{path: "bin/run.sh", data: "#!/bin/sh\necho hi\n", mode: 0o755},
		{path: "empty", dir: true, mode: 0o700},
		{path: "a-b.txt", data: "sorted before a/ by bytes\n"},
		{path: "latest", link: "app/src/config.js"},
		{path: "outside", link: "/etc/passwd"},
	}
}

// treeEntries reads a tree on disk as entries without storing anything.
func treeEntries(t testing.TB, dir string) []Entry {
	t.Helper()
	entries, files, err := scanTree(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, entries[f.i].Path))
		if err != nil {
			t.Fatal(err)
		}
		entries[f.i].Size, entries[f.i].Digest = int64(len(data)), digestPrefix+sha256Hex(data)
	}
	return entries
}

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "artifacts"), Options{GCGrace: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutExtractRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	src := writeTree(t, sampleTree())
	digest, err := s.Put(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		t.Fatalf("Put() = %q, want sha256:<64 hex>", digest)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := s.Extract(ctx, digest, dst); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(treeEntries(t, src), treeEntries(t, dst)); diff != "" {
		t.Errorf("extracted tree differs from the source (-src +dst):\n%s", diff)
	}
	list, err := s.List(digest)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range list {
		paths = append(paths, e.Path)
	}
	want := []string{"a-b.txt", "app", "app/src", "app/src/config.js", "app/src/copy.js", "bin", "bin/run.sh", "empty", "latest", "outside"}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("List() paths (-want +got):\n%s", diff)
	}
	size, err := s.Size(digest)
	if err != nil || size != 2*40+18+26 {
		t.Errorf("Size() = %d, %v, want %d", size, err, 2*40+18+26)
	}
	if !s.Has(digest) {
		t.Errorf("Has(%s) = false after Put", digest)
	}
}

func TestDigestDependsOnlyOnContent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	put := func(files []file) string {
		t.Helper()
		d, err := s.Put(ctx, writeTree(t, files))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := put(sampleTree())
	if again := put(sampleTree()); again != base {
		t.Errorf("the same tree in another directory got %s, want %s", again, base)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(writeTree(t, sampleTree()), link); err != nil {
		t.Fatal(err)
	}
	if viaLink, err := s.Put(ctx, link); err != nil || viaLink != base {
		t.Errorf("Put(a link to the same tree) = %s, %v, want %s", viaLink, err, base)
	}
	tests := []struct {
		name   string
		change func([]file) []file
	}{
		{name: "contents", change: func(f []file) []file { f[0].data += "x"; return f }},
		{name: "mode", change: func(f []file) []file { f[2].mode = 0o700; return f }},
		{name: "link target", change: func(f []file) []file { f[5].link = "bin/run.sh"; return f }},
		{name: "file name", change: func(f []file) []file { f[4].path = "a-c.txt"; return f }},
		{name: "empty directory", change: func(f []file) []file { return f[:3] }},
	}
	for _, tt := range tests {
		if got := put(tt.change(sampleTree())); got == base {
			t.Errorf("changing the %s kept the digest %s", tt.name, got)
		}
	}
}

func TestIdenticalFilesShareABlob(t *testing.T) {
	s := newStore(t)
	if _, err := s.Put(context.Background(), writeTree(t, sampleTree())); err != nil {
		t.Fatal(err)
	}
	// Four regular files, two of them identical.
	if got := countFiles(t, filepath.Join(s.Dir(), blobDir)); got != 3 {
		t.Errorf("the store holds %d blobs, want 3", got)
	}
	if got := countFiles(t, filepath.Join(s.Dir(), tmpDir)); got != 0 {
		t.Errorf("%d temporary files left behind", got)
	}
}

func countFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLinksAreNotFollowed(t *testing.T) {
	outside := writeTree(t, []file{{path: "secret.txt", data: "do not copy me"}})
	src := writeTree(t, []file{{path: "ok.txt", data: "ok"}, {path: "leak", link: outside}})
	s := newStore(t)
	digest, err := s.Put(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(digest)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Path: "leak", Mode: fs.ModeSymlink | 0o777, Link: outside},
		{Path: "ok.txt", Mode: 0o644, Size: 2, Digest: digestPrefix + sha256Hex([]byte("ok"))},
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("List() (-want +got):\n%s", diff)
	}
}

func TestPutErrors(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	fifoDir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		dir  string
		want error
	}{
		{name: "missing", ctx: ctx, dir: filepath.Join(t.TempDir(), "nope"), want: pipeline.ErrNotFound},
		{name: "a file", ctx: ctx, dir: plain, want: pipeline.ErrInvalid},
		{name: "a named pipe", ctx: ctx, dir: fifoDir, want: pipeline.ErrInvalid},
		{name: "cancelled", ctx: cancelled, dir: writeTree(t, sampleTree()), want: context.Canceled},
	}
	for _, tt := range tests {
		if _, err := s.Put(tt.ctx, tt.dir); !errors.Is(err, tt.want) {
			t.Errorf("Put(%s) error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	s := newStore(t)
	absent := digestPrefix + strings.Repeat("ab", 32)
	tests := []struct {
		digest string
		want   error
	}{
		{digest: absent, want: pipeline.ErrNotFound},
		{digest: "sha256:abc", want: pipeline.ErrInvalid},
		{digest: "md5:" + strings.Repeat("ab", 16), want: pipeline.ErrInvalid},
		{digest: digestPrefix + strings.Repeat("AB", 32), want: pipeline.ErrInvalid},
	}
	for _, tt := range tests {
		if _, err := s.List(tt.digest); !errors.Is(err, tt.want) {
			t.Errorf("List(%q) error = %v, want %v", tt.digest, err, tt.want)
		}
		if _, err := s.Size(tt.digest); !errors.Is(err, tt.want) {
			t.Errorf("Size(%q) error = %v, want %v", tt.digest, err, tt.want)
		}
		if err := s.Extract(context.Background(), tt.digest, t.TempDir()); !errors.Is(err, tt.want) {
			t.Errorf("Extract(%q) error = %v, want %v", tt.digest, err, tt.want)
		}
		if s.Has(tt.digest) {
			t.Errorf("Has(%q) = true", tt.digest)
		}
	}
}

func TestConcurrentPutsAndGC(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "artifacts")
	trees := []string{writeTree(t, sampleTree()), writeTree(t, sampleTree()[:4])}
	want := make([]string, len(trees))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			// A Store per goroutine, as separate processes would have.
			s, err := Open(dir)
			if err != nil {
				t.Error(err)
				return
			}
			for range 5 {
				d, err := s.Put(ctx, trees[i%2])
				if err != nil {
					t.Error(err)
					return
				}
				if i < 2 {
					want[i] = d
				}
				if err := s.Extract(ctx, d, t.TempDir()); err != nil {
					t.Error(err)
				}
				if _, err := s.GC(ctx, nil); err != nil { // grace protects fresh objects
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range want {
		if err := s.Extract(ctx, d, t.TempDir()); err != nil {
			t.Errorf("Extract(%s) after concurrent puts: %v", d, err)
		}
	}
}
