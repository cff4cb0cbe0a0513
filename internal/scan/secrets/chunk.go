package secrets

import (
	"bytes"
	"errors"
	"io"
)

// span is a piece of text handed to the detector, with what is needed to
// report its matches: only matches starting in [from, own) belong to this
// span; the rest were reported by the previous span or will be by the next.
type span struct {
	buf       []byte
	from, own int
	// off is the offset of buf[0] in the whole text.
	off int64
	// line is the 1-based line number of buf[0].
	line int
	// col is the number of bytes of buf[0]'s line that come before buf[0]:
	// non-zero only when a line longer than a chunk was split.
	col int
}

// cut chooses where a full chunk buf stops owning matches and where the
// next chunk starts. Every line starting before own ends inside buf and
// has maxLen bytes of buf after its start, so every match found from it is
// complete; the next chunk starts at carry, the start of the line holding
// own-maxLen, so it sees every line whose window reaches past own. When a
// single line is longer than the chunk allows, the line is split.
func cut(buf []byte, maxLen int) (own, carry int) {
	p := len(buf) - maxLen
	own = bytes.LastIndexByte(buf[:p], '\n') + 1
	if own <= 2*maxLen {
		own = p
	}
	c := own - maxLen
	carry = bytes.LastIndexByte(buf[:c], '\n') + 1
	if carry == 0 {
		carry = c
	}
	return own, carry
}

// minChunk returns the smallest chunk size that lets cut make progress with
// the given overlap.
func minChunk(maxLen int) int { return 8 * maxLen }

// streamSpans reads r through buf, whose first n bytes are already filled
// (eof tells whether r is already exhausted), and calls fn for each span.
// Consecutive spans overlap so that, for lines shorter than maxLen, the
// spans' matches are exactly those of the whole text. len(buf) must be at
// least minChunk(maxLen).
func streamSpans(r io.Reader, buf []byte, n int, eof bool, maxLen int, fn func(span) error) error {
	sp := span{line: 1}
	for {
		if !eof {
			k, end, err := fill(r, buf[n:])
			if err != nil {
				return err
			}
			n, eof = n+k, end
		}
		if eof {
			sp.buf, sp.own = buf[:n], n
			return fn(sp)
		}
		own, carry := cut(buf[:n], maxLen)
		sp.buf, sp.own = buf[:n], own
		if err := fn(sp); err != nil {
			return err
		}
		sp.line += bytes.Count(buf[:carry], []byte{'\n'})
		if ls := bytes.LastIndexByte(buf[:carry], '\n'); ls >= 0 {
			sp.col = carry - ls - 1
		} else {
			sp.col += carry
		}
		n = copy(buf, buf[carry:n])
		sp.from = own - carry
		sp.off += int64(carry)
	}
}

// fill reads from r into buf until buf is full or r is exhausted.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}
