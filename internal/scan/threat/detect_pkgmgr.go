package threat

import "strings"

// systemPMs always change the system; queryOnly lists the ones with
// read-only forms, reported only with an install or remove flag.
var systemPMs = map[string]bool{"apt": true, "apt-get": true, "aptitude": true, "apk": true, "yum": true,
	"dnf": true, "microdnf": true, "zypper": true, "pacman": true, "dpkg": true, "rpm": true}

var queryOnly = map[string][]string{
	"dpkg": {"-i", "--install", "-r", "--remove", "-P", "--purge", "--unpack", "--configure"},
	"rpm":  {"-i", "-U", "-F", "-e", "--install", "--upgrade", "--freshen", "--erase"},
}

// languagePMs are reported only with an install subcommand.
var languagePMs = map[string][]string{
	"pip": {"install"}, "pip3": {"install"}, "npm": {"install", "i", "ci", "add"}, "yarn": {"add", "install"},
	"pnpm": {"add", "install", "i"}, "gem": {"install"},
}

// packageManagerDetector reports package managers run at runtime.
type packageManagerDetector struct{}

func (packageManagerDetector) observe(e *Event, rep *reporter) {
	if e.Type != EventExec {
		return
	}
	name, a := progName(e), args(e)
	if strings.HasPrefix(name, "python") && len(a) >= 3 && a[0] == "-m" && strings.HasPrefix(a[1], "pip") {
		name, a = "pip", a[2:]
	}
	if strings.HasPrefix(name, "pip") {
		name = strings.TrimRight(name, "0123456789.")
	}
	if !isPackageManagerRun(name, a) {
		return
	}
	rep.add(e, report{typ: TypePackageManager, artifact: name, what: "exec " + name, evidence: commandLine(e.Argv)})
}

func isPackageManagerRun(name string, a []string) bool {
	if flags, ok := queryOnly[name]; ok {
		return anyArgIn(a, flags)
	}
	if systemPMs[name] {
		return true
	}
	subs, ok := languagePMs[name]
	return ok && len(a) > 0 && firstNonFlagIn(a, subs)
}

func anyArgIn(a, set []string) bool {
	for _, x := range a {
		for _, s := range set {
			if x == s || (len(s) == 2 && s[0] == '-' && len(x) > 2 && x[0] == '-' && x[1] != '-' && strings.HasPrefix(x, s)) {
				return true
			}
		}
	}
	return false
}

func firstNonFlagIn(a, set []string) bool {
	for _, x := range a {
		if strings.HasPrefix(x, "-") {
			continue
		}
		for _, s := range set {
			if x == s {
				return true
			}
		}
		return false
	}
	return false
}
