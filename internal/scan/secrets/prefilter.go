package secrets

import "slices"

// keywordSet finds every occurrence of a set of lower-case keywords in a
// text, ASCII case-insensitively, in one pass. It is an Aho-Corasick
// automaton compiled into a dense DFA over byte classes: each input byte
// costs one table look-up for its class and one for the next state.
//
// States are numbered so that every state at which a keyword ends has an
// id of at least firstMatch, which keeps the hot loop to a single compare.
// A keywordSet is immutable once built and safe for concurrent use.
type keywordSet struct {
	// class maps an input byte (after ASCII lower-casing) to its class.
	class [256]uint8
	// stride is the number of classes: the width of one row of next.
	stride int
	// next holds the transitions; a state id is its row's offset in next.
	next []uint32
	// firstMatch is the smallest id of a state where a keyword ends.
	firstMatch uint32
	// out lists, for match state id/stride - firstRow, the keywords ending there.
	out      [][]int32
	firstRow uint32
	// longest is the length of the longest keyword.
	longest int
}

// trieNode is a node of the keyword trie used while building a keywordSet.
type trieNode struct {
	child map[byte]int
	fail  int
	out   []int32
	depth int
}

// newKeywordSet builds the automaton for keywords, which must be
// lower-case. Keywords that can never match a line (empty, or holding a
// newline) are left out.
func newKeywordSet(keywords []string) *keywordSet {
	nodes := []trieNode{{child: map[byte]int{}}}
	for i, k := range keywords {
		if k == "" || slices.Contains([]byte(k), '\n') {
			continue
		}
		n := 0
		for j := 0; j < len(k); j++ {
			c := lower(k[j])
			nx, ok := nodes[n].child[c]
			if !ok {
				nx = len(nodes)
				nodes = append(nodes, trieNode{child: map[byte]int{}, depth: nodes[n].depth + 1})
				nodes[n].child[c] = nx
			}
			n = nx
		}
		nodes[n].out = append(nodes[n].out, int32(i))
	}
	order := linkFailures(nodes)
	ks := &keywordSet{longest: 1}
	for _, n := range nodes {
		ks.longest = max(ks.longest, n.depth)
	}
	ks.buildClasses(nodes)
	ks.buildTable(nodes, order)
	return ks
}

// linkFailures sets the failure link of every node and merges the outputs
// along them; it returns the nodes in breadth-first order.
func linkFailures(nodes []trieNode) []int {
	order := []int{0}
	for qi := 0; qi < len(order); qi++ {
		n := order[qi]
		for _, c := range sortedKeys(nodes[n].child) {
			ch := nodes[n].child[c]
			order = append(order, ch)
			if n == 0 {
				continue
			}
			f := nodes[n].fail
			for {
				if nx, ok := nodes[f].child[c]; ok {
					nodes[ch].fail = nx
					break
				}
				if f == 0 {
					break
				}
				f = nodes[f].fail
			}
			nodes[ch].out = append(nodes[ch].out, nodes[nodes[ch].fail].out...)
		}
	}
	return order
}

func sortedKeys(m map[byte]int) []byte {
	keys := make([]byte, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// buildClasses gives every byte that occurs in a keyword its own class and
// lumps all other bytes into class 0; upper-case ASCII letters share the
// class of their lower-case form.
func (ks *keywordSet) buildClasses(nodes []trieNode) {
	var used [256]bool
	for _, n := range nodes {
		for c := range n.child {
			used[c] = true
		}
	}
	next := uint8(1)
	var classOf [256]uint8
	for c := 0; c < 256; c++ {
		if used[c] {
			classOf[c] = next
			next++
		}
	}
	for b := 0; b < 256; b++ {
		ks.class[b] = classOf[lower(byte(b))]
	}
	ks.stride = int(next)
}

// buildTable fills the dense transition table. Match states get the
// highest row numbers so that a single compare spots them.
func (ks *keywordSet) buildTable(nodes []trieNode, order []int) {
	row := make([]uint32, len(nodes))
	var r uint32
	for _, n := range order {
		if len(nodes[n].out) == 0 {
			row[n] = r
			r++
		}
	}
	ks.firstRow = r
	ks.out = make([][]int32, 0, len(nodes)-int(r))
	for _, n := range order {
		if len(nodes[n].out) > 0 {
			row[n] = r
			r++
			ks.out = append(ks.out, nodes[n].out)
		}
	}
	stride := uint32(ks.stride)
	ks.firstMatch = ks.firstRow * stride
	ks.next = make([]uint32, len(nodes)*ks.stride)
	// Breadth-first order guarantees a node's failure target is complete
	// before the node itself is filled in.
	for _, n := range order {
		base := row[n] * stride
		for b := 0; b < 256; b++ {
			c := byte(b)
			cls := uint32(ks.class[c])
			if cls == 0 || c != lower(c) {
				continue
			}
			if ch, ok := nodes[n].child[c]; ok {
				ks.next[base+cls] = row[ch] * stride
			} else if n != 0 {
				ks.next[base+cls] = ks.next[row[nodes[n].fail]*stride+cls]
			}
		}
	}
}

// splitScan is the input size from which scan runs two automata at once.
const splitScan = 4 << 10

// kwHit is a keyword hit held back until the hits before it are reported.
type kwHit struct {
	end   int
	state uint32
}

// scan calls hit(end, keywords), in increasing order of end, for every
// position where one or more keywords end: end is the offset just past
// the keyword's last byte. hold is scratch space, reused between calls.
//
// Each step of the automaton waits for the previous one (its table
// look-up needs the previous state), so a long text is cut in two halves
// that run through two copies of the automaton in the same loop, doubling
// the work per memory round-trip. The first half runs on past the cut by
// the longest keyword's length less one, which covers the keywords that
// straddle the cut; the second half starts fresh at the cut and reports
// only keywords ending beyond that.
func (ks *keywordSet) scan(text []byte, hold *[]kwHit, hit func(end int, keywords []int32)) {
	if len(text) < splitScan {
		ks.scanFrom(text, 0, 0, hit)
		return
	}
	h := len(text) / 2
	aLen := min(len(text), h+ks.longest-1)
	a, b := text[:aLen], text[h:]
	m := min(len(a), len(b))
	next, first, stride := ks.next, ks.firstMatch, uint32(ks.stride)
	held := (*hold)[:0]
	var sa, sb uint32
	for i, ca := range a[:m] {
		sa = next[sa+uint32(ks.class[ca])]
		sb = next[sb+uint32(ks.class[b[i]])]
		if sa >= first {
			hit(i+1, ks.out[sa/stride-ks.firstRow])
		}
		if sb >= first && h+i+1 > aLen {
			held = append(held, kwHit{end: h + i + 1, state: sb})
		}
	}
	ks.scanFrom(a[m:], m, sa, hit)
	for i := m; i < len(b); i++ {
		sb = next[sb+uint32(ks.class[b[i]])]
		if sb >= first && h+i+1 > aLen {
			held = append(held, kwHit{end: h + i + 1, state: sb})
		}
	}
	for _, x := range held {
		hit(x.end, ks.out[x.state/stride-ks.firstRow])
	}
	*hold = held
}

// scanFrom runs the automaton over text from state s; text starts at
// offset base of the whole input. It returns the final state.
func (ks *keywordSet) scanFrom(text []byte, base int, s uint32, hit func(end int, keywords []int32)) uint32 {
	next, first, stride := ks.next, ks.firstMatch, uint32(ks.stride)
	for i, c := range text {
		s = next[s+uint32(ks.class[c])]
		if s >= first {
			hit(base+i+1, ks.out[s/stride-ks.firstRow])
		}
	}
	return s
}

// lower lower-cases an ASCII letter and leaves every other byte alone.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
