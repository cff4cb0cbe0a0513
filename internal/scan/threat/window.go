package threat

import "time"

// windowSet counts distinct values per key within a time window that
// starts at the key's first value; a later value outside the window starts
// a new one. It tracks at most maxKeys keys and at most limit values per
// key (reaching the limit is all a detector needs to know), so its memory is
// bounded. When full, it forgets expired keys; if none has expired, new keys
// are ignored until one does.
type windowSet[K comparable] struct {
	window  time.Duration
	limit   int
	maxKeys int
	m       map[K]*window
}

type window struct {
	start time.Time
	vals  map[uint64]struct{}
	done  bool // the limit was reached in this window
}

func newWindowSet[K comparable](w time.Duration, limit, maxKeys int) *windowSet[K] {
	return &windowSet[K]{window: w, limit: limit, maxKeys: maxKeys, m: make(map[K]*window)}
}

// add records value v for key k at time t and reports whether this made
// the key reach the limit within its window (once per window).
func (s *windowSet[K]) add(k K, v uint64, t time.Time) bool {
	w := s.m[k]
	if w != nil && t.Sub(w.start) > s.window {
		w.start, w.done = t, false
		clear(w.vals)
	}
	if w == nil {
		if len(s.m) >= s.maxKeys && !s.evict(t) {
			return false
		}
		w = &window{start: t, vals: make(map[uint64]struct{})}
		s.m[k] = w
	}
	if w.done {
		return false
	}
	w.vals[v] = struct{}{}
	if len(w.vals) < s.limit {
		return false
	}
	w.done = true
	clear(w.vals)
	return true
}

// evict drops keys whose window has passed at time t and reports whether
// there is room now.
func (s *windowSet[K]) evict(t time.Time) bool {
	for k, w := range s.m {
		if t.Sub(w.start) > s.window {
			delete(s.m, k)
		}
	}
	return len(s.m) < s.maxKeys
}

// hashString is 64-bit FNV-1a.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
