package secrets

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/secpipe/secpipe/internal/pipeline"
)

const (
	// minBase64Run is the shortest run of base64 characters worth decoding.
	minBase64Run = 32
	// maxBase64Run bounds how much of one run is decoded.
	maxBase64Run = 256 << 10
)

// Classes of bytes in base64Alphabet.
const (
	b64Both = 1 << iota // letters and digits: in both alphabets
	b64Std              // '+' and '/'
	b64URL              // '-' and '_'
)

// base64Alphabet classifies bytes for the search for base64 runs.
type base64Alphabet [256]uint8

func newBase64Alphabet() *base64Alphabet {
	var t base64Alphabet
	for c := 0; c < 256; c++ {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = b64Both
		case c == '+' || c == '/':
			t[c] = b64Std
		case c == '-' || c == '_':
			t[c] = b64URL
		}
	}
	return &t
}

// runs calls fn for every run of at least minBase64Run base64 characters
// in text that uses one alphabet (standard or URL-safe) only.
//
// It skips ahead like a Boyer-Moore search: a run of minBase64Run that
// starts at i must cover i+minBase64Run-1, so when that byte is not base64
// no run starts before it, and otherwise the last non-base64 byte before
// it tells where the next run can start. Ordinary text is thus checked at
// a few bytes in every minBase64Run.
func (t *base64Alphabet) runs(text []byte, fn func(start, end int, enc *base64.Encoding)) {
	// i is always where a run could start: at 0 or after a non-base64 byte.
	for i := 0; i+minBase64Run <= len(text); {
		j := i + minBase64Run - 1
		for j >= i && t[text[j]] != 0 {
			j--
		}
		if j >= i {
			i = j + 1
			continue
		}
		start := i
		var seen uint8
		for i < len(text) && t[text[i]] != 0 {
			seen |= t[text[i]]
			i++
		}
		if seen&(b64Std|b64URL) == b64Std|b64URL {
			continue
		}
		enc := base64.RawStdEncoding
		if seen&b64URL != 0 {
			enc = base64.RawURLEncoding
		}
		fn(start, i, enc)
	}
}

// decodeBlob decodes a base64 run and returns it when it reads as text:
// valid UTF-8 with few control characters. It returns nil otherwise.
func decodeBlob(run []byte, enc *base64.Encoding) []byte {
	if len(run) > maxBase64Run {
		run = run[:maxBase64Run]
	}
	if len(run)%4 == 1 {
		run = run[:len(run)-1]
	}
	out := make([]byte, enc.DecodedLen(len(run)))
	n, err := enc.Decode(out, run)
	if err != nil {
		return nil
	}
	out = out[:n]
	var controls int
	for _, c := range out {
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f {
			controls++
		}
	}
	if controls*20 > len(out) || !utf8.Valid(out) {
		return nil
	}
	return out
}

// decodedFindings decodes the base64 runs that sp owns and reports the
// secrets inside them at the run's line. Runs that overlap a match found
// in the text itself are left alone: the secret there is already reported.
func (s *Scanner) decodedFindings(sp span, direct []Match, src *source, out []pipeline.Finding) []pipeline.Finding {
	lc := lineCursor{buf: sp.buf}
	var found overlapIndex
	if len(direct) > 0 {
		found = newOverlapIndex(direct, func(Match) bool { return true })
	}
	s.b64.runs(sp.buf[sp.from:sp.own], func(start, end int, enc *base64.Encoding) {
		start, end = start+sp.from, end+sp.from
		if found.overlaps(start, end) {
			return
		}
		text := decodeBlob(sp.buf[start:end], enc)
		if text == nil {
			return
		}
		seen := map[[2]string]bool{}
		for _, m := range s.det.Find(text) {
			k := [2]string{m.Rule.ID, m.Secret}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, s.finding(m.Rule, m.Secret, sp, &lc, start, src, true))
		}
	})
	return out
}
