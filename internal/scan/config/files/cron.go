package files

import (
	"context"
	"fmt"
	"path"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// cronDaemons are the programs that run system crontabs: Vixie/ISC cron
// and cronie, busybox crond, anacron.
var cronDaemons = []string{"usr/sbin/cron", "usr/sbin/crond", "sbin/crond", "usr/sbin/anacron"}

// cronDirs hold crontab fragments and scripts that cron runs as root.
var cronDirs = []string{"etc/cron.d", "etc/cron.hourly", "etc/cron.daily", "etc/cron.weekly", "etc/cron.monthly", "etc/cron.yearly"}

// busyboxCronDirs are their equivalents for busybox crond (Alpine).
var busyboxCronDirs = []string{"etc/crontabs", "etc/periodic/15min", "etc/periodic/hourly", "etc/periodic/daily",
	"etc/periodic/weekly", "etc/periodic/monthly"}

var cronReferences = []string{
	"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/crontab are configured",
	"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/cron.d are configured",
	"crontab(5)", "cron(8)",
}

func cronPermsCheck() config.Check {
	return config.Check{
		ID:       "files-cron-perms",
		Title:    "/etc/crontab is 0600 and the cron directories 0700, owned by root",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/crontab", "etc/cron.d", "etc/cron.hourly", "etc/cron.daily", "etc/cron.weekly", "etc/cron.monthly", "etc/cron.yearly"},
		Rationale: "The system crontab and cron directories say what runs as root and when; readable by everyone " +
			"they show an attacker which scripts to target and when to act. Low: this is about reading; " +
			"files-cron-writable reports the cron files others can change, which is far worse.",
		Remediation: "chown root:root /etc/crontab /etc/cron.*; chmod 0600 /etc/crontab; chmod 0700 /etc/cron.d " +
			"/etc/cron.hourly /etc/cron.daily /etc/cron.weekly /etc/cron.monthly",
		References: cronReferences,
		Run:        runCronPerms,
	}
}

func runCronPerms(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !present(r, cronDaemons...) {
		return notApplicable("no cron daemon installed"), nil
	}
	var out []config.Result
	if e, ok := lookupFile(r, "etc/crontab"); ok {
		out = append(out, judge(e, rootOnly(0o600)))
	}
	for _, d := range cronDirs {
		if e, ok := lookupDir(r, d); ok {
			out = append(out, judge(e, rootOnly(0o700)))
		}
	}
	if len(out) == 0 {
		return notApplicable("cron is installed without /etc/crontab or /etc/cron.* directories"), nil
	}
	return out, nil
}

func cronWritableCheck() config.Check {
	return config.Check{
		ID:       "files-cron-writable",
		Title:    "Only root can change what cron runs",
		Group:    Group,
		Severity: pipeline.SeverityHigh,
		Target:   config.TargetRootFS,
		Reads: []string{"etc/crontab", "etc/anacrontab", "etc/cron.*/*", "etc/crontabs/*", "etc/periodic/*/*",
			"var/spool/cron/crontabs/*", "var/spool/cron/*"},
		Rationale: "Cron runs the system crontab and every script in /etc/cron.* as root. Anyone who can write one " +
			"of those files or directories, or a script a symlink there points to, runs code as root at the next " +
			"tick. A user's own crontab writable by others lets them run code as that user. High: the " +
			"path to root is direct and needs no bug.",
		Remediation: "chown root:root and chmod go-w each listed file and directory (user crontabs: chmod 0600, " +
			"owned by their user).",
		References: cronReferences,
		Run:        runCronWritable,
	}
}

func runCronWritable(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !present(r, cronDaemons...) {
		return notApplicable("no cron daemon installed"), nil
	}
	var l failList
	n := 0
	judgeRoot := func(f listed) {
		n++
		switch {
		case f.Mode&0o022 != 0:
			l.add(f.Path, fmt.Sprintf("%s %04o %d:%d is writable by %s; cron runs it as root", f.shown(), octal(f.Mode), f.UID, f.GID, writers(f.Entry)))
		case f.UID != 0:
			l.add(f.Path, fmt.Sprintf("%s is owned by uid %d; cron runs it as root", f.shown(), f.UID))
		}
	}
	for _, p := range []string{"etc/crontab", "etc/anacrontab"} {
		if e, ok := lookupFile(r, p); ok {
			judgeRoot(listed{name: e.Path, Entry: e})
		}
	}
	for _, d := range append(cronDirs[:len(cronDirs):len(cronDirs)], busyboxCronDirs...) {
		if e, ok := lookupDir(r, d); ok {
			judgeRoot(listed{name: e.Path, Entry: e})
			for _, f := range filesUnder(r, d) {
				judgeRoot(f)
			}
		}
	}
	for _, d := range []string{"var/spool/cron/crontabs", "var/spool/cron"} {
		for _, f := range filesUnder(r, d) {
			n++
			if f.Mode&0o022 != 0 {
				l.add(f.Path, fmt.Sprintf("%s %04o is a crontab writable by %s", f.shown(), octal(f.Mode), writers(f.Entry)))
			}
		}
	}
	if n == 0 {
		return notApplicable("cron is installed without crontabs or cron directories"), nil
	}
	return l.results(fmt.Sprintf("%d cron files and directories are writable by their owner alone", n)), nil
}

// writers names who besides the owner may write e.
func writers(e rootfs.Entry) string {
	switch {
	case e.Mode&0o002 != 0:
		return "every user"
	default:
		return fmt.Sprintf("group %d", e.GID)
	}
}

func cronAllowCheck() config.Check {
	return config.Check{
		ID:       "files-cron-allow",
		Title:    "crontab and at are restricted to the users in cron.allow and at.allow",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/cron.allow", "etc/cron.deny", "etc/at.allow", "etc/at.deny", "usr/bin/crontab", "usr/bin/at"},
		Rationale: "Without an allow list every account, including service accounts taken over through a bug, can " +
			"schedule jobs that survive a restart of the service. An allow list names the few users who need " +
			"to; a deny list fails open for every account added later.",
		Remediation: "Create /etc/cron.allow and /etc/at.allow (0640 root:root, listing the users who need them, " +
			"possibly none) and delete /etc/cron.deny and /etc/at.deny.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure cron is restricted to authorized users",
			"CIS Distribution Independent Linux Benchmark: Ensure at is restricted to authorized users", "crontab(1)", "at(1)"},
		Run: runCronAllow,
	}
}

func runCronAllow(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	db, err := loadAccounts(r)
	if err != nil {
		return nil, err
	}
	var out []config.Result
	for _, t := range []struct{ tool, group string }{{"crontab", "crontab"}, {"at", "daemon"}} {
		if !schedulerInstalled(r, t.tool) {
			continue
		}
		out = append(out, allowList(r, db, t.tool, t.group))
	}
	if len(out) == 0 {
		return notApplicable("neither crontab nor at is installed"), nil
	}
	return out, nil
}

// schedulerInstalled reports whether a user-facing scheduler command is
// installed as its own program; busybox's crontab applet is not setuid and
// has no allow list.
func schedulerInstalled(r rootfs.Root, tool string) bool {
	for _, p := range []string{"usr/bin/" + tool, "bin/" + tool} {
		real, err := rootfs.Resolve(r, p)
		if err != nil || path.Base(real) == "busybox" {
			continue
		}
		if e, ok := r.Lookup(real); ok && e.Mode.IsRegular() {
			return true
		}
	}
	return false
}

// allowList judges etc/TOOL.allow, where TOOL is cron for crontab.
func allowList(r rootfs.Root, db *accounts, tool, group string) config.Result {
	base := tool
	if tool == "crontab" {
		base = "cron"
	}
	allow, deny := "etc/"+base+".allow", "etc/"+base+".deny"
	if e, ok := lookupFile(r, allow); ok {
		return judge(e, rootOr(0o640, db, group))
	}
	msg := fmt.Sprintf("%s is missing: every user may use %s", allow, tool)
	if _, ok := lookupFile(r, deny); ok {
		msg = fmt.Sprintf("%s is missing: every user not in %s may use %s", allow, deny, tool)
		return config.Result{Status: config.Fail, Path: deny, Message: msg}
	}
	return config.Result{Status: config.Fail, Path: allow, Message: msg}
}
