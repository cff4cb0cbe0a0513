package intel

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		domains  []string
		prefixes []string
		wantErr  string
	}{
		{name: "empty", input: ""},
		{name: "comments and blanks", input: "# c\n\n   \n#x y z\n"},
		{name: "ipv4", input: "203.0.113.7\n", prefixes: []string{"203.0.113.7/32"}},
		{name: "ipv6", input: "2001:db8::1", prefixes: []string{"2001:db8::1/128"}},
		{name: "cidr masked", input: "10.1.2.3/8\n2001:db8::1/32\n", prefixes: []string{"10.0.0.0/8", "2001:db8::/32"}},
		{name: "mapped v4", input: "::ffff:192.0.2.1\n::ffff:192.0.2.0/120\n", prefixes: []string{"192.0.2.1/32", "192.0.2.0/24"}},
		{name: "crlf and trailing space", input: "Evil.Example.COM.  \r\n10.0.0.1\t\r\n", domains: []string{"evil.example.com"}, prefixes: []string{"10.0.0.1/32"}},
		{name: "bom", input: "\ufeffexample.com\n", domains: []string{"example.com"}},
		{name: "wildcards", input: "*.a.example\n.b.example\n*.zip\n", domains: []string{"a.example", "b.example", "zip"}},
		{name: "trailing comment", input: "bad.example # seen 2026\n", domains: []string{"bad.example"}},
		{name: "duplicates", input: "a.example\nA.example.\n1.2.3.4\n1.2.3.4/32\n", domains: []string{"a.example"}, prefixes: []string{"1.2.3.4/32"}},
		{name: "punycode", input: "xn--bcher-kva.example\n", domains: []string{"xn--bcher-kva.example"}},
		{name: "no final newline", input: "a.example\nb.example", domains: []string{"a.example", "b.example"}},
		{name: "two fields", input: "ok.example\n0.0.0.0 evil.example\n", wantErr: `list.txt:2: more than one field: "0.0.0.0 evil.example"`},
		{name: "bad cidr", input: "10.0.0.0/33\n", wantErr: `list.txt:1: invalid CIDR`},
		{name: "bad ip", input: "10.0.0.256\n", wantErr: `list.txt:1: invalid IP address or numeric top-level domain`},
		{name: "bad ipv6", input: "2001:db8:::1\n", wantErr: `list.txt:1: invalid IP address`},
		{name: "zone", input: "fe80::1%eth0\n", wantErr: `list.txt:1: invalid IP address`},
		{name: "single label", input: "localhost\n", wantErr: `list.txt:1: single-label domain`},
		{name: "url", input: "http://evil.example/x\n", wantErr: `list.txt:1: invalid CIDR`},
		{name: "unicode", input: "bücher.example\n", wantErr: `list.txt:1: invalid character`},
		{name: "empty label", input: "a..example\n", wantErr: `list.txt:1: empty label`},
		{name: "hyphen", input: "-a.example\n", wantErr: `list.txt:1: label starts or ends`},
		{name: "long label", input: strings.Repeat("a", 64) + ".example\n", wantErr: `list.txt:1: label longer than 63`},
		{name: "long line", input: "a.example\n" + strings.Repeat("x", 5000) + "\n", wantErr: `list.txt:2: line too long`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse("list.txt", strings.NewReader(tt.input), CategoryCustom)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want %q", tt.input, err, tt.wantErr)
				}
				var le *LineError
				if !errors.As(err, &le) || !errors.Is(err, pipeline.ErrInvalid) {
					t.Errorf("Parse(%q) error %T is not a *LineError wrapping ErrInvalid", tt.input, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", tt.input, err)
			}
			var got []string
			for _, p := range l.Prefixes {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.domains, l.Domains, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse(%q) domains (-want +got):\n%s", tt.input, diff)
			}
			if diff := cmp.Diff(tt.prefixes, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse(%q) prefixes (-want +got):\n%s", tt.input, diff)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	input := "good.example\nbad line here\n" + strings.Repeat("y", 5000) + "\n10.0.0.0/8\nlocalhost"
	l, err := ParseWith("feed", strings.NewReader(input), CategoryC2, ParseOptions{Lenient: true})
	if err != nil {
		t.Fatalf("ParseWith(lenient) error = %v", err)
	}
	if l.Len() != 2 || l.Skipped != 3 || len(l.Warnings) != 3 {
		t.Fatalf("ParseWith(lenient) = %d entries, %d skipped, warnings %q; want 2, 3, 3", l.Len(), l.Skipped, l.Warnings)
	}
	if !strings.HasPrefix(l.Warnings[0], "feed:2: ") || !strings.HasPrefix(l.Warnings[2], "feed:5: ") {
		t.Errorf("warnings = %q, want feed:2 and feed:5 first", l.Warnings)
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name string
		opts ParseOptions
		in   string
		want string
	}{
		{name: "bytes", opts: ParseOptions{MaxBytes: 10, Lenient: true}, in: "a.example\nb.example\n", want: "larger than 10 bytes"},
		{name: "entries", opts: ParseOptions{MaxEntries: 1}, in: "a.example\nb.example\n", want: "more than 1 entries"},
		{name: "line", opts: ParseOptions{MaxLineLength: 20}, in: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example\n", want: "line too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWith("x", strings.NewReader(tt.in), CategoryCustom, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("ParseWith(%+v) error = %v, want %q wrapping ErrInvalid", tt.opts, err, tt.want)
			}
		})
	}
	// Exactly at the byte limit is fine.
	if _, err := ParseWith("x", strings.NewReader("a.example\n"), CategoryCustom, ParseOptions{MaxBytes: 10}); err != nil {
		t.Errorf("ParseWith(at limit) error = %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	if _, err := LoadFile("testdata/missing.txt", CategoryCustom); !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("LoadFile(missing) error = %v, want ErrNotFound", err)
	}
	l, err := LoadFile("testdata/custom.txt", CategoryCustom)
	if err != nil {
		t.Fatalf("LoadFile error = %v", err)
	}
	if l.Name != "testdata/custom.txt" || l.Len() != 4 {
		t.Errorf("LoadFile = %q with %d entries, want testdata/custom.txt with 4", l.Name, l.Len())
	}
}

func TestDefault(t *testing.T) {
	s := NewSet(Default(), nil)
	tests := []struct {
		name string
		want Category
	}{
		{"guarddutyc2activityb.com", CategoryC2},
		{"x.guarddutyc2activityb.com.", CategoryC2},
		{"pool.minexmr.com", CategoryMining},
		{"xmr.pool.minergate.com", CategoryMining},
		{"eth.2miners.com", CategoryMining},
		{"supportxmr.com", CategoryMining},
	}
	for _, tt := range tests {
		m, ok := s.Domain(tt.name)
		if !ok || m.Category != tt.want || m.List != "default" {
			t.Errorf("Default Domain(%q) = %+v, %v; want category %s from default", tt.name, m, ok, tt.want)
		}
	}
	if _, ok := s.Domain("minexmr.com"); ok {
		t.Errorf("Default Domain(minexmr.com) matched; only pool.minexmr.com is listed")
	}
	if _, ok := s.IP(netip.MustParseAddr("8.8.8.8")); ok {
		t.Errorf("Default IP(8.8.8.8) matched")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "# c\n", "a.example\r\n", "*.a.example\n.b.example\n", "10.0.0.0/8\n", "2001:db8::/32 # x\n",
		"::ffff:1.2.3.4/100\n", "\ufeffx.example", "a..b\n", "0.0.0.0 x.example\n", "1.2.3\n", strings.Repeat("a", 300),
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, lenient bool) {
		l, err := ParseWith("fuzz", strings.NewReader(in), CategoryCustom, ParseOptions{Lenient: lenient})
		if err != nil {
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("ParseWith error %v does not wrap ErrInvalid", err)
			}
			return
		}
		s := NewSet([]*List{l}, nil)
		for _, d := range l.Domains {
			if m, ok := s.Domain(d); !ok || m.Entry != d {
				t.Fatalf("Domain(%q) = %+v, %v after parsing it", d, m, ok)
			}
			if d2, reason := parseDomain("*." + d); reason != "" || d2 != d {
				t.Fatalf("parseDomain(%q) = %q, %q; not idempotent", d, d2, reason)
			}
		}
		for _, p := range l.Prefixes {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("prefix %v not valid and masked", p)
			}
			if _, ok := s.IP(p.Addr()); !ok {
				t.Fatalf("IP(%v) not matched after parsing %v", p.Addr(), p)
			}
		}
	})
}
