package version

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectorFiles names the ecosystems whose rules the vector files with a
// name prefix describe. The first ecosystem is the file's own; the others
// share its rules and are checked against the same vectors.
type vectorFiles struct {
	prefix     string
	ecosystems []string
}

// vectorEcosystems maps every vector file name prefix to its ecosystems.
func vectorEcosystems() []vectorFiles {
	return []vectorFiles{
		{prefix: "alpine-", ecosystems: []string{"Alpine", "Wolfi:rolling"}},
		{prefix: "cran-", ecosystems: []string{"CRAN"}},
		{prefix: "debian-", ecosystems: []string{"Debian", "Ubuntu:22.04:LTS"}},
		{prefix: "hackage-", ecosystems: []string{"Hackage"}},
		{prefix: "maven-", ecosystems: []string{"Maven"}},
		{prefix: "nuget-", ecosystems: []string{"NuGet"}},
		{prefix: "packagist-", ecosystems: []string{"Packagist"}},
		{prefix: "pub-", ecosystems: []string{"Pub"}},
		{prefix: "pypi-", ecosystems: []string{"PyPI"}},
		{prefix: "redhat-", ecosystems: []string{"Red Hat", "AlmaLinux:9", "Rocky Linux:9", "openSUSE:Leap 15.5", "SUSE:Linux Enterprise Server 15 SP5", "Mageia:9"}},
		{prefix: "rubygems-", ecosystems: []string{"RubyGems"}},
		{prefix: "semver-", ecosystems: []string{"npm", "crates.io", "Go", "Hex"}},
	}
}

// vector is one line of a vector file: A OP B.
type vector struct {
	line int
	a, b string
	want int
}

// vectorDir finds ../shared/data/version-vectors beside the repository
// root (the directory holding go.mod, walking up from the package). It skips
// the test when the vectors are absent, and fails it when CI is set.
func vectorDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			dir = ""
			break
		}
		dir = parent
	}
	missing := "no go.mod above the package directory"
	if dir != "" {
		vectors := filepath.Join(filepath.Dir(dir), "shared", "data", "version-vectors")
		_, err := os.Stat(vectors)
		if err == nil {
			return vectors
		}
		missing = err.Error()
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("version vectors missing under CI: %s", missing)
	}
	t.Skipf("version vectors not present (%s); they live in ../shared/data/version-vectors beside the repository", missing)
	return ""
}

// readVectors parses a vector file: one "A OP B" per line with OP one of
// < = >; blank lines and lines starting "# " or "// " are comments.
func readVectors(path string) ([]vector, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "// ") {
			continue
		}
		fields := strings.Split(line, " ")
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"A OP B\", got %q", path, n, line)
		}
		want := strings.Index("<=>", fields[1]) - 1
		if len(fields[1]) != 1 || want < -1 {
			return nil, fmt.Errorf("%s:%d: operator %q, want <, = or >", path, n, fields[1])
		}
		out = append(out, vector{line: n, a: fields[0], b: fields[2], want: want})
	}
	return out, sc.Err()
}

// ecosystemsFor maps a vector file to its ecosystems by name.
func ecosystemsFor(name string) []string {
	for _, e := range vectorEcosystems() {
		if strings.HasPrefix(name, e.prefix) {
			return e.ecosystems
		}
	}
	return nil
}

// TestVectors holds Compare to every vector of every file, both ways round.
func TestVectors(t *testing.T) {
	dir := vectorDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, path := range files {
		name := filepath.Base(path)
		if name == "SOURCE.txt" {
			continue
		}
		ecosystems := ecosystemsFor(name)
		if ecosystems == nil {
			t.Errorf("%s: no ecosystem for this vector file", name)
			continue
		}
		vectors, err := readVectors(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(vectors) == 0 {
			t.Errorf("%s: no vectors", name)
		}
		total += len(vectors)
		for _, eco := range ecosystems {
			failed := checkVectors(t, eco, name, vectors)
			t.Logf("%s as %s: %d vectors, %d failed", name, eco, len(vectors), failed)
		}
	}
	t.Logf("%d vectors in %d files", total, len(files)-1)
}

// checkVectors checks vectors under one ecosystem and returns how many
// failed; it reports at most 20 failures per file in full.
func checkVectors(t *testing.T, eco, name string, vectors []vector) int {
	t.Helper()
	failed := 0
	for _, vec := range vectors {
		got, err := Compare(eco, vec.a, vec.b)
		rev, rerr := Compare(eco, vec.b, vec.a)
		if err == nil && rerr == nil && got == vec.want && rev == -vec.want {
			continue
		}
		failed++
		if failed <= 20 {
			t.Errorf("%s:%d %s: Compare(%q, %q) = %d, %v; reversed %d, %v; want %d",
				name, vec.line, eco, vec.a, vec.b, got, err, rev, rerr, vec.want)
		}
	}
	return failed
}
