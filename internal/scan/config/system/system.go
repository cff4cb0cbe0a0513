// Package system holds the system-service checks of a root filesystem:
// legacy and unneeded network services, auditing and logging, mount
// options of scratch filesystems, package signature checking, and a few
// host-hardening settings (Ctrl-Alt-Del, core dumps, time, firewall, file
// integrity).
//
// It reads the dpkg status database and apk's installed database to learn
// what is installed; rpm's database is binary, so on rpm roots checks look
// for the files a package installs instead. Services count as started at
// boot when systemd, OpenRC, SysV init, inetd or xinetd would start them.
package system

import "github.com/secpipe/secpipe/internal/scan/config"

// Group is the benchmark section of every check in this package.
const Group = "system"

// Checks returns the system checks, in catalogue order.
func Checks() []config.Check {
	var out []config.Check
	for _, l := range legacyServices() {
		out = append(out, l.check())
	}
	return append(out,
		auditdCheck(),
		loggingCheck(),
		logrotateCheck(),
		rsyslogModeCheck(),
		tmpMountCheck(),
		devShmMountCheck(),
		varTmpMountCheck(),
		aptCheck(),
		apkCheck(),
		yumCheck(),
		ctrlAltDelCheck(),
		coreDumpsCheck(),
		timeSyncCheck(),
		firewallCheck(),
		fileIntegrityCheck(),
	)
}
