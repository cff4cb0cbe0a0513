package threat

import "fmt"

// portUnusualDetector reports connections to, and listening on, ports
// outside Config.AllowedPorts. It runs only when that list is given.
type portUnusualDetector struct {
	allowed map[int]bool
}

func newPortUnusualDetector(ports []int) *portUnusualDetector {
	m := make(map[int]bool, len(ports))
	for _, p := range ports {
		m[p] = true
	}
	return &portUnusualDetector{allowed: m}
}

func (d *portUnusualDetector) observe(e *Event, rep *reporter) {
	var port int
	var what, ev string
	switch {
	case e.Type == EventConnect && e.DstIP.IsValid():
		port, ev = e.DstPort, hostPort(e.DstIP, e.DstPort)
		what = "connect " + ev
	case e.Type == EventListen:
		port, ev = e.Port, fmt.Sprintf("listen %d", e.Port)
		what = ev
	default:
		return
	}
	if d.allowed[port] {
		return
	}
	proto := e.Proto
	if proto == "" {
		proto = "tcp"
	}
	rep.add(e, report{typ: TypePortUnusual, artifact: fmt.Sprintf("%s/%d", proto, port),
		what: what + " (port not allowed)", evidence: ev})
}
