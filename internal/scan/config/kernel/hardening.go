package kernel

import "github.com/secpipe/secpipe/internal/pipeline"

// cisProc names a section of the CIS benchmarks' process hardening chapter.
func cisProc(section string) string { return "CIS Linux Benchmarks, Process Hardening: " + section }

// hardeningRules are kernel.* and fs.* parameters that limit what local
// users and compromised processes learn or do.
func hardeningRules() []sysctlRule {
	return []sysctlRule{{
		id: "kernel-dmesg-restrict", title: "Only privileged users read the kernel log", sev: pipeline.SeverityLow,
		keys: []string{"kernel.dmesg_restrict"}, want: []string{"1"},
		buildDefault: func(k kernelConfig) (string, string) {
			return boolOption(k, "CONFIG_SECURITY_DMESG_RESTRICT")
		},
		rationale: "The kernel log holds addresses and hardware details that help exploit kernel bugs. " +
			"The default comes from CONFIG_SECURITY_DMESG_RESTRICT: a kernel configuration in the image " +
			"that leaves it unset fails; otherwise an unset key is not determinable statically.",
		remediation: "Set kernel.dmesg_restrict = 1 in /etc/sysctl.d/60-hardening.conf.",
		refs:        []string{"https://docs.kernel.org/admin-guide/sysctl/kernel.html#dmesg-restrict"},
	}, {
		id: "kernel-kptr-restrict", title: "Kernel pointers are hidden from users", sev: pipeline.SeverityLow,
		keys: []string{"kernel.kptr_restrict"}, want: []string{"1", "2"}, def: "0",
		rationale: "Kernel addresses in /proc and logs defeat kernel address-space randomisation. The " +
			"kernel default 0 shows them to anyone who can read those files with %pK.",
		remediation: "Set kernel.kptr_restrict = 1 (or 2).",
		refs:        []string{"https://docs.kernel.org/admin-guide/sysctl/kernel.html#kptr-restrict"},
	}, {
		id: "kernel-suid-dumpable", title: "Set-user-ID programs do not dump core", sev: pipeline.SeverityMedium,
		keys: []string{"fs.suid_dumpable"}, want: []string{"0"}, def: "0",
		rationale: "Core dumps of privileged programs can hold password hashes and keys, readable by " +
			"the user who crashed them.",
		remediation: "Set fs.suid_dumpable = 0 (and * hard core 0 in /etc/security/limits.conf).",
		refs:        []string{cisProc("Ensure core dumps are restricted"), "https://docs.kernel.org/admin-guide/sysctl/fs.html#suid-dumpable"},
	}, {
		id: "kernel-protected-hardlinks", title: "Hard links to others' files are restricted", sev: pipeline.SeverityMedium,
		keys: []string{"fs.protected_hardlinks"}, want: []string{"1"}, def: "0",
		rationale: "Without protection, users can hard-link files they do not own into places where a " +
			"privileged program will write or trust them. The kernel default is 0; systemd's " +
			"50-default.conf sets 1.",
		remediation: "Set fs.protected_hardlinks = 1.",
		refs:        []string{"https://docs.kernel.org/admin-guide/sysctl/fs.html#protected-hardlinks"},
	}, {
		id: "kernel-protected-symlinks", title: "Symlinks in sticky directories are restricted", sev: pipeline.SeverityMedium,
		keys: []string{"fs.protected_symlinks"}, want: []string{"1"}, def: "0",
		rationale: "Following another user's symlink in a world-writable sticky directory such as /tmp " +
			"is the classic time-of-check race. The kernel default is 0; systemd's 50-default.conf sets 1.",
		remediation: "Set fs.protected_symlinks = 1.",
		refs:        []string{"https://docs.kernel.org/admin-guide/sysctl/fs.html#protected-symlinks"},
	}, {
		id: "kernel-yama-ptrace-scope", title: "ptrace is limited to descendants", sev: pipeline.SeverityLow,
		keys: []string{"kernel.yama.ptrace_scope"}, want: []string{"1", "2", "3"},
		buildDefault: func(k kernelConfig) (string, string) {
			if v, ok := k.Options["CONFIG_SECURITY_YAMA"]; ok && v == "n" {
				return "0", "CONFIG_SECURITY_YAMA is not set"
			}
			return "", ""
		},
		rationale: "With ptrace unrestricted, one compromised process can read the memory (keys, agent " +
			"sockets, passwords) of every other process of the same user. The default depends on whether " +
			"and how the kernel builds Yama, so an unset key is not determinable statically unless the " +
			"image's kernel configuration leaves Yama out.",
		remediation: "Set kernel.yama.ptrace_scope = 1 (or 2 where debuggers are not needed).",
		refs:        []string{cisProc("Ensure ptrace_scope is restricted"), "https://docs.kernel.org/admin-guide/LSM/Yama.html"},
	}}
}

// boolOption turns a boolean kernel option into the 0/1 default it selects.
func boolOption(k kernelConfig, option string) (string, string) {
	v, ok := k.Options[option]
	switch {
	case !ok:
		return "", ""
	case v == "y":
		return "1", option + "=y"
	}
	return "0", option + " is not set"
}
