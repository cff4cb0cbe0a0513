// Package ssh checks the OpenSSH server configuration of a root
// filesystem against the SSH section of the CIS benchmarks.
//
// The configuration is read as sshd reads it: etc/ssh/sshd_config, then
// every file an Include names (globs expanded in sorted order, relative
// paths taken from /etc/ssh, so "Include sshd_config.d/*.conf" reads the
// drop-in directory), keywords matched case-insensitively, and the first
// value obtained for a keyword wins. A Match block overrides the global
// value for the connections it matches, so a weak value inside a Match
// block fails a check too, and the message says which block. Files sshd
// does not include (a sshd_config.d without an Include) are not read.
//
// Checks apply when the image has an SSH server: etc/ssh/sshd_config, an
// sshd binary, or openssh-server installed per var/lib/dpkg/status.
// Without sshd_config the checks judge OpenSSH's compiled-in defaults.
package ssh

import (
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// group is the benchmark section of every check here.
const group = "ssh"

// Checks returns the SSH server checks, in catalogue order.
func Checks() []config.Check {
	var out []config.Check
	for _, part := range [][]config.Check{authChecks(), sessionChecks(), cryptoChecks(), fileChecks()} {
		out = append(out, part...)
	}
	return out
}

// configReads is what every sshd_config check reads.
func configReads() []string {
	return []string{mainConfig, "etc/ssh/sshd_config.d/*.conf and other files named by Include",
		"usr/sbin/sshd", dpkgStatus}
}

// sshdCheck fills the fields every sshd_config check shares.
func sshdCheck(id, title string, sev pipeline.Severity, rationale, remediation string, refs []string) config.Check {
	return config.Check{
		ID:          id,
		Title:       title,
		Group:       group,
		Severity:    sev,
		Target:      config.TargetRootFS,
		Reads:       configReads(),
		Rationale:   rationale,
		Remediation: remediation,
		References:  append(refs, "sshd_config(5)"),
	}
}

// cis names a section of the CIS Linux benchmarks (Debian, Ubuntu, RHEL
// share the wording).
func cis(section string) string { return "CIS Linux Benchmarks, SSH Server: " + section }
