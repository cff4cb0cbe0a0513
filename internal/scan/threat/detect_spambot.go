package threat

// smtpPorts are the SMTP submission and relay ports.
var smtpPorts = map[int]bool{25: true, 465: true, 587: true}

// spambotDetector reports outbound TCP connections to SMTP ports.
type spambotDetector struct{}

func (spambotDetector) observe(e *Event, rep *reporter) {
	if e.Type != EventConnect || !smtpPorts[e.DstPort] || e.Proto == "udp" || !e.DstIP.IsValid() {
		return
	}
	dst := hostPort(e.DstIP, e.DstPort)
	rep.add(e, report{typ: TypeSpambot, artifact: dst, what: "connect " + dst + " (SMTP)", evidence: dst})
}
