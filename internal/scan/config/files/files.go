// Package files holds the file-permission checks of a root filesystem:
// system directories, the account databases, world-writable files and
// directories, setuid and setgid programs, files without an owner, cron,
// home directories, logs, sudoers and the boot loader configuration.
//
// Every check reads file metadata (rootfs.Entry) and, where it needs to
// know accounts or groups, etc/passwd and etc/group. Checks that walk the
// whole tree do so once, in order, without quadratic work.
package files

import "github.com/secpipe/secpipe/internal/scan/config"

// Group is the benchmark section of every check in this package.
const Group = "files"

// Checks returns the file-permission checks, in catalogue order.
func Checks() []config.Check {
	return []config.Check{
		systemDirsCheck(),
		passwdCheck(),
		shadowCheck(),
		groupCheck(),
		gshadowCheck(),
		backupCheck(),
		opasswdCheck(),
		worldWritableCheck(),
		stickyDirsCheck(),
		suidCheck(),
		unownedCheck(),
		cronPermsCheck(),
		cronWritableCheck(),
		cronAllowCheck(),
		homePermsCheck(),
		rootHomeCheck(),
		dotFilesCheck(),
		authorizedKeysCheck(),
		logPermsCheck(),
		sudoersCheck(),
		bootCheck(),
		bannerCheck(),
	}
}
