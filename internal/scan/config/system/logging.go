package system

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// containerNote is the NotApplicable message of host-level services.
const containerNote = "no init system or kernel: a container image, where the host provides this"

// readOptional reads p, reporting ok=false when it does not exist.
func readOptional(r rootfs.Root, p string) (data []byte, ok bool, err error) {
	data, err = r.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read %s: %w", p, err)
	}
	return data, true, nil
}

// missing is a failure for something absent, pointing at the package
// database that shows its absence (or at where it would be installed).
func missing(inv *inventory, fallback, msg string) config.Result {
	p := inv.db()
	if p == "" {
		p = fallback
	}
	return config.Result{Status: config.Fail, Path: p, Message: msg}
}

func auditdCheck() config.Check {
	return config.Check{
		ID:       "system-auditd",
		Title:    "auditd is installed and has audit rules",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{dpkgStatus, apkInstalled, "sbin/auditd", "etc/audit/audit.rules", "etc/audit/rules.d/*.rules"},
		Rationale: "The kernel's audit subsystem records who changed accounts, sudoers, time and kernel modules, " +
			"which an attacker with root cannot quietly erase from a remote collector. Without auditd those " +
			"events go nowhere; auditd without rules records almost nothing. Not applicable to container " +
			"images: the host kernel audits them.",
		Remediation: "apt-get install auditd (dnf install audit) and add rules under /etc/audit/rules.d/, e.g. the " +
			"CIS or STIG sets shipped with the audit package's examples.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Configure System Accounting (auditd)",
			"auditd(8)", "audit.rules(7)"},
		Run: runAuditd,
	}
}

func runAuditd(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !bootable(r) {
		return notApplicable(containerNote), nil
	}
	inv, err := loadInventory(r)
	if err != nil {
		return nil, err
	}
	pkgs := inv.find("auditd", "audit")
	progs := programs(r, []string{"auditd"})
	if len(pkgs) == 0 && len(progs) == 0 {
		return []config.Result{missing(inv, "sbin/auditd", "auditd is not installed: the kernel's audit events are not recorded")}, nil
	}
	files := []string{"etc/audit/audit.rules"}
	for _, e := range rootfs.Dir(r, "etc/audit/rules.d") {
		if strings.HasSuffix(e.Path, ".rules") {
			files = append(files, e.Path)
		}
	}
	n, first := 0, ""
	for _, f := range files {
		data, _, err := readOptional(r, f)
		if err != nil {
			return nil, err
		}
		if k := countAuditRules(data); k > 0 {
			n += k
			if first == "" {
				first = f
			}
		}
	}
	if n == 0 {
		return []config.Result{{Status: config.Fail, Path: "etc/audit/rules.d",
			Message: "auditd is installed without audit rules (no -w or -a lines in etc/audit/audit.rules or rules.d/*.rules)"}}, nil
	}
	if hasSystemd(r) && masked(r, "auditd.service") {
		return []config.Result{{Status: config.Fail, Path: "etc/systemd/system/auditd.service", Message: "auditd.service is masked"}}, nil
	}
	return []config.Result{{Status: config.Pass, Path: first, Message: fmt.Sprintf("auditd is installed with %d audit rules", n)}}, nil
}

// countAuditRules counts the file-watch (-w) and syscall (-a) rules of an
// audit.rules file, leaving out "never" rules that suppress events.
func countAuditRules(data []byte) int {
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "-w":
			n++
		case "-a", "-A":
			if !strings.Contains(f[1], "never") {
				n++
			}
		}
	}
	return n
}

func loggingCheck() config.Check {
	return config.Check{
		ID:       "system-logging",
		Title:    "System logs are kept on disk (rsyslog, syslog-ng, or a persistent journal)",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads: []string{dpkgStatus, apkInstalled, "etc/rsyslog.conf", "etc/syslog-ng/syslog-ng.conf",
			"etc/systemd/journald.conf", "etc/systemd/journald.conf.d/*.conf", "var/log/journal", "etc/runlevels/*/syslog"},
		Rationale: "Without a log daemon writing to disk, or with journald keeping logs in memory only " +
			"(Storage=volatile, or Storage=auto without /var/log/journal), every log line is lost at reboot " +
			"and an incident cannot be traced. Not applicable to container images, which log to stdout.",
		Remediation: "Install rsyslog, or make the journal persistent: mkdir -p /var/log/journal, or set " +
			"Storage=persistent in /etc/systemd/journald.conf.d/persistent.conf.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Configure Logging",
			"journald.conf(5): Storage=", "rsyslogd(8)"},
		Run: runLogging,
	}
}

func runLogging(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !bootable(r) {
		return notApplicable(containerNote), nil
	}
	inv, err := loadInventory(r)
	if err != nil {
		return nil, err
	}
	for _, d := range syslogDaemons {
		if p := inv.find(d.pkg); len(p) > 0 {
			return []config.Result{p[0].result(config.Pass, p[0].String()+" writes the system log to disk")}, nil
		}
		if progs := programs(r, []string{d.program}); len(progs) > 0 {
			return []config.Result{{Status: config.Pass, Path: progs[0], Message: progs[0] + " writes the system log to disk"}}, nil
		}
	}
	for _, lvl := range rootfs.Dir(r, "etc/runlevels") {
		if rootfs.Exists(r, lvl.Path+"/syslog") {
			return []config.Result{{Status: config.Pass, Path: lvl.Path + "/syslog", Message: "busybox syslogd is started by OpenRC"}}, nil
		}
	}
	if !hasSystemd(r) {
		return []config.Result{missing(inv, "etc/rsyslog.conf", "no syslog daemon is installed")}, nil
	}
	res, err := journalStorage(r)
	if err != nil {
		return nil, err
	}
	return []config.Result{res}, nil
}

var syslogDaemons = []struct{ pkg, program string }{
	{"rsyslog", "rsyslogd"}, {"syslog-ng", "syslog-ng"}, {"syslog-ng-core", "syslog-ng"}, {"inetutils-syslogd", "syslogd"},
}

// journalStorage judges journald's Storage= setting, the only log store of
// a systemd root without a syslog daemon.
func journalStorage(r rootfs.Root) (config.Result, error) {
	settings, err := systemdConfig(r, "journald.conf")
	if err != nil {
		return config.Result{}, err
	}
	s, ok := lookup(settings, "Journal", "Storage")
	if !ok {
		s = setting{Value: "auto", Path: "etc/systemd/journald.conf"}
	}
	where := fmt.Sprintf("Storage=%s", s.Value)
	if s.Line > 0 {
		where += fmt.Sprintf(" (%s:%d)", s.Path, s.Line)
	} else {
		where += " (the default)"
	}
	res := config.Result{Status: config.Fail, Path: s.Path, Line: s.Line}
	switch {
	case s.Value == "persistent":
		res.Status, res.Message = config.Pass, "journald "+where+" keeps the journal on disk"
	case s.Value == "auto" && rootfs.Exists(r, "var/log/journal"):
		res.Status, res.Message = config.Pass, "journald "+where+" keeps the journal in var/log/journal"
	case s.Value == "auto":
		res.Message = "journald " + where + " without var/log/journal keeps logs in memory only, and no syslog daemon is installed"
	default:
		res.Message = "journald " + where + " does not keep logs on disk, and no syslog daemon is installed"
	}
	return res, nil
}

func logrotateCheck() config.Check {
	return config.Check{
		ID:       "system-logrotate",
		Title:    "logrotate is installed where a syslog daemon writes log files",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{dpkgStatus, apkInstalled, "usr/sbin/logrotate", "etc/logrotate.conf"},
		Rationale: "rsyslog and syslog-ng append to files under /var/log forever unless something rotates them; a " +
			"full disk stops logging (and often the services) just when it matters. journald rotates its own " +
			"files, so the check applies only with a syslog daemon.",
		Remediation: "apt-get install logrotate (it ships /etc/logrotate.d/rsyslog) or configure the daemon's own rotation.",
		References:  []string{"CIS Distribution Independent Linux Benchmark: Ensure logrotate is configured", "logrotate(8)"},
		Run:         runLogrotate,
	}
}

func runLogrotate(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	inv, err := loadInventory(r)
	if err != nil {
		return nil, err
	}
	daemon := ""
	for _, d := range syslogDaemons {
		if inv.has(d.pkg) || len(programs(r, []string{d.program})) > 0 {
			daemon = d.pkg
			break
		}
	}
	if daemon == "" {
		return notApplicable("no syslog daemon writes log files"), nil
	}
	if p := inv.find("logrotate"); len(p) > 0 {
		return []config.Result{p[0].result(config.Pass, p[0].String()+" rotates the files "+daemon+" writes")}, nil
	}
	if progs := programs(r, []string{"logrotate"}); len(progs) > 0 && rootfs.Exists(r, "etc/logrotate.conf") {
		return []config.Result{{Status: config.Pass, Path: "etc/logrotate.conf", Message: "logrotate rotates the files " + daemon + " writes"}}, nil
	}
	return []config.Result{missing(inv, "etc/logrotate.conf", daemon+" is installed but logrotate is not: its log files grow without bound")}, nil
}

// fileCreateMode matches rsyslog's legacy "$FileCreateMode 0640" and the
// fileCreateMode="0640" parameter of omfile actions and modules.
var fileCreateMode = regexp.MustCompile(`(?i)(?:^\s*\$FileCreateMode\s+|fileCreateMode\s*=\s*")([0-7]{3,4})`)

func rsyslogModeCheck() config.Check {
	return config.Check{
		ID:       "system-rsyslog-filemode",
		Title:    "rsyslog creates log files 0640 or stricter",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/rsyslog.conf", "etc/rsyslog.d/*.conf"},
		Rationale: "rsyslog creates new log files with mode 0644 unless told otherwise, so every user can read " +
			"authentication logs and whatever applications log.",
		Remediation: "Set $FileCreateMode 0640 near the top of /etc/rsyslog.conf (Debian's default) or " +
			"fileCreateMode=\"0640\" on each omfile action.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure rsyslog default file permissions configured",
			"rsyslog documentation: omfile fileCreateMode"},
		Run: runRsyslogMode,
	}
}

func runRsyslogMode(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	files := []string{"etc/rsyslog.conf"}
	if !rootfs.Exists(r, files[0]) {
		return notApplicable("rsyslog is not configured (no etc/rsyslog.conf)"), nil
	}
	for _, e := range rootfs.Dir(r, "etc/rsyslog.d") {
		if strings.HasSuffix(e.Path, ".conf") {
			files = append(files, e.Path)
		}
	}
	var out []config.Result
	for _, f := range files {
		data, _, err := readOptional(r, f)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(string(data), "\n") {
			m := fileCreateMode.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			mode, _ := strconv.ParseUint(m[1], 8, 32)
			res := config.Result{Status: config.Pass, Path: f, Line: i + 1, Message: "file create mode " + m[1]}
			if mode&^0o640 != 0 {
				res.Status, res.Message = config.Fail, fmt.Sprintf("file create mode %s lets others read or group write new logs, want 0640", m[1])
			}
			out = append(out, res)
		}
	}
	if len(out) == 0 {
		return []config.Result{{Status: config.Fail, Path: "etc/rsyslog.conf", Message: "no $FileCreateMode: rsyslog creates log files 0644"}}, nil
	}
	return out, nil
}
