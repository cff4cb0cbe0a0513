package system

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// insecureAptOptions are the apt.conf options that let APT install
// packages whose signatures fail or are missing (lower-cased).
var insecureAptOptions = map[string]string{
	"apt::get::allowunauthenticated":                "installs unsigned packages",
	"acquire::allowinsecurerepositories":            "accepts repositories without a valid signature",
	"acquire::allowdowngradetoinsecurerepositories": "accepts a signed repository turning unsigned",
	"acquire::allowweakrepositories":                "accepts repositories signed with weak algorithms",
}

// insecureSourceOptions are the per-repository options with the same
// effect, in one-line ([trusted=yes]) and deb822 (Trusted: yes) spelling.
var insecureSourceOptions = map[string]string{
	"trusted":                     "turns off signature checking for the repository",
	"allow-insecure":              "accepts the repository without a valid signature",
	"allow-weak":                  "accepts weak signatures for the repository",
	"allow-downgrade-to-insecure": "accepts the repository turning unsigned",
}

// aptPartName is what APT requires of a configuration fragment's name
// (apt.conf(5)); others are ignored with a warning, so are not judged.
var aptPartName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

var pkgSigRefs = []string{"CIS Distribution Independent Linux Benchmark: Ensure package manager repositories are configured",
	"CIS Distribution Independent Linux Benchmark: Ensure GPG keys are configured"}

func aptCheck() config.Check {
	return config.Check{
		ID:       "system-apt-signatures",
		Title:    "APT checks package signatures (no AllowUnauthenticated, trusted=yes or allow-insecure)",
		Group:    Group,
		Severity: pipeline.SeverityHigh,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/apt/apt.conf", "etc/apt/apt.conf.d/*", "etc/apt/sources.list", "etc/apt/sources.list.d/*.list", "etc/apt/sources.list.d/*.sources"},
		Rationale: "APT's signatures are what make plain-HTTP mirrors and proxies safe; with checking off, anyone " +
			"on the network path or in control of a mirror installs code that runs as root. High: it turns " +
			"every later apt-get into a remote root. Plain http:// sources are fine while signatures are checked.",
		Remediation: "Remove the option (or [trusted=yes] / Trusted: yes) and give the repository its key with " +
			"signed-by=/usr/share/keyrings/NAME.gpg.",
		References: append(pkgSigRefs, "apt.conf(5)", "sources.list(5)", "apt-secure(8)"),
		Run:        runApt,
	}
}

func runApt(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if _, ok := r.Lookup("etc/apt"); !ok {
		return notApplicable("APT is not configured (no etc/apt)"), nil
	}
	out, nconf, err := aptConfResults(r)
	if err != nil {
		return nil, err
	}
	src, nsrc, err := aptSourceResults(r)
	if err != nil {
		return nil, err
	}
	out = append(out, src...)
	if len(out) == 0 {
		return []config.Result{{Status: config.Pass, Path: "etc/apt",
			Message: fmt.Sprintf("%d configuration files and %d repositories keep signature checking on", nconf, nsrc)}}, nil
	}
	return out, nil
}

// aptConfFiles lists the files APT reads, in its order: the fragments of
// apt.conf.d sorted by name, then apt.conf.
func aptConfFiles(r rootfs.Root) []string {
	var files []string
	for _, e := range rootfs.Dir(r, "etc/apt/apt.conf.d") {
		name := path.Base(e.Path)
		if ext := path.Ext(name); aptPartName.MatchString(name) && (ext == "" || ext == ".conf") {
			files = append(files, e.Path)
		}
	}
	sort.Strings(files)
	return append(files, "etc/apt/apt.conf")
}

// aptConfResults fails each insecure option in force after every file is
// read (a later "false" undoes an earlier "true").
func aptConfResults(r rootfs.Root) ([]config.Result, int, error) {
	type found struct {
		aptOption
		path string
	}
	last := map[string]found{}
	n := 0
	for _, f := range aptConfFiles(r) {
		data, ok, err := readOptional(r, f)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			continue
		}
		n++
		opts, err := parseAptConf(data)
		if err != nil {
			return nil, 0, fmt.Errorf("parse %s: %w", f, err)
		}
		for _, o := range opts {
			key := strings.ToLower(o.Name)
			if strings.HasPrefix(key, "binary::") {
				if _, rest, ok := strings.Cut(key[len("binary::"):], "::"); ok {
					key = rest
				}
			}
			if _, bad := insecureAptOptions[key]; bad {
				last[key] = found{o, f}
			}
		}
	}
	var out []config.Result
	for _, key := range sortedKeys(last) {
		if o := last[key]; aptTrue(o.Value) {
			out = append(out, config.Result{Status: config.Fail, Path: o.path, Line: o.Line,
				Message: fmt.Sprintf("%s %q: APT %s", o.Name, o.Value, insecureAptOptions[key])})
		}
	}
	return out, n, nil
}

// aptSourceResults fails each repository with an option that turns off
// signature checking.
func aptSourceResults(r rootfs.Root) ([]config.Result, int, error) {
	files := []string{"etc/apt/sources.list"}
	for _, e := range rootfs.Dir(r, "etc/apt/sources.list.d") {
		if name := path.Base(e.Path); aptPartName.MatchString(name) && (path.Ext(name) == ".list" || path.Ext(name) == ".sources") {
			files = append(files, e.Path)
		}
	}
	var out []config.Result
	n := 0
	for _, f := range files {
		data, ok, err := readOptional(r, f)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			continue
		}
		parse := parseSourcesList
		if strings.HasSuffix(f, ".sources") {
			parse = parseSources
		}
		entries, err := parse(data)
		if err != nil {
			return nil, 0, fmt.Errorf("parse %s: %w", f, err)
		}
		n += len(entries)
		for _, e := range entries {
			for _, key := range sortedKeys(insecureSourceOptions) {
				if v, ok := e.Options[key]; ok && aptTrue(v) {
					out = append(out, config.Result{Status: config.Fail, Path: f, Line: e.line(key),
						Message: fmt.Sprintf("%s=%s on %s: APT %s", key, v, e.URI, insecureSourceOptions[key])})
				}
			}
		}
	}
	return out, n, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func apkCheck() config.Check {
	return config.Check{
		ID:       "system-apk-signatures",
		Title:    "apk checks package signatures (no allow-untrusted, trusted keys present)",
		Group:    Group,
		Severity: pipeline.SeverityHigh,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/apk/config", "etc/apk/keys/*", apkInstalled},
		Rationale: "apk verifies each index and package against the keys in /etc/apk/keys. allow-untrusted in " +
			"/etc/apk/config (apk 3) turns that off for every later command; an empty keys directory makes " +
			"every install fail until someone adds --allow-untrusted. High for the same reason as APT.",
		Remediation: "Remove allow-untrusted from /etc/apk/config and install the distribution's keys " +
			"(apk add alpine-keys) or the repository's key into /etc/apk/keys.",
		References: append(pkgSigRefs, "apk(8): --allow-untrusted"),
		Run:        runApk,
	}
}

func runApk(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if _, ok := r.Lookup("etc/apk"); !ok {
		return notApplicable("apk is not configured (no etc/apk)"), nil
	}
	var out []config.Result
	data, _, err := readOptional(r, "etc/apk/config")
	if err != nil {
		return nil, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		if opt := strings.TrimPrefix(strings.TrimSpace(line), "--"); opt == "allow-untrusted" {
			out = append(out, config.Result{Status: config.Fail, Path: "etc/apk/config", Line: i + 1,
				Message: "allow-untrusted: apk installs packages without a valid signature"})
		}
	}
	keys := 0
	for _, e := range rootfs.Dir(r, "etc/apk/keys") {
		if !e.Mode.IsDir() {
			keys++
		}
	}
	if keys == 0 {
		out = append(out, config.Result{Status: config.Fail, Path: "etc/apk/keys",
			Message: "no trusted keys in etc/apk/keys: installs can only succeed with --allow-untrusted"})
	}
	if len(out) == 0 {
		out = append(out, config.Result{Status: config.Pass, Path: "etc/apk/keys", Message: fmt.Sprintf("%d trusted keys, allow-untrusted not set", keys)})
	}
	return out, nil
}

func yumCheck() config.Check {
	return config.Check{
		ID:       "system-yum-gpgcheck",
		Title:    "dnf/yum check package signatures (gpgcheck=1, no repository with gpgcheck=0)",
		Group:    Group,
		Severity: pipeline.SeverityHigh,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/dnf/dnf.conf", "etc/yum.conf", "etc/yum.repos.d/*.repo"},
		Rationale: "gpgcheck makes dnf and yum verify each package's signature before installing it. Off in " +
			"[main], or in a repository (which overrides [main]), anyone who controls the mirror or the network " +
			"path installs code as root. High for the same reason as APT.",
		Remediation: "Set gpgcheck=1 in the [main] section of /etc/dnf/dnf.conf (or /etc/yum.conf) and remove " +
			"gpgcheck=0 from every .repo file, importing the repository's key with gpgkey=.",
		References: append(pkgSigRefs, "dnf.conf(5): gpgcheck", "yum.conf(5)"),
		Run:        runYum,
	}
}

func runYum(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	var out []config.Result
	seen := map[string]bool{}
	for _, p := range []string{"etc/dnf/dnf.conf", "etc/yum.conf"} {
		real, err := rootfs.Resolve(r, p)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		s, _, err := readINI(r, real)
		if err != nil {
			return nil, err
		}
		out = append(out, judgeGpgcheck(real, s, "main", true)...)
	}
	for _, e := range rootfs.Dir(r, "etc/yum.repos.d") {
		if !strings.HasSuffix(e.Path, ".repo") {
			continue
		}
		s, _, err := readINI(r, e.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, judgeRepos(e.Path, s)...)
	}
	if len(out) == 0 {
		return notApplicable("no dnf or yum configuration"), nil
	}
	return out, nil
}

// judgeGpgcheck judges gpgcheck (or dnf 5's pkg_gpgcheck) in section; when
// required, its absence fails too, as CIS asks for it to be explicit.
func judgeGpgcheck(p string, s []setting, section string, required bool) []config.Result {
	g, ok := lookup(s, section, "gpgcheck")
	if alt, ok2 := lookup(s, section, "pkg_gpgcheck"); ok2 && (!ok || alt.Line > g.Line) {
		g, ok = alt, true
	}
	switch {
	case ok && yumFalse(g.Value):
		return []config.Result{{Status: config.Fail, Path: p, Line: g.Line, Message: fmt.Sprintf("[%s] %s=%s: packages are installed unverified", section, g.Key, g.Value)}}
	case ok:
		return []config.Result{{Status: config.Pass, Path: p, Line: g.Line, Message: fmt.Sprintf("[%s] %s=%s", section, g.Key, g.Value)}}
	case required:
		return []config.Result{{Status: config.Fail, Path: p, Message: fmt.Sprintf("[%s] does not set gpgcheck=1", section)}}
	}
	return nil
}

// judgeRepos fails each enabled repository of a .repo file that turns
// gpgcheck off.
func judgeRepos(p string, s []setting) []config.Result {
	var sections []string
	for _, x := range s {
		if !contains(sections, x.Section) && x.Section != "" {
			sections = append(sections, x.Section)
		}
	}
	var out []config.Result
	for _, sec := range sections {
		if en, ok := lookup(s, sec, "enabled"); ok && yumFalse(en.Value) {
			continue
		}
		out = append(out, judgeGpgcheck(p, s, sec, false)...)
	}
	return out
}

func yumFalse(v string) bool {
	switch strings.ToLower(v) {
	case "0", "false", "no", "off":
		return true
	}
	return false
}
