package files

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// privileged says which of the setuid and setgid bits a program may carry
// and why it needs them.
type privileged struct {
	bits fs.FileMode
	why  string
}

const (
	suidBit = fs.ModeSetuid
	sgidBit = fs.ModeSetgid
)

// expectedPrivileged lists, by file name, the setuid and setgid programs
// that distributions ship for ordinary tasks. A name only counts inside
// the system program directories (see systemProgram). pkexec is not here:
// server images rarely need interactive polkit elevation and it gave local
// root to anyone in 2022 (CVE-2021-4034), so it is reported.
var expectedPrivileged = map[string]privileged{
	"passwd":                    {suidBit, "changes the caller's own password in /etc/shadow"},
	"chsh":                      {suidBit, "changes the caller's login shell in /etc/passwd"},
	"chfn":                      {suidBit, "changes the caller's finger information in /etc/passwd"},
	"gpasswd":                   {suidBit, "lets group administrators manage /etc/group and /etc/gshadow"},
	"newgrp":                    {suidBit, "switches the caller's group after checking /etc/gshadow"},
	"su":                        {suidBit, "switches user after authenticating"},
	"sudo":                      {suidBit, "runs commands as another user as /etc/sudoers allows"},
	"mount":                     {suidBit, "lets users mount filesystems marked 'user' in /etc/fstab"},
	"umount":                    {suidBit, "lets users unmount filesystems marked 'user' in /etc/fstab"},
	"chage":                     {suidBit | sgidBit, "shows the caller's password ageing from /etc/shadow"},
	"expiry":                    {suidBit | sgidBit, "checks the caller's password expiry in /etc/shadow"},
	"unix_chkpwd":               {suidBit | sgidBit, "PAM helper that checks the caller's password against /etc/shadow"},
	"pam_extrausers_chkpwd":     {sgidBit, "PAM helper that checks passwords of extra users (setgid shadow)"},
	"pam_timestamp_check":       {suidBit, "PAM helper that checks the caller's sudo-style timestamp"},
	"wall":                      {sgidBit, "writes a message to every terminal (setgid tty)"},
	"write":                     {sgidBit, "writes to another user's terminal (setgid tty)"},
	"bsd-write":                 {sgidBit, "writes to another user's terminal (setgid tty)"},
	"crontab":                   {suidBit | sgidBit, "edits the caller's crontab in the cron spool"},
	"at":                        {suidBit, "queues the caller's jobs in the at spool"},
	"ssh-keysign":               {suidBit, "reads the host key for host-based SSH authentication"},
	"ssh-agent":                 {sgidBit, "older Debian releases: setgid ssh so that other users cannot trace it"},
	"dbus-daemon-launch-helper": {suidBit, "starts system bus services on demand"},
	"polkit-agent-helper-1":     {suidBit, "authenticates users on behalf of polkitd"},
	"fusermount":                {suidBit, "lets users mount FUSE filesystems"},
	"fusermount3":               {suidBit, "lets users mount FUSE filesystems"},
	"ping":                      {suidBit, "opens raw sockets where file capabilities are not used"},
	"ping6":                     {suidBit, "opens raw sockets where file capabilities are not used"},
	"newuidmap":                 {suidBit, "maps user IDs into user namespaces from /etc/subuid"},
	"newgidmap":                 {suidBit, "maps group IDs into user namespaces from /etc/subgid"},
	"dotlockfile":               {sgidBit, "locks mail spool files (setgid mail)"},
	"mlocate":                   {sgidBit, "reads the locate database, which lists every file"},
	"plocate":                   {sgidBit, "reads the locate database, which lists every file"},
	"locate":                    {sgidBit, "reads the locate database, which lists every file"},
	"utempter":                  {sgidBit, "records terminal sessions in utmp (setgid utmp)"},
	"mount.nfs":                 {suidBit, "lets users mount NFS shares marked 'user' in /etc/fstab"},
	"snap-confine":              {suidBit, "sets up the sandbox of snap packages"},
}

// systemProgram reports whether p is in a directory packages install
// programs and their helpers to.
func systemProgram(p string) bool {
	return under(path.Dir(p), "bin", "sbin", "lib", "lib64", "usr/bin", "usr/sbin", "usr/lib", "usr/lib64", "usr/libexec")
}

func suidCheck() config.Check {
	return config.Check{
		ID:       "files-suid-sgid",
		Title:    "Setuid and setgid programs are only the expected ones",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{"file metadata of the whole tree, except /proc, /sys, /dev"},
		Rationale: "A setuid or setgid program runs with its owner's or group's rights whatever user starts it, so " +
			"each one is a way to root if it has a bug. Distributions ship a short, audited set (passwd, su, sudo, " +
			"mount, unix_chkpwd, ...); anything else, or an expected name outside the system program " +
			"directories, was added by the image and needs a reason. pkexec is reported: few servers need it and " +
			"it gave local root to every user until 2022 (CVE-2021-4034).",
		Remediation: "chmod u-s,g-s each listed program, or remove the package that installs it; where it is " +
			"truly needed, record why in the scan's ignore file.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Audit SUID executables",
			"CIS Distribution Independent Linux Benchmark: Audit SGID executables",
			"https://nvd.nist.gov/vuln/detail/CVE-2021-4034"},
		Run: runSuid,
	}
}

func runSuid(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
	var l failList
	var passes []config.Result
	n, err := walk(ctx, r, func(e rootfs.Entry) {
		bits := e.Mode & (suidBit | sgidBit)
		if !e.Mode.IsRegular() || bits == 0 {
			return
		}
		what := describePriv(e)
		want, ok := expectedPrivileged[path.Base(e.Path)]
		switch {
		case !ok:
			l.add(e.Path, what+", not on the expected list")
		case !systemProgram(e.Path):
			l.add(e.Path, what+", outside the system program directories")
		case bits&^want.bits != 0:
			l.add(e.Path, what+fmt.Sprintf(", expected %s only", bitNames(want.bits)))
		default:
			passes = append(passes, config.Result{Status: config.Pass, Path: e.Path, Message: what + ": expected, " + want.why})
		}
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return notApplicable("no files"), nil
	}
	if l.fails == 0 && len(passes) == 0 {
		return l.results(fmt.Sprintf("no setuid or setgid programs among %d files", n)), nil
	}
	if l.fails == 0 {
		return passes, nil
	}
	return append(l.results(""), passes...), nil
}

// describePriv says what a privileged file runs as:
// "usr/bin/pkexec 4755 setuid uid 0".
func describePriv(e rootfs.Entry) string {
	var parts []string
	if e.Mode&suidBit != 0 {
		parts = append(parts, fmt.Sprintf("setuid uid %d", e.UID))
	}
	if e.Mode&sgidBit != 0 {
		parts = append(parts, fmt.Sprintf("setgid gid %d", e.GID))
	}
	return fmt.Sprintf("%s %04o %s", e.Path, octal(e.Mode), strings.Join(parts, ", "))
}

func bitNames(b fs.FileMode) string {
	switch b {
	case suidBit:
		return "setuid"
	case sgidBit:
		return "setgid"
	}
	return "setuid or setgid"
}
