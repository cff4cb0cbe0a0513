package intel

import (
	"net/netip"
	"strings"
)

// Match describes the threat-list entry a domain or IP matched.
type Match struct {
	// List is the name of the list holding the entry (file, feed URL or "default").
	List string
	// Entry is the listed domain, IP address or CIDR block, normalised.
	Entry string
	// Category is the list's category.
	Category Category
}

// Set answers lookups against threat lists, with trusted lists overriding
// them. It is built once by [NewSet] and is then read-only: safe for
// concurrent use. The nil *Set matches nothing.
type Set struct {
	matches []Match // threat entries; domain and table values index into it
	domains map[string]domainRec
	v4, v6  ipTable // threat prefixes
	tv4     ipTable // trusted IPv4 prefixes (index 0 for every entry)
	tv6     ipTable // trusted IPv6 prefixes
}

// domainRec is what the domain map knows about one suffix.
type domainRec struct {
	threat  int32 // index into matches, or -1
	trusted bool
}

// NewSet builds a Set from threat and trusted lists. When several threat
// lists hold the same entry, the first list in threat wins; nil lists are
// ignored. Lookups report the most specific threat entry (the longest domain
// suffix, the longest CIDR prefix) unless a trusted entry covers the query.
func NewSet(threat []*List, trusted []*List) *Set {
	s := &Set{domains: map[string]domainRec{}}
	var b4, b6, t4, t6 tableBuilder
	for _, l := range threat {
		if l == nil {
			continue
		}
		for _, d := range l.Domains {
			rec, ok := s.domains[d]
			if !ok {
				rec.threat = -1
			}
			if rec.threat < 0 {
				rec.threat = s.add(Match{List: l.Name, Entry: d, Category: l.Category})
			}
			s.domains[d] = rec
		}
		for _, p := range l.Prefixes {
			m := Match{List: l.Name, Entry: prefixString(p), Category: l.Category}
			if p.Addr().Is4() {
				b4.add(p, func() int32 { return s.add(m) })
			} else {
				b6.add(p, func() int32 { return s.add(m) })
			}
		}
	}
	for _, l := range trusted {
		if l == nil {
			continue
		}
		for _, d := range l.Domains {
			rec, ok := s.domains[d]
			if !ok {
				rec.threat = -1
			}
			rec.trusted = true
			s.domains[d] = rec
		}
		for _, p := range l.Prefixes {
			if p.Addr().Is4() {
				t4.add(p, func() int32 { return 0 })
			} else {
				t6.add(p, func() int32 { return 0 })
			}
		}
	}
	s.v4, s.v6, s.tv4, s.tv6 = b4.build(), b6.build(), t4.build(), t6.build()
	return s
}

func (s *Set) add(m Match) int32 {
	s.matches = append(s.matches, m)
	return int32(len(s.matches) - 1)
}

// prefixString prints a single-address prefix as the address.
func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// Domain reports whether name, or a parent domain of it, is on a threat list
// and not covered by a trusted entry. The comparison ignores case and one
// trailing dot; the most specific listed suffix is reported.
func (s *Set) Domain(name string) (Match, bool) {
	if s == nil || len(s.domains) == 0 {
		return Match{}, false
	}
	name = normalizeDomain(name)
	best := int32(-1)
	for name != "" {
		if rec, ok := s.domains[name]; ok {
			if rec.trusted {
				return Match{}, false
			}
			if best < 0 {
				best = rec.threat
			}
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			break
		}
		name = name[i+1:]
	}
	if best < 0 {
		return Match{}, false
	}
	return s.matches[best], true
}

// IP reports whether ip is on a threat list (exactly or inside a CIDR block)
// and not inside a trusted entry. IPv4-mapped IPv6 addresses are treated as
// IPv4 and zones are ignored; the most specific block is reported.
func (s *Set) IP(ip netip.Addr) (Match, bool) {
	if s == nil || !ip.IsValid() {
		return Match{}, false
	}
	ip = ip.Unmap()
	threat, trusted := &s.v6, &s.tv6
	if ip.Is4() {
		threat, trusted = &s.v4, &s.tv4
	}
	k := keyOf(ip)
	if _, ok := trusted.lookup(k); ok {
		return Match{}, false
	}
	i, ok := threat.lookup(k)
	if !ok {
		return Match{}, false
	}
	return s.matches[i], true
}

// Len returns the number of distinct threat entries in s.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.matches)
}
