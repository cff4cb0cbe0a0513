package auth

import (
	"fmt"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

const (
	pamDir = "etc/pam.d"
	// maxPAMDepth bounds nested include/substack, as Linux-PAM does.
	maxPAMDepth = 16
)

// pamLine is one rule of a pam.d file: "password requisite pam_pwquality.so retry=3".
type pamLine struct {
	// Type is lower case: auth, account, password or session. Include
	// lines ("@include common-auth") have Type "@include".
	Type string
	// Control is "required", "include", "[success=1 default=ignore]"...
	Control string
	// Module is the module's base name ("pam_unix.so"), or the service
	// name for include, substack and @include.
	Module string
	Args   []string
	Path   string
	Line   int
}

// where formats the line's location.
func (l pamLine) where() string { return fmt.Sprintf("%s:%d", l.Path, l.Line) }

// arg returns the value of the last "name=value" argument and whether
// one was given; later arguments override earlier ones.
func (l pamLine) arg(name string) (string, bool) {
	v, found := "", false
	for _, a := range l.Args {
		if k, val, ok := strings.Cut(a, "="); ok && k == name {
			v, found = val, true
		}
	}
	return v, found
}

// flag reports whether the bare argument name is present.
func (l pamLine) flag(name string) bool {
	for _, a := range l.Args {
		if a == name {
			return true
		}
	}
	return false
}

// parsePAM parses one pam.d(5) file: '#' starts a comment, a trailing
// backslash continues a line, controls and arguments in square brackets
// may hold spaces, and a '-' before the type marks a rule whose module may
// be missing. Lines with fewer than three fields are skipped, as
// Linux-PAM skips them.
func parsePAM(name string, data []byte) []pamLine {
	var out []pamLine
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		line := lines[i]
		for strings.HasSuffix(strings.TrimRight(line, " \t\r"), `\`) && i+1 < len(lines) {
			line = strings.TrimSuffix(strings.TrimRight(line, " \t\r"), `\`) + " " + lines[i+1]
			i++
		}
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		f := pamFields(line)
		if len(f) >= 2 && strings.EqualFold(f[0], "@include") {
			out = append(out, pamLine{Type: "@include", Control: "include", Module: f[1], Path: name, Line: start + 1})
			continue
		}
		if len(f) < 3 {
			continue
		}
		out = append(out, pamLine{
			Type:    strings.ToLower(strings.TrimPrefix(f[0], "-")),
			Control: strings.ToLower(f[1]),
			Module:  path.Base(f[2]),
			Args:    f[3:],
			Path:    name,
			Line:    start + 1,
		})
	}
	return out
}

// pamFields splits a rule into fields; a field opened by '[' runs to the
// matching ']' and may contain spaces ("[success=1 default=ignore]").
func pamFields(line string) []string {
	var out []string
	for _, w := range strings.Fields(line) {
		if n := len(out); n > 0 && strings.HasPrefix(out[n-1], "[") && !strings.HasSuffix(out[n-1], "]") {
			out[n-1] += " " + w
			continue
		}
		out = append(out, w)
	}
	return out
}

// pamStack returns the rules of type typ that service applies, with
// include, substack and @include expanded in place. Missing files yield
// no rules; ok is false when the service file itself is absent. An
// include loop, which Linux-PAM rejects, is cut where it closes.
func pamStack(r rootfs.Root, service, typ string) ([]pamLine, bool, error) {
	x := &pamExpander{r: r, typ: typ, open: map[string]bool{}, budget: maxPAMFiles}
	ok, err := x.expand(service, 0)
	return x.out, ok, err
}

// maxPAMFiles bounds the files one stack expansion reads, so that a
// crafted image cannot make it explode.
const maxPAMFiles = 256

type pamExpander struct {
	r      rootfs.Root
	typ    string
	open   map[string]bool // services being expanded, to cut loops
	budget int
	out    []pamLine
}

func (x *pamExpander) expand(service string, depth int) (bool, error) {
	file := pamDir + "/" + path.Base(service)
	if x.open[file] || depth > maxPAMDepth || x.budget <= 0 {
		return false, nil
	}
	x.budget--
	data, ok, err := readOptional(x.r, file)
	if err != nil || !ok {
		return ok, err
	}
	x.open[file] = true
	defer delete(x.open, file)
	for _, l := range parsePAM(file, data) {
		switch {
		case l.Type == "@include", l.Type == x.typ && (l.Control == "include" || l.Control == "substack"):
			_, err = x.expand(l.Module, depth+1)
		case l.Type == x.typ:
			x.out = append(x.out, l)
		}
		if err != nil {
			return true, err
		}
	}
	return true, nil
}

// passwordStack returns the rules passwd(1) applies when a password
// changes: the passwd service, else the shared stacks Debian
// (common-password) and Red Hat (system-auth) use. found is false when
// none exists.
func passwordStack(r rootfs.Root) (rules []pamLine, file string, found bool, err error) {
	for _, svc := range []string{"passwd", "common-password", "system-auth"} {
		rules, ok, err := pamStack(r, svc, "password")
		if err != nil || ok {
			return rules, pamDir + "/" + svc, ok, err
		}
	}
	return nil, "", false, nil
}

// findModule returns the first rule using module (a base name such as
// "pam_pwquality.so").
func findModule(rules []pamLine, module string) (pamLine, bool) {
	for _, l := range rules {
		if l.Module == module {
			return l, true
		}
	}
	return pamLine{}, false
}
