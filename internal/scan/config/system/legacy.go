package system

import (
	"context"
	"fmt"
	"path"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// legacy describes a service that a hardened server should not carry, by
// the names each packaging and init system gives it.
type legacy struct {
	id, title   string
	severity    pipeline.Severity
	what        string   // "telnet server", for messages
	packages    []string // dpkg and apk package names
	programs    []string // program names (see inDirs) or paths
	svc         services
	rationale   string
	remediation string
	refs        []string
}

// installedPolicy is appended to every legacy service's rationale.
const installedPolicy = " Installed counts even when disabled or masked: a disabled service is one command from " +
	"running, and its files still carry its bugs; remove the package."

func (l legacy) check() config.Check {
	reads := []string{dpkgStatus, apkInstalled, "program files (rpm roots)"}
	rationale := l.rationale
	if l.startable() {
		reads = append(reads, "etc/systemd/system/*.wants", "etc/runlevels/*", "etc/rc?.d", "etc/inetd.conf", "etc/xinetd.d/*")
		rationale += installedPolicy
	}
	return config.Check{
		ID: l.id, Title: l.title, Group: Group, Severity: l.severity, Target: config.TargetRootFS,
		Reads: reads, Rationale: rationale, Remediation: l.remediation, References: l.refs,
		Run: func(_ context.Context, r rootfs.Root) ([]config.Result, error) { return runLegacy(r, l) },
	}
}

// runLegacy fails once for each package installed, each program present
// where no package says so (rpm roots, copied binaries) and each place the
// service is started at boot.
func runLegacy(r rootfs.Root, l legacy) ([]config.Result, error) {
	inv, err := loadInventory(r)
	if err != nil {
		return nil, err
	}
	starts, err := enabledAt(r, l.svc)
	if err != nil {
		return nil, err
	}
	var out []config.Result
	pkgs := inv.find(l.packages...)
	for _, p := range pkgs {
		out = append(out, p.result(config.Fail, fmt.Sprintf("%s is installed (%s)%s", p, l.what, l.bootNote(starts))))
	}
	if len(pkgs) == 0 {
		for _, p := range programs(r, l.programs) {
			out = append(out, config.Result{Status: config.Fail, Path: p, Message: fmt.Sprintf("%s is present (%s)%s", p, l.what, l.bootNote(starts))})
		}
	}
	for _, s := range starts {
		out = append(out, config.Result{Status: config.Fail, Path: s.Path, Line: s.Line, Message: s.What + " is started at boot"})
	}
	if len(out) > 0 {
		return out, nil
	}
	if !inv.isOS() {
		return notApplicable("not an operating system root: no package database or os-release"), nil
	}
	return []config.Result{{Status: config.Pass, Path: inv.db(), Message: "no " + l.what + " package, program or boot entry"}}, nil
}

// startable reports whether the service runs as a daemon that an init
// system or super-server starts (clients and the X server do not).
func (l legacy) startable() bool { return len(l.svc.units)+len(l.svc.scripts)+len(l.svc.inetd) > 0 }

// bootNote tells that an installed service is not started at boot, when
// the service is one that can be.
func (l legacy) bootNote(starts []startRef) string {
	if len(starts) == 0 && l.startable() {
		return ", not started at boot"
	}
	return ""
}

// programs returns the paths among names (expanded by inDirs) that are
// programs of their own; busybox applets are links every Alpine root has
// and do not count.
func programs(r rootfs.Root, names []string) []string {
	var out []string
	for _, p := range inDirs(names...) {
		real, err := rootfs.Resolve(r, p)
		if err != nil || path.Base(real) == "busybox" {
			continue
		}
		if e, ok := r.Lookup(real); ok && e.Mode.IsRegular() && !contains(out, real) {
			out = append(out, real)
		}
	}
	return out
}

func notApplicable(msg string) []config.Result {
	return []config.Result{{Status: config.NotApplicable, Message: msg}}
}

const cisServices = "CIS Distribution Independent Linux Benchmark: Special Purpose Services"

// legacyServices are the servers and clients CIS asks to remove.
func legacyServices() []legacy {
	return []legacy{
		{id: "system-telnet-server", title: "No telnet server is installed or started", severity: pipeline.SeverityHigh,
			what:     "telnet server",
			packages: []string{"telnetd", "inetutils-telnetd", "telnetd-ssl", "telnet-server"},
			programs: []string{"in.telnetd", "telnetd", "usr/libexec/telnetd"},
			svc:      services{units: []string{"telnet.socket", "telnetd.socket", "telnetd.service"}, scripts: []string{"telnetd"}, inetd: []string{"telnet"}},
			rationale: "telnet sends the user name, the password and the whole session in clear text, so anyone on " +
				"the path can take over the account. High: it gives away credentials to a passive listener.",
			remediation: "apt-get purge telnetd inetutils-telnetd (dnf remove telnet-server) and log in with SSH.",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure telnet server is not installed", "RFC 854"}},
		{id: "system-rsh-server", title: "No rsh, rlogin or rexec server is installed or started", severity: pipeline.SeverityHigh,
			what:     "rsh/rlogin/rexec server",
			packages: []string{"rsh-server", "rsh-redone-server"},
			programs: []string{"in.rshd", "in.rlogind", "in.rexecd", "rshd", "rlogind", "rexecd"},
			svc:      services{units: []string{"rsh.socket", "rlogin.socket", "rexec.socket"}, inetd: []string{"shell", "login", "exec"}},
			rationale: "The r-services trust the client's address and .rhosts files instead of a password and send " +
				"everything in clear text; address spoofing or one trusted host gives a shell. High for the same " +
				"reason as telnet.",
			remediation: "apt-get purge rsh-server rsh-redone-server (dnf remove rsh-server) and use SSH.",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure rsh server is not enabled", "rhosts(5)"}},
		{id: "system-tftp-server", title: "No TFTP server is installed or started", severity: pipeline.SeverityMedium,
			what:     "TFTP server",
			packages: []string{"tftpd-hpa", "tftpd", "atftpd", "tftp-server", "tftp-hpa"},
			programs: []string{"in.tftpd", "atftpd"},
			svc: services{units: []string{"tftpd-hpa.service", "tftp.socket", "tftp.service", "atftpd.service"},
				scripts: []string{"tftpd-hpa", "in.tftpd", "atftpd"}, inetd: []string{"tftp"}},
			rationale: "TFTP has no authentication at all: anyone who reaches the port reads, and often writes, the " +
				"files it serves. It belongs on network-boot servers only.",
			remediation: "apt-get purge tftpd-hpa atftpd (dnf remove tftp-server).",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure TFTP server is not installed", "RFC 1350"}},
		{id: "system-ftp-server", title: "No FTP server is installed or started", severity: pipeline.SeverityMedium,
			what:     "FTP server",
			packages: []string{"vsftpd", "proftpd-basic", "proftpd-core", "proftpd", "pure-ftpd", "inetutils-ftpd", "ftpd"},
			programs: []string{"vsftpd", "proftpd", "pure-ftpd", "in.ftpd", "ftpd"},
			svc: services{units: []string{"vsftpd.service", "proftpd.service", "pure-ftpd.service"},
				scripts: []string{"vsftpd", "proftpd", "pure-ftpd"}, inetd: []string{"ftp"}},
			rationale:   "Plain FTP sends passwords and data in clear text and often allows anonymous access.",
			remediation: "Remove the FTP server package and move file transfer to SFTP (part of OpenSSH).",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure FTP Server is not installed", "RFC 959"}},
		{id: "system-nis", title: "NIS (yp) is not installed or started", severity: pipeline.SeverityMedium,
			what:     "NIS",
			packages: []string{"nis", "ypserv", "ypbind", "ypbind-mt"},
			programs: []string{"ypserv", "ypbind"},
			svc:      services{units: []string{"ypserv.service", "ypbind.service", "nis.service"}, scripts: []string{"nis", "ypserv", "ypbind"}},
			rationale: "NIS hands out the password map, hashes included, to any client that knows the domain name, " +
				"with no encryption or authentication.",
			remediation: "apt-get purge nis (dnf remove ypserv ypbind) and use LDAP over TLS or local accounts.",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure NIS Server is not installed", "ypserv(8)"}},
		{id: "system-talk", title: "No talk server is installed or started", severity: pipeline.SeverityLow,
			what:     "talk server",
			packages: []string{"talkd", "inetutils-talkd", "talk-server"},
			programs: []string{"in.talkd", "in.ntalkd", "talkd"},
			svc:      services{inetd: []string{"talk", "ntalk"}},
			rationale: "talk is an unauthenticated, unencrypted chat service with no place on a server; low because " +
				"it exposes no credentials, only an unneeded network listener.",
			remediation: "apt-get purge talkd inetutils-talkd (dnf remove talk-server).",
			refs:        []string{cisServices, "talkd(8)"}},
		{id: "system-inetd", title: "No inetd or xinetd super-server is installed or started", severity: pipeline.SeverityLow,
			what:     "inetd super-server",
			packages: []string{"openbsd-inetd", "inetutils-inetd", "xinetd", "rlinetd"},
			programs: []string{"inetd", "xinetd"},
			svc:      services{units: []string{"inetd.service", "xinetd.service", "openbsd-inetd.service"}, scripts: []string{"inetd", "xinetd", "openbsd-inetd"}},
			rationale: "inetd and xinetd exist to start the legacy services above on demand; a modern server runs its " +
				"daemons under the init system. Low: the super-server alone listens nowhere; the services it " +
				"starts are reported by their own checks.",
			remediation: "apt-get purge openbsd-inetd inetutils-inetd xinetd and run any needed daemon as a service.",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure xinetd is not installed", "inetd(8)", "xinetd(8)"}},
		{id: "system-avahi", title: "The Avahi mDNS daemon is not installed or started", severity: pipeline.SeverityLow,
			what:     "Avahi daemon",
			packages: []string{"avahi-daemon", "avahi"},
			programs: []string{"avahi-daemon"},
			svc:      services{units: []string{"avahi-daemon.service", "avahi-daemon.socket"}, scripts: []string{"avahi-daemon"}},
			rationale: "Avahi announces the host and its services by multicast DNS and answers anyone on the local " +
				"network: useful on desktops, an unneeded listener on a server.",
			remediation: "apt-get purge avahi-daemon (dnf remove avahi).",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure Avahi Server is not installed", "avahi-daemon(8)"}},
		{id: "system-cups", title: "The CUPS print server is not installed or started", severity: pipeline.SeverityLow,
			what:     "CUPS print server",
			packages: []string{"cups", "cups-daemon"},
			programs: []string{"cupsd"},
			svc:      services{units: []string{"cups.service", "cups.socket", "cups.path"}, scripts: []string{"cupsd", "cups"}},
			rationale: "A print server on a machine that prints nothing is a network listener with a long history of " +
				"remote bugs (cups-browsed, 2024).",
			remediation: "apt-get purge cups cups-daemon (dnf remove cups).",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure CUPS is not installed", "cupsd(8)"}},
		{id: "system-snmp", title: "No SNMP agent is installed or started", severity: pipeline.SeverityMedium,
			what:     "SNMP agent",
			packages: []string{"snmpd", "net-snmp"},
			programs: []string{"snmpd"},
			svc:      services{units: []string{"snmpd.service"}, scripts: []string{"snmpd"}},
			rationale: "SNMP v1 and v2c authenticate with a community string sent in clear text (often \"public\") and " +
				"reveal processes, interfaces and software; a writable community changes settings.",
			remediation: "Remove snmpd, or configure SNMPv3 users with authPriv only and no v1/v2c communities.",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure SNMP Server is not installed", "snmpd.conf(5)"}},
		{id: "system-x11-server", title: "No X Window System server is installed", severity: pipeline.SeverityLow,
			what:     "X server",
			packages: []string{"xserver-xorg-core", "xserver-xorg", "xorg-server", "xorg-x11-server-Xorg"},
			programs: []string{"usr/lib/xorg/Xorg", "Xorg", "usr/libexec/Xorg"},
			rationale: "A server image needs no graphical display server; Xorg is a large privileged program with a " +
				"history of local root bugs.",
			remediation: "apt-get purge 'xserver-xorg*' (dnf remove xorg-x11-server-Xorg).",
			refs:        []string{"CIS Distribution Independent Linux Benchmark: Ensure X Window System is not installed"}},
		{id: "system-legacy-clients", title: "No telnet, rsh, talk or FTP client is installed", severity: pipeline.SeverityLow,
			what:     "clear-text protocol client",
			packages: []string{"telnet", "inetutils-telnet", "rsh-client", "rsh-redone-client", "talk", "inetutils-talk", "ftp", "inetutils-ftp", "tnftp"},
			programs: []string{"telnet", "rsh", "rlogin", "rcp", "talk", "ftp"},
			rationale: "The clients of the clear-text protocols send passwords in the open and invite their use " +
				"from the image. Low: a client listens nowhere.",
			remediation: "apt-get purge telnet inetutils-telnet rsh-client talk ftp and use ssh, scp and sftp.",
			refs: []string{"CIS Distribution Independent Linux Benchmark: Ensure telnet client is not installed",
				"CIS Distribution Independent Linux Benchmark: Ensure rsh client is not installed",
				"CIS Distribution Independent Linux Benchmark: Ensure talk client is not installed"}},
	}
}
