package threat

import "fmt"

// exfilDetector reports a domain when, within the window, it is queried
// with ExfilLabels distinct subdomains of at least ExfilLabelLen bytes each
// (data encoded into names, answered by the attacker's name server).
// Domains of large providers (see wellKnown) are skipped: nobody else can
// run their name servers.
type exfilDetector struct {
	minLen int
	limit  int
	seen   *windowSet[string]
}

func newExfilDetector(cfg Config) *exfilDetector {
	return &exfilDetector{minLen: cfg.ExfilLabelLen, limit: cfg.ExfilLabels,
		seen: newWindowSet[string](cfg.Window, cfg.ExfilLabels, cfg.MaxKeys)}
}

func (d *exfilDetector) observe(e *Event, rep *reporter) {
	if e.Type != EventDNS || len(e.Query) < d.minLen {
		return
	}
	q := normalizeName(e.Query)
	sub, dom := registrable(q)
	if len(sub) < d.minLen || wellKnown[dom] {
		return
	}
	if d.seen.add(dom, hashString(sub), e.Time) {
		rep.add(e, report{typ: TypeDNSExfiltration, artifact: dom,
			what:     fmt.Sprintf("%d distinct long subdomains of %s queried", d.limit, dom),
			evidence: "last query " + q})
	}
}
