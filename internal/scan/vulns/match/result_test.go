package match

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

func loadTestdata(t *testing.T, names ...string) []*osv.Vulnerability {
	t.Helper()
	var out []*osv.Vulnerability
	for _, name := range names {
		path := filepath.Join("testdata", name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := osv.ParseJSON(path, data)
		if err != nil {
			t.Fatalf("ParseJSON(%s): %v", path, err)
		}
		out = append(out, v)
	}
	return out
}

// TestMatchDSA4308 is the kernel of a Debian 9 image before and after
// DSA-4308-1.
func TestMatchDSA4308(t *testing.T) {
	vulns := loadTestdata(t, "DEBIAN-CVE-2018-17182.json", "DEBIAN-CVE-2018-14633.json")
	kernel := Package{Ecosystem: "Debian:9", Name: "linux-image-4.9.0-8-amd64", SourceName: "linux",
		Version: "4.9.110-3+deb9u4", Location: "var/lib/dpkg/status"}
	got, err := Match(vulns, kernel)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{ID: "DEBIAN-CVE-2018-14633", Aliases: []string{"CVE-2018-14633"}, Package: kernel,
			Severity: pipeline.SeverityHigh, Score: 7.0, SeveritySource: "CVSS:3.0", Fixed: "4.9.110-3+deb9u5",
			Summary: "linux: stack buffer overflow in the iSCSI target's CHAP authentication"},
		{ID: "DEBIAN-CVE-2018-17182", Aliases: []string{"CVE-2018-17182"}, Package: kernel,
			Severity: pipeline.SeverityHigh, Score: 7.8, SeveritySource: "CVSS:3.0", Fixed: "4.9.110-3+deb9u5",
			Summary: "linux: use-after-free in vmacache_flush_all lets a local user gain privileges"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Match(DSA-4308-1, %s) mismatch (-want +got):\n%s", kernel.Version, diff)
	}
	if v, n := UpgradePlan(got); v != "4.9.110-3+deb9u5" || n != 2 {
		t.Errorf("UpgradePlan = %q, %d, want %q, 2", v, n, "4.9.110-3+deb9u5")
	}

	kernel.Version = "4.9.110-3+deb9u5"
	got, err = Match(vulns, kernel)
	if err != nil || len(got) != 0 {
		t.Errorf("Match(DSA-4308-1, %s) = %v, %v, want none", kernel.Version, got, err)
	}
}

func TestMatchMergesAliases(t *testing.T) {
	ghsa := record(t, "GHSA-xxxx-yyyy-zzzz",
		`"aliases": ["CVE-2023-1"], "summary": "from GHSA", "database_specific": {"severity": "MODERATE"},`,
		"["+entry("Go", "example.com/m", "SEMVER", `[{"introduced": "0"}, {"fixed": "1.2.0"}]`)+"]")
	goVuln := record(t, "GO-2023-0001", `"aliases": ["CVE-2023-1", "GHSA-xxxx-yyyy-zzzz"],`,
		"["+entry("Go", "example.com/m", "SEMVER", `[{"introduced": "0"}, {"fixed": "1.2.1"}]`)+"]")
	cveOnly := record(t, "OSV-2023-9", `"aliases": ["CVE-2023-1"], "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],`,
		"["+entry("Go", "example.com/m", "SEMVER", `[{"introduced": "0"}]`)+"]")
	other := record(t, "GO-2023-0002", `"aliases": ["CVE-2023-2"], "summary": "another",`,
		"["+entry("Go", "example.com/m", "SEMVER", `[{"introduced": "1.1.0"}, {"fixed": "1.3.0"}]`)+"]")
	unfixed := record(t, "GO-2023-0003", `"summary": "no fix",`,
		"["+entry("Go", "example.com/m", "SEMVER", `[{"introduced": "0"}]`)+"]")
	withdrawn := record(t, "GO-2023-0004", `"withdrawn": "2023-06-01T00:00:00Z", "aliases": ["CVE-2023-1"],`,
		"["+entry("Go", "example.com/m", "SEMVER", `[{"introduced": "0"}, {"fixed": "9.0.0"}]`)+"]")
	unrelated := record(t, "GO-2023-0005", "", "["+entry("Go", "example.com/other", "SEMVER", `[{"introduced": "0"}]`)+"]")
	p := Package{Ecosystem: "Go", Name: "example.com/m", Version: "v1.1.5", Location: "go.mod"}

	got, err := Match([]*osv.Vulnerability{ghsa, goVuln, cveOnly, other, unfixed, withdrawn, unrelated}, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{ID: "GHSA-xxxx-yyyy-zzzz", Aliases: []string{"CVE-2023-1", "GO-2023-0001", "OSV-2023-9"}, Package: p,
			Severity: pipeline.SeverityCritical, Score: 9.8, SeveritySource: "CVSS:3.1", Fixed: "1.2.1", Summary: "from GHSA"},
		{ID: "GO-2023-0002", Aliases: []string{"CVE-2023-2"}, Package: p, Fixed: "1.3.0", Summary: "another"},
		{ID: "GO-2023-0003", Package: p, Summary: "no fix"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Match mismatch (-want +got):\n%s", diff)
	}
	if v, n := UpgradePlan(got); v != "1.3.0" || n != 2 {
		t.Errorf("UpgradePlan = %q, %d, want %q, 2", v, n, "1.3.0")
	}
}

func TestUpgradePlan(t *testing.T) {
	deb := func(fixed string) Result {
		return Result{Package: Package{Ecosystem: "Debian:9", Name: "x"}, Fixed: fixed}
	}
	tests := []struct {
		name        string
		results     []Result
		wantVersion string
		wantFixes   int
	}{
		{name: "none"},
		{name: "no fix known", results: []Result{deb(""), deb("")}},
		{name: "ecosystem order, not string order", results: []Result{deb("1.10-1"), deb("1.9-1"), deb("")},
			wantVersion: "1.10-1", wantFixes: 2},
		{name: "tilde sorts first", results: []Result{deb("2.0-1"), deb("2.0-1~deb9u1")},
			wantVersion: "2.0-1", wantFixes: 2},
		{name: "epoch wins", results: []Result{deb("1:1.0-1"), deb("9.0-1")}, wantVersion: "1:1.0-1", wantFixes: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, n := UpgradePlan(tt.results)
			if v != tt.wantVersion || n != tt.wantFixes {
				t.Errorf("UpgradePlan(%v) = %q, %d, want %q, %d", tt.results, v, n, tt.wantVersion, tt.wantFixes)
			}
		})
	}
}
