package ssh

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// sessionChecks cover the protocol and what a session may do.
func sessionChecks() []config.Check {
	protocol := sshdCheck("ssh-protocol", "SSH speaks protocol 2 only", pipeline.SeverityMedium,
		"SSH protocol 1 has known design flaws (CRC-32 integrity, session hijacking, weak key "+
			"exchange). OpenSSH 7.4 and later speak only protocol 2 and ignore the Protocol keyword, "+
			"so a configuration without it passes; any Protocol line that lists 1 fails, wherever it "+
			"is, because it shows the image expects an old server or carries an old configuration.",
		"Remove the Protocol line, or set Protocol 2, and upgrade OpenSSH if it is older than 7.4.",
		[]string{cis("Ensure SSH Protocol is set to 2")})
	protocol.Run = runWith(protocolResults)

	x11 := sshdCheck("ssh-x11-forwarding", "SSH X11 forwarding is disabled", pipeline.SeverityLow,
		"A forwarded X11 display lets a compromised server read the client's keystrokes and screen; "+
			"servers seldom need it.",
		"Set X11Forwarding no (the upstream default; Debian's shipped file sets yes).",
		[]string{cis("Ensure sshd X11Forwarding is disabled")})
	x11.Run = runSettings(setting{name: "X11Forwarding", def: "no",
		judge: boolIs("no", "X11 displays are forwarded")})

	tcp := sshdCheck("ssh-allow-tcp-forwarding", "SSH TCP forwarding is disabled", pipeline.SeverityLow,
		"Port forwarding turns any SSH account into a tunnel past firewalls and network monitoring. "+
			"DisableForwarding yes also passes.",
		"Set AllowTcpForwarding no (or DisableForwarding yes); allow it in a Match block only for the "+
			"accounts that need it.",
		[]string{cis("Ensure sshd AllowTcpForwarding is disabled")})
	tcp.Run = runWith(tcpForwardingResults)

	return append([]config.Check{protocol, x11, tcp}, limitChecks()...)
}

// limitChecks cover time and connection limits, the banner and logging.
func limitChecks() []config.Check {
	grace := sshdCheck("ssh-login-grace-time", "SSH login grace time is one minute or less", pipeline.SeverityLow,
		"Unauthenticated connections hold a slot until LoginGraceTime expires; a long grace time (the "+
			"default is 2 minutes; 0 means none) helps exhaust MaxStartups and keeps brute-force "+
			"sessions open.",
		"Set LoginGraceTime 60 or lower (but not 0).",
		[]string{cis("Ensure sshd LoginGraceTime is configured")})
	grace.Run = runSettings(setting{name: "LoginGraceTime", def: "120", judge: secondsBetween(1, 60)})

	alive := sshdCheck("ssh-client-alive", "SSH drops unresponsive sessions", pipeline.SeverityLow,
		"Without client-alive probes (the default interval is 0: never), a session whose client "+
			"vanished stays open indefinitely. We require a probe every 1 to 300 seconds and at most "+
			"3 missed probes, so a dead session ends within 15 minutes.",
		"Set ClientAliveInterval to 1-300 (e.g. 15) and ClientAliveCountMax to 1-3.",
		[]string{cis("Ensure sshd ClientAliveInterval and ClientAliveCountMax are configured")})
	alive.Run = runSettings(
		setting{name: "ClientAliveInterval", def: "0", judge: secondsBetween(1, 300)},
		setting{name: "ClientAliveCountMax", def: "3", judge: intBetween(1, 3)})

	startups := sshdCheck("ssh-max-startups", "SSH limits concurrent unauthenticated connections", pipeline.SeverityLow,
		"MaxStartups start:rate:full drops new unauthenticated connections at random once start are "+
			"pending and refuses all at full; 10:30:60 or stricter keeps a flood from exhausting the "+
			"daemon (the default is 10:30:100).",
		"Set MaxStartups 10:30:60.",
		[]string{cis("Ensure sshd MaxStartups is configured")})
	startups.Run = runSettings(setting{name: "MaxStartups", def: "10:30:100", judge: maxStartups})

	sessions := sshdCheck("ssh-max-sessions", "SSH limits sessions per connection to 10", pipeline.SeverityLow,
		"Many sessions multiplexed over one connection help a stolen connection go unnoticed and can "+
			"exhaust resources.",
		"Set MaxSessions 10 or lower (10 is the default).",
		[]string{cis("Ensure sshd MaxSessions is configured")})
	sessions.Run = runSettings(setting{name: "MaxSessions", def: "10", judge: intBetween(1, 10)})

	banner := sshdCheck("ssh-banner", "SSH shows a warning banner", pipeline.SeverityLow,
		"A banner shown before authentication states that access is monitored and authorised users "+
			"only, which some jurisdictions need to prosecute intrusions.",
		"Set Banner /etc/issue.net and write a warning there, without OS or version details.",
		[]string{cis("Ensure sshd Banner is configured")})
	banner.Run = runSettings(setting{name: "Banner", def: "none", judge: bannerFile})

	logLevel := sshdCheck("ssh-log-level", "SSH logs at INFO or VERBOSE", pipeline.SeverityLow,
		"QUIET, FATAL and ERROR lose the records of logins and failures an investigation needs; "+
			"DEBUG levels log users' private data.",
		"Set LogLevel VERBOSE (records key fingerprints) or INFO (the default).",
		[]string{cis("Ensure sshd LogLevel is configured")})
	logLevel.Run = runSettings(setting{name: "LogLevel", def: "INFO",
		judge: oneOf([]string{"info", "verbose"}, map[string]string{
			"quiet":  "logins and failures are not recorded",
			"fatal":  "logins and failures are not recorded",
			"error":  "logins and failures are not recorded",
			"debug":  "debug levels record users' private data",
			"debug1": "debug levels record users' private data",
			"debug2": "debug levels record users' private data",
			"debug3": "debug levels record users' private data",
		})})

	return []config.Check{grace, alive, startups, sessions, banner, logLevel}
}

// protocolResults fails every Protocol line that lists version 1, and
// passes when none does.
func protocolResults(_ rootfs.Root, srv *server) []config.Result {
	ds := srv.cfg.all("protocol")
	if len(ds) == 0 {
		return []config.Result{{Status: config.Pass, Path: mainConfig,
			Message: "Protocol not set: OpenSSH 7.4 and later speak only protocol 2"}}
	}
	var out []config.Result
	for _, d := range ds {
		res := config.Result{Status: config.Pass, Path: d.Path, Line: d.Line,
			Message: fmt.Sprintf("%s %s (%s)", d.Name, strings.Join(d.Args, " "), d.where())}
		for _, v := range strings.Split(strings.Join(d.Args, ","), ",") {
			if strings.TrimSpace(v) == "1" {
				res.Status = config.Fail
				res.Message += ": protocol 1 is enabled"
				break
			}
		}
		out = append(out, res)
	}
	return out
}

// tcpForwardingResults judges AllowTcpForwarding, which DisableForwarding
// yes overrides.
func tcpForwardingResults(r rootfs.Root, srv *server) []config.Result {
	if d, ok := srv.cfg.global("disableforwarding"); ok && strings.EqualFold(d.Args[0], "yes") {
		out := []config.Result{{Status: config.Pass, Path: d.Path, Line: d.Line,
			Message: fmt.Sprintf("%s yes (%s)", d.Name, d.where())}}
		for _, m := range srv.cfg.inMatch("disableforwarding") {
			if strings.EqualFold(m.Args[0], "no") {
				out = append(out, config.Result{Status: config.Fail, Path: m.Path, Line: m.Line,
					Message: fmt.Sprintf("%s no inside Match %s (%s): forwarding is re-enabled for matching connections",
						m.Name, m.Match, m.where())})
			}
		}
		return out
	}
	return setting{name: "AllowTcpForwarding", def: "yes",
		judge: oneOf([]string{"no"}, map[string]string{
			"yes":    "TCP ports may be forwarded both ways",
			"all":    "TCP ports may be forwarded both ways",
			"local":  "local TCP ports may be forwarded",
			"remote": "remote TCP ports may be forwarded",
		})}.eval(r, srv)
}

// maxStartups accepts "start:rate:full" (or a single number) with start
// at most 10, rate at least 30 and full at most 60.
func maxStartups(_ rootfs.Root, args []string) string {
	parts := strings.Split(args[0], ":")
	var n []int
	for _, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return "want start:rate:full numbers: sshd refuses to start"
		}
		n = append(n, v)
	}
	switch len(n) {
	case 1:
		if n[0] > 10 {
			return fmt.Sprintf("%d unauthenticated connections allowed, want 10:30:60 or stricter", n[0])
		}
		return ""
	case 3:
		if n[0] > 10 || n[1] < 30 || n[2] > 60 {
			return "want 10:30:60 or stricter"
		}
		return ""
	}
	return "want start:rate:full numbers: sshd refuses to start"
}

// bannerFile accepts a Banner naming a file present in the root.
func bannerFile(r rootfs.Root, args []string) string {
	if strings.EqualFold(args[0], "none") {
		return "no banner is shown"
	}
	if !rootfs.Exists(r, args[0]) {
		return "the banner file is absent from the image"
	}
	return ""
}
