package secrets

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomText builds n lines of filler with tokens, key pairs and
// multiline blocks sprinkled in, some lines far longer than a chunk.
func randomText(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 3))
	var b strings.Builder
	for i := range n {
		switch r.IntN(12) {
		case 0:
			fmt.Fprintf(&b, "x = %s y\n", testToken(uint64(i)))
		case 1:
			fmt.Fprintf(&b, "BEGIN BLOCK\n%s\n%s\nEND BLOCK\n", fake(uint64(i), lowerDigits, 30), fake(uint64(i+1), lowerDigits, 30))
		case 2:
			fmt.Fprintf(&b, "id %s key_secret=%s\n", testKeyID(uint64(i)), testSecret(uint64(i)))
		case 3:
			if r.IntN(20) == 0 {
				fmt.Fprintf(&b, "%s %s %s\n", strings.Repeat("long ", 3000), testToken(uint64(i)), strings.Repeat("tail ", 500))
			}
		default:
			b.WriteString(fake(uint64(i), lowerDigits+"  =:_", r.IntN(120)) + "\n")
		}
	}
	return b.String()
}

// TestStreamSpansMatchesWhole holds the chunked reader to its promise:
// the matches reported span by span are those of the whole text, for
// lines shorter than the overlap.
func TestStreamSpansMatchesWhole(t *testing.T) {
	d, err := NewDetector(engineRules())
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(4) {
		text := []byte(randomText(seed, 2500))
		if seed%2 == 1 {
			text = bytes.ReplaceAll(text, []byte("long "), nil)
		}
		want := d.Find(text)
		for _, size := range []int{minChunk(d.MaxLen()), minChunk(d.MaxLen()) + 777, 64 << 10} {
			var got []Match
			spans := 0
			err := streamSpans(bytes.NewReader(text), make([]byte, size), 0, false, d.MaxLen(), func(sp span) error {
				spans++
				for _, m := range d.Find(sp.buf) {
					if m.Start >= sp.from && m.Start < sp.own {
						m.Start += int(sp.off)
						m.End += int(sp.off)
						got = append(got, m)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if spans < len(text)/size {
				t.Errorf("seed %d size %d: %d spans for %d bytes", seed, size, spans, len(text))
			}
			if seed%2 == 1 && !sameMatches(got, want) {
				t.Errorf("seed %d size %d: chunked matches differ from whole-text matches:\n got %v\nwant %v", seed, size, got, want)
			}
			if seed%2 == 0 && len(got) < len(want)*9/10 {
				t.Errorf("seed %d size %d: chunked found %d of %d matches", seed, size, len(got), len(want))
			}
		}
	}
}

// TestLargeFileStreamed scans a file far larger than MaxFileSize, whose
// secrets straddle chunk boundaries, and expects exactly the findings of
// reading it whole, lines and columns included.
func TestLargeFileStreamed(t *testing.T) {
	text := strings.ReplaceAll(randomText(42, 6000), "long ", "")
	root := writeTree(t, map[string]string{"big.txt": text})
	whole, _ := newScanner(t, Config{MaxFileSize: 64 << 20})
	streamed, _ := newScanner(t, Config{MaxFileSize: 4 << 10})
	want := scanAll(t, whole, root)
	got := scanAll(t, streamed, filepath.Join(root, "big.txt"))
	if len(want) < 500 {
		t.Fatalf("whole-file scan found %d, want at least 500", len(want))
	}
	if streamed.chunk >= len(text)/10 {
		t.Fatalf("chunk %d is not much smaller than the file (%d bytes)", streamed.chunk, len(text))
	}
	if diff := cmp.Diff(where(want), where(got)); diff != "" {
		t.Errorf("streamed vs whole (-whole +streamed):\n%s", diff)
	}
}

// fillTo returns filler lines of about n bytes, ending with a newline,
// and their count.
func fillTo(n int) (string, int) {
	var b strings.Builder
	lines := 0
	for b.Len() < n-40 {
		b.WriteString(fake(uint64(lines), lowerDigits, 30) + "\n")
		lines++
	}
	b.WriteString(strings.Repeat("-", n-b.Len()-1) + "\n")
	return b.String(), lines + 1
}

// TestSecretAcrossChunkBoundary streams files whose secrets sit right at
// the edges of the first chunk: a token across its end, and a multiline
// block whose first line the first chunk owns but whose secret starts in
// the part it leaves to the next chunk (which must therefore overlap it).
func TestSecretAcrossChunkBoundary(t *testing.T) {
	s, _ := newScanner(t, Config{MaxFileSize: 4 << 10})
	tok := testToken(77)
	head, n := fillTo(s.chunk - 10)
	token := head + tok + "\n" + strings.Repeat("filler line\n", 2000)
	if i := strings.Index(token, tok); i >= s.chunk || i+len(tok) <= s.chunk {
		t.Fatalf("token at %d-%d does not straddle offset %d", i, i+len(tok), s.chunk)
	}
	// The chunk owns the lines that start before its last maxLen bytes.
	ownEnd := s.chunk - s.det.MaxLen()
	head2, n2 := fillTo(ownEnd - 12)
	block := head2 + "BEGIN BLOCK\n" + fake(78, lowerDigits, 30) + "\nEND BLOCK\n" + strings.Repeat("filler line\n", 2000)
	root := writeTree(t, map[string]string{"token.txt": token, "block.txt": block})
	want := []string{
		fmt.Sprintf("test-block block.txt:%d:1", n2+2),
		fmt.Sprintf("test-token token.txt:%d:1", n+1),
	}
	if diff := cmp.Diff(want, where(scanAll(t, s, root))); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestCut checks the chunk boundaries on a long single line and on short lines.
func TestCut(t *testing.T) {
	maxLen := 16
	short := []byte(strings.Repeat("abcdefghi\n", 20))
	own, carry := cut(short, maxLen)
	if short[own-1] != '\n' || own > len(short)-maxLen || carry > own-maxLen || carry == 0 || short[carry-1] != '\n' {
		t.Errorf("cut(short lines) = %d, %d", own, carry)
	}
	long := bytes.Repeat([]byte("x"), 200)
	own, carry = cut(long, maxLen)
	if own != len(long)-maxLen || carry != own-maxLen {
		t.Errorf("cut(one long line) = %d, %d; want %d, %d", own, carry, len(long)-maxLen, len(long)-2*maxLen)
	}
}
