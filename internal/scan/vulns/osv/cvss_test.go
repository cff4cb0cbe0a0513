package osv

import (
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// TestScoreCVSS checks scores and ratings against published values: the
// examples of the CVSS v2 guide and the v3.1 examples document, the vectors
// NVD gives the seed's kernel CVEs, and the values of FIRST's v4.0
// calculator.
func TestScoreCVSS(t *testing.T) {
	tests := []struct {
		name   string
		typ    SeverityType
		vector string
		want   CVSS
		sev    pipeline.Severity
	}{
		// CVSS v2: NVD rates 0-3.9 low, 4-6.9 medium, 7-10 high.
		{name: "v2 CVE-2002-0392", typ: CVSSv2, vector: "AV:N/AC:L/Au:N/C:N/I:N/A:C",
			want: CVSS{Version: "2.0", Score: 7.8, Rating: "high"}, sev: pipeline.SeverityHigh},
		{name: "v2 CVE-2003-0818", typ: CVSSv2, vector: "AV:N/AC:L/Au:N/C:C/I:C/A:C",
			want: CVSS{Version: "2.0", Score: 10.0, Rating: "high"}, sev: pipeline.SeverityHigh},
		{name: "v2 CVE-2003-0062", typ: CVSSv2, vector: "AV:L/AC:H/Au:N/C:C/I:C/A:C",
			want: CVSS{Version: "2.0", Score: 6.2, Rating: "medium"}, sev: pipeline.SeverityMedium},
		{name: "v2 CVE-2018-17182", typ: CVSSv2, vector: "AV:L/AC:L/Au:N/C:C/I:C/A:C",
			want: CVSS{Version: "2.0", Score: 7.2, Rating: "high"}, sev: pipeline.SeverityHigh},
		{name: "v2 low", typ: CVSSv2, vector: "AV:L/AC:H/Au:M/C:N/I:N/A:P",
			want: CVSS{Version: "2.0", Score: 0.8, Rating: "low"}, sev: pipeline.SeverityLow},
		{name: "v2 with prefix", typ: CVSSv2, vector: "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
			want: CVSS{Version: "2.0", Score: 7.5, Rating: "high"}, sev: pipeline.SeverityHigh},
		// CVSS v3.0.
		{name: "v3.0 CVE-2018-17182", typ: CVSSv3, vector: "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
			want: CVSS{Version: "3.0", Score: 7.8, Rating: "high"}, sev: pipeline.SeverityHigh},
		{name: "v3.0 CVE-2018-14633", typ: CVSSv3, vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:H",
			want: CVSS{Version: "3.0", Score: 7.0, Rating: "high"}, sev: pipeline.SeverityHigh},
		{name: "v3.0 scope changed", typ: CVSSv3, vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
			want: CVSS{Version: "3.0", Score: 10.0, Rating: "critical"}, sev: pipeline.SeverityCritical},
		// CVSS v3.1.
		{name: "v3.1 CVE-2014-0160", typ: CVSSv3, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
			want: CVSS{Version: "3.1", Score: 7.5, Rating: "high"}, sev: pipeline.SeverityHigh},
		{name: "v3.1 CVE-2013-1937", typ: CVSSv3, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
			want: CVSS{Version: "3.1", Score: 6.1, Rating: "medium"}, sev: pipeline.SeverityMedium},
		{name: "v3.1 critical", typ: CVSSv3, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			want: CVSS{Version: "3.1", Score: 9.8, Rating: "critical"}, sev: pipeline.SeverityCritical},
		{name: "v3.1 low", typ: CVSSv3, vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:N/I:N/A:L",
			want: CVSS{Version: "3.1", Score: 3.5, Rating: "low"}, sev: pipeline.SeverityLow},
		{name: "v3.1 none", typ: CVSSv3, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
			want: CVSS{Version: "3.1", Score: 0, Rating: "none"}, sev: pipeline.SeverityInfo},
		{name: "v3.1 temporal metrics ignored", typ: CVSSv3, vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U",
			want: CVSS{Version: "3.1", Score: 9.8, Rating: "critical"}, sev: pipeline.SeverityCritical},
		{name: "v3.1 surrounding space", typ: CVSSv3, vector: " CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N\n",
			want: CVSS{Version: "3.1", Score: 7.5, Rating: "high"}, sev: pipeline.SeverityHigh},
		// CVSS v4.0.
		{name: "v4.0 critical", typ: CVSSv4, vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
			want: CVSS{Version: "4.0", Score: 9.3, Rating: "critical"}, sev: pipeline.SeverityCritical},
		{name: "v4.0 high", typ: CVSSv4, vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
			want: CVSS{Version: "4.0", Score: 8.6, Rating: "high"}, sev: pipeline.SeverityHigh},
		{name: "v4.0 medium", typ: CVSSv4, vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N",
			want: CVSS{Version: "4.0", Score: 4.8, Rating: "medium"}, sev: pipeline.SeverityMedium},
		{name: "v4.0 medium boundary", typ: CVSSv4, vector: "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N",
			want: CVSS{Version: "4.0", Score: 4.0, Rating: "medium"}, sev: pipeline.SeverityMedium},
		{name: "v4.0 low", typ: CVSSv4, vector: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N",
			want: CVSS{Version: "4.0", Score: 2.1, Rating: "low"}, sev: pipeline.SeverityLow},
		{name: "v4.0 none", typ: CVSSv4, vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
			want: CVSS{Version: "4.0", Score: 0, Rating: "none"}, sev: pipeline.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ScoreCVSS(tt.typ, tt.vector)
			if err != nil {
				t.Fatalf("ScoreCVSS(%s, %q) = %v", tt.typ, tt.vector, err)
			}
			if got != tt.want {
				t.Errorf("ScoreCVSS(%s, %q) = %+v, want %+v", tt.typ, tt.vector, got, tt.want)
			}
			if s := got.Severity(); s != tt.sev {
				t.Errorf("ScoreCVSS(%s, %q).Severity() = %v, want %v", tt.typ, tt.vector, s, tt.sev)
			}
			if src, want := got.Source(), "CVSS:"+tt.want.Version; src != want {
				t.Errorf("Source() = %q, want %q", src, want)
			}
		})
	}
}

func TestScoreCVSSErrors(t *testing.T) {
	tests := []struct {
		typ    SeverityType
		vector string
		want   string
	}{
		{CVSSv3, "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			`invalid CVSS_V3 vector "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": want a "CVSS:3.0/" or "CVSS:3.1/" prefix`},
		{CVSSv3, "CVSS:3.1/AV:N/AC:L", `invalid CVSS_V3 vector "CVSS:3.1/AV:N/AC:L": base metric PR is not defined`},
		{CVSSv3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/Q:X",
			`invalid CVSS_V3 vector "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/Q:X": invalid metric abbreviation : Q`},
		{CVSSv4, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			`invalid CVSS_V4 vector "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": want a "CVSS:4.0/" prefix`},
		{CVSSv4, "CVSS:4.0/AV:N", `invalid CVSS_V4 vector "CVSS:4.0/AV:N": too short vector`},
		{CVSSv2, "AV:N/AC:L", `invalid CVSS_V2 vector "AV:N/AC:L": too short vector`},
		{UbuntuPriority, "high", `invalid Ubuntu vector "high": not a CVSS severity type`},
	}
	for _, tt := range tests {
		_, err := ScoreCVSS(tt.typ, tt.vector)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ScoreCVSS(%s, %q) = %v, want %v", tt.typ, tt.vector, err, tt.want)
		}
	}
}
