package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// putManifest stores a hand-written manifest, as a damaged or hostile
// store would hold it, and returns its digest.
func putManifest(t *testing.T, s *Store, doc string) string {
	t.Helper()
	data := []byte(doc)
	h := sha256Hex(data)
	if err := s.writeObject(s.manifestPath(h), data); err != nil {
		t.Fatal(err)
	}
	return digestPrefix + h
}

// putBlob stores data as a blob and returns its digest.
func putBlob(t *testing.T, s *Store, data string) string {
	t.Helper()
	h := sha256Hex([]byte(data))
	if err := s.writeBlob(h, int64(len(data)), strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return digestPrefix + h
}

func TestExtractDetectsDamagedBlob(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	digest, err := s.Put(ctx, writeTree(t, []file{{path: "f.txt", data: "original"}}))
	if err != nil {
		t.Fatal(err)
	}
	blob := s.blobPath(sha256Hex([]byte("original")))
	if err := os.Chmod(blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = s.Extract(ctx, digest, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Extract() with a tampered blob: error = %v, want one saying the blob is damaged", err)
	}
}

func TestListDetectsDamagedManifest(t *testing.T) {
	s := newStore(t)
	digest, err := s.Put(context.Background(), writeTree(t, []file{{path: "f.txt", data: "x"}}))
	if err != nil {
		t.Fatal(err)
	}
	path := s.manifestPath(strings.TrimPrefix(digest, digestPrefix))
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"version":1,"entries":[]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(digest); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("List() of a manifest that does not match its digest: error = %v, want ErrInvalid", err)
	}
}

func TestExtractStaysInsideDir(t *testing.T) {
	s := newStore(t)
	blob := putBlob(t, s, "payload")
	file := func(path string) string {
		return `{"path":"` + path + `","type":"file","mode":"0644","size":7,"digest":"` + blob + `"}`
	}
	tests := []struct {
		name    string
		entries string
		// prepare adds what dst holds before Extract.
		prepare func(t *testing.T, dst, outside string)
		want    error
	}{
		{name: "dot-dot path", entries: file("../escape"), want: pipeline.ErrInvalid},
		{name: "absolute path", entries: file("/tmp/escape"), want: pipeline.ErrInvalid},
		{
			name:    "file under a link of the artifact",
			entries: `{"path":"d","type":"symlink","link":"OUTSIDE"},` + file("d/escape"),
			want:    pipeline.ErrInvalid,
		},
		{
			name:    "file under a link already in dst",
			entries: `{"path":"d","type":"dir","mode":"0755"},` + file("d/escape"),
			prepare: func(t *testing.T, dst, outside string) {
				if err := os.Symlink(outside, filepath.Join(dst, "d")); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name:    "file replacing a link already in dst",
			entries: file("escape"),
			prepare: func(t *testing.T, dst, outside string) {
				if err := os.Symlink(filepath.Join(outside, "escape"), filepath.Join(dst, "escape")); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst, outside := t.TempDir(), t.TempDir()
			if tt.prepare != nil {
				tt.prepare(t, dst, outside)
			}
			doc := strings.ReplaceAll(`{"version":1,"entries":[`+tt.entries+`]}`, "OUTSIDE", outside)
			err := s.Extract(context.Background(), putManifest(t, s, doc), dst)
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Extract() error = %v, want %v", err, tt.want)
			}
			if _, serr := os.Lstat(filepath.Join(outside, "escape")); serr == nil {
				t.Errorf("Extract() wrote outside its directory (error %v)", err)
			}
		})
	}
}

func TestExtractReadOnlyDirectory(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	src := writeTree(t, []file{{path: "ro/f.txt", data: "x"}})
	if err := os.Chmod(filepath.Join(src, "ro"), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "ro"), 0o755) })
	digest, err := s.Put(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := s.Extract(ctx, digest, dst); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dst, "ro"), 0o755) })
	fi, err := os.Stat(filepath.Join(dst, "ro"))
	if err != nil || fi.Mode().Perm() != 0o555 {
		t.Errorf("extracted ro/ = %v, %v, want mode 0555", fi.Mode(), err)
	}
}

func TestExtractOverExistingFiles(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	digest, err := s.Put(ctx, writeTree(t, sampleTree()))
	if err != nil {
		t.Fatal(err)
	}
	dst := writeTree(t, []file{{path: "bin/run.sh", data: "old"}, {path: "latest", data: "not a link yet"}})
	if err := s.Extract(ctx, digest, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "bin/run.sh")); string(got) != "#!/bin/sh\necho hi\n" {
		t.Errorf("bin/run.sh = %q after Extract, want the artifact's", got)
	}
	if got, err := os.Readlink(filepath.Join(dst, "latest")); err != nil || got != "app/src/config.js" {
		t.Errorf("latest = %q, %v, want a link to app/src/config.js", got, err)
	}
}
