// Package configtest loads root-filesystem fixtures for configuration
// checks and holds every check to its passing and failing fixture.
//
// A fixture is a txtar archive: each file section is a regular file
// (mode 0644, owned by root) with its contents; the comment before the
// first section may adjust metadata, one directive a line:
//
//	mode PATH MODE [UID GID]   set the mode (octal, e.g. 4755 or 1777) and owner
//	dir PATH MODE [UID GID]    a directory
//	symlink PATH TARGET        a symbolic link
//	empty PATH MODE [UID GID]  a regular file without contents (a binary)
//
// Lines starting with '#' and blank lines are comments.
package configtest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// ParseFixture parses a fixture; errors name the fixture and line.
func ParseFixture(name string, data []byte) (*rootfs.MemRoot, error) {
	ar := txtar.Parse(data)
	var entries []rootfs.Entry
	contents := map[string][]byte{}
	for _, f := range ar.Files {
		p := strings.Trim(f.Name, "/")
		entries = append(entries, rootfs.Entry{Path: p, Mode: 0o644, Size: int64(len(f.Data))})
		contents[p] = f.Data
	}
	for i, line := range strings.Split(string(ar.Comment), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := directive(strings.Fields(line), entries)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
		entries = append(entries, e)
	}
	return rootfs.NewMemRoot(entries, contents), nil
}

// directive turns one metadata line into an entry; for "mode" it starts
// from the file's existing entry.
func directive(f []string, existing []rootfs.Entry) (rootfs.Entry, error) {
	if len(f) < 3 {
		return rootfs.Entry{}, fmt.Errorf("directive %q: want KIND PATH ARG", strings.Join(f, " "))
	}
	e := rootfs.Entry{Path: strings.Trim(f[1], "/")}
	switch f[0] {
	case "symlink":
		e.Mode, e.Link = fs.ModeSymlink|0o777, f[2]
		return e, nil
	case "mode":
		for _, x := range existing {
			if x.Path == e.Path {
				e = x
			}
		}
	case "dir":
		e.Mode = fs.ModeDir
	case "empty":
	default:
		return e, fmt.Errorf("unknown directive %q (want mode, dir, symlink or empty)", f[0])
	}
	perm, err := strconv.ParseUint(f[2], 8, 32)
	if err != nil || perm > 0o7777 {
		return e, fmt.Errorf("mode %q: want octal like 0644 or 4755", f[2])
	}
	e.Mode = e.Mode&fs.ModeType | fs.FileMode(perm&0o777)
	if perm&0o4000 != 0 {
		e.Mode |= fs.ModeSetuid
	}
	if perm&0o2000 != 0 {
		e.Mode |= fs.ModeSetgid
	}
	if perm&0o1000 != 0 {
		e.Mode |= fs.ModeSticky
	}
	if len(f) >= 5 {
		if e.UID, err = strconv.Atoi(f[3]); err != nil {
			return e, fmt.Errorf("uid %q: %w", f[3], err)
		}
		if e.GID, err = strconv.Atoi(f[4]); err != nil {
			return e, fmt.Errorf("gid %q: %w", f[4], err)
		}
	}
	return e, nil
}

// LoadRoot reads and parses a fixture file, failing the test on error.
func LoadRoot(t testing.TB, file string) *rootfs.MemRoot {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseFixture(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// CheckFixtures holds every check to its fixtures under dir:
// dir/ID/pass.txtar must yield at least one Pass and no Fail or
// Undetermined; dir/ID/fail.txtar at least one Fail, each naming a path;
// an optional dir/ID/undetermined.txtar at least one Undetermined. Every
// check must have both required fixtures and every fixture folder a check.
func CheckFixtures(t *testing.T, checks []config.Check, dir string) {
	t.Helper()
	ids := map[string]bool{}
	for _, c := range checks {
		if err := c.Validate(); err != nil {
			t.Error(err)
			continue
		}
		if ids[c.ID] {
			t.Errorf("check %s is registered twice", c.ID)
		}
		ids[c.ID] = true
		t.Run(c.ID, func(t *testing.T) { checkOne(t, c, filepath.Join(dir, c.ID)) })
	}
	folders, _ := os.ReadDir(dir)
	for _, f := range folders {
		// testdata/fuzz holds the fuzzer's corpus, not fixtures.
		if f.IsDir() && f.Name() != "fuzz" && !ids[f.Name()] {
			t.Errorf("fixtures %s belong to no check", filepath.Join(dir, f.Name()))
		}
	}
}

func checkOne(t *testing.T, c config.Check, dir string) {
	want := map[string]config.Status{"pass.txtar": config.Pass, "fail.txtar": config.Fail, "undetermined.txtar": config.Undetermined}
	for _, name := range []string{"pass.txtar", "fail.txtar", "undetermined.txtar"} {
		file := filepath.Join(dir, name)
		if _, err := os.Stat(file); err != nil {
			if name != "undetermined.txtar" {
				t.Errorf("check %s has no %s", c.ID, file)
			}
			continue
		}
		rs, err := c.Run(context.Background(), LoadRoot(t, file))
		if err != nil {
			t.Errorf("%s on %s: %v", c.ID, file, err)
			continue
		}
		got := count(rs)
		switch w := want[name]; {
		case w == config.Pass && (got[config.Pass] == 0 || got[config.Fail]+got[config.Undetermined] > 0):
			t.Errorf("%s on %s = %s, want passes only", c.ID, file, describe(rs))
		case w != config.Pass && got[w] == 0:
			t.Errorf("%s on %s = %s, want a %s", c.ID, file, describe(rs), w)
		}
		for _, r := range rs {
			if r.Status == config.Fail && r.Path == "" {
				t.Errorf("%s on %s: a failure must name the file that decided it: %+v", c.ID, file, r)
			}
		}
	}
}

func count(rs []config.Result) map[config.Status]int {
	m := map[config.Status]int{}
	for _, r := range rs {
		m[r.Status]++
	}
	return m
}

func describe(rs []config.Result) string {
	if len(rs) == 0 {
		return "no results"
	}
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s %s:%d %q", r.Status, r.Path, r.Line, r.Message))
	}
	return strings.Join(parts, "; ")
}

// Problems runs every check over r and describes each failed and
// undetermined result as "check status path:line", sorted: what a
// real-world fixture test pins.
func Problems(t testing.TB, checks []config.Check, r rootfs.Root) []string {
	t.Helper()
	got := []string{}
	for _, c := range checks {
		rs, err := c.Run(context.Background(), r)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		for _, res := range rs {
			if res.Status == config.Fail || res.Status == config.Undetermined {
				got = append(got, fmt.Sprintf("%s %s %s:%d", c.ID, res.Status, res.Path, res.Line))
			}
		}
	}
	sort.Strings(got)
	return got
}

// Root parses fixture text (the txtar format above) into a root, failing
// the test on error; for tests that write their fixture inline.
func Root(t testing.TB, fixture string) *rootfs.MemRoot {
	t.Helper()
	r, err := ParseFixture(t.Name(), []byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
