package files

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

func logPermsCheck() config.Check {
	return config.Check{
		ID:       "files-log-perms",
		Title:    "Log files under /var/log are not readable by others",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"metadata of var/log/**"},
		Rationale: "Logs record user names, source addresses, failed passwords typed into the user field and " +
			"application secrets printed by mistake. Others must not read them and only their writer may write " +
			"them. The login records lastlog, wtmp, btmp and faillog may be 0664: login programs in group utmp " +
			"update them.",
		Remediation: "chmod o-rwx,g-w the listed files (chmod 0640, group adm on Debian) and set the writer's " +
			"create mode (rsyslog $FileCreateMode 0640, logrotate create 0640).",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure access to all logfiles has been configured",
			"utmp(5)"},
		Run: runLogPerms,
	}
}

// loginRecords may be 0664, as login(1) and friends update them; they
// hold login times and failure counters, not messages.
var loginRecords = []string{"lastlog", "wtmp", "btmp", "faillog"}

func runLogPerms(ctx context.Context, r rootfs.Root) ([]config.Result, error) {
	var l failList
	n := 0
	for i, e := range r.Entries() {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !e.Mode.IsRegular() || !under(e.Path, "var/log") {
			continue
		}
		n++
		max := uint32(0o640)
		for _, rec := range loginRecords {
			if strings.HasPrefix(path.Base(e.Path), rec) {
				max = 0o664
			}
		}
		if extra := octal(e.Mode) &^ max; extra != 0 {
			l.add(e.Path, fmt.Sprintf("%s %04o, want %04o or stricter", e.Path, octal(e.Mode), max))
		}
	}
	if n == 0 {
		return notApplicable("no files under var/log"), nil
	}
	return l.results(fmt.Sprintf("none of %d log files is open to others", n)), nil
}

func sudoersCheck() config.Check {
	return config.Check{
		ID:       "files-sudoers-perms",
		Title:    "/etc/sudoers and /etc/sudoers.d/* are 0440 root:root",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/sudoers", "etc/sudoers.d/*"},
		Rationale: "The sudoers files decide who becomes root. sudo refuses files others can write, which breaks " +
			"administration; readable ones tell an attacker which accounts and commands lead to root.",
		Remediation: "chown root:root /etc/sudoers /etc/sudoers.d/* && chmod 0440 /etc/sudoers /etc/sudoers.d/* " +
			"(install them with visudo -c -f FILE first).",
		References: []string{"sudoers(5): SECURITY NOTES", "visudo(8)"},
		Run:        runSudoers,
	}
}

func runSudoers(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	var out []config.Result
	if e, ok := lookupFile(r, "etc/sudoers"); ok {
		out = append(out, judge(e, rootOnly(0o440)))
	}
	for _, f := range filesUnder(r, "etc/sudoers.d") {
		// sudo skips names with a '.' or ending in '~' in an includedir.
		if name := path.Base(f.name); strings.Contains(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		out = append(out, judge(f.Entry, rootOnly(0o440)))
	}
	if len(out) == 0 {
		return notApplicable("no sudoers files (sudo is not installed)"), nil
	}
	return out, nil
}

// bootConfigs are the boot loader files that hold kernel parameters and
// boot passwords.
var bootConfigs = []string{"boot/grub/grub.cfg", "boot/grub/user.cfg", "boot/grub2/grub.cfg", "boot/grub2/user.cfg",
	"boot/grub2/grubenv", "boot/loader/loader.conf"}

func bootCheck() config.Check {
	return config.Check{
		ID:       "files-boot-perms",
		Title:    "Boot loader configuration is 0600 root:root or stricter",
		Group:    Group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    bootConfigs,
		Rationale: "grub.cfg and user.cfg carry the boot password hashes and the kernel command line (which may " +
			"turn off protections such as audit or AppArmor). Readable by others, the hashes can be cracked " +
			"offline; writable, anyone can boot the machine into a root shell.",
		Remediation: "chown root:root /boot/grub/grub.cfg && chmod 0600 /boot/grub/grub.cfg (likewise user.cfg and " +
			"the grub2 paths); grub-mkconfig keeps the mode of an existing file.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on bootloader config are configured",
			"GNU GRUB Manual: Authentication and authorisation"},
		Run: runBoot,
	}
}

func runBoot(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	var out []config.Result
	for _, p := range bootConfigs {
		if e, ok := lookupFile(r, p); ok {
			out = append(out, judge(e, rootOnly(0o600)))
		}
	}
	if len(out) == 0 {
		return notApplicable("no boot loader configuration (a container image or one booted without GRUB)"), nil
	}
	return out, nil
}

var banners = []string{"etc/motd", "etc/issue", "etc/issue.net"}

func bannerCheck() config.Check {
	return config.Check{
		ID:       "files-banner-perms",
		Title:    "Login banners (/etc/motd, /etc/issue, /etc/issue.net) are 0644 root:root",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    banners,
		Rationale: "Banners are shown to every user before or after login. If others can write them, they can " +
			"show a forged message (\"your password expired, run ...\") to the next person who logs in.",
		Remediation: "chown root:root /etc/motd /etc/issue /etc/issue.net && chmod 0644 /etc/motd /etc/issue /etc/issue.net",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/motd are configured",
			"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/issue are configured", "issue(5)", "motd(5)"},
		Run: runBanners,
	}
}

func runBanners(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	var out []config.Result
	for _, p := range banners {
		if e, ok := lookupFile(r, p); ok {
			out = append(out, judge(e, rootOnly(0o644)))
		}
	}
	if len(out) == 0 {
		return notApplicable("no login banners"), nil
	}
	return out, nil
}
