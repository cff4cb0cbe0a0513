package system

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// mount is one line of fstab(5).
type mount struct {
	Spec, Dir, Type string
	Options         []string
	Line            int
}

// has reports whether the mount has option o.
func (m mount) has(o string) bool { return contains(m.Options, o) }

// parseFstab parses fstab(5): whitespace-separated fields, '#' comments,
// octal escapes such as \040 for a space. Lines with fewer than three
// fields are errors naming the line; mount(8) refuses them too.
func parseFstab(data []byte) ([]mount, error) {
	var out []mount
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("line %d: want \"SPEC DIR TYPE [OPTIONS]\", got %q", i+1, clip(strings.TrimSpace(line)))
		}
		m := mount{Spec: unescapeFstab(f[0]), Dir: unescapeFstab(f[1]), Type: f[2], Line: i + 1}
		if len(f) > 3 {
			m.Options = strings.Split(f[3], ",")
		}
		out = append(out, m)
	}
	return out, nil
}

// unescapeFstab decodes the \NNN octal escapes of fstab fields.
func unescapeFstab(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fstab is a root's etc/fstab: its mounts, and whether it describes a
// machine (it mounts "/") rather than being a placeholder such as Debian's
// "# UNCONFIGURED FSTAB FOR BASE SYSTEM" in container images.
type fstab struct {
	mounts     []mount
	configured bool
}

func loadFstab(r rootfs.Root) (fstab, error) {
	data, _, err := readOptional(r, "etc/fstab")
	if err != nil {
		return fstab{}, err
	}
	ms, err := parseFstab(data)
	if err != nil {
		return fstab{}, fmt.Errorf("parse etc/fstab: %w", err)
	}
	t := fstab{mounts: ms}
	for _, m := range ms {
		if m.Dir == "/" {
			t.configured = true
		}
	}
	return t, nil
}

// find returns the last mount of dir (the one in force).
func (t fstab) find(dir string) (mount, bool) {
	for i := len(t.mounts) - 1; i >= 0; i-- {
		if strings.TrimSuffix(t.mounts[i].Dir, "/") == dir {
			return t.mounts[i], true
		}
	}
	return mount{}, false
}

// hardening are the options CIS asks of scratch filesystems.
var hardening = []string{"nodev", "nosuid", "noexec"}

// judgeOptions passes when opts hold every hardening option.
func judgeOptions(what, p string, line int, opts []string) config.Result {
	var lack []string
	for _, o := range hardening {
		if !contains(opts, o) {
			lack = append(lack, o)
		}
	}
	if len(lack) > 0 {
		return config.Result{Status: config.Fail, Path: p, Line: line,
			Message: fmt.Sprintf("%s is mounted without %s (options %q)", what, strings.Join(lack, ","), strings.Join(opts, ","))}
	}
	return config.Result{Status: config.Pass, Path: p, Line: line, Message: fmt.Sprintf("%s is mounted %s", what, strings.Join(hardening, ","))}
}

func mountCheck(id, dir string, run func(r rootfs.Root, t fstab) ([]config.Result, error), rationale string) config.Check {
	return config.Check{
		ID:       id,
		Title:    fmt.Sprintf("%s is mounted nodev,nosuid,noexec", dir),
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/fstab", "etc/systemd/system/*.mount", "usr/lib/systemd/system/tmp.mount"},
		Rationale: rationale + " Low: these options are defence in depth against an attacker who already runs code. " +
			"Container images leave mounts to the runtime, so without a configured fstab (one that mounts /) " +
			"the answer is not determinable statically.",
		Remediation: fmt.Sprintf("Add nodev,nosuid,noexec to the options of %s in /etc/fstab "+
			"(e.g. \"tmpfs %s tmpfs defaults,nodev,nosuid,noexec 0 0\") or to Options= of its systemd mount unit.", dir, dir),
		References: []string{"CIS Distribution Independent Linux Benchmark: Configure Filesystem Partitions", "fstab(5)", "mount(8)", "systemd.mount(5)"},
		Run: func(_ context.Context, r rootfs.Root) ([]config.Result, error) {
			t, err := loadFstab(r)
			if err != nil {
				return nil, err
			}
			return run(r, t)
		},
	}
}

func tmpMountCheck() config.Check {
	return mountCheck("system-tmp-mount", "/tmp", runTmpMount,
		"/tmp is writable by every user. Mounted on its own with nosuid and noexec, a program dropped there "+
			"cannot be run directly or gain privileges, and nodev stops device files planted there.")
}

func runTmpMount(r rootfs.Root, t fstab) ([]config.Result, error) {
	if m, ok := t.find("/tmp"); ok {
		return []config.Result{judgeOptions("/tmp", "etc/fstab", m.Line, m.Options)}, nil
	}
	if res, ok, err := mountUnit(r, "tmp.mount", "/tmp"); err != nil || ok {
		return res, err
	}
	if t.configured {
		return []config.Result{{Status: config.Fail, Path: "etc/fstab",
			Message: "etc/fstab has no /tmp entry and tmp.mount is not enabled: /tmp is part of / (suid and exec allowed)"}}, nil
	}
	return undetermined("no configured etc/fstab and no tmp.mount: the runtime decides how /tmp is mounted"), nil
}

// mountUnit judges a systemd mount unit for dir when it is enabled (linked
// from a .wants directory) and not masked; ok is false when it is not.
func mountUnit(r rootfs.Root, unit, dir string) ([]config.Result, bool, error) {
	if !hasSystemd(r) || masked(r, unit) || len(systemdStarts(r, []string{unit})) == 0 {
		return nil, false, nil
	}
	for _, d := range unitDirs {
		p := d + "/" + unit
		s, ok, err := readINI(r, p)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			continue
		}
		o, _ := lookup(s, "Mount", "Options")
		return []config.Result{judgeOptions(dir+" ("+unit+")", p, o.Line, strings.Split(o.Value, ","))}, true, nil
	}
	return nil, false, nil
}

func undetermined(msg string) []config.Result {
	return []config.Result{{Status: config.Undetermined, Message: "not determinable statically: " + msg}}
}

func devShmMountCheck() config.Check {
	return mountCheck("system-dev-shm-mount", "/dev/shm", runDevShm,
		"/dev/shm is a world-writable shared-memory filesystem; an attacker uses it like /tmp to stage and "+
			"run programs. systemd mounts it nosuid,nodev but not noexec unless etc/fstab says otherwise.")
}

func runDevShm(r rootfs.Root, t fstab) ([]config.Result, error) {
	if m, ok := t.find("/dev/shm"); ok {
		return []config.Result{judgeOptions("/dev/shm", "etc/fstab", m.Line, m.Options)}, nil
	}
	if t.configured && hasSystemd(r) {
		return []config.Result{{Status: config.Fail, Path: "etc/fstab",
			Message: "etc/fstab has no /dev/shm entry: systemd mounts it nosuid,nodev without noexec"}}, nil
	}
	return undetermined("no /dev/shm entry in etc/fstab: the runtime or init system decides its options"), nil
}

func varTmpMountCheck() config.Check {
	return mountCheck("system-var-tmp-mount", "/var/tmp", runVarTmp,
		"/var/tmp is world-writable like /tmp and survives reboots, so a program dropped there stays; it needs "+
			"the same nodev,nosuid,noexec (a bind mount of /tmp inherits /tmp's).")
}

func runVarTmp(r rootfs.Root, t fstab) ([]config.Result, error) {
	m, ok := t.find("/var/tmp")
	if ok && m.has("bind") {
		if src, ok := t.find(strings.TrimSuffix(m.Spec, "/")); ok {
			return []config.Result{judgeOptions("/var/tmp (bound to "+m.Spec+")", "etc/fstab", src.Line, append(src.Options, m.Options...))}, nil
		}
	}
	if ok {
		return []config.Result{judgeOptions("/var/tmp", "etc/fstab", m.Line, m.Options)}, nil
	}
	if res, ok, err := mountUnit(r, "var-tmp.mount", "/var/tmp"); err != nil || ok {
		return res, err
	}
	if t.configured {
		return []config.Result{{Status: config.Fail, Path: "etc/fstab",
			Message: "etc/fstab has no /var/tmp entry: /var/tmp is part of its parent filesystem (suid and exec allowed)"}}, nil
	}
	return undetermined("no configured etc/fstab: the runtime decides how /var/tmp is mounted"), nil
}
