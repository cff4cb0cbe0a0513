package threat

import "testing"

func TestLooksGenerated(t *testing.T) {
	tests := []struct {
		label string
		want  bool
	}{
		{label: "google", want: false},
		{label: "stackoverflow", want: false},
		{label: "googleusercontent", want: false},
		{label: "microsoftonline", want: false},
		{label: "akamaitechnologies", want: false},
		{label: "windowsupdate", want: false},
		{label: "kqlxtqptsmys", want: true},
		{label: "ucaxfprkidwdnqkrra", want: true},
		{label: "sssuhrtnddnrtcg", want: true},
		{label: "x7k2q9v1mzr4", want: true},
		{label: "xn--80ak6aa92e", want: false},
	}
	for _, tc := range tests {
		if got, why := looksGenerated(tc.label); got != tc.want {
			t.Errorf("looksGenerated(%q) = %v (%s), want %v", tc.label, got, why, tc.want)
		}
	}
}

func TestDGADetector(t *testing.T) {
	only := []string{TypeDGADomain}
	q := func(name string) string { return ev(`"type":"dns","query":"` + name + `"`) }
	runDetectorCases(t, only, []detectorCase{
		{name: "generated", lines: []string{q("kqlxtqptsmys.com")}, want: only},
		{name: "generated under ccTLD", lines: []string{q("www.ucaxfprkidwdnqkrra.co.uk")}, want: only},
		{name: "google", lines: []string{q("google.com")}},
		{name: "s3", lines: []string{q("s3.amazonaws.com")}},
		// The registrable label is "cloudfront": random host labels below it are not looked at.
		{name: "cloudfront host", lines: []string{q("d111111abcdef8.cloudfront.net")}},
		{name: "reverse lookup", lines: []string{q("kqlxtqptsmys.in-addr.arpa")}},
		{name: "one finding per domain", lines: []string{q("a.kqlxtqptsmys.com"), q("b.kqlxtqptsmys.com")}, want: only},
	})
}
