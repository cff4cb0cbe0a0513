package sbom_test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/scan/sbom/extractors"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/sbom"
)

// debianTar packs testdata/debian9 as an image's root filesystem would
// hold it: os-release under usr/lib with etc/os-release a symlink to it,
// plus a large file no extractor wants.
func debianTar(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(h *tar.Header, body []byte) {
		h.Size = int64(len(body))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"var/lib/dpkg/status", "usr/bin/hello.sh"} {
		body, err := os.ReadFile(filepath.Join("testdata/debian9", p))
		if err != nil {
			t.Fatal(err)
		}
		add(&tar.Header{Name: "./" + p, Mode: 0o755, Typeflag: tar.TypeReg}, body)
	}
	osRelease, err := os.ReadFile("testdata/debian9/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	add(&tar.Header{Name: "usr/lib/os-release", Mode: 0o644, Typeflag: tar.TypeReg}, osRelease)
	add(&tar.Header{Name: "etc/os-release", Typeflag: tar.TypeSymlink, Linkname: "../usr/lib/os-release"}, nil)
	add(&tar.Header{Name: "usr/share/big.dat", Mode: 0o644, Typeflag: tar.TypeReg}, bytes.Repeat([]byte("x"), 1<<20))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCollectImage reads the Debian tree packed as a tarball and as an
// OCI image layout: both give the inventory of the directory.
func TestCollectImage(t *testing.T) {
	data := debianTar(t)
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "rootfs.tar")
	if err := os.WriteFile(tarPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ociDir := filepath.Join(dir, "layout")
	p, err := layout.Write(ociDir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": "golden:v1"})); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{tarPath, "oci:" + ociDir + ":v1"} {
		if diff := cmp.Diff(debian9, collect(t, target)); diff != "" {
			t.Errorf("Collect(%s) mismatch (-want +got):\n%s", target, diff)
		}
	}
	// Keep left the files no extractor wants out of memory.
	root, err := rootfs.OpenTar(tarPath, sbom.Keep(extractors.Default()))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"usr/share/big.dat", "usr/bin/hello.sh"} {
		if _, err := root.ReadFile(p); err == nil || !strings.Contains(err.Error(), "contents not loaded") {
			t.Errorf("ReadFile(%s) error = %v, want contents not loaded", p, err)
		}
	}
}
