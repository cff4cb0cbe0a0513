package kernel

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// param is one kernel command-line parameter found in a boot
// configuration file.
type param struct {
	// Name has '-' replaced by '_', as the kernel compares them equal.
	Name     string
	Value    string
	HasValue bool
	Path     string
	Line     int
}

// where formats the parameter's location.
func (p param) where() string { return fmt.Sprintf("%s:%d", p.Path, p.Line) }

// String returns the parameter as written on the command line.
func (p param) String() string {
	if p.HasValue {
		return p.Name + "=" + p.Value
	}
	return p.Name
}

// cmdlineSource is a file that defines the kernel command line, and how
// to read parameters from it.
type cmdlineSource struct {
	glob  string
	parse func(name string, data []byte) []param
}

// cmdlineSources lists where images define the kernel command line: GRUB
// defaults and the generated grub.cfg, kernel-install's etc/kernel/cmdline,
// Boot Loader Specification entries and Raspberry Pi's cmdline.txt.
func cmdlineSources() []cmdlineSource {
	return []cmdlineSource{
		{"etc/default/grub", parseGrubDefault},
		{"etc/default/grub.d/*.cfg", parseGrubDefault},
		{"boot/grub/grub.cfg", parseGrubCfg},
		{"boot/grub2/grub.cfg", parseGrubCfg},
		{"etc/kernel/cmdline", parseWholeFile},
		{"boot/loader/entries/*.conf", parseLoaderEntry},
		{"boot/cmdline.txt", parseWholeFile},
		{"boot/firmware/cmdline.txt", parseWholeFile},
	}
}

// cmdline is the kernel command-line configuration of an image.
type cmdline struct {
	// Files lists the files that define a command line.
	Files  []string
	Params []param
}

// find returns the parameters named name (with '-' as '_').
func (c cmdline) find(name string) []param {
	name = strings.ReplaceAll(name, "-", "_")
	var out []param
	for _, p := range c.Params {
		if p.Name == name {
			out = append(out, p)
		}
	}
	return out
}

// loadCmdline reads every command-line source in r.
func loadCmdline(r rootfs.Root) (cmdline, error) {
	var c cmdline
	for _, src := range cmdlineSources() {
		for _, name := range expand(r, src.glob) {
			data, ok, err := readRegular(r, name)
			if err != nil {
				return c, err
			}
			if !ok {
				continue
			}
			c.Files = append(c.Files, name)
			c.Params = append(c.Params, src.parse(name, data)...)
		}
	}
	return c, nil
}

// expand returns the paths matching pattern, or pattern itself when it
// has no wildcard.
func expand(r rootfs.Root, pattern string) []string {
	if !strings.ContainsAny(pattern, "*?[") {
		return []string{pattern}
	}
	dir, base := path.Split(pattern)
	real, err := rootfs.Resolve(r, strings.TrimSuffix(dir, "/"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range rootfs.Dir(r, real) {
		if ok, _ := path.Match(base, path.Base(e.Path)); ok {
			out = append(out, dir+path.Base(e.Path))
		}
	}
	return out
}

// readRegular reads p when it resolves to a regular file inside r.
func readRegular(r rootfs.Root, p string) ([]byte, bool, error) {
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

// splitParams splits a command line into parameters; double quotes group
// a value with spaces (param="a b"), as the kernel's parser allows.
func splitParams(s, name string, line int) []param {
	var out []param
	for _, w := range quotedFields(s) {
		if w == "" || strings.HasPrefix(w, "$") {
			continue // a shell variable in GRUB defaults, expanded elsewhere
		}
		k, v, has := strings.Cut(w, "=")
		out = append(out, param{Name: strings.ReplaceAll(k, "-", "_"), Value: v, HasValue: has, Path: name, Line: line})
	}
	return out
}

// quotedFields splits on white space outside double quotes and drops the
// quotes.
func quotedFields(s string) []string {
	var out []string
	var b strings.Builder
	inQuote, started := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, started = !inQuote, true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			if started {
				out = append(out, b.String())
				b.Reset()
				started = false
			}
		default:
			b.WriteRune(r)
			started = true
		}
	}
	if started {
		out = append(out, b.String())
	}
	return out
}

var grubAssign = regexp.MustCompile(`^\s*(?:export\s+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$`)

// parseGrubDefault reads GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT
// from a shell-syntax GRUB defaults file.
func parseGrubDefault(name string, data []byte) []param {
	var out []param
	for i, line := range strings.Split(string(data), "\n") {
		m := grubAssign.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		out = append(out, splitParams(shellWord(m[2]), name, i+1)...)
	}
	return out
}

// shellWord returns the first shell word of s without its quotes.
func shellWord(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if q := s[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(s[1:], q); end >= 0 {
			return s[1 : 1+end]
		}
		return s[1:]
	}
	if i := strings.IndexAny(s, " \t;#"); i >= 0 {
		return s[:i]
	}
	return s
}

// parseGrubCfg reads the arguments of linux, linux16 and linuxefi
// commands in a generated grub.cfg (the first argument is the kernel).
func parseGrubCfg(name string, data []byte) []param {
	var out []param
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || (f[0] != "linux" && f[0] != "linux16" && f[0] != "linuxefi") {
			continue
		}
		out = append(out, splitParams(strings.Join(f[2:], " "), name, i+1)...)
	}
	return out
}

// parseLoaderEntry reads "options" lines of a Boot Loader Specification entry.
func parseLoaderEntry(name string, data []byte) []param {
	var out []param
	for i, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "options" {
			out = append(out, splitParams(strings.Join(f[1:], " "), name, i+1)...)
		}
	}
	return out
}

// parseWholeFile reads a file that holds the command line itself;
// '#' lines are comments.
func parseWholeFile(name string, data []byte) []param {
	var out []param
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		out = append(out, splitParams(line, name, i+1)...)
	}
	return out
}
