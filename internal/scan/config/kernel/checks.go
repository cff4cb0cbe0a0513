// Package kernel checks the kernel parameters a root filesystem sets:
// sysctl files and the kernel command line, against the CIS benchmarks'
// network and process-hardening sections.
//
// sysctl files are read in systemd-sysctl's order: the *.conf files of
// etc/sysctl.d, run/sysctl.d, usr/local/lib/sysctl.d, usr/lib/sysctl.d and
// lib/sysctl.d, one per file name (the earliest directory wins, a link to
// /dev/null masks), sorted by name, then etc/sysctl.conf; a later value
// overrides an earlier one, and an explicit key overrides a glob. The
// command line comes from GRUB's defaults and grub.cfg,
// etc/kernel/cmdline, boot loader entries and cmdline.txt.
//
// Much of this is decided only when the kernel runs: an image that sets
// nothing leaves the kernel's default, which the host or a container
// runtime may change. Such results are Undetermined ("not determinable
// statically") unless the default itself is unsafe, in which case they fail.
package kernel

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// group is the benchmark section of every check here.
const group = "kernel"

// Checks returns the kernel parameter checks, in catalogue order.
func Checks() []config.Check {
	out := []config.Check{aslrCheck(), nxCheck()}
	for _, rules := range [][]sysctlRule{networkRules(), hardeningRules()} {
		for _, s := range rules {
			out = append(out, s.check())
		}
	}
	return out
}

func aslrCheck() config.Check {
	rule := sysctlRule{keys: []string{"kernel.randomize_va_space"}, want: []string{"2"}, def: "2",
		buildDefault: func(k kernelConfig) (string, string) {
			if k.Options["CONFIG_COMPAT_BRK"] == "y" {
				return "1", "CONFIG_COMPAT_BRK=y leaves the heap unrandomised"
			}
			return "", ""
		}}
	return config.Check{
		ID:       "kernel-aslr",
		Title:    "Address space layout randomisation is enabled",
		Group:    group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads:    sysctlReads(),
		Rationale: "ASLR places the stack, heap, libraries and executables at random addresses, so memory " +
			"corruption exploits cannot rely on known addresses. kernel.randomize_va_space must be 2 (full); " +
			"norandmaps on the kernel command line turns randomisation off from boot. When the image sets " +
			"neither, the kernel default (2) applies unless the host overrides it, which only the running " +
			"system can tell.",
		Remediation: "Set kernel.randomize_va_space = 2 in /etc/sysctl.d/60-hardening.conf and remove norandmaps " +
			"from GRUB_CMDLINE_LINUX in /etc/default/grub (then update-grub).",
		References: []string{cisProc("Ensure address space layout randomization (ASLR) is enabled"),
			"https://docs.kernel.org/admin-guide/sysctl/kernel.html#randomize-va-space",
			"https://docs.kernel.org/admin-guide/kernel-parameters.html"},
		Run: func(_ context.Context, r rootfs.Root) ([]config.Result, error) {
			img, err := loadImage(r)
			if err != nil {
				return nil, err
			}
			out := cmdlineResults(img.cmdline, "norandmaps", "address space randomisation is off from boot",
				func(p param) bool { return true })
			return append(out, rule.judge(img, "kernel.randomize_va_space")), nil
		},
	}
}

func nxCheck() config.Check {
	return config.Check{
		ID:       "kernel-nx",
		Title:    "DEP/NX (no-execute) protection is enabled",
		Group:    group,
		Severity: pipeline.SeverityMedium,
		Target:   config.TargetRootFS,
		Reads: []string{"kernel command line (etc/default/grub, boot/grub/grub.cfg, etc/kernel/cmdline, boot/loader/entries)",
			"boot/config-*", "lib/modules/*/config"},
		Rationale: "The no-execute bit keeps data pages (stack, heap) from running as code. noexec=off or " +
			"noexec32=off on the kernel command line turns it off; a 32-bit x86 kernel without PAE cannot use " +
			"it at all; arm64 always enforces it. On x86-64 the kernel supports it, but whether it is enforced " +
			"depends on the CPU and on the firmware not disabling it (XD/NX in the BIOS), which is not " +
			"determinable statically.",
		Remediation: "Remove noexec=off and noexec32=off from the kernel command line, use a 64-bit or PAE " +
			"kernel, and make sure NX/XD is enabled in the firmware of the machines that run the image.",
		References: []string{cisProc("Ensure XD/NX support is enabled"),
			"https://docs.kernel.org/admin-guide/kernel-parameters.html"},
		Run: func(_ context.Context, r rootfs.Root) ([]config.Result, error) {
			img, err := loadImage(r)
			if err != nil {
				return nil, err
			}
			var out []config.Result
			for _, name := range []string{"noexec", "noexec32"} {
				out = append(out, cmdlineResults(img.cmdline, name, "the no-execute bit is not used",
					func(p param) bool { return p.Value == "off" })...)
			}
			return append(out, nxBuildResult(img.kconfig)), nil
		},
	}
}

// cmdlineResults fails each parameter name that bad matches and passes
// every other command-line file.
func cmdlineResults(c cmdline, name, why string, bad func(param) bool) []config.Result {
	var out []config.Result
	failed := map[string]bool{}
	for _, p := range c.find(name) {
		if bad(p) {
			failed[p.Path] = true
			out = append(out, config.Result{Status: config.Fail, Path: p.Path, Line: p.Line,
				Message: fmt.Sprintf("%s on the kernel command line (%s): %s", p, p.where(), why)})
		}
	}
	for _, f := range c.Files {
		if !failed[f] {
			out = append(out, config.Result{Status: config.Pass, Path: f,
				Message: fmt.Sprintf("no %s on the kernel command line in %s", name, f)})
		}
	}
	return out
}

// nxBuildResult judges what the image's kernel build says about NX.
func nxBuildResult(k kernelConfig) config.Result {
	switch {
	case k.Path == "":
		return config.Result{Status: config.Undetermined,
			Message: "no kernel configuration in the image: NX depends on the CPU and the kernel build; not determinable statically"}
	case k.Options["CONFIG_ARM64"] == "y":
		return config.Result{Status: config.Pass, Path: k.Path,
			Message: fmt.Sprintf("arm64 kernel (%s): execute-never is always enforced", k.Path)}
	case k.Options["CONFIG_X86_32"] == "y" && k.Options["CONFIG_X86_PAE"] != "y":
		return config.Result{Status: config.Fail, Path: k.Path,
			Message: fmt.Sprintf("32-bit x86 kernel without CONFIG_X86_PAE (%s): the NX bit cannot be used", k.Path)}
	case k.Options["CONFIG_X86_64"] == "y" || k.Options["CONFIG_X86_PAE"] == "y":
		return config.Result{Status: config.Undetermined, Path: k.Path,
			Message: fmt.Sprintf("the kernel supports NX (%s); enforcement depends on the CPU and firmware (NX/XD enabled): not determinable statically", k.Path)}
	}
	return config.Result{Status: config.Undetermined, Path: k.Path,
		Message: fmt.Sprintf("kernel architecture in %s not recognised: NX not determinable statically", k.Path)}
}
