package secrets

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// zipBytes builds a zip archive of files (name to content), sorted by name.
func zipBytes(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range sortedNames(files) {
		f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarBytes builds a tar archive of files, sorted by name.
func tarBytes(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, name := range sortedNames(files) {
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzipBytes compresses data, recording name in the header when set.
func gzipBytes(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Name = name
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sortedNames(files map[string]string) []string {
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// archiveTree builds a tree with archives nested in several ways.
func archiveTree(t *testing.T) string {
	t.Helper()
	root := writeTree(t, map[string]string{"ok.txt": "t = " + testToken(50) + "\n"})
	inner := zipBytes(t, map[string]string{"cfg/app.env": "A=1\nTOKEN=" + testToken(51) + "\n", "cfg/": ""})
	outer := tarBytes(t, map[string]string{"docs/readme.txt": "see " + testToken(52) + "\n", "inner.zip": string(inner)})
	writeFile(t, filepath.Join(root, "outer.tar.gz"), gzipBytes(t, "", outer))
	writeFile(t, filepath.Join(root, "data.bin"), zipBytes(t, map[string]string{"a.txt": testToken(53)}))
	writeFile(t, filepath.Join(root, "logs/app.log.gz"), gzipBytes(t, "", []byte("line\nline "+testToken(54)+"\n")))
	writeFile(t, filepath.Join(root, "plain.tar"), tarBytes(t, map[string]string{"./x/../y.txt": "\n" + testToken(55)}))
	return root
}

func TestArchives(t *testing.T) {
	root := archiveTree(t)
	tests := []struct {
		depth int
		want  []string
	}{
		{depth: 0, want: []string{
			"test-token data.bin!a.txt:1:1",
			"test-token logs/app.log.gz!app.log:2:6",
			"test-token ok.txt:1:5",
			"test-token outer.tar.gz!docs/readme.txt:1:5",
			"test-token outer.tar.gz!inner.zip!cfg/app.env:2:7",
			"test-token plain.tar!y.txt:2:1",
		}},
		{depth: 1, want: []string{
			"test-token data.bin!a.txt:1:1",
			"test-token logs/app.log.gz!app.log:2:6",
			"test-token ok.txt:1:5",
			"test-token outer.tar.gz!docs/readme.txt:1:5",
			"test-token plain.tar!y.txt:2:1",
		}},
		{depth: -1, want: []string{"test-token ok.txt:1:5"}},
	}
	for _, tt := range tests {
		s, _ := newScanner(t, Config{MaxArchiveDepth: tt.depth})
		if diff := cmp.Diff(tt.want, where(scanAll(t, s, root))); diff != "" {
			t.Errorf("MaxArchiveDepth %d: findings (-want +got):\n%s", tt.depth, diff)
		}
	}
}

func TestArchiveCorrupt(t *testing.T) {
	root := writeTree(t, map[string]string{"ok.txt": testToken(60)})
	good := gzipBytes(t, "", tarBytes(t, map[string]string{
		"a.txt": testToken(61),
		"b.txt": strings.Repeat(fake(62, lowerDigits, 64)+"\n", 2000) + testToken(63),
	}))
	writeFile(t, filepath.Join(root, "cut.tgz"), good[:len(good)/2])
	writeFile(t, filepath.Join(root, "junk.zip"), []byte("PK\x03\x04 this is not really a zip archive"))
	writeFile(t, filepath.Join(root, "junk.gz"), []byte("\x1f\x8b\x08 broken gzip header"))
	s, log := newScanner(t, Config{})
	got := where(scanAll(t, s, root))
	want := []string{"test-token cut.tgz!a.txt:1:1", "test-token ok.txt:1:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	for _, name := range []string{"cut.tgz", "junk.zip", "junk.gz"} {
		if !strings.Contains(log.String(), "corrupt archive") || !strings.Contains(log.String(), name) {
			t.Errorf("log %q does not warn about %s", log.String(), name)
		}
	}
}

func TestArchiveLimits(t *testing.T) {
	big := strings.Repeat("all work and no play\n", 200_000) + testToken(70) + "\n"
	many := map[string]string{}
	for i := range 30 {
		many[fmt.Sprintf("m%02d.txt", i)] = testToken(uint64(100 + i))
	}
	root := writeTree(t, map[string]string{"ok.txt": testToken(71)})
	writeFile(t, filepath.Join(root, "bomb.gz"), gzipBytes(t, "bomb", []byte(big)))
	writeFile(t, filepath.Join(root, "many.zip"), zipBytes(t, many))
	s, log := newScanner(t, Config{MaxArchiveBytes: 1 << 20, MaxArchiveMembers: 10})
	fs := scanAll(t, s, root)
	var fromMany int
	for _, f := range fs {
		switch {
		case strings.HasPrefix(f.Location.Path, "bomb.gz"):
			t.Errorf("found %s beyond the size limit", f.Location)
		case strings.HasPrefix(f.Location.Path, "many.zip"):
			fromMany++
		}
	}
	if fromMany != 10 {
		t.Errorf("found %d secrets in many.zip, want the 10 members within the limit", fromMany)
	}
	if !slices.Contains(where(fs), "test-token ok.txt:1:1") {
		t.Errorf("findings %v miss ok.txt", where(fs))
	}
	for _, want := range []string{"bomb.gz", "many.zip", "limit"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log %q does not mention %q", log.String(), want)
		}
	}
}

// TestNestedZipSpooled covers a zip inside a tar that is too large for one
// chunk: it is spooled to a temporary file for random access.
func TestNestedZipSpooled(t *testing.T) {
	var body strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&body, "line %d %s\n", i, fake(uint64(i), lowerDigits, 30))
	}
	body.WriteString("x " + testToken(80) + "\n")
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.CreateHeader(&zip.FileHeader{Name: "big.txt", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(body.String()))
	w.Close()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "t.tar"), tarBytes(t, map[string]string{"big.zip": buf.String()}))
	s, _ := newScanner(t, Config{MaxFileSize: 16 << 10})
	got := where(scanAll(t, s, root))
	if want := []string{"test-token t.tar!big.zip!big.txt:3001:3"}; !slices.Equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		head   string
		kind   archiveKind
		binary bool
	}{
		{head: "PK\x03\x04rest", kind: zipArchive},
		{head: "\x1f\x8b\x08\x00", kind: gzipArchive},
		{head: strings.Repeat("x", 257) + "ustar\x0000", kind: tarArchive},
		{head: "\x7fELF\x02", binary: true},
		{head: "\x89PNG\r\n\x1a\nabc", binary: true},
		{head: "%PDF-1.7\n", binary: true},
		{head: "BZh91AY&SYabc", binary: true},
		{head: "BZh is not bzip2", binary: false},
		{head: "plain text\n", binary: false},
		{head: "text with a \x00 NUL", binary: true},
	}
	for _, tt := range tests {
		if got := sniffArchive([]byte(tt.head)); got != tt.kind {
			t.Errorf("sniffArchive(%q) = %v, want %v", tt.head, got, tt.kind)
		}
		if tt.kind == notArchive {
			if got := isBinary([]byte(tt.head)); got != tt.binary {
				t.Errorf("isBinary(%q) = %v, want %v", tt.head, got, tt.binary)
			}
		}
	}
}

// FuzzScanContent feeds arbitrary bytes to the content scanner, which
// opens archives by their magic bytes: corrupt or hostile archives must
// neither panic nor escape the budgets.
func FuzzScanContent(f *testing.F) {
	f.Add(zipBytes(f, map[string]string{"a.txt": testToken(1), "b/c.zip": string(zipBytes(f, map[string]string{"d": testToken(2)}))}))
	f.Add(gzipBytes(f, "x", tarBytes(f, map[string]string{"x/y": "k " + testToken(3)})))
	f.Add(gzipBytes(f, "", []byte("plain "+testToken(4))))
	f.Add([]byte("text " + testToken(5) + "\n"))
	s, err := New(Config{Rules: engineRules(), MaxArchiveBytes: 1 << 20, MaxArchiveMembers: 50, MaxFileSize: 1 << 10})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		c := content{r: r, ra: bytes.NewReader(data), size: int64(len(data)), path: "f", arc: s.newArchiveBudget()}
		fs, _ := s.scanContent(context.Background(), c, nil)
		for _, fd := range fs {
			if !strings.HasPrefix(fd.Location.Path, "f") || fd.Location.Line < 1 {
				t.Errorf("finding at %s", fd.Location)
			}
		}
		if c.arc.left < 0 || c.arc.members < -1 {
			t.Errorf("budget overdrawn: %+v", *c.arc)
		}
	})
}
