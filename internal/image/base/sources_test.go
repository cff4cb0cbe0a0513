package base_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/secpipe/secpipe/internal/image/base"
	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestPrepareOCI(t *testing.T) {
	lower := tarOf(t, entry{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "etc/os-release", typ: tar.TypeReg, body: "ID=lower\n"},
		entry{name: "etc/keep", typ: tar.TypeReg, body: "keep\n"})
	upper := tarOf(t, entry{name: "etc/os-release", typ: tar.TypeReg, body: "ID=upper\n"})
	img := empty.Image
	for _, b := range [][]byte{lower, upper} {
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "base:v1"})); err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"oci:" + dir, "oci:" + dir + ":v1"} {
		dst := filepath.Join(t.TempDir(), "root")
		info, err := base.Prepare(context.Background(), ref, dst, base.Options{})
		if err != nil {
			t.Fatalf("Prepare(%s): %v", ref, err)
		}
		if info.Digest != want.String() || info.Kind != base.KindOCI {
			t.Errorf("Prepare(%s) = %+v, want digest %s", ref, info, want)
		}
		for name, body := range map[string]string{"etc/os-release": "ID=upper\n", "etc/keep": "keep\n"} {
			if got, err := os.ReadFile(filepath.Join(dst, name)); err != nil || string(got) != body {
				t.Errorf("Prepare(%s): %s = %q (%v), want %q", ref, name, got, err, body)
			}
		}
	}
	_, err = base.Prepare(context.Background(), "oci:"+dir+":v2", filepath.Join(t.TempDir(), "root"), base.Options{})
	if !errors.Is(err, pipeline.ErrNotFound) || !strings.Contains(err.Error(), `no image tagged "v2"`) {
		t.Errorf("Prepare(unknown tag) error = %v", err)
	}
}

// fakeMmdebstrap writes a script that records its arguments in calls
// and writes a small tarball where mmdebstrap would.
func fakeMmdebstrap(t *testing.T, calls string) string {
	t.Helper()
	tree := writeFile(t, "tree.tar", goodTree(t))
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %s\nfor a; do out=$a; done\ncp %s \"$out\"\n", calls, tree)
	p := writeFile(t, "mmdebstrap", []byte(script))
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrepareDebian(t *testing.T) {
	need(t, os.Geteuid() != 0, "unpacking with owners needs root")
	cache := filepath.Join(t.TempDir(), "cache")
	calls := filepath.Join(t.TempDir(), "calls")
	opts := base.Options{
		CacheDir:   cache,
		Mmdebstrap: fakeMmdebstrap(t, calls),
		Now:        func() time.Time { return time.Date(2025, 6, 7, 23, 0, 0, 0, time.UTC) },
	}
	cached := filepath.Join(cache, "debian-bookworm-20250607.tar")
	for i := range 2 {
		dst := filepath.Join(t.TempDir(), "root")
		info, err := base.Prepare(context.Background(), "debian:bookworm", dst, opts)
		if err != nil {
			t.Fatal(err)
		}
		tarBytes, err := os.ReadFile(cached)
		if err != nil {
			t.Fatal(err)
		}
		if want := (base.Info{Ref: "debian:bookworm", Digest: sha(tarBytes), Kind: base.KindDebian}); info != want {
			t.Errorf("Prepare #%d = %+v, want %+v", i, info, want)
		}
		checkGoodTree(t, dst)
	}
	got, _ := os.ReadFile(calls)
	want := "--variant=minbase --mode=root --format=tar bookworm " // then the temp output path
	if lines := strings.Split(strings.TrimSpace(string(got)), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], want) {
		t.Errorf("mmdebstrap calls = %q, want one starting %q", got, want)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 1 {
		t.Errorf("cache holds %v, want only the tarball", entries)
	}
}

func TestPrepareDebianMissingTool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := base.Prepare(context.Background(), "debian:bookworm", filepath.Join(t.TempDir(), "root"),
		base.Options{CacheDir: t.TempDir()})
	want := "mmdebstrap is not installed: apt-get install mmdebstrap"
	if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Prepare(debian:bookworm) error = %v, want %q", err, want)
	}
}

// FuzzUnpack checks that no archive makes Unpack panic or write beside
// its destination.
func FuzzUnpack(f *testing.F) {
	f.Add(goodTree(f))
	f.Add(tarOf(f, entry{name: "l", typ: tar.TypeSymlink, link: "../x"}, entry{name: "l/y", typ: tar.TypeReg, body: "y"}))
	f.Add(tarOf(f, entry{name: "h", typ: tar.TypeLink, link: "../../etc/passwd"}))
	f.Add(tarOf(f, entry{name: "a/b", typ: tar.TypeSymlink, link: "/"}, entry{name: "c", typ: tar.TypeSymlink, link: "a/b/.."}))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "root")
		if err := os.Mkdir(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		_ = base.Unpack(context.Background(), bytes.NewReader(data), dst)
		if got, _ := os.ReadDir(parent); len(got) != 1 {
			t.Errorf("Unpack wrote beside its destination: %v", got)
		}
	})
}
