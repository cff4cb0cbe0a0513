package threat

import (
	"strings"
)

var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true,
	"mksh": true, "csh": true, "tcsh": true, "fish": true}

var interpreters = []string{"python", "perl", "ruby", "php", "node", "lua"}

// reverseShellDetector reports a shell, or an interpreter running a shell
// or pty one-liner, started with standard input and output on the same
// network socket. Unix sockets do not count.
type reverseShellDetector struct{}

func (reverseShellDetector) observe(e *Event, rep *reporter) {
	if e.Type != EventExec || e.FDs[0] == "" || e.FDs[0] != e.FDs[1] || !netSocket(e.FDs[0]) {
		return
	}
	if !isShell(e) && !isInterpreterShell(e) {
		return
	}
	name := progName(e)
	rep.add(e, report{typ: TypeReverseShell, artifact: name + " " + e.FDs[0],
		what: "exec " + name + " with stdin and stdout on " + e.FDs[0], evidence: commandLine(e.Argv)})
}

func netSocket(fd string) bool {
	return strings.HasPrefix(fd, "socket:") && !strings.HasPrefix(fd, "socket:unix")
}

func isShell(e *Event) bool {
	return execNames(e, func(n string) bool { return shells[n] })
}

// isInterpreterShell reports a python, perl... one-liner that spawns a
// shell or a pty.
func isInterpreterShell(e *Event) bool {
	if !execNames(e, func(n string) bool {
		for _, p := range interpreters {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
		return false
	}) {
		return false
	}
	for _, a := range args(e) {
		for _, k := range []string{"pty", "/bin/sh", "/bin/bash", "subprocess", "dup2", "exec("} {
			if strings.Contains(a, k) {
				return true
			}
		}
	}
	return false
}
