package kernel

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// sysctlConf is read after every sysctl.d file, as sysctl --system does.
const sysctlConf = "etc/sysctl.conf"

// sysctlDirs are searched in this order; a file name found in an earlier
// directory hides the same name in later ones (sysctl.d(5)).
func sysctlDirs() []string {
	return []string{"etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d", "lib/sysctl.d"}
}

// assignment is one line of a sysctl configuration file.
type assignment struct {
	// Key is in dotted form ("net.ipv4.ip_forward"); a name written with
	// slashes is converted as sysctl.d(5) describes.
	Key   string
	Value string
	Path  string
	Line  int
	// Glob marks keys with wildcards, which apply to every matching key
	// that no explicit assignment sets.
	Glob bool
	// Exclude marks "-key" lines without a value: the key is kept out of
	// glob assignments.
	Exclude bool
}

// where formats the assignment's location.
func (a assignment) where() string { return fmt.Sprintf("%s:%d", a.Path, a.Line) }

// parseSysctl parses one sysctl.d(5) file: "key = value" lines; '#' and
// ';' start comment lines; a leading '-' on the key means "ignore
// errors", or, without a value, excludes the key from globs.
func parseSysctl(name string, data []byte) []assignment {
	var out []assignment
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		key, val, hasValue := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		ignoreErrors := strings.HasPrefix(key, "-")
		key = normalizeKey(strings.TrimSpace(strings.TrimPrefix(key, "-")))
		if key == "" {
			continue
		}
		a := assignment{Key: key, Value: strings.TrimSpace(val), Path: name, Line: i + 1,
			Glob: strings.ContainsAny(key, "*?[")}
		if !hasValue {
			if !ignoreErrors {
				continue
			}
			a.Exclude = true
		}
		out = append(out, a)
	}
	return out
}

// normalizeKey returns the dotted form of a sysctl name: when the first
// separator is a slash, slashes and dots are interchanged.
func normalizeKey(k string) string {
	i := strings.IndexAny(k, "./")
	if i < 0 || k[i] == '.' {
		return k
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, strings.Trim(k, "/"))
}

// sysctlState is every assignment of an image, in the order they apply.
type sysctlState struct {
	Assignments []assignment
	// Files lists the files read, in order.
	Files []string
}

// loadSysctl reads the sysctl configuration of r: the *.conf files of the
// sysctl.d directories (one per name, the earliest directory winning),
// sorted by file name, then etc/sysctl.conf unless a sysctl.d link
// already read it. A file linked to /dev/null masks its name.
func loadSysctl(r rootfs.Root) (*sysctlState, error) {
	byName := map[string]string{}
	for _, dir := range sysctlDirs() {
		real, err := rootfs.Resolve(r, dir)
		if err != nil {
			continue
		}
		for _, e := range rootfs.Dir(r, real) {
			name := path.Base(e.Path)
			if _, seen := byName[name]; !seen && strings.HasSuffix(name, ".conf") {
				byName[name] = dir + "/" + name
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	files := make([]string, 0, len(names)+1)
	for _, n := range names {
		files = append(files, byName[n])
	}
	st := &sysctlState{}
	read := map[string]bool{}
	for _, f := range append(files, sysctlConf) {
		real, err := rootfs.Resolve(r, f)
		if err != nil || read[real] {
			continue
		}
		read[real] = true
		e, ok := r.Lookup(real)
		if !ok || !e.Mode.IsRegular() {
			continue
		}
		data, err := r.ReadFile(real)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", real, err)
		}
		st.Files = append(st.Files, real)
		st.Assignments = append(st.Assignments, parseSysctl(real, data)...)
	}
	return st, nil
}

// lookup returns the assignment that decides key: the last explicit one,
// else the last glob that matches and does not exclude key, as
// systemd-sysctl applies them.
func (st *sysctlState) lookup(key string) (assignment, bool) {
	var explicit, glob *assignment
	excluded := false
	for i, a := range st.Assignments {
		switch {
		case a.Exclude:
			if ok, _ := path.Match(a.Key, key); ok || a.Key == key {
				excluded = true
			}
		case !a.Glob && a.Key == key:
			explicit = &st.Assignments[i]
		case a.Glob:
			if ok, _ := path.Match(a.Key, key); ok {
				glob = &st.Assignments[i]
			}
		}
	}
	if explicit != nil {
		return *explicit, true
	}
	if glob != nil && !excluded {
		return *glob, true
	}
	return assignment{}, false
}
