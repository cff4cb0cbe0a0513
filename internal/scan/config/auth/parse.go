package auth

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// value is one setting read from a file, with where it was read.
type value struct {
	Value string
	Path  string
	Line  int
}

// where formats the value's location: "etc/login.defs:160".
func (v value) where() string { return fmt.Sprintf("%s:%d", v.Path, v.Line) }

// settings maps names to values; later lines replace earlier ones.
type settings map[string]value

// parseLoginDefs parses login.defs(5) as shadow-utils does: "NAME VALUE"
// lines, '#' comment lines, values optionally in double quotes; the last
// line for a name wins.
func parseLoginDefs(name string, data []byte) settings {
	s := settings{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		s[f[0]] = value{Value: strings.Trim(f[1], `"`), Path: name, Line: i + 1}
	}
	return s
}

// parseKeyValues parses the "name = value" files of pwquality.conf(5),
// faillock.conf(5) and /etc/default/useradd: a name, optional white space
// and '=', then the value; '#' starts a comment. A name without a value
// (a flag such as enforce_for_root) gets an empty value.
func parseKeyValues(name string, data []byte, into settings) {
	for i, line := range strings.Split(string(data), "\n") {
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		end := strings.IndexAny(line, " \t=")
		if end < 0 {
			into[line] = value{Path: name, Line: i + 1}
			continue
		}
		if end == 0 {
			continue // no name: pwquality and faillock reject the line
		}
		v := strings.TrimSpace(line[end:])
		v = strings.TrimSpace(strings.TrimPrefix(v, "="))
		into[line[:end]] = value{Value: strings.Trim(v, `"'`), Path: name, Line: i + 1}
	}
}

// readOptional reads p from r. A path that does not resolve to a regular
// file (missing, a dangling link, a directory) is (nil, false, nil).
func readOptional(r rootfs.Root, p string) ([]byte, bool, error) {
	real, err := rootfs.Resolve(r, p)
	if err != nil {
		return nil, false, nil
	}
	if e, ok := r.Lookup(real); !ok || !e.Mode.IsRegular() {
		return nil, false, nil
	}
	data, err := r.ReadFile(real)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	return data, true, nil
}

// loadKeyValues parses file into into when it exists; ok reports whether
// it does.
func loadKeyValues(r rootfs.Root, file string, into settings) (bool, error) {
	data, ok, err := readOptional(r, file)
	if ok {
		parseKeyValues(file, data, into)
	}
	return ok, err
}

const loginDefsPath = "etc/login.defs"

// loadLoginDefs reads etc/login.defs; ok is false when it is absent.
func loadLoginDefs(r rootfs.Root) (settings, bool, error) {
	data, ok, err := readOptional(r, loginDefsPath)
	if err != nil || !ok {
		return settings{}, ok, err
	}
	return parseLoginDefs(loginDefsPath, data), true, nil
}

// atoi parses a decimal (or, like strtol with base 0, 0x-hex or
// 0-octal) integer.
func atoi(s string) (int, error) {
	n, err := strconv.ParseInt(s, 0, 32)
	return int(n), err
}
