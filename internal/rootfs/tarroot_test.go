package rootfs

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

// tarFile is one member of a test tarball.
type tarFile struct {
	name     string
	typ      byte
	mode     int64
	uid, gid int
	body     string
	link     string
	size     int64 // when body is empty: a file of this many zero bytes
}

func buildTar(t testing.TB, files []tarFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Typeflag: f.typ, Mode: f.mode, Uid: f.uid, Gid: f.gid, Linkname: f.link}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(f.body))
			if f.body == "" {
				hdr.Size = f.size
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Size > 0 {
			data := []byte(f.body)
			if f.body == "" {
				data = make([]byte, f.size)
			}
			if _, err := tw.Write(data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// rootfsTar is a small root filesystem exercising every kind of member.
func rootfsTar(t testing.TB) []byte {
	return buildTar(t, []tarFile{
		{name: "./", typ: tar.TypeDir, mode: 0o755},
		{name: "./etc/", typ: tar.TypeDir, mode: 0o755},
		{name: "./etc/passwd", mode: 0o644, body: "root:x:0:0:root:/root:/bin/bash\n"},
		{name: "./etc/shadow", mode: 0o640, gid: 42, body: "root:*:19000:0:99999:7:::\n"},
		{name: "./etc/os-release", typ: tar.TypeSymlink, mode: 0o777, link: "../usr/lib/os-release"},
		{name: "./etc/ssh/sshd_config", mode: 0o600, body: "PermitRootLogin no\n"},
		{name: "./etc/ssh/.wh.ssh_config", mode: 0o600},
		{name: "./etc/ssh/sshd_config.hard", typ: tar.TypeLink, link: "./etc/ssh/sshd_config"},
		{name: "usr/lib/os-release", mode: 0o644, body: "ID=debian\n"},
		{name: "/usr/bin/passwd", mode: 0o4755, body: "\x7fELF binary"},
		{name: "usr/bin/wall", mode: 0o2755, gid: 5, body: "\x7fELF"},
		{name: "tmp", typ: tar.TypeDir, mode: 0o1777},
		{name: "dev/null", typ: tar.TypeChar, mode: 0o666},
		{name: "dev/sda", typ: tar.TypeBlock, mode: 0o660, gid: 6},
		{name: "run/initctl", typ: tar.TypeFifo, mode: 0o600},
		{name: "usr/bin/etc-link", typ: tar.TypeLink, link: "etc/passwd"},
		{name: "usr/bin/sym-hard", typ: tar.TypeLink, link: "etc/os-release"},
		{name: "usr/bin/dir-hard", typ: tar.TypeLink, link: "./etc"},
		{name: "srv/app/Dockerfile", mode: 0o644, body: "FROM scratch\n"},
		{name: "srv/app/deploy.yaml", mode: 0o644, body: "kind: Pod\n"},
	})
}

func TestLoadTarEntries(t *testing.T) {
	root, err := LoadTar(bytes.NewReader(rootfsTar(t)), "rootfs.tar", keepAll)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Entry{
		"etc/passwd":                {Path: "etc/passwd", Mode: 0o644, Size: 32},
		"etc/shadow":                {Path: "etc/shadow", Mode: 0o640, GID: 42, Size: 26},
		"etc/os-release":            {Path: "etc/os-release", Mode: fs.ModeSymlink | 0o777, Link: "../usr/lib/os-release"},
		"etc/ssh/sshd_config.hard":  {Path: "etc/ssh/sshd_config.hard", Mode: 0o600, Size: 19},
		"usr/bin/passwd":            {Path: "usr/bin/passwd", Mode: fs.ModeSetuid | 0o755, Size: 11},
		"usr/bin/wall":              {Path: "usr/bin/wall", Mode: fs.ModeSetgid | 0o755, GID: 5, Size: 4},
		"tmp":                       {Path: "tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
		"dev/null":                  {Path: "dev/null", Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666},
		"dev/sda":                   {Path: "dev/sda", Mode: fs.ModeDevice | 0o660, GID: 6},
		"run/initctl":               {Path: "run/initctl", Mode: fs.ModeNamedPipe | 0o600},
		"usr/bin/etc-link":          {Path: "usr/bin/etc-link", Mode: 0o644, Size: 32},
		"run":                       {Path: "run", Mode: fs.ModeDir | 0o755},
		"usr/bin/sym-hard":          {Path: "usr/bin/sym-hard", Mode: fs.ModeSymlink | 0o777, Link: "../usr/lib/os-release"},
		"usr/bin/dir-hard":          {Path: "usr/bin/dir-hard", Mode: fs.ModeIrregular | 0o755},
		"etc/ssh/sshd_config":       {Path: "etc/ssh/sshd_config", Mode: 0o600, Size: 19},
		"srv/app/Dockerfile":        {Path: "srv/app/Dockerfile", Mode: 0o644, Size: 13},
		"usr/lib/os-release":        {Path: "usr/lib/os-release", Mode: 0o644, Size: 10},
		"srv/app/deploy.yaml":       {Path: "srv/app/deploy.yaml", Mode: 0o644, Size: 10},
		"etc":                       {Path: "etc", Mode: fs.ModeDir | 0o755},
		"etc/ssh":                   {Path: "etc/ssh", Mode: fs.ModeDir | 0o755},
		"usr":                       {Path: "usr", Mode: fs.ModeDir | 0o755},
		"usr/bin":                   {Path: "usr/bin", Mode: fs.ModeDir | 0o755},
		"usr/lib":                   {Path: "usr/lib", Mode: fs.ModeDir | 0o755},
		"dev":                       {Path: "dev", Mode: fs.ModeDir | 0o755},
		"srv":                       {Path: "srv", Mode: fs.ModeDir | 0o755},
		"srv/app":                   {Path: "srv/app", Mode: fs.ModeDir | 0o755},
		"etc/ssh/.wh.ssh_config":    {}, // whiteouts stay out of a rootfs
		"etc/ssh/ssh_config":        {},
		".":                         {},
		"":                          {},
		"./etc/passwd":              {Path: "etc/passwd", Mode: 0o644, Size: 32},
		"/usr/bin/passwd":           {Path: "usr/bin/passwd", Mode: fs.ModeSetuid | 0o755, Size: 11},
		"etc/ssh/sshd_config.hard/": {Path: "etc/ssh/sshd_config.hard", Mode: 0o600, Size: 19},
	}
	for p, w := range want {
		got, ok := root.Lookup(p)
		if ok != (w.Path != "") {
			t.Errorf("Lookup(%q) found = %v, want %v", p, ok, w.Path != "")
			continue
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", p, diff)
		}
	}
	if n := len(root.Entries()); n != 26 {
		t.Errorf("len(Entries()) = %d, want 26", n)
	}
}

func TestLoadTarContents(t *testing.T) {
	notBin := func(e Entry) bool { return !strings.HasPrefix(e.Path, "usr/bin/") }
	root, err := LoadTar(bytes.NewReader(rootfsTar(t)), "rootfs.tar", notBin)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		want    string
		wantErr string
	}{
		{path: "etc/passwd", want: "root:x:0:0:root:/root:/bin/bash\n"},
		{path: "etc/os-release", want: "ID=debian\n"},                    // symlink followed
		{path: "etc/ssh/sshd_config.hard", want: "PermitRootLogin no\n"}, // hard link shares contents
		{path: "usr/bin/etc-link", want: "root:x:0:0:root:/root:/bin/bash\n"},
		{path: "srv/app/Dockerfile", want: "FROM scratch\n"},
		{path: "srv/app/deploy.yaml", want: "kind: Pod\n"},
		{path: "usr/bin/passwd", wantErr: "contents not loaded"},
		{path: "etc/ssh", wantErr: "not a regular file"},
		{path: "etc/missing", wantErr: "file does not exist"},
	}
	for _, tt := range tests {
		got, err := root.ReadFile(tt.path)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ReadFile(%q) error = %v, want one containing %q", tt.path, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("ReadFile(%q) = %q, %v, want %q", tt.path, got, err, tt.want)
		}
	}
}

func TestLoadTarCompressed(t *testing.T) {
	plain := rootfsTar(t)
	tests := []struct {
		name string
		data []byte
	}{
		{name: "plain", data: plain},
		{name: "gzip", data: gzipBytes(t, plain)},
		{name: "zstd", data: zstdBytes(t, plain)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "rootfs.tar")
			if err := os.WriteFile(file, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, load := range []func() (*MemRoot, error){
				func() (*MemRoot, error) { return OpenTar(file, keepAll) },
				func() (*MemRoot, error) { return LoadTar(bytes.NewReader(tt.data), file, keepAll) },
			} {
				root, err := load()
				if err != nil {
					t.Fatal(err)
				}
				got, err := root.ReadFile("etc/shadow")
				if err != nil || string(got) != "root:*:19000:0:99999:7:::\n" {
					t.Errorf("ReadFile(etc/shadow) = %q, %v", got, err)
				}
				if e, _ := root.Lookup("usr/bin/passwd"); e.Mode&fs.ModeSetuid == 0 {
					t.Errorf("Lookup(usr/bin/passwd).Mode = %v, want setuid", e.Mode)
				}
			}
		})
	}
}

func TestLoadTarKeep(t *testing.T) {
	keep := func(e Entry) bool { return strings.HasPrefix(e.Path, "etc/") && e.Size < 100 }
	root, err := LoadTar(bytes.NewReader(buildTar(t, []tarFile{
		{name: "etc/big.conf", mode: 0o644, size: 100},
		{name: "etc/small.conf", mode: 0o644, body: "x=1\n"},
		{name: "usr/share/a", mode: 0o644, body: "a\n"},
		{name: "usr/share/b", mode: 0o644, body: "b\n"},
		{name: "etc/b", typ: tar.TypeLink, link: "usr/share/b"},
	})), "keep.tar", keep)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		kept bool
	}{
		{path: "etc/big.conf", kept: false},
		{path: "etc/small.conf", kept: true},
		{path: "usr/share/a", kept: false},
		{path: "etc/b", kept: false}, // its contents were read past before the link came
	}
	for _, tt := range tests {
		_, err := root.ReadFile(tt.path)
		if kept := err == nil; kept != tt.kept {
			t.Errorf("ReadFile(%q) error = %v, want kept = %v", tt.path, err, tt.kept)
		}
	}
	if _, ok := root.Lookup("usr/share/a"); !ok {
		t.Error("Lookup(usr/share/a) = false: a file whose contents are not kept must still be listed")
	}
}

// TestLoadTarLinkBeforeTarget: a flattened image lists an upper layer's
// hard link before the lower layer's file it names.
func TestLoadTarLinkBeforeTarget(t *testing.T) {
	root, err := LoadTar(bytes.NewReader(buildTar(t, []tarFile{
		{name: "etc/alt", typ: tar.TypeLink, link: "usr/share/base.conf"},
		{name: "etc/gone", typ: tar.TypeLink, link: "nowhere"},
		{name: "usr/share/base.conf", mode: 0o640, uid: 3, body: "base\n"},
	})), "links.tar", keepAll)
	if err != nil {
		t.Fatal(err)
	}
	got, err := root.ReadFile("etc/alt")
	if err != nil || string(got) != "base\n" {
		t.Errorf("ReadFile(etc/alt) = %q, %v, want %q", got, err, "base\n")
	}
	if e, _ := root.Lookup("etc/alt"); e.Mode != 0o640 || e.UID != 3 {
		t.Errorf("Lookup(etc/alt) = %+v, want the target's mode and owner", e)
	}
	if e, _ := root.Lookup("etc/gone"); e.Mode&fs.ModeIrregular == 0 {
		t.Errorf("Lookup(etc/gone).Mode = %v, want irregular (dangling hard link)", e.Mode)
	}
	if _, err := root.ReadFile("etc/gone"); err == nil {
		t.Error("ReadFile(etc/gone) succeeded, want an error for a dangling hard link")
	}
}

func TestLoadTarReplaced(t *testing.T) {
	root, err := LoadTar(bytes.NewReader(buildTar(t, []tarFile{
		{name: "etc/motd", mode: 0o644, body: "first\n"},
		{name: "etc/motd", typ: tar.TypeSymlink, link: "/etc/issue"},
		{name: "etc/issue", mode: 0o644, body: "Debian\n"},
	})), "replaced.tar", keepAll)
	if err != nil {
		t.Fatal(err)
	}
	got, err := root.ReadFile("etc/motd")
	if err != nil || string(got) != "Debian\n" {
		t.Errorf("ReadFile(etc/motd) = %q, %v, want the later symlink followed", got, err)
	}
}

func TestLoadTarErrors(t *testing.T) {
	good := rootfsTar(t)
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{name: "empty", data: nil, wantErr: "tarball bad.tar: no entries"},
		{name: "text", data: bytes.Repeat([]byte("not a tarball\n"), 100), wantErr: "tarball bad.tar: first entry: archive/tar: invalid tar header"},
		{name: "truncated", data: good[:1000], wantErr: "tarball bad.tar: entry after"},
		{name: "truncated gzip", data: gzipBytes(t, good)[:200], wantErr: "tarball bad.tar"},
		{name: "corrupt gzip", data: append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, bytes.Repeat([]byte{0xff}, 600)...), wantErr: "tarball bad.tar"},
		{name: "gzip checksum", data: badChecksum(gzipBytes(t, good)), wantErr: "tarball bad.tar: after the last entry: gzip: invalid checksum"},
		{name: "xz", data: []byte{0xfd, '7', 'z', 'X', 'Z', 0, 0, 0, 0, 0, 0, 0}, wantErr: "tarball bad.tar: xz compression is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.tar")
			if err := os.WriteFile(file, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadTar(bytes.NewReader(tt.data), "bad.tar", keepAll)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadTar(%s) error = %v, want one containing %q", tt.name, err, tt.wantErr)
			}
			_, err = OpenTar(file, keepAll)
			if err == nil || !strings.Contains(err.Error(), file) {
				t.Errorf("OpenTar(%s) error = %v, want one naming %s", tt.name, err, file)
			}
		})
	}
	if _, err := OpenTar(filepath.Join(t.TempDir(), "missing.tar"), keepAll); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenTar(missing) error = %v, want fs.ErrNotExist", err)
	}
}

// badChecksum flips the CRC-32 at the end of a gzip stream.
func badChecksum(gz []byte) []byte {
	b := bytes.Clone(gz)
	b[len(b)-8] ^= 0xff
	return b
}

func TestCleanPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "./etc/x", want: "etc/x"},
		{in: "/etc/x", want: "etc/x"},
		{in: "etc//x/", want: "etc/x"},
		{in: ".", want: ""},
		{in: "./", want: ""},
		{in: "../../etc/x", want: "etc/x"},
		{in: "a/../b", want: "b"},
	}
	for _, tt := range tests {
		if got := cleanPath(tt.in); got != tt.want {
			t.Errorf("cleanPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzTarRoot(f *testing.F) {
	f.Add(rootfsTar(f))
	f.Add(gzipBytes(f, rootfsTar(f)))
	f.Add(zstdBytes(f, buildTar(f, []tarFile{{name: "etc/a", typ: tar.TypeLink, link: "etc/a"}})))
	f.Add(buildTar(f, []tarFile{{name: "x", typ: tar.TypeLink, link: "y"}, {name: "y", typ: tar.TypeDir}}))
	f.Add([]byte{})
	f.Add([]byte("BZh91AY&SY junk"))
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := LoadTar(bytes.NewReader(data), "fuzz.tar", keepAll)
		if err != nil {
			return
		}
		for _, e := range root.Entries() {
			if e.Path == "" || cleanPath(e.Path) != e.Path {
				t.Fatalf("entry path %q is not clean", e.Path)
			}
			_, _ = root.ReadFile(e.Path)
			_, _ = Resolve(root, e.Path)
		}
	})
}

// keepAll keeps the contents of every file.
func keepAll(Entry) bool { return true }
