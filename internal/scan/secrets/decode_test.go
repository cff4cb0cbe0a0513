package secrets

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveRuns is the plain definition of base64Alphabet.runs: every maximal
// run of base64 characters, at least minBase64Run long, of one alphabet.
func naiveRuns(text []byte) []string {
	isStd := func(c byte) bool { return c == '+' || c == '/' }
	isURL := func(c byte) bool { return c == '-' || c == '_' }
	isB64 := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || isStd(c) || isURL(c)
	}
	var out []string
	for i := 0; i < len(text); {
		if !isB64(text[i]) {
			i++
			continue
		}
		s := i
		std, url := false, false
		for i < len(text) && isB64(text[i]) {
			std, url = std || isStd(text[i]), url || isURL(text[i])
			i++
		}
		if i-s >= minBase64Run && !(std && url) {
			enc := "std"
			if url {
				enc = "url"
			}
			out = append(out, fmt.Sprintf("%d-%d/%s", s, i, enc))
		}
	}
	return out
}

func TestBase64Runs(t *testing.T) {
	t64 := newBase64Alphabet()
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "abcXYZ019+/-_ .=\n\x00\xff"
	for n := range 3000 {
		text := make([]byte, r.IntN(200))
		// Long stretches of one class make long runs likely.
		for i := range text {
			if i > 0 && r.IntN(8) > 0 {
				text[i] = text[i-1]
				if r.IntN(3) == 0 {
					text[i] = "abcXYZ019"[r.IntN(9)]
				}
				continue
			}
			text[i] = alphabet[r.IntN(len(alphabet))]
		}
		var got []string
		t64.runs(text, func(s, e int, enc *base64.Encoding) {
			name := "std"
			if enc == base64.RawURLEncoding {
				name = "url"
			}
			got = append(got, fmt.Sprintf("%d-%d/%s", s, e, name))
		})
		if want := naiveRuns(text); !slices.Equal(got, want) {
			t.Fatalf("case %d: runs(%q) = %v, want %v", n, text, got, want)
		}
	}
}

func TestDecodeBlob(t *testing.T) {
	tests := []struct {
		name string
		run  string
		enc  *base64.Encoding
		want string
	}{
		{name: "text", run: base64.RawStdEncoding.EncodeToString([]byte("hello, world: a secret line\n")), enc: base64.RawStdEncoding, want: "hello, world: a secret line\n"},
		{name: "url alphabet", run: base64.RawURLEncoding.EncodeToString([]byte(`{"k":"v>>>???"}`)), enc: base64.RawURLEncoding, want: `{"k":"v>>>???"}`},
		{name: "binary", run: base64.RawStdEncoding.EncodeToString([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 251, 252, 253, 254, 255, 0, 0, 0, 0, 1, 1, 1, 1}), enc: base64.RawStdEncoding},
		{name: "identifier", run: "TestSomethingQuiteLongAndCamelCasedIndeed", enc: base64.RawStdEncoding},
		{name: "odd length", run: base64.RawStdEncoding.EncodeToString([]byte("plain words in a row, ok")) + "Q", enc: base64.RawStdEncoding, want: "plain words in a row, ok"},
	}
	for _, tt := range tests {
		got := decodeBlob([]byte(tt.run), tt.enc)
		if string(got) != tt.want {
			t.Errorf("%s: decodeBlob(%q) = %q, want %q", tt.name, tt.run, got, tt.want)
		}
	}
}
