package rootfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestOpen(t *testing.T) {
	tmp := t.TempDir()
	tarball := filepath.Join(tmp, "rootfs.tar.gz")
	if err := os.WriteFile(tarball, gzipBytes(t, rootfsTar(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	srcTar := filepath.Join(tmp, "src.tar")
	if err := os.WriteFile(srcTar, buildTar(t, []tarFile{{name: "app/Dockerfile", mode: 0o644, body: "FROM scratch\n"}}), 0o644); err != nil {
		t.Fatal(err)
	}
	source := filepath.Join(tmp, "source")
	writeTree(t, source, map[string]string{"Dockerfile": "FROM scratch\n", ".git/HEAD": "ref\n", "k8s/pod.yaml": "kind: Pod\n"})
	passwdOnly := filepath.Join(tmp, "passwd-only")
	writeTree(t, passwdOnly, map[string]string{"etc/passwd": "root:x:0:0::/:/bin/sh\n", "usr/bin/sh": ""})
	// etc is a link out of the tree: it must not make the tree look like
	// an operating system.
	hostLink := filepath.Join(tmp, "host-link")
	writeTree(t, hostLink, map[string]string{"README": "x\n"})
	symlink(t, "/etc", filepath.Join(hostLink, "etc"))
	oci := writeLayout(t)

	tests := []struct {
		target   string
		wantKind Kind
		wantType string
		wantFile string // a file the root must read
	}{
		{target: rootfsDir(t), wantKind: RootFS, wantType: "*rootfs.DirRoot", wantFile: "etc/passwd"},
		{target: source, wantKind: Source, wantType: "*rootfs.DirRoot", wantFile: "k8s/pod.yaml"},
		{target: passwdOnly, wantKind: RootFS, wantType: "*rootfs.DirRoot", wantFile: "etc/passwd"},
		{target: hostLink, wantKind: Source, wantType: "*rootfs.DirRoot", wantFile: "README"},
		{target: tarball, wantKind: RootFS, wantType: "*rootfs.MemRoot", wantFile: "etc/shadow"},
		{target: srcTar, wantKind: Source, wantType: "*rootfs.MemRoot", wantFile: "app/Dockerfile"},
		{target: "oci:" + oci + ":v1", wantKind: RootFS, wantType: "*rootfs.MemRoot", wantFile: "etc/arch"},
		{target: "oci:" + oci + ":multi", wantKind: RootFS, wantType: "*rootfs.MemRoot", wantFile: "etc/arch"},
	}
	for _, tt := range tests {
		root, kind, err := Open(tt.target, Options{Keep: keepAll})
		if err != nil {
			t.Errorf("Open(%q) error = %v", tt.target, err)
			continue
		}
		if kind != tt.wantKind {
			t.Errorf("Open(%q) kind = %v, want %v", tt.target, kind, tt.wantKind)
		}
		if got := typeName(root); got != tt.wantType {
			t.Errorf("Open(%q) root = %s, want %s", tt.target, got, tt.wantType)
		}
		if _, err := root.ReadFile(tt.wantFile); err != nil {
			t.Errorf("Open(%q).ReadFile(%q) error = %v", tt.target, tt.wantFile, err)
		}
		if c, ok := root.(io.Closer); ok {
			c.Close()
		}
	}
}

func typeName(r Root) string {
	switch r.(type) {
	case *DirRoot:
		return "*rootfs.DirRoot"
	case *MemRoot:
		return "*rootfs.MemRoot"
	}
	return "unknown"
}

func TestOpenSourceSkipsGit(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", ".git/objects/x": "blob\n"})
	root, kind, err := Open(dir, Options{Keep: keepAll})
	if err != nil {
		t.Fatal(err)
	}
	defer root.(io.Closer).Close()
	if kind != Source {
		t.Fatalf("Open kind = %v, want source", kind)
	}
	if Exists(root, ".git/objects/x") {
		t.Error("a source tree lists .git/objects/x, want .git left out")
	}
	root2, _, err := Open(dir, Options{Kind: RootFS})
	if err != nil {
		t.Fatal(err)
	}
	defer root2.(io.Closer).Close()
	if !Exists(root2, ".git/objects/x") {
		t.Error("a tree opened as a rootfs leaves out .git/objects/x, want everything listed")
	}
}

func TestOpenLayoutDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "one")
	writeOneImage(t, dir)
	root, kind, err := Open(dir, Options{Keep: keepAll})
	if err != nil {
		t.Fatal(err)
	}
	if kind != RootFS {
		t.Errorf("Open(layout dir) kind = %v, want rootfs", kind)
	}
	if _, ok := root.(*MemRoot); !ok {
		t.Errorf("Open(layout dir) root = %s, want the flattened image", typeName(root))
	}
}

func TestOpenErrors(t *testing.T) {
	tmp := t.TempDir()
	corrupt := filepath.Join(tmp, "corrupt.tar")
	if err := os.WriteFile(corrupt, []byte(strings.Repeat("junk", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(tmp, "missing")
	tests := []struct {
		target       string
		wantNotFound bool
		wantErr      []string
	}{
		{target: missing, wantNotFound: true, wantErr: []string{missing}},
		{target: "oci:" + missing + ":v1", wantNotFound: true, wantErr: []string{missing}},
		{target: corrupt, wantErr: []string{corrupt, "invalid tar header"}},
		{target: "oci:" + tmp, wantErr: []string{tmp, "index.json"}},
		{target: "/dev/null", wantErr: []string{"/dev/null", "not a directory, tarball or OCI layout"}},
	}
	for _, tt := range tests {
		_, _, err := Open(tt.target, Options{Keep: keepAll})
		if got := errors.Is(err, pipeline.ErrNotFound); got != tt.wantNotFound {
			t.Errorf("Open(%q) error = %v; is ErrNotFound = %v, want %v", tt.target, err, got, tt.wantNotFound)
		}
		for _, w := range tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("Open(%q) error = %v, want one containing %q", tt.target, err, w)
			}
		}
	}
	if _, _, err := Open(tmp, Options{Kind: 7}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Open(kind 7) error = %v, want ErrInvalid", err)
	}
}

func TestDetectKind(t *testing.T) {
	tests := []struct {
		paths []string
		want  Kind
	}{
		{paths: []string{"etc/os-release"}, want: RootFS},
		{paths: []string{"usr/lib/os-release"}, want: RootFS},
		{paths: []string{"etc/passwd", "bin"}, want: RootFS},
		{paths: []string{"etc/passwd", "usr/bin"}, want: RootFS},
		{paths: []string{"etc/passwd"}, want: Source},
		{paths: []string{"bin", "usr/bin"}, want: Source},
		{paths: nil, want: Source},
	}
	for _, tt := range tests {
		set := map[string]bool{}
		for _, p := range tt.paths {
			set[p] = true
		}
		if got := DetectKind(func(p string) bool { return set[p] }); got != tt.want {
			t.Errorf("DetectKind(%q) = %v, want %v", tt.paths, got, tt.want)
		}
	}
}

func TestGlob(t *testing.T) {
	root := NewMemRoot([]Entry{
		{Path: "etc/ssh/sshd_config", Mode: 0o644},
		{Path: "etc/ssh/sshd_config.d/a.conf", Mode: 0o644},
		{Path: "etc/ssh/sshd_config.d/b.txt", Mode: 0o644},
		{Path: "etc/ssh-other", Mode: 0o644},
		{Path: "etc/sysctl.conf", Mode: 0o644},
		{Path: "usr/lib/sysctl.d/10-a.conf", Mode: 0o644},
		{Path: "a*b", Mode: 0o644},
	}, nil)
	tests := []struct {
		pattern string
		want    []string
	}{
		{pattern: "etc/ssh/sshd_config.d/*.conf", want: []string{"etc/ssh/sshd_config.d/a.conf"}},
		{pattern: "etc/ssh*", want: []string{"etc/ssh", "etc/ssh-other"}},
		{pattern: "etc/s?sctl.conf", want: []string{"etc/sysctl.conf"}},
		{pattern: "*/lib", want: []string{"usr/lib"}},
		{pattern: "[eu]*/sysctl*", want: []string{"etc/sysctl.conf"}},
		{pattern: `a\*b`, want: []string{"a*b"}},
		{pattern: "etc/sysctl.conf", want: []string{"etc/sysctl.conf"}},
		{pattern: "etc/missing", want: nil},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range Glob(root, tt.pattern) {
			got = append(got, e.Path)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Glob(%q) mismatch (-want +got):\n%s", tt.pattern, diff)
		}
	}
}
