package osv

import (
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// mustParse parses a JSON record strictly or fails the test.
func mustParse(t *testing.T, in string) *Vulnerability {
	t.Helper()
	v, err := Parse("test.json", []byte(in))
	if err != nil {
		t.Fatalf("Parse(%s) = %v", in, err)
	}
	return v
}

// sevRecord builds a record with the given ID and extra fields.
func sevRecord(id, extra string) string {
	s := `{"id":"` + id + `","modified":"2024-01-02T03:04:05Z"`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

const (
	v31Critical = `{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}`                    // 9.8
	v31Medium   = `{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N"}`                    // 4.3
	v30High     = `{"type":"CVSS_V3","score":"CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}`                    // 7.8
	v2High      = `{"type":"CVSS_V2","score":"AV:N/AC:L/Au:N/C:C/I:C/A:C"}`                                      // 10.0
	v4Low       = `{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N"}` // 2.1
)

func TestSeverity(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		sev    pipeline.Severity
		score  float64
		source string
	}{
		{name: "no severity (Go vulndb)", in: sevRecord("GO-2024-0001",
			`"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],`+
				`"ecosystem_specific":{"imports":[{"path":"example.com/m"}]}}],"database_specific":{"url":"https://pkg.go.dev/vuln/GO-2024-0001","review_status":"REVIEWED"}`),
			sev: pipeline.SeverityUnknown},
		{name: "latest CVSS version wins over a higher score", in: sevRecord("X-1", `"severity":[`+v31Critical+`,`+v4Low+`]`),
			sev: pipeline.SeverityLow, score: 2.1, source: "CVSS:4.0"},
		{name: "v3.0 over v2", in: sevRecord("X-1", `"severity":[`+v2High+`,`+v30High+`]`),
			sev: pipeline.SeverityHigh, score: 7.8, source: "CVSS:3.0"},
		{name: "highest score of one version", in: sevRecord("X-1", `"severity":[`+v31Medium+`,`+v31Critical+`]`),
			sev: pipeline.SeverityCritical, score: 9.8, source: "CVSS:3.1"},
		{name: "CVSS over GHSA", in: sevRecord("GHSA-aaaa-bbbb-cccc", `"severity":[`+v31Medium+`],"database_specific":{"severity":"CRITICAL"}`),
			sev: pipeline.SeverityMedium, score: 4.3, source: "CVSS:3.1"},
		{name: "CVSS of an affected entry", in: sevRecord("X-1", `"affected":[{"package":{"ecosystem":"npm","name":"a"},"versions":["1"],"severity":[`+v30High+`]}]`),
			sev: pipeline.SeverityHigh, score: 7.8, source: "CVSS:3.0"},
		{name: "GHSA moderate", in: sevRecord("GHSA-aaaa-bbbb-cccc", `"database_specific":{"severity":"MODERATE","cwe_ids":["CWE-79"]}`),
			sev: pipeline.SeverityMedium, source: "GHSA"},
		{name: "GHSA low", in: sevRecord("GHSA-aaaa-bbbb-cccc", `"database_specific":{"severity":"LOW"}`),
			sev: pipeline.SeverityLow, source: "GHSA"},
		{name: "GHSA high", in: sevRecord("GHSA-aaaa-bbbb-cccc", `"database_specific":{"severity":"HIGH"}`),
			sev: pipeline.SeverityHigh, source: "GHSA"},
		{name: "GHSA critical", in: sevRecord("GHSA-aaaa-bbbb-cccc", `"database_specific":{"severity":"CRITICAL"}`),
			sev: pipeline.SeverityCritical, source: "GHSA"},
		{name: "GHSA unknown word", in: sevRecord("GHSA-aaaa-bbbb-cccc", `"database_specific":{"severity":"SEVERE"}`),
			sev: pipeline.SeverityUnknown},
		{name: "AlmaLinux important", in: sevRecord("ALSA-2024:1234", `"summary":"Important: kernel security update"`),
			sev: pipeline.SeverityHigh, source: "AlmaLinux"},
		{name: "AlmaLinux moderate", in: sevRecord("ALSA-2021:2363", `"summary":"Moderate: gupnp security update"`),
			sev: pipeline.SeverityMedium, source: "AlmaLinux"},
		{name: "AlmaLinux critical", in: sevRecord("ALSA-2024:1", `"summary":"Critical: firefox security update"`),
			sev: pipeline.SeverityCritical, source: "AlmaLinux"},
		{name: "AlmaLinux low", in: sevRecord("ALSA-2024:2", `"summary":"Low: curl security update"`),
			sev: pipeline.SeverityLow, source: "AlmaLinux"},
		{name: "AlmaLinux bug fix", in: sevRecord("ALBA-2021:1099", `"summary":"NetworkManager bug fix and enhancement update"`),
			sev: pipeline.SeverityUnknown},
		{name: "AlmaLinux module name", in: sevRecord("ALSA-2024:3", `"summary":"idm:DL1 security update"`),
			sev: pipeline.SeverityUnknown},
		{name: "Rocky Linux", in: sevRecord("RLSA-2024:3", `"summary":"Important: kernel security update"`),
			sev: pipeline.SeverityHigh, source: "Rocky Linux"},
		{name: "Red Hat", in: sevRecord("RHSA-2024:3", `"summary":"Moderate: kernel security update"`),
			sev: pipeline.SeverityMedium, source: "Red Hat"},
		{name: "summary word outside the Red Hat family", in: sevRecord("GHSA-aaaa-bbbb-cccc", `"summary":"Critical: not a rating"`),
			sev: pipeline.SeverityUnknown},
		{name: "Debian urgency", in: sevRecord("DSA-4308-1", debianAffected("high")), sev: pipeline.SeverityHigh, source: "Debian"},
		{name: "Debian urgency from NVD", in: sevRecord("DSA-1", debianAffected("low**")), sev: pipeline.SeverityLow, source: "Debian"},
		{name: "Debian unimportant", in: sevRecord("DSA-1", debianAffected("unimportant")), sev: pipeline.SeverityInfo, source: "Debian"},
		{name: "Debian not yet assigned", in: sevRecord("DSA-1", debianAffected("not yet assigned")), sev: pipeline.SeverityUnknown},
		{name: "Ubuntu priority", in: sevRecord("UBUNTU-CVE-2023-4004", `"severity":[{"type":"Ubuntu","score":"high"}]`),
			sev: pipeline.SeverityHigh, source: "Ubuntu"},
		{name: "Ubuntu negligible", in: sevRecord("UBUNTU-CVE-2023-1", `"severity":[{"type":"Ubuntu","score":"negligible"}]`),
			sev: pipeline.SeverityInfo, source: "Ubuntu"},
		{name: "Ubuntu untriaged", in: sevRecord("UBUNTU-CVE-2023-1", `"severity":[{"type":"Ubuntu","score":"untriaged"}]`),
			sev: pipeline.SeverityUnknown},
		{name: "Ubuntu priority and CVSS", in: sevRecord("UBUNTU-CVE-2023-1", `"severity":[{"type":"Ubuntu","score":"low"},`+v31Critical+`]`),
			sev: pipeline.SeverityCritical, score: 9.8, source: "CVSS:3.1"},
		{name: "RustSec unmaintained", in: sevRecord("RUSTSEC-2024-0001", rustAffected(`"unmaintained"`)),
			sev: pipeline.SeverityInfo, source: "RustSec"},
		{name: "RustSec unsound", in: sevRecord("RUSTSEC-2024-0002", rustAffected(`"unsound"`)),
			sev: pipeline.SeverityInfo, source: "RustSec"},
		{name: "RustSec vulnerability without CVSS", in: sevRecord("RUSTSEC-2024-0003", rustAffected(`null`)),
			sev: pipeline.SeverityUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustParse(t, tt.in)
			sev, score, source := v.Severity()
			if sev != tt.sev || score != tt.score || source != tt.source {
				t.Errorf("Severity() = %v, %v, %q, want %v, %v, %q", sev, score, source, tt.sev, tt.score, tt.source)
			}
		})
	}
}

func debianAffected(urgency string) string {
	return `"affected":[{"package":{"ecosystem":"Debian:9","name":"linux"},` +
		`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.9.110-3+deb9u5"}]}],` +
		`"ecosystem_specific":{"urgency":"` + urgency + `"}}]`
}

func rustAffected(informational string) string {
	return `"affected":[{"package":{"ecosystem":"crates.io","name":"a"},` +
		`"ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"}]}],` +
		`"database_specific":{"categories":[],"cvss":null,"informational":` + informational + `}}]`
}

// TestSeverityFor checks that an affected entry's own rating takes
// precedence, and that the record's stands in for entries without one.
func TestSeverityFor(t *testing.T) {
	v := mustParse(t, sevRecord("GHSA-aaaa-bbbb-cccc", `"severity":[`+v31Critical+`],"database_specific":{"severity":"LOW"},`+
		`"affected":[`+
		`{"package":{"ecosystem":"npm","name":"a"},"versions":["1"],"severity":[`+v31Medium+`]},`+
		`{"package":{"ecosystem":"npm","name":"b"},"versions":["1"]}]`))
	tests := []struct {
		name   string
		a      *Affected
		sev    pipeline.Severity
		score  float64
		source string
	}{
		{name: "own CVSS", a: &v.Affected[0], sev: pipeline.SeverityMedium, score: 4.3, source: "CVSS:3.1"},
		{name: "record CVSS", a: &v.Affected[1], sev: pipeline.SeverityCritical, score: 9.8, source: "CVSS:3.1"},
		{name: "nil entry", a: nil, sev: pipeline.SeverityCritical, score: 9.8, source: "CVSS:3.1"},
	}
	for _, tt := range tests {
		sev, score, source := v.SeverityFor(tt.a)
		if sev != tt.sev || score != tt.score || source != tt.source {
			t.Errorf("%s: SeverityFor() = %v, %v, %q, want %v, %v, %q", tt.name, sev, score, source, tt.sev, tt.score, tt.source)
		}
	}

	// Without CVSS anywhere, an entry's database-specific rating comes
	// before the record's.
	d := mustParse(t, sevRecord("DSA-4308-1", `"database_specific":{"severity":"LOW"},`+debianAffected("high")))
	if sev, _, source := d.SeverityFor(&d.Affected[0]); sev != pipeline.SeverityHigh || source != "Debian" {
		t.Errorf("SeverityFor(Debian entry) = %v, %q, want high, Debian", sev, source)
	}
	if sev, _, source := d.SeverityFor(nil); sev != pipeline.SeverityLow || source != "GHSA" {
		t.Errorf("SeverityFor(nil) = %v, %q, want low, GHSA", sev, source)
	}
}

// TestSeveritySeedCVEs rates the two kernel CVEs of DSA-4308-1, written as
// Debian records with the CVSS v3 vectors NVD gives them: both are HIGH.
func TestSeveritySeedCVEs(t *testing.T) {
	tests := []struct {
		id, vector string
		score      float64
	}{
		{id: "CVE-2018-17182", vector: "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", score: 7.8},
		{id: "CVE-2018-14633", vector: "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:H", score: 7.0},
	}
	for _, tt := range tests {
		v := mustParse(t, sevRecord(tt.id, `"related":["DSA-4308-1"],"severity":[{"type":"CVSS_V3","score":"`+tt.vector+`"}],`+
			debianAffected("medium")))
		for i := range v.Affected {
			sev, score, source := v.SeverityFor(&v.Affected[i])
			if sev != pipeline.SeverityHigh || score != tt.score || source != "CVSS:3.0" {
				t.Errorf("%s: SeverityFor(%s) = %v, %v, %q, want high, %v, CVSS:3.0", tt.id, v.Affected[i].Package.Name, sev, score, source, tt.score)
			}
		}
	}
}
