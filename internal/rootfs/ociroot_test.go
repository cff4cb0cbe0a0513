package rootfs

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func layer(t *testing.T, files []tarFile) v1.Layer {
	t.Helper()
	b := buildTar(t, files)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testImage has a base layer and an upper one that whites out etc/shadow,
// replaces sshd_config and adds etc/arch with the given contents.
func testImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	base := layer(t, []tarFile{
		{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "etc/passwd", mode: 0o644, body: "root:x:0:0:root:/root:/bin/sh\n"},
		{name: "etc/shadow", mode: 0o640, gid: 42, body: "root:*:1::::::\n"},
		{name: "etc/ssh/sshd_config", mode: 0o644, body: "PermitRootLogin yes\n"},
		{name: "usr/lib/os-release", mode: 0o644, body: "ID=test\n"},
		{name: "usr/bin/passwd", mode: 0o4755, body: "\x7fELF"},
		{name: "etc/passwd.hard", typ: tar.TypeLink, link: "etc/passwd"},
	})
	upper := layer(t, []tarFile{
		{name: "etc/.wh.shadow", mode: 0o600},
		{name: "etc/ssh/sshd_config", mode: 0o600, body: "PermitRootLogin no\n"},
		{name: "etc/arch", mode: 0o644, body: arch},
		{name: "etc/upper-link", typ: tar.TypeLink, link: "usr/lib/os-release"},
	})
	img, err := mutate.AppendLayers(empty.Image, base, upper)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func platformImage(t *testing.T, arch string) mutate.IndexAddendum {
	return mutate.IndexAddendum{
		Add:        testImage(t, arch),
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
	}
}

// writeLayout writes an OCI layout holding images tagged v1 and
// docker.io/library/app:v2 and a multi-platform index tagged multi.
func writeLayout(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	tag := func(name string) layout.Option {
		return layout.WithAnnotations(map[string]string{refNameAnnotation: name})
	}
	if err := p.AppendImage(testImage(t, "v1"), tag("v1")); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(testImage(t, "v2"), tag("docker.io/library/app:v2")); err != nil {
		t.Fatal(err)
	}
	attestation := mutate.IndexAddendum{
		Add:        testImage(t, "attestation"),
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}},
	}
	multi := mutate.AppendManifests(empty.Index, platformImage(t, "arm64"), platformImage(t, "amd64"), attestation)
	if err := p.AppendIndex(multi, tag("multi")); err != nil {
		t.Fatal(err)
	}
	other := mutate.AppendManifests(empty.Index, platformImage(t, "arm64"), platformImage(t, "s390x"))
	if err := p.AppendIndex(other, tag("other")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenOCI(t *testing.T) {
	dir := writeLayout(t)
	tests := []struct {
		tag      string
		wantArch string
	}{
		{tag: "v1", wantArch: "v1"},
		{tag: "v2", wantArch: "v2"},
		{tag: "docker.io/library/app:v2", wantArch: "v2"},
		{tag: "multi", wantArch: "amd64"},
	}
	for _, tt := range tests {
		root, err := OpenOCI(dir, tt.tag, keepAll)
		if err != nil {
			t.Errorf("OpenOCI(%q) error = %v", tt.tag, err)
			continue
		}
		got, err := root.ReadFile("etc/arch")
		if err != nil || string(got) != tt.wantArch {
			t.Errorf("OpenOCI(%q): etc/arch = %q, %v, want %q", tt.tag, got, err, tt.wantArch)
		}
		checkFlattened(t, root)
	}
}

// checkFlattened holds a root to testImage's layers applied in order.
func checkFlattened(t *testing.T, root *MemRoot) {
	t.Helper()
	if _, ok := root.Lookup("etc/shadow"); ok {
		t.Error("etc/shadow is present, want it whited out by the upper layer")
	}
	if _, ok := root.Lookup("etc/.wh.shadow"); ok {
		t.Error("the whiteout etc/.wh.shadow is listed, want it applied")
	}
	if got, err := root.ReadFile("etc/ssh/sshd_config"); err != nil || string(got) != "PermitRootLogin no\n" {
		t.Errorf("etc/ssh/sshd_config = %q, %v, want the upper layer's", got, err)
	}
	if e, _ := root.Lookup("etc/ssh/sshd_config"); e.Mode != 0o600 {
		t.Errorf("etc/ssh/sshd_config mode = %v, want the upper layer's 0600", e.Mode)
	}
	if e, _ := root.Lookup("usr/bin/passwd"); e.Mode != fs.ModeSetuid|0o755 {
		t.Errorf("usr/bin/passwd mode = %v, want setuid 0755", e.Mode)
	}
	if got, err := root.ReadFile("etc/passwd.hard"); err != nil || !strings.HasPrefix(string(got), "root:x:0:0") {
		t.Errorf("etc/passwd.hard = %q, %v, want etc/passwd's contents", got, err)
	}
	if got, err := root.ReadFile("etc/upper-link"); err != nil || string(got) != "ID=test\n" {
		t.Errorf("etc/upper-link = %q, %v, want the lower layer's os-release", got, err)
	}
}

// writeOneImage writes a layout holding one untagged index of one
// linux/arm64 image.
func writeOneImage(t *testing.T, dir string) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(mutate.AppendManifests(empty.Index, platformImage(t, "arm64"))); err != nil {
		t.Fatal(err)
	}
}

func TestOpenOCIOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "one")
	writeOneImage(t, dir)
	root, err := OpenOCI(dir, "", keepAll)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := root.ReadFile("etc/arch"); string(got) != "arm64" {
		t.Errorf("etc/arch = %q, want the only platform, arm64", got)
	}
	checkFlattened(t, root)
}

func TestOpenOCIErrors(t *testing.T) {
	dir := writeLayout(t)
	emptyDir := filepath.Join(t.TempDir(), "empty")
	if _, err := layout.Write(emptyDir, empty.Index); err != nil {
		t.Fatal(err)
	}
	tags := "(tags: docker.io/library/app:v2, multi, other, v1)"
	tests := []struct {
		dir, tag string
		wantErr  []string
	}{
		{dir: dir, tag: "", wantErr: []string{dir, "holds 4 images", tags}},
		{dir: dir, tag: "v9", wantErr: []string{dir, `no image tagged "v9"`, tags}},
		{dir: dir, tag: "other", wantErr: []string{dir, "no linux/amd64 image among platforms linux/arm64, linux/s390x"}},
		{dir: emptyDir, tag: "", wantErr: []string{emptyDir, "lists no image"}},
		{dir: t.TempDir(), tag: "", wantErr: []string{"oci layout", "index.json"}},
	}
	for _, tt := range tests {
		_, err := OpenOCI(tt.dir, tt.tag, keepAll)
		for _, w := range tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("OpenOCI(%s, %q) error = %v, want one containing %q", tt.dir, tt.tag, err, w)
			}
		}
	}
}

func TestOpenOCIMissingBlob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	img := testImage(t, "v1")
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "blobs", d.Algorithm, d.Hex)); err != nil {
		t.Fatal(err)
	}
	_, err = OpenOCI(dir, "", keepAll)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("OpenOCI(layout without a layer blob) error = %v, want one naming %s", err, dir)
	}
}

func TestParseOCITarget(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "with:colon")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target, dir, tag string
	}{
		{target: "oci:img", dir: "img"},
		{target: "oci:img:v1", dir: "img", tag: "v1"},
		{target: "oci:/abs/path/img:latest", dir: "/abs/path/img", tag: "latest"},
		{target: "oci:./rel:dir/img", dir: "./rel:dir/img"},
		{target: "oci:" + existing, dir: existing},
		{target: "oci:" + existing + ":v2", dir: existing, tag: "v2"},
	}
	for _, tt := range tests {
		dir, tag := ParseOCITarget(tt.target)
		if dir != tt.dir || tag != tt.tag {
			t.Errorf("ParseOCITarget(%q) = %q, %q, want %q, %q", tt.target, dir, tag, tt.dir, tt.tag)
		}
	}
}

func TestIsAttachment(t *testing.T) {
	tests := []struct {
		artifactType string
		want         bool
	}{
		{artifactType: "", want: false},
		{artifactType: "application/vnd.oci.image.config.v1+json", want: false},
		{artifactType: "application/vnd.docker.container.image.v1+json", want: false},
		{artifactType: "application/vnd.cyclonedx+json", want: true},
		{artifactType: "application/vnd.secpipe.report+json", want: true},
	}
	for _, tt := range tests {
		if got := IsAttachment(v1.Descriptor{ArtifactType: tt.artifactType}); got != tt.want {
			t.Errorf("IsAttachment(%q) = %v, want %v", tt.artifactType, got, tt.want)
		}
	}
}
