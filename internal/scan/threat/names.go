package threat

import (
	"path"
	"strings"
)

// progName is the program an exec event ran: the base name of argv[0],
// else of Exe, else Comm. For busybox applets ("busybox nc ...") it is the
// applet.
func progName(e *Event) string {
	var n string
	switch {
	case len(e.Argv) > 0 && e.Argv[0] != "":
		n = path.Base(e.Argv[0])
	case e.Exe != "":
		n = path.Base(e.Exe)
	default:
		n = e.Comm
	}
	if n == "busybox" && len(e.Argv) > 1 {
		return path.Base(e.Argv[1])
	}
	return n
}

// args returns the arguments after the program (and after the applet
// name for busybox).
func args(e *Event) []string {
	if len(e.Argv) == 0 {
		return nil
	}
	if path.Base(e.Argv[0]) == "busybox" && len(e.Argv) > 1 {
		return e.Argv[2:]
	}
	return e.Argv[1:]
}

// execNames calls fn with each distinct name an exec event's program goes
// by: progName, the base of Exe and Comm.
func execNames(e *Event, fn func(string) bool) bool {
	p := progName(e)
	if fn(p) {
		return true
	}
	if b := path.Base(e.Exe); e.Exe != "" && b != p && b != "busybox" && fn(b) {
		return true
	}
	return e.Comm != "" && e.Comm != p && fn(e.Comm)
}

// sensitiveFlags take a secret as their next argument (or after '=').
var sensitiveFlags = []string{"--password", "--passwd", "--pass", "--token", "--secret", "--api-key", "--apikey",
	"--access-key", "--secret-key", "--auth", "--user", "-p", "-P", "-u"}

// sensitiveKeys introduce a secret inside an argument ("token=...").
var sensitiveKeys = []string{"password=", "passwd=", "pass=", "token=", "secret=", "apikey=", "api_key=", "key=", "auth="}

// commandLine joins argv with blanks and redacts the values of password,
// token and similar options, and credentials in URLs.
func commandLine(argv []string) string {
	out := make([]string, len(argv))
	redactNext := false
	for i, a := range argv {
		switch {
		case redactNext:
			a = redactValue(a)
			redactNext = false
		case isSensitiveFlag(a):
			redactNext = true
		default:
			a = redactInline(a)
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

func isSensitiveFlag(a string) bool {
	for _, f := range sensitiveFlags {
		if a == f {
			return true
		}
	}
	return false
}

func redactValue(v string) string { return "*****" }

// redactInline masks "--password=v", "token=v" (in queries too) and the
// password of "scheme://user:password@host".
func redactInline(a string) string {
	for _, f := range sensitiveFlags {
		if strings.HasPrefix(a, f+"=") && len(f) > 2 {
			return f + "=*****"
		}
	}
	lower := strings.ToLower(a)
	for _, k := range sensitiveKeys {
		for from := 0; ; {
			i := strings.Index(lower[from:], k)
			if i < 0 {
				break
			}
			i += from
			start := i + len(k)
			end := start
			for end < len(a) && !strings.ContainsRune("&; '\"", rune(a[end])) {
				end++
			}
			if i == 0 || !isWordByte(lower[i-1]) {
				a = a[:start] + "*****" + a[end:]
				lower = strings.ToLower(a)
			}
			from = start
		}
	}
	return redactURLPassword(a)
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

func redactURLPassword(a string) string {
	i := strings.Index(a, "://")
	if i < 0 {
		return a
	}
	rest := a[i+3:]
	at := strings.IndexByte(rest, '@')
	if at < 0 || strings.ContainsAny(rest[:at], "/ ") {
		return a
	}
	colon := strings.IndexByte(rest[:at], ':')
	if colon < 0 {
		return a
	}
	return a[:i+3] + rest[:colon+1] + "*****" + rest[at:]
}

// normalizeName lower-cases a DNS name and drops its trailing dot.
func normalizeName(s string) string {
	s = strings.TrimSuffix(s, ".")
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// secondLevel lists second-level labels under two-letter country codes
// that are public suffixes themselves ("co.uk", "com.au").
var secondLevel = map[string]bool{"co": true, "com": true, "net": true, "org": true, "gov": true, "edu": true,
	"ac": true, "or": true, "ne": true, "go": true}

// registrable splits name into the part below its registrable domain and
// the registrable domain ("a.b.example.co.uk" → "a.b", "example.co.uk"),
// approximating the public suffix list: the suffix is the last label, or the
// last two when the TLD has two letters and the second level is generic.
func registrable(name string) (sub, domain string) {
	last := strings.LastIndexByte(name, '.')
	if last <= 0 {
		return "", name
	}
	cut := strings.LastIndexByte(name[:last], '.')
	if len(name)-last-1 == 2 && cut > 0 && secondLevel[name[cut+1:last]] {
		cut = strings.LastIndexByte(name[:cut], '.')
	}
	if cut < 0 {
		return "", name
	}
	return name[:cut], name[cut+1:]
}
