package threat

import (
	"fmt"
	"net/netip"
)

// portscanDetector reports a destination host contacted on PortScanPorts
// distinct ports, or a port contacted on PortScanHosts distinct hosts,
// within the window.
type portscanDetector struct {
	ports, hosts int
	byHost       *windowSet[netip.Addr]
	byPort       *windowSet[int]
}

func newPortscanDetector(cfg Config) *portscanDetector {
	return &portscanDetector{
		ports: cfg.PortScanPorts, hosts: cfg.PortScanHosts,
		byHost: newWindowSet[netip.Addr](cfg.Window, cfg.PortScanPorts, cfg.MaxKeys),
		byPort: newWindowSet[int](cfg.Window, cfg.PortScanHosts, cfg.MaxKeys),
	}
}

func (d *portscanDetector) observe(e *Event, rep *reporter) {
	if e.Type != EventConnect || !e.DstIP.IsValid() {
		return
	}
	if d.byHost.add(e.DstIP, uint64(e.DstPort), e.Time) {
		h := e.DstIP.String()
		rep.add(e, report{typ: TypePortscan, artifact: "host " + h,
			what: fmt.Sprintf("%d distinct ports of %s contacted", d.ports, h), evidence: "last " + hostPort(e.DstIP, e.DstPort)})
	}
	a16 := e.DstIP.As16()
	if d.byPort.add(e.DstPort, hashString(string(a16[:])), e.Time) {
		rep.add(e, report{typ: TypePortscan, artifact: fmt.Sprintf("port %d", e.DstPort),
			what: fmt.Sprintf("port %d contacted on %d distinct hosts", e.DstPort, d.hosts), evidence: "last " + hostPort(e.DstIP, e.DstPort)})
	}
}
