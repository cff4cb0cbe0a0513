package files

import (
	"context"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// authFile is one account database and what its metadata may be.
type authFile struct {
	path string
	// limit builds the allowed metadata once etc/group is known.
	limit func(db *accounts) limit
}

func publicDB(p string) authFile {
	return authFile{path: p, limit: func(*accounts) limit { return rootOnly(0o644) }}
}

// secretDB may be group-readable by the shadow group, which Debian and
// Alpine give to the helpers that check passwords (unix_chkpwd, chage);
// Fedora and RHEL use mode 0000 root:root, which also passes.
func secretDB(p string) authFile {
	return authFile{path: p, limit: func(db *accounts) limit { return rootOr(0o640, db, "shadow") }}
}

// runAuthFiles judges each file that exists; none existing is
// NotApplicable (a distroless image without account databases).
func runAuthFiles(r rootfs.Root, files []authFile) ([]config.Result, error) {
	db, err := loadAccounts(r)
	if err != nil {
		return nil, err
	}
	var out []config.Result
	for _, f := range files {
		if e, ok := lookupFile(r, f.path); ok {
			out = append(out, judge(e, f.limit(db)))
		}
	}
	if len(out) == 0 {
		return notApplicable("no " + files[0].path + " in the image"), nil
	}
	return out, nil
}

func authFileCheck(id, title string, sev pipeline.Severity, rationale, remediation string, refs []string, files ...authFile) config.Check {
	reads := make([]string, len(files))
	for i, f := range files {
		reads[i] = f.path + " (metadata)"
	}
	return config.Check{
		ID: id, Title: title, Group: Group, Severity: sev, Target: config.TargetRootFS,
		Reads: append(reads, "etc/group"), Rationale: rationale, Remediation: remediation, References: refs,
		Run: func(_ context.Context, r rootfs.Root) ([]config.Result, error) { return runAuthFiles(r, files) },
	}
}

func passwdCheck() config.Check {
	return authFileCheck("files-passwd-perms", "/etc/passwd is 0644 root:root or stricter", pipeline.SeverityMedium,
		"Every program that maps user IDs to names reads /etc/passwd, so it must stay readable, but only root may "+
			"change it: a writable passwd lets anyone add an account with UID 0 or change root's shell.",
		"chown root:root /etc/passwd && chmod 0644 /etc/passwd",
		[]string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/passwd are configured", "passwd(5)"},
		publicDB("etc/passwd"))
}

func groupCheck() config.Check {
	return authFileCheck("files-group-perms", "/etc/group is 0644 root:root or stricter", pipeline.SeverityMedium,
		"/etc/group decides who belongs to sudo, adm, docker and shadow; whoever can write it can join them.",
		"chown root:root /etc/group && chmod 0644 /etc/group",
		[]string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/group are configured", "group(5)"},
		publicDB("etc/group"))
}

func shadowCheck() config.Check {
	return authFileCheck("files-shadow-perms", "/etc/shadow is 0640 root:shadow or stricter", pipeline.SeverityMedium,
		"/etc/shadow holds the password hashes. Readable by others, they can be cracked offline; writable, any "+
			"password can be replaced. Mode 0640 with group shadow (Debian, Alpine) or 0000 root:root (Fedora, "+
			"RHEL) both pass.",
		"chown root:shadow /etc/shadow && chmod 0640 /etc/shadow (or root:root 0000 where there is no shadow group)",
		[]string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/shadow are configured", "shadow(5)"},
		secretDB("etc/shadow"))
}

func gshadowCheck() config.Check {
	return authFileCheck("files-gshadow-perms", "/etc/gshadow is 0640 root:shadow or stricter", pipeline.SeverityMedium,
		"/etc/gshadow holds group passwords and group administrators; readable, its hashes can be cracked; "+
			"writable, anyone can make themselves a group's administrator.",
		"chown root:shadow /etc/gshadow && chmod 0640 /etc/gshadow (or root:root 0000 where there is no shadow group)",
		[]string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/gshadow are configured", "gshadow(5)"},
		secretDB("etc/gshadow"))
}

func backupCheck() config.Check {
	return authFileCheck("files-passwd-backup-perms", "Backup account databases (passwd-, shadow-, group-, gshadow-) are as strict as the originals",
		pipeline.SeverityMedium,
		"The shadow tools keep the previous version of each account database with a trailing '-'. The backup of "+
			"/etc/shadow holds the same hashes as the original, so a looser mode leaks them just the same.",
		"chmod 0644 /etc/passwd- /etc/group- and chmod 0640 /etc/shadow- /etc/gshadow-, all owned by root "+
			"(shadow group for the last two), or delete the backups from the image.",
		[]string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/passwd- are configured",
			"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/shadow- are configured"},
		publicDB("etc/passwd-"), publicDB("etc/group-"), secretDB("etc/shadow-"), secretDB("etc/gshadow-"))
}

func opasswdCheck() config.Check {
	return authFileCheck("files-opasswd-perms", "/etc/security/opasswd is 0600 root:root or stricter", pipeline.SeverityLow,
		"pam_pwhistory and pam_unix's remember= option store hashes of old passwords in /etc/security/opasswd; "+
			"people reuse old passwords elsewhere, so the file must be as closed as /etc/shadow.",
		"chown root:root /etc/security/opasswd && chmod 0600 /etc/security/opasswd",
		[]string{"CIS Distribution Independent Linux Benchmark: Ensure permissions on /etc/security/opasswd are configured", "pam_pwhistory(8)"},
		authFile{path: "etc/security/opasswd", limit: func(*accounts) limit { return rootOnly(0o600) }},
		authFile{path: "etc/security/opasswd.old", limit: func(*accounts) limit { return rootOnly(0o600) }})
}
