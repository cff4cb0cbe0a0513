package postgres

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCleanJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: `"a\u0000b"`, want: `"a\ufffdb"`},
		{in: `"a\\u0000b"`, want: `"a\\u0000b"`},   // an escaped backslash, then text
		{in: `"a\\\u0000b"`, want: `"a\\\ufffdb"`}, // an escaped backslash, then NUL
		{in: `{"k\u0000":"\u0000"}`, want: `{"k\ufffd":"\ufffd"}`},
		{in: `"\u00001"`, want: `"\ufffd1"`},
		{in: `"plain"`, want: `"plain"`},
	}
	for _, tt := range tests {
		if got := cleanJSON(tt.in); got != tt.want {
			t.Errorf("cleanJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzCleanJSON checks, for any JSON a caller may store, that cleaning
// keeps it valid, leaves no NUL in it, and changes nothing but NULs.
func FuzzCleanJSON(f *testing.F) {
	for _, seed := range []string{`"a\u0000b"`, `"a\\u0000b"`, `{"k":["\u0000",1,null]}`, `"\\\\\u0000"`, `"x"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var before any
		if json.Unmarshal([]byte(in), &before) != nil {
			return
		}
		out := cleanJSON(in)
		var after any
		if err := json.Unmarshal([]byte(out), &after); err != nil {
			t.Fatalf("cleanJSON(%q) = %q, not JSON: %v", in, out, err)
		}
		want, _ := json.Marshal(replaceNUL(before))
		got, _ := json.Marshal(after)
		if string(got) != string(want) {
			t.Fatalf("cleanJSON(%q) decodes to %s, want %s", in, got, want)
		}
	})
}

// replaceNUL replaces NUL with U+FFFD in every string of a decoded JSON
// value, keys included.
func replaceNUL(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "\x00", "\uFFFD")
	case []any:
		for i := range v {
			v[i] = replaceNUL(v[i])
		}
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[strings.ReplaceAll(k, "\x00", "\uFFFD")] = replaceNUL(e)
		}
		return m
	}
	return v
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "ok", want: "ok"},
		{in: "a\x00b", want: "a\uFFFDb"},
		{in: "bad \xff\xfe utf-8", want: "bad \uFFFD utf-8"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
