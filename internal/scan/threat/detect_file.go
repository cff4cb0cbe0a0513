package threat

import (
	"path"
	"strings"
)

// runtimeManaged are files under /etc that container runtimes write at
// start; changing them is not a finding.
var runtimeManaged = map[string]bool{"/etc/resolv.conf": true, "/etc/hosts": true, "/etc/hostname": true, "/etc/mtab": true}

var cronPrefixes = []string{"/etc/cron.d/", "/etc/cron.hourly/", "/etc/cron.daily/", "/etc/cron.weekly/",
	"/etc/cron.monthly/", "/etc/crontabs/", "/etc/periodic/", "/var/spool/cron/"}

var binPrefixes = []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/",
	"/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/lib/", "/usr/lib32/", "/usr/lib64/", "/usr/libexec/", "/usr/local/lib/"}

// fileDetector reports changes (any op) of SSH authorized_keys, cron
// tables, binaries and libraries, and files below /etc, in that order of
// precedence: a change matches one type only.
type fileDetector struct{}

func (fileDetector) observe(e *Event, rep *reporter) {
	if e.Type != EventFile {
		return
	}
	p := absPath(e.Path, e.Cwd)
	if p == "" {
		return
	}
	typ := classifyPath(p)
	if typ == "" {
		return
	}
	op := e.Op
	if op == "" {
		op = OpWrite
	}
	rep.add(e, report{typ: typ, artifact: p, path: p, what: op + " " + p, evidence: op + " " + p})
}

// classifyPath returns the finding type of a change to p, or "".
func classifyPath(p string) string {
	base := path.Base(p)
	switch {
	case base == "authorized_keys" || base == "authorized_keys2":
		return TypeSSHKeysModified
	case p == "/etc/crontab" || p == "/etc/anacrontab" || hasAnyPrefix(p, cronPrefixes):
		return TypeCronModified
	case hasAnyPrefix(p, binPrefixes):
		if strings.Contains(p, "/__pycache__/") || strings.HasSuffix(p, ".pyc") {
			return ""
		}
		return TypeSystemBinaryModified
	case strings.HasPrefix(p, "/etc/") && !runtimeManaged[p]:
		return TypeSystemConfigModified
	}
	return ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
