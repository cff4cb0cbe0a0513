package system

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// setting is one "Key=Value" line of an INI-style file: a systemd unit or
// configuration file, dnf.conf or a .repo file.
type setting struct {
	Section string
	Key     string
	Value   string
	Path    string
	Line    int
}

// parseINI returns the Key=Value lines of data with their sections. Lines
// starting with '#' or ';' are comments; lines without '=' are skipped, as
// systemd skips them (with a warning) and dnf reads indented lines as
// continuations of the previous value.
func parseINI(data []byte) []setting {
	var out []setting
	section := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.TrimSpace(k) == "" {
				continue
			}
			out = append(out, setting{Section: section, Key: strings.TrimSpace(k), Value: strings.TrimSpace(v), Line: i + 1})
		}
	}
	return out
}

// readINI reads and parses p, stamping each setting with p; a missing
// file yields nothing.
func readINI(r rootfs.Root, p string) ([]setting, bool, error) {
	data, err := r.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	s := parseINI(data)
	for i := range s {
		s[i].Path = p
	}
	return s, true, nil
}

// systemdConfig returns the settings systemd reads for a configuration
// file such as "journald.conf": etc/systemd/NAME (or usr/lib/systemd/NAME
// when etc has none), then the drop-ins NAME.d/*.conf from usr/lib, run
// and etc, ordered by file name, a name in etc hiding the same name
// elsewhere. Later settings override earlier ones; see systemd.conf(5)
// for the order.
func systemdConfig(r rootfs.Root, name string) ([]setting, error) {
	var files []string
	for _, p := range []string{"etc/systemd/" + name, "usr/lib/systemd/" + name} {
		if rootfs.Exists(r, p) {
			files = append(files, p)
			break
		}
	}
	dropins := map[string]string{}
	for _, dir := range []string{"usr/lib/systemd/", "lib/systemd/", "usr/local/lib/systemd/", "run/systemd/", "etc/systemd/"} {
		for _, e := range rootfs.Dir(r, dir+name+".d") {
			if strings.HasSuffix(e.Path, ".conf") {
				dropins[path.Base(e.Path)] = e.Path
			}
		}
	}
	names := make([]string, 0, len(dropins))
	for n := range dropins {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		files = append(files, dropins[n])
	}
	var out []setting
	for _, f := range files {
		s, _, err := readINI(r, f)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// lookup returns the last setting of key in section (case-sensitive, as
// systemd is), which is the one in force.
func lookup(settings []setting, section, key string) (setting, bool) {
	for i := len(settings) - 1; i >= 0; i-- {
		if s := settings[i]; s.Section == section && s.Key == key {
			return s, true
		}
	}
	return setting{}, false
}
