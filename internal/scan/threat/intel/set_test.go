package intel

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t testing.TB, name string, cat Category, text string) *List {
	t.Helper()
	l, err := Parse(name, strings.NewReader(text), cat)
	if err != nil {
		t.Fatalf("Parse(%s) error = %v", name, err)
	}
	return l
}

func TestSetDomain(t *testing.T) {
	c2 := mustParse(t, "c2.txt", CategoryC2, "evil.example\n*.deep.bad.example\nbad.example\n")
	custom := mustParse(t, "mine.txt", CategoryCustom, "evil.example\nother.example\ncdn.example\n")
	trusted := mustParse(t, "trusted.txt", CategoryCustom, "good.cdn.example\nok.bad.example\n")
	s := NewSet([]*List{c2, custom}, []*List{trusted})
	tests := []struct {
		name   string
		query  string
		want   Match
		wantOK bool
	}{
		{name: "exact", query: "evil.example", want: Match{"c2.txt", "evil.example", CategoryC2}, wantOK: true},
		{name: "first list wins", query: "EVIL.example.", want: Match{"c2.txt", "evil.example", CategoryC2}, wantOK: true},
		{name: "subdomain", query: "a.b.evil.example", want: Match{"c2.txt", "evil.example", CategoryC2}, wantOK: true},
		{name: "most specific", query: "x.deep.bad.example", want: Match{"c2.txt", "deep.bad.example", CategoryC2}, wantOK: true},
		{name: "second list", query: "other.example", want: Match{"mine.txt", "other.example", CategoryCustom}, wantOK: true},
		{name: "not a suffix match", query: "notevil.example"},
		{name: "parent not listed", query: "example"},
		{name: "trusted exact", query: "good.cdn.example"},
		{name: "trusted parent", query: "x.good.cdn.example"},
		{name: "trusted sibling still listed", query: "bad.cdn.example", want: Match{"mine.txt", "cdn.example", CategoryCustom}, wantOK: true},
		{name: "trusted over deeper threat", query: "a.ok.bad.example"},
		{name: "empty", query: ""},
		{name: "dot", query: "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Domain(tt.query)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("Domain(%q) = %+v, %v; want %+v, %v", tt.query, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestSetIP(t *testing.T) {
	threat := mustParse(t, "t.txt", CategoryCustom, strings.Join([]string{
		"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "10.255.255.255", "255.255.255.255",
		"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::1", "ffff::/16", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	}, "\n"))
	trusted := mustParse(t, "ok.txt", CategoryCustom, "10.1.2.0/24\n10.1.2.3\n2001:db8:1:2::/64\n192.0.2.1\n")
	s := NewSet([]*List{threat}, []*List{trusted})
	tests := []struct {
		ip    string
		entry string // "" for no match
	}{
		{ip: "1.2.3.4", entry: "0.0.0.0/0"},
		{ip: "10.0.0.1", entry: "10.0.0.0/8"},
		{ip: "10.1.9.9", entry: "10.1.0.0/16"},
		{ip: "10.1.2.3"}, // trusted exact
		{ip: "10.1.2.4"}, // trusted CIDR
		{ip: "10.1.3.0", entry: "10.1.0.0/16"},
		{ip: "10.2.0.0", entry: "10.0.0.0/8"},
		{ip: "10.255.255.255", entry: "10.255.255.255"},
		{ip: "11.0.0.0", entry: "0.0.0.0/0"},
		{ip: "255.255.255.255", entry: "255.255.255.255"},
		{ip: "192.0.2.1"},
		{ip: "::ffff:10.0.0.1", entry: "10.0.0.0/8"},
		{ip: "2001:db8::1", entry: "2001:db8::/32"},
		{ip: "2001:db8:1::1", entry: "2001:db8:1::1"},
		{ip: "2001:db8:1::2", entry: "2001:db8:1::/48"},
		{ip: "2001:db8:1:2::5"},
		{ip: "2001:db8:2::", entry: "2001:db8::/32"},
		{ip: "2001:db9::"},
		{ip: "fe80::1%eth0"},
		{ip: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", entry: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{ip: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", entry: "ffff::/16"},
	}
	for _, tt := range tests {
		got, ok := s.IP(netip.MustParseAddr(tt.ip))
		if ok != (tt.entry != "") || got.Entry != tt.entry {
			t.Errorf("IP(%s) = %+v, %v; want entry %q", tt.ip, got, ok, tt.entry)
		}
	}
	var nilSet *Set
	if _, ok := nilSet.IP(netip.MustParseAddr("10.0.0.1")); ok {
		t.Errorf("nil Set IP matched")
	}
	if _, ok := nilSet.Domain("a.example"); ok {
		t.Errorf("nil Set Domain matched")
	}
	if _, ok := s.IP(netip.Addr{}); ok {
		t.Errorf("IP(zero Addr) matched")
	}
}

// TestSetIPRandom checks the flattened table against a linear scan.
func TestSetIPRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var lines []string
	var prefixes []netip.Prefix
	for range 300 {
		b := [4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(256))}
		p := netip.PrefixFrom(netip.AddrFrom4(b), 8+r.IntN(25)).Masked()
		lines = append(lines, p.String())
		prefixes = append(prefixes, p)
	}
	s := NewSet([]*List{mustParse(t, "r", CategoryCustom, strings.Join(lines, "\n"))}, nil)
	for range 20000 {
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(5)), byte(r.IntN(5)), byte(r.IntN(256))})
		want := ""
		for _, p := range prefixes {
			if p.Contains(a) && (want == "" || p.Bits() > netip.MustParsePrefix(want).Bits()) {
				want = p.String()
			}
		}
		got, _ := s.IP(a)
		gotP := got.Entry
		if gotP != "" && !strings.Contains(gotP, "/") {
			gotP += "/32"
		}
		if diff := cmp.Diff(want, gotP); diff != "" {
			t.Fatalf("IP(%v) (-want +got):\n%s", a, diff)
		}
	}
}

func bigSet(b testing.TB, n int) *Set {
	r := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	for i := range n {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&sb, "d%d.example%d.com\n", i, i%50)
		case 1:
			fmt.Fprintf(&sb, "%d.%d.%d.%d\n", 1+r.IntN(222), r.IntN(256), r.IntN(256), r.IntN(256))
		default:
			fmt.Fprintf(&sb, "%d.%d.%d.0/24\n", 1+r.IntN(222), r.IntN(256), r.IntN(256))
		}
	}
	return NewSet([]*List{mustParse(b, "big", CategoryCustom, sb.String())}, nil)
}

// BenchmarkMatch does 1M lookups (half domains, half IPv4) against a
// 100k-entry list and reports ns/lookup.
func BenchmarkMatch(b *testing.B) {
	s := bigSet(b, 100_000)
	r := rand.New(rand.NewPCG(5, 6))
	const lookups = 1_000_000
	names := make([]string, 1024)
	for i := range names {
		names[i] = fmt.Sprintf("www.d%d.example%d.com", r.IntN(200_000), r.IntN(50))
	}
	ips := make([]netip.Addr, 1024)
	for i := range ips {
		ips[i] = netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for b.Loop() {
		for i := range lookups / 2 {
			if _, ok := s.Domain(names[i&1023]); ok {
				hits++
			}
			if _, ok := s.IP(ips[i&1023]); ok {
				hits++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lookups), "ns/lookup")
	if hits == 0 {
		b.Fatal("no hits")
	}
}
