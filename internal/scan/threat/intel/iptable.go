package intel

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// u128 is an address as a number: IPv4 in lo, IPv6 across hi and lo.
type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) cmp(b u128) int {
	switch {
	case a == b:
		return 0
	case a.less(b):
		return -1
	}
	return 1
}

// next returns a+1 and false if it overflowed.
func (a u128) next() (u128, bool) {
	lo := a.lo + 1
	hi := a.hi
	if lo == 0 {
		hi++
		if hi == 0 {
			return u128{}, false
		}
	}
	return u128{hi, lo}, true
}

func keyOf(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// lastOf returns the last address of a masked prefix as a number.
func lastOf(p netip.Prefix) u128 {
	k := keyOf(p.Addr())
	host := p.Addr().BitLen() - p.Bits()
	switch {
	case host >= 128:
		return u128{^uint64(0), ^uint64(0)}
	case host >= 64:
		return u128{k.hi | (1<<(host-64) - 1), ^uint64(0)}
	case host > 0:
		return u128{k.hi, k.lo | (1<<host - 1)}
	}
	return k
}

// ipTable maps address ranges to match indexes: starts is sorted and segment
// i covers [starts[i], starts[i+1]) with value vals[i] (-1 for none).
// Prefixes nest or are disjoint, so the segments are exact.
type ipTable struct {
	starts []u128
	vals   []int32
}

// lookup binary-searches the segment holding k.
func (t *ipTable) lookup(k u128) (int32, bool) {
	lo, hi := 0, len(t.starts)
	for lo < hi { // first start > k
		m := int(uint(lo+hi) >> 1)
		if k.less(t.starts[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == 0 || t.vals[lo-1] < 0 {
		return 0, false
	}
	return t.vals[lo-1], true
}

type span struct {
	first, last u128
	val         int32
}

// tableBuilder collects distinct prefixes of one family.
type tableBuilder struct {
	seen  map[netip.Prefix]bool
	spans []span
}

// add records p, calling val for its value only the first time p is seen.
func (b *tableBuilder) add(p netip.Prefix, val func() int32) {
	if b.seen == nil {
		b.seen = map[netip.Prefix]bool{}
	}
	if b.seen[p] {
		return
	}
	b.seen[p] = true
	b.spans = append(b.spans, span{keyOf(p.Addr()), lastOf(p), val()})
}

// build flattens the nested spans into segments labelled with the innermost
// span covering them.
func (b *tableBuilder) build() ipTable {
	slices.SortFunc(b.spans, func(x, y span) int {
		if c := x.first.cmp(y.first); c != 0 {
			return c
		}
		return y.last.cmp(x.last) // outer first
	})
	var t ipTable
	var stack []span
	for _, s := range b.spans {
		stack = t.closeBefore(stack, s.first, false)
		t.emit(s.first, s.val)
		stack = append(stack, s)
	}
	t.closeBefore(stack, u128{}, true)
	return t
}

// closeBefore pops the spans ending before k (all of them when all is set),
// emitting the segment that resumes after each.
func (t *ipTable) closeBefore(stack []span, k u128, all bool) []span {
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		if !all && !top.last.less(k) {
			break
		}
		stack = stack[:len(stack)-1]
		after, ok := top.last.next()
		if !ok {
			continue
		}
		parent := int32(-1)
		if len(stack) > 0 {
			parent = stack[len(stack)-1].val
		}
		t.emit(after, parent)
	}
	return stack
}

// emit starts a segment at k, replacing one that starts at the same place.
func (t *ipTable) emit(k u128, val int32) {
	if n := len(t.starts); n > 0 && t.starts[n-1] == k {
		t.vals[n-1] = val
		return
	}
	t.starts = append(t.starts, k)
	t.vals = append(t.vals, val)
}
