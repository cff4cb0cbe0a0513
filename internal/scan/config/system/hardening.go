package system

import (
	"context"
	"fmt"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

func ctrlAltDelCheck() config.Check {
	return config.Check{
		ID:       "system-ctrl-alt-del",
		Title:    "Ctrl-Alt-Del does not reboot the machine",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{"etc/systemd/system/ctrl-alt-del.target", "etc/inittab"},
		Rationale: "Anyone at the console, or with access to a VM's console in a cloud panel, can reboot the " +
			"machine with Ctrl-Alt-Del without logging in: an outage, or a reboot into a modified boot entry. " +
			"Low: it needs console access. Not applicable without an init system.",
		Remediation: "systemctl mask ctrl-alt-del.target (systemd) or comment out the ctrlaltdel line of /etc/inittab.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure Ctrl-Alt-Del is disabled",
			"systemd.special(7): ctrl-alt-del.target", "inittab(5)"},
		Run: runCtrlAltDel,
	}
}

func runCtrlAltDel(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	switch initSystem(r) {
	case "systemd":
		if masked(r, "ctrl-alt-del.target") {
			return []config.Result{{Status: config.Pass, Path: "etc/systemd/system/ctrl-alt-del.target", Message: "ctrl-alt-del.target is masked"}}, nil
		}
		return []config.Result{{Status: config.Fail, Path: unitPath(r, "ctrl-alt-del.target"),
			Message: "ctrl-alt-del.target is not masked: Ctrl-Alt-Del on the console reboots"}}, nil
	case "":
		return notApplicable(containerNote), nil
	}
	data, ok, err := readOptional(r, "etc/inittab")
	if err != nil {
		return nil, err
	}
	if !ok {
		return notApplicable("no etc/inittab"), nil
	}
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) == 4 && !strings.HasPrefix(f[0], "#") && f[2] == "ctrlaltdel" {
			return []config.Result{{Status: config.Fail, Path: "etc/inittab", Line: i + 1,
				Message: "inittab runs " + strings.TrimSpace(f[3]) + " on Ctrl-Alt-Del"}}, nil
		}
	}
	return []config.Result{{Status: config.Pass, Path: "etc/inittab", Message: "no ctrlaltdel action in etc/inittab"}}, nil
}

// unitPath returns where unit is defined, for a result's path.
func unitPath(r rootfs.Root, unit string) string {
	for _, d := range unitDirs {
		if rootfs.Exists(r, d+"/"+unit) {
			return d + "/" + unit
		}
	}
	return "etc/systemd/system/" + unit
}

func coreDumpsCheck() config.Check {
	return config.Check{
		ID:       "system-core-dumps",
		Title:    "Core dumps are restricted (hard core 0, systemd-coredump Storage=none)",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads: []string{"etc/security/limits.conf", "etc/security/limits.d/*.conf", "etc/systemd/coredump.conf",
			"etc/systemd/coredump.conf.d/*.conf"},
		Rationale: "A core dump holds the memory of the crashed process: keys, passwords and session tokens of a " +
			"daemon end up in a file. A hard limit of 0 stops users' processes from dumping; systemd-coredump, " +
			"when installed, collects dumps of every process unless its Storage is none. Not applicable to " +
			"container images: the host's core_pattern and the runtime's limits decide.",
		Remediation: "Add \"* hard core 0\" to /etc/security/limits.d/10-coredump.conf and, with systemd-coredump, " +
			"Storage=none and ProcessSizeMax=0 in /etc/systemd/coredump.conf.d/disable.conf.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure core dumps are restricted",
			"limits.conf(5)", "coredump.conf(5)"},
		Run: runCoreDumps,
	}
}

func runCoreDumps(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !bootable(r) {
		return notApplicable(containerNote + " (its kernel's core_pattern and the runtime's limits)"), nil
	}
	var out []config.Result
	if rootfs.Exists(r, "etc/security/limits.conf") {
		res, err := coreLimit(r)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	if fileIn(r, "usr/lib/systemd/systemd-coredump", "lib/systemd/systemd-coredump") {
		res, err := coredumpStorage(r)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		return notApplicable("no PAM limits (etc/security/limits.conf) and no systemd-coredump"), nil
	}
	return out, nil
}

// coreLimit looks for "* hard core 0" in limits.conf and limits.d.
func coreLimit(r rootfs.Root) (config.Result, error) {
	files := []string{"etc/security/limits.conf"}
	for _, e := range rootfs.Dir(r, "etc/security/limits.d") {
		if strings.HasSuffix(e.Path, ".conf") {
			files = append(files, e.Path)
		}
	}
	for _, f := range files {
		data, _, err := readOptional(r, f)
		if err != nil {
			return config.Result{}, err
		}
		for i, line := range strings.Split(string(data), "\n") {
			line, _, _ = strings.Cut(line, "#")
			if fs := strings.Fields(line); len(fs) == 4 && fs[0] == "*" && fs[1] == "hard" && fs[2] == "core" && fs[3] == "0" {
				return config.Result{Status: config.Pass, Path: f, Line: i + 1, Message: "* hard core 0"}, nil
			}
		}
	}
	return config.Result{Status: config.Fail, Path: "etc/security/limits.conf",
		Message: "no \"* hard core 0\" in limits.conf or limits.d: users' processes may dump core"}, nil
}

// coredumpStorage judges systemd-coredump's Storage= and ProcessSizeMax=.
func coredumpStorage(r rootfs.Root) (config.Result, error) {
	s, err := systemdConfig(r, "coredump.conf")
	if err != nil {
		return config.Result{}, err
	}
	st, ok := lookup(s, "Coredump", "Storage")
	if !ok || st.Value != "none" {
		v := "external (the default)"
		if ok {
			v = st.Value
		}
		p := st.Path
		if p == "" {
			p = "etc/systemd/coredump.conf"
		}
		return config.Result{Status: config.Fail, Path: p, Line: st.Line,
			Message: "systemd-coredump Storage=" + v + ": dumps of every crashing process are kept"}, nil
	}
	return config.Result{Status: config.Pass, Path: st.Path, Line: st.Line, Message: "systemd-coredump Storage=none"}, nil
}

// provider is one way a service can be provided: a package, or a program
// where no package database says (rpm roots), with its name for messages.
type provider struct {
	name     string
	packages []string
	programs []string
	units    []string // systemd units that must not be masked
}

// findProvider returns the first provider r has, as a passing result.
func findProvider(r rootfs.Root, inv *inventory, ps []provider) (config.Result, bool) {
	for _, p := range ps {
		var res config.Result
		if pkgs := inv.find(p.packages...); len(pkgs) > 0 {
			res = pkgs[0].result(config.Pass, pkgs[0].String()+" is installed")
		} else if progs := programs(r, p.programs); len(progs) > 0 {
			res = config.Result{Status: config.Pass, Path: progs[0], Message: progs[0] + " is installed"}
		} else {
			continue
		}
		for _, u := range p.units {
			if masked(r, u) {
				return config.Result{Status: config.Fail, Path: "etc/systemd/system/" + u, Message: p.name + " is installed but " + u + " is masked"}, true
			}
		}
		return res, true
	}
	return config.Result{}, false
}

func timeSyncCheck() config.Check {
	return config.Check{
		ID:       "system-time-sync",
		Title:    "A time synchronisation daemon is installed",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{dpkgStatus, apkInstalled, "usr/sbin/chronyd", "usr/lib/systemd/systemd-timesyncd", "usr/sbin/ntpd"},
		Rationale: "Logs from several machines can only be correlated, and certificates and Kerberos tickets only " +
			"validated, when clocks agree. Not applicable to container images: they use the host's clock.",
		Remediation: "Install chrony or systemd-timesyncd and point it at your time servers.",
		References:  []string{"CIS Distribution Independent Linux Benchmark: Ensure time synchronization is in use", "chronyd(8)", "systemd-timesyncd.service(8)"},
		Run:         runTimeSync,
	}
}

var timeDaemons = []provider{
	{name: "chrony", packages: []string{"chrony"}, programs: []string{"chronyd"}, units: []string{"chrony.service", "chronyd.service"}},
	{name: "systemd-timesyncd", packages: []string{"systemd-timesyncd"}, programs: []string{"usr/lib/systemd/systemd-timesyncd", "lib/systemd/systemd-timesyncd"},
		units: []string{"systemd-timesyncd.service"}},
	{name: "ntpd", packages: []string{"ntp", "ntpsec", "openntpd"}, programs: []string{"ntpd"}, units: []string{"ntp.service", "ntpsec.service", "ntpd.service", "openntpd.service"}},
}

func runTimeSync(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !bootable(r) {
		return notApplicable(containerNote), nil
	}
	inv, err := loadInventory(r)
	if err != nil {
		return nil, err
	}
	if res, ok := findProvider(r, inv, timeDaemons); ok {
		return []config.Result{res}, nil
	}
	for _, lvl := range rootfs.Dir(r, "etc/runlevels") {
		if rootfs.Exists(r, lvl.Path+"/ntpd") {
			return []config.Result{{Status: config.Pass, Path: lvl.Path + "/ntpd", Message: "busybox ntpd is started by OpenRC"}}, nil
		}
	}
	return []config.Result{missing(inv, "usr/sbin/chronyd", "no time synchronisation daemon (chrony, systemd-timesyncd, ntpd) is installed")}, nil
}

func fileIntegrityCheck() config.Check {
	return config.Check{
		ID:       "system-file-integrity",
		Title:    "A file integrity checker (AIDE or Tripwire) is installed",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads:    []string{dpkgStatus, apkInstalled, "usr/bin/aide", "usr/sbin/aide", "usr/sbin/tripwire"},
		Rationale: "A file integrity checker records the hashes of system files and reports changes, which is how " +
			"a replaced binary or an added cron job is noticed on a long-lived machine. Not applicable to " +
			"container images, which are replaced rather than changed.",
		Remediation: "apt-get install aide aide-common (dnf install aide), initialise the database in the image " +
			"(aideinit) and schedule aide --check.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Ensure AIDE is installed", "aide(1)"},
		Run:        runFileIntegrity,
	}
}

func runFileIntegrity(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !bootable(r) {
		return notApplicable(containerNote), nil
	}
	inv, err := loadInventory(r)
	if err != nil {
		return nil, err
	}
	if res, ok := findProvider(r, inv, []provider{{name: "AIDE", packages: []string{"aide"}, programs: []string{"aide"}},
		{name: "Tripwire", packages: []string{"tripwire"}, programs: []string{"tripwire"}}}); ok {
		return []config.Result{res}, nil
	}
	return []config.Result{missing(inv, "usr/bin/aide", "neither AIDE nor Tripwire is installed")}, nil
}

func firewallCheck() config.Check {
	return config.Check{
		ID:       "system-firewall",
		Title:    "A host firewall is configured to load at boot",
		Group:    Group,
		Severity: pipeline.SeverityLow,
		Target:   config.TargetRootFS,
		Reads: []string{"etc/ufw/ufw.conf", "etc/nftables.conf", "etc/iptables/rules.v4", "etc/sysconfig/iptables",
			"usr/sbin/firewalld", "etc/systemd/system/*.wants"},
		Rationale: "A host firewall limits what reaches the machine's services when a cloud security group or " +
			"network ACL is wrong or absent, and stops a service started by mistake from being reachable. " +
			"Low: network controls outside the image often do the same. Not applicable to container images.",
		Remediation: "Enable one firewall: ufw (ENABLED=yes in /etc/ufw/ufw.conf), firewalld, or nftables with a " +
			"ruleset in /etc/nftables.conf and nftables.service enabled.",
		References: []string{"CIS Distribution Independent Linux Benchmark: Firewall Configuration", "ufw(8)", "nft(8)", "firewalld(1)"},
		Run:        runFirewall,
	}
}

func runFirewall(_ context.Context, r rootfs.Root) ([]config.Result, error) {
	if !bootable(r) {
		return notApplicable(containerNote), nil
	}
	inv, err := loadInventory(r)
	if err != nil {
		return nil, err
	}
	res, ok, err := ufwEnabled(r)
	if err != nil {
		return nil, err
	}
	if ok {
		return []config.Result{res}, nil
	}
	if res, ok := findProvider(r, inv, []provider{{name: "firewalld", packages: []string{"firewalld"}, programs: []string{"firewalld"},
		units: []string{"firewalld.service"}}}); ok {
		return []config.Result{res}, nil
	}
	for _, fw := range []struct{ config, unit, script string }{
		{"etc/nftables.conf", "nftables.service", "nftables"},
		{"etc/nftables.nft", "nftables.service", "nftables"},
		{"etc/iptables/rules.v4", "netfilter-persistent.service", "iptables"},
		{"etc/sysconfig/iptables", "iptables.service", "iptables"},
	} {
		if !rootfs.Exists(r, fw.config) {
			continue
		}
		starts, err := enabledAt(r, services{units: []string{fw.unit}, scripts: []string{fw.script}})
		if err != nil {
			return nil, err
		}
		if len(starts) > 0 {
			return []config.Result{{Status: config.Pass, Path: fw.config, Message: fmt.Sprintf("%s is loaded at boot by %s", fw.config, starts[0].What)}}, nil
		}
		return []config.Result{{Status: config.Fail, Path: fw.config, Message: fmt.Sprintf("%s exists but %s is not enabled", fw.config, fw.unit)}}, nil
	}
	return []config.Result{missing(inv, "etc/nftables.conf", "no host firewall (ufw, firewalld, nftables or iptables rules) is configured")}, nil
}

// ufwEnabled reads ENABLED= from etc/ufw/ufw.conf.
func ufwEnabled(r rootfs.Root) (config.Result, bool, error) {
	data, ok, err := readOptional(r, "etc/ufw/ufw.conf")
	if err != nil || !ok {
		return config.Result{}, false, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ENABLED="); ok {
			v = strings.Trim(v, `"'`)
			if v == "yes" {
				return config.Result{Status: config.Pass, Path: "etc/ufw/ufw.conf", Line: i + 1, Message: "ufw ENABLED=yes"}, true, nil
			}
			return config.Result{Status: config.Fail, Path: "etc/ufw/ufw.conf", Line: i + 1, Message: "ufw is installed but ENABLED=" + v}, true, nil
		}
	}
	return config.Result{}, false, nil
}
