package threat

import (
	"net/netip"
	"strings"
)

// metadataAddrs are the instance metadata services: EC2's IPv4 and IPv6
// addresses (shared by most clouds) and the ECS task credentials endpoint.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true,
	netip.MustParseAddr("fd00:ec2::254"):   true,
	netip.MustParseAddr("169.254.170.2"):   true,
}

// metadataDetector reports connections to a metadata address, command
// lines naming one, and DNS answers resolving to one.
type metadataDetector struct{}

func (metadataDetector) observe(e *Event, rep *reporter) {
	switch e.Type {
	case EventConnect:
		if metadataAddrs[e.DstIP] {
			dst := hostPort(e.DstIP, e.DstPort)
			rep.add(e, report{typ: TypeMetadataAccess, artifact: e.DstIP.String(), what: "connect " + dst, evidence: dst})
		}
	case EventExec:
		for _, a := range e.Argv {
			if addr := metadataIn(a); addr != "" {
				rep.add(e, report{typ: TypeMetadataAccess, artifact: addr,
					what: "exec " + progName(e) + " naming " + addr, evidence: commandLine(e.Argv)})
				return
			}
		}
	case EventDNS:
		for _, ans := range e.Answers {
			if a, err := netip.ParseAddr(ans); err == nil && metadataAddrs[a.Unmap()] {
				q := normalizeName(e.Query)
				rep.add(e, report{typ: TypeMetadataAccess, artifact: a.Unmap().String(),
					what: "query " + q + " resolving to " + ans, evidence: q + " -> " + ans})
				return
			}
		}
	}
}

// metadataIn returns the metadata address an argument mentions, or "".
func metadataIn(a string) string {
	if !strings.Contains(a, "169.254.") && !strings.Contains(strings.ToLower(a), "fd00:ec2::254") {
		return ""
	}
	for addr := range metadataAddrs {
		s := addr.String()
		if i := strings.Index(strings.ToLower(a), s); i >= 0 {
			end := i + len(s)
			if end == len(a) || !(a[end] >= '0' && a[end] <= '9') {
				return s
			}
		}
	}
	return ""
}
