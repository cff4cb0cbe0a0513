package threat

import (
	"fmt"
	"net/netip"

	"github.com/secpipe/secpipe/internal/scan/threat/intel"
)

// intelDetector looks up queried domains and connected addresses in the
// threat lists: a c2 entry yields C&CActivity, a mining entry BitcoinTool,
// any other category the .Custom types.
type intelDetector struct {
	in Intel
}

func newIntelDetector(in Intel) *intelDetector { return &intelDetector{in: in} }

func (d *intelDetector) observe(e *Event, rep *reporter) {
	if d.in == nil {
		return
	}
	switch e.Type {
	case EventDNS:
		d.domain(e, rep)
	case EventConnect:
		d.ip(e, rep)
	}
}

func (d *intelDetector) domain(e *Event, rep *reporter) {
	q := normalizeName(e.Query)
	if q == "" {
		return
	}
	m, ok := d.in.Domain(q)
	if !ok {
		return
	}
	typ := TypeMaliciousDomain
	switch m.Category {
	case intel.CategoryC2:
		typ = TypeC2Domain
	case intel.CategoryMining:
		typ = TypeMiningDomain
	}
	rep.add(e, report{
		typ:      typ,
		artifact: q,
		what:     "query " + q,
		evidence: fmt.Sprintf("%s (listed as %s in %s, category %s)", q, m.Entry, m.List, m.Category),
	})
}

func (d *intelDetector) ip(e *Event, rep *reporter) {
	if !e.DstIP.IsValid() {
		return
	}
	m, ok := d.in.IP(e.DstIP)
	if !ok {
		return
	}
	typ := TypeMaliciousIP
	switch m.Category {
	case intel.CategoryC2:
		typ = TypeC2IP
	case intel.CategoryMining:
		typ = TypeMiningNetwork
	}
	dst := hostPort(e.DstIP, e.DstPort)
	rep.add(e, report{
		typ:      typ,
		artifact: e.DstIP.String(),
		what:     "connect " + dst,
		evidence: fmt.Sprintf("%s (listed as %s in %s, category %s)", dst, m.Entry, m.List, m.Category),
	})
}

func hostPort(ip netip.Addr, port int) string {
	return netip.AddrPortFrom(ip, uint16(port)).String()
}
