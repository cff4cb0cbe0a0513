package threat

import (
	"regexp"
	"strings"
)

var toolNames = map[string]bool{"nc": true, "ncat": true, "netcat": true, "nc.traditional": true,
	"nc.openbsd": true, "socat": true, "nmap": true, "masscan": true, "zmap": true, "hping3": true}

// downloadToShell matches a download piped or substituted into a shell:
// "curl URL | sh", "wget -O- URL | sudo bash", "sh -c "$(curl URL)"",
// "bash <(curl URL)". It is compiled once and only read afterwards.
var downloadToShell = regexp.MustCompile(`(?:\b(?:curl|wget)\b[^|;&]*\|\s*(?:sudo\s+)?(?:\S*/)?(?:busybox\s+)?(?:ba|da|z|k|a)?sh\b` +
	`|\$\(\s*(?:curl|wget)\b[^)]*\)|<\(\s*(?:curl|wget)\b[^)]*\))`)

// toolDetector reports network tools (nc, socat, nmap...) and command
// lines that pipe a download into a shell.
type toolDetector struct{}

func (toolDetector) observe(e *Event, rep *reporter) {
	if e.Type != EventExec {
		return
	}
	var name string
	if execNames(e, func(n string) bool { name = n; return toolNames[n] }) {
		rep.add(e, report{typ: TypeSuspiciousTool, artifact: name, what: "exec " + name, evidence: commandLine(e.Argv)})
	}
	for _, a := range e.Argv {
		if !strings.Contains(a, "curl") && !strings.Contains(a, "wget") {
			continue
		}
		if m := downloadToShell.FindString(a); m != "" {
			m = commandLine(strings.Fields(m))
			rep.add(e, report{typ: TypeSuspiciousTool, artifact: m,
				what: "exec " + progName(e) + " piping a download into a shell", evidence: m})
		}
	}
}
