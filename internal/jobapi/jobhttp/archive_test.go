package jobhttp_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// entry is one member of a hand-made archive.
type entry struct {
	name string
	typ  byte
	body string
	link string
	mode int64
	size int64 // declared size when it differs from the body's
}

// archive builds a gzip-compressed tar of entries, as a sender might.
func archive(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, Size: int64(len(e.body))}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if e.size != 0 {
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil && e.size == 0 {
			t.Fatal(err)
		}
	}
	tw.Flush()
	zw.Close()
	return buf.Bytes()
}

func TestArchiveRoundTrip(t *testing.T) {
	files := map[string]string{
		"README.md":              "hello",
		"bin/run.sh":             "#!/bin/sh\necho hi\n",
		"deep/a/b/c/d.txt":       "deep",
		"empty/":                 "",
		"links/to-readme":        "-> ../README.md",
		"links/to-dir":           "-> ../deep/a",
		"links/self":             "-> .",
		"space name/ü ñ.txt":     "unicode",
		strings.Repeat("n", 200): "a long name",
	}
	src := t.TempDir()
	writeTree(t, src, files)
	var buf bytes.Buffer
	if err := jobhttp.WriteArchive(context.Background(), &buf, src); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := jobhttp.Extract(context.Background(), &buf, dst, jobhttp.ArchiveLimits{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(described(files), readTree(t, dst)); diff != "" {
		t.Errorf("extracted tree (-want +got):\n%s", diff)
	}
}

func TestExtractRefuses(t *testing.T) {
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name     string
		want     string // in the error
		entries  []entry
		raw      []byte
		lim      jobhttp.ArchiveLimits
		tooLarge bool
	}{
		{name: "absolute name", want: "absolute name", entries: []entry{{name: "/etc/passwd", typ: tar.TypeReg, body: "x"}}},
		{name: "dot-dot name", want: "holds \"..\"", entries: []entry{{name: "../escape", typ: tar.TypeReg, body: "x"}}},
		{name: "dot-dot inside name", want: "holds \"..\"", entries: []entry{{name: "a/../../escape", typ: tar.TypeReg, body: "x"}}},
		{name: "too deep", want: "more than 128 directories deep", entries: []entry{
			{name: strings.Repeat("d/", 128) + "f", typ: tar.TypeReg, body: "x"}}},
		{name: "absolute link", want: "absolute", entries: []entry{{name: "l", typ: tar.TypeSymlink, link: "/etc"}}},
		{name: "escaping link", want: "leaves the tree", entries: []entry{{name: "a/l", typ: tar.TypeSymlink, link: "../../etc"}}},
		{name: "link climbing after descending", want: "climbs after descending", entries: []entry{
			{name: "a/", typ: tar.TypeDir, mode: 0o755},
			{name: "a/up", typ: tar.TypeSymlink, link: ".."},
			{name: "a/l", typ: tar.TypeSymlink, link: "up/../x"}}},
		{name: "entry through a link", want: "parent l is not a directory", entries: []entry{
			{name: "l", typ: tar.TypeSymlink, link: "."},
			{name: "l/f", typ: tar.TypeReg, body: "x"}}},
		{name: "hard link", want: "a hard link is not", entries: []entry{
			{name: "f", typ: tar.TypeReg, body: "x"},
			{name: "h", typ: tar.TypeLink, link: "f"}}},
		{name: "device", want: "a character device", entries: []entry{{name: "null", typ: tar.TypeChar}}},
		{name: "fifo", want: "a named pipe", entries: []entry{{name: "p", typ: tar.TypeFifo}}},
		{name: "file over a directory", want: "directory is in the way", entries: []entry{
			{name: "d/", typ: tar.TypeDir, mode: 0o755},
			{name: "d", typ: tar.TypeReg, body: "x"}}},
		{name: "not gzip", want: "gzip", raw: []byte("just text, not an archive")},
		{name: "truncated", want: "unexpected EOF", raw: archive(t, entry{name: "f", typ: tar.TypeReg, body: big})[:60]},
		{name: "too many entries", want: "more than 2 entries", lim: jobhttp.ArchiveLimits{MaxEntries: 2}, tooLarge: true, entries: []entry{
			{name: "a", typ: tar.TypeReg}, {name: "b", typ: tar.TypeReg}, {name: "c", typ: tar.TypeReg}}},
		{name: "too many bytes", want: "larger than 3000", lim: jobhttp.ArchiveLimits{MaxBytes: 3000}, tooLarge: true, entries: []entry{
			{name: "a", typ: tar.TypeReg, body: big}, {name: "b", typ: tar.TypeReg, body: big}}},
		{name: "declared size over the limit", want: "larger than 1000", lim: jobhttp.ArchiveLimits{MaxBytes: 1000}, tooLarge: true,
			entries: []entry{{name: "a", typ: tar.TypeReg, size: 1 << 40}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.raw
			if raw == nil {
				raw = archive(t, tt.entries...)
			}
			parent := t.TempDir()
			dst := filepath.Join(parent, "dst")
			err := jobhttp.Extract(context.Background(), bytes.NewReader(raw), dst, tt.lim)
			if !errors.Is(err, pipeline.ErrInvalid) || jobhttp.IsTooLarge(err) != tt.tooLarge ||
				!strings.Contains(fmt.Sprint(err), tt.want) {
				t.Errorf("Extract = %v, want an error wrapping ErrInvalid with %q (too large: %v)", err, tt.want, tt.tooLarge)
			}
			if names := dirNames(t, parent); len(names) > 1 || len(names) == 1 && names[0] != "dst" {
				t.Errorf("Extract wrote %v beside its directory", names)
			}
		})
	}
}

// A bomb (a small archive that expands past the limits) stops at the
// limit instead of filling the disk.
func TestExtractStopsABomb(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	const size = 16 << 20
	tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
	io.Copy(tw, io.LimitReader(zeros{}, size))
	tw.Close()
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed", buf.Len())
	}
	dst := t.TempDir()
	err := jobhttp.Extract(context.Background(), &buf, dst, jobhttp.ArchiveLimits{MaxBytes: 1 << 20})
	if !jobhttp.IsTooLarge(err) {
		t.Fatalf("Extract of a %d-byte file with a 1 MiB limit = %v, want too large", size, err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A broken source is a read error, not a refusal of the archive: the
// caller may try again.
func TestExtractReadError(t *testing.T) {
	raw := archive(t, entry{name: "f", typ: tar.TypeReg, body: strings.Repeat("y", 1<<16)})
	broken := io.MultiReader(bytes.NewReader(raw[:len(raw)/2]), errReader{})
	err := jobhttp.Extract(context.Background(), broken, t.TempDir(), jobhttp.ArchiveLimits{})
	if err == nil || errors.Is(err, pipeline.ErrInvalid) || !errors.Is(err, errBroken) {
		t.Errorf("Extract of a broken stream = %v, want the stream's error, not ErrInvalid", err)
	}
}

var errBroken = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

// Modes come through, with the owner always able to read, write and
// remove what was extracted.
func TestExtractModes(t *testing.T) {
	raw := archive(t,
		entry{name: "ro/", typ: tar.TypeDir, mode: 0o555},
		entry{name: "ro/f", typ: tar.TypeReg, body: "x", mode: 0o400},
		entry{name: "suid", typ: tar.TypeReg, body: "x", mode: 0o4755},
	)
	dst := t.TempDir()
	if err := jobhttp.Extract(context.Background(), bytes.NewReader(raw), dst, jobhttp.ArchiveLimits{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ro/": "0755", "ro/f": "0600 x", "suid": "0755 x"}
	if diff := cmp.Diff(want, readTree(t, dst)); diff != "" {
		t.Errorf("modes (-want +got):\n%s", diff)
	}
	if err := os.RemoveAll(dst); err != nil {
		t.Errorf("RemoveAll of the extracted tree: %v", err)
	}
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}
