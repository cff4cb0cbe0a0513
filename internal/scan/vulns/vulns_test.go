package vulns

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/vulns/match"
	"github.com/secpipe/secpipe/internal/scan/vulns/osv"
)

// fakeSource returns every advisory it holds whose affected entries name
// the package, as a database would narrow them.
type fakeSource struct {
	advs  []*osv.Vulnerability
	err   error
	calls int
}

func (f *fakeSource) Advisories(_ context.Context, p match.Package) ([]*osv.Vulnerability, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	var out []*osv.Vulnerability
	for _, v := range f.advs {
		for _, a := range v.Affected {
			if a.Package.Name == p.Name || a.Package.Name == p.SourceName {
				out = append(out, v)
				break
			}
		}
	}
	return out, nil
}

// kernelSource holds the seed's two kernel advisories (the match
// package's fixtures) and one advisory without a fix or rating.
func kernelSource(t *testing.T) *fakeSource {
	t.Helper()
	var src fakeSource
	for _, name := range []string{"DEBIAN-CVE-2018-17182.json", "DEBIAN-CVE-2018-14633.json"} {
		data, err := os.ReadFile(filepath.Join("match", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := osv.ParseJSON(name, data)
		if err != nil {
			t.Fatal(err)
		}
		src.advs = append(src.advs, v)
	}
	unfixed, err := osv.ParseJSON("unfixed.json", []byte(`{"id": "DEBIAN-CVE-2099-0001", "modified": "2026-01-01T00:00:00Z",
		"summary": "openssl: not fixed yet",
		"affected": [{"package": {"ecosystem": "Debian:9", "name": "openssl"},
			"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	src.advs = append(src.advs, unfixed)
	return &src
}

func kernel(version string) Package {
	return Package{
		Package: match.Package{Ecosystem: "Debian:9", Name: "linux-image-4.9.0-8-amd64", Version: version,
			SourceName: "linux"},
		PURL:      "pkg:deb/debian/linux-image-4.9.0-8-amd64@" + version + "?distro=debian-9",
		Locations: []string{"var/lib/dpkg/status"},
	}
}

func openssl() Package {
	return Package{Package: match.Package{Ecosystem: "Debian:9", Name: "libssl1.1", Version: "1.1.0l-1~deb9u1",
		SourceName: "openssl"}, Locations: []string{"var/lib/dpkg/status"}}
}

func TestAssessSeed(t *testing.T) {
	a, err := Assess(context.Background(), []Package{kernel("4.9.110-3+deb9u4")}, Config{Source: kernelSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	type brief struct {
		ID, Fixed string
		Severity  pipeline.Severity
		CVSS      float64
		Aliases   []string
	}
	var got []brief
	for _, f := range a.Findings {
		fixed, _ := strings.CutPrefix(strings.SplitN(f.Description, "\n", 2)[0], "fixed in ")
		got = append(got, brief{ID: f.RuleID, Fixed: fixed, Severity: f.Severity, CVSS: f.CVSS, Aliases: f.Aliases})
		if f.Location.Package != "linux-image-4.9.0-8-amd64" || f.Location.Path != "var/lib/dpkg/status" {
			t.Errorf("finding %s location = %+v", f.RuleID, f.Location)
		}
		if !strings.Contains(f.Remediation, "4.9.110-3+deb9u5") {
			t.Errorf("finding %s remediation = %q, want the fixed version", f.RuleID, f.Remediation)
		}
	}
	want := []brief{
		{ID: "DEBIAN-CVE-2018-14633", Fixed: "4.9.110-3+deb9u5", Severity: pipeline.SeverityHigh, CVSS: 7, Aliases: []string{"CVE-2018-14633"}},
		{ID: "DEBIAN-CVE-2018-17182", Fixed: "4.9.110-3+deb9u5", Severity: pipeline.SeverityHigh, CVSS: 7.8, Aliases: []string{"CVE-2018-17182"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(a.Upgrades) != 1 || a.Upgrades[0].To != "4.9.110-3+deb9u5" || a.Upgrades[0].Fixes != 2 || a.Upgrades[0].Unfixed != 0 {
		t.Errorf("Upgrades = %+v, want one line: to 4.9.110-3+deb9u5 fixing 2", a.Upgrades)
	}

	fixed, err := Assess(context.Background(), []Package{kernel("4.9.110-3+deb9u5")}, Config{Source: kernelSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Findings) != 0 || len(fixed.Upgrades) != 0 {
		t.Errorf("Assess(deb9u5) = %+v, want nothing: the fixed kernel is installed", fixed)
	}
}

func TestAssessOnlyFixed(t *testing.T) {
	pkgs := []Package{openssl(), kernel("4.9.110-3+deb9u4")}
	all, err := Assess(context.Background(), pkgs, Config{Source: kernelSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Findings) != 3 {
		t.Fatalf("Assess = %d findings, want 3", len(all.Findings))
	}
	// Sorted by name: libssl1.1 before linux-image.
	first := all.Upgrades[0]
	if first.Package.Name != "libssl1.1" || first.To != "" || first.Unfixed != 1 {
		t.Errorf("openssl upgrade = %+v, want no version and one unfixed", first)
	}
	only, err := Assess(context.Background(), pkgs, Config{Source: kernelSource(t), OnlyFixed: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range only.Findings {
		if f.Location.Package == "libssl1.1" {
			t.Errorf("OnlyFixed kept %s, which has no fix", f.RuleID)
		}
	}
	if len(only.Findings) != 2 {
		t.Errorf("OnlyFixed = %d findings, want the kernel's 2", len(only.Findings))
	}
}

func TestAssessFingerprintIgnoresVersion(t *testing.T) {
	a, err := Assess(context.Background(), []Package{kernel("4.9.110-3+deb9u3")}, Config{Source: kernelSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Assess(context.Background(), []Package{kernel("4.9.110-3+deb9u4")}, Config{Source: kernelSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Findings[0].Fingerprint != b.Findings[0].Fingerprint {
		t.Error("fingerprint changed with the installed version; a baseline would report the same vulnerability as new")
	}
}

func TestAssessErrors(t *testing.T) {
	if _, err := Assess(context.Background(), nil, Config{}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Assess(no source) error = %v, want ErrInvalid", err)
	}
	boom := errors.New("database unreadable")
	_, err := Assess(context.Background(), []Package{kernel("1")}, Config{Source: &fakeSource{err: boom}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "linux-image-4.9.0-8-amd64") {
		t.Errorf("Assess(failing source) error = %v, want it wrapped with the package", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Assess(ctx, []Package{kernel("1")}, Config{Source: kernelSource(t)}); !errors.Is(err, context.Canceled) {
		t.Errorf("Assess(cancelled) error = %v, want context.Canceled", err)
	}
	src := kernelSource(t)
	unpinned := kernel("")
	if _, err := Assess(context.Background(), []Package{unpinned}, Config{Source: src}); err != nil || src.calls != 0 {
		t.Errorf("Assess(no version) = %v after %d lookups, want it skipped", err, src.calls)
	}
}

func TestAssessFindingPerLocation(t *testing.T) {
	p := kernel("4.9.110-3+deb9u4")
	p.Locations = []string{"a/status", "b/status"}
	a, err := Assess(context.Background(), []Package{p}, Config{Source: kernelSource(t)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	fps := map[string]bool{}
	for _, f := range a.Findings {
		got = append(got, f.Location.Path+" "+f.RuleID)
		fps[f.Fingerprint] = true
	}
	want := []string{"a/status DEBIAN-CVE-2018-14633", "a/status DEBIAN-CVE-2018-17182",
		"b/status DEBIAN-CVE-2018-14633", "b/status DEBIAN-CVE-2018-17182"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(fps) != 4 {
		t.Errorf("%d distinct fingerprints, want 4", len(fps))
	}
	if len(a.Upgrades) != 1 || a.Upgrades[0].Fixes != 2 {
		t.Errorf("Upgrades = %+v, want one line per package fixing its 2 vulnerabilities", a.Upgrades)
	}
}

func TestCoverageWarnings(t *testing.T) {
	pkgs := []Package{kernel("4.9.110-3+deb9u4"), openssl(),
		{Package: match.Package{Ecosystem: "Go", Name: "golang.org/x/net", Version: "0.1.0"}},
		{Package: match.Package{Ecosystem: "npm", Name: "left-pad"}}, // no version: not checked anyway
	}
	covers := func(eco string) bool { return eco == "Go" }
	got := CoverageWarnings(pkgs, covers)
	want := []string{"the database holds no Debian:9 advisories: 2 packages were not checked (run: secpipe db update --ecosystem Debian)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CoverageWarnings (-want +got):\n%s", diff)
	}
}

func TestIsAdvisoryID(t *testing.T) {
	for id, want := range map[string]bool{
		"CVE-2018-17182": true, "GHSA-vp9c-fpxx-744v": true, "GO-2022-0001": true, "DSA-4308-1": true,
		"aws-access-key-id": false, "ssh-root-login": false, "CVE": false, "": false,
	} {
		if got := IsAdvisoryID(id); got != want {
			t.Errorf("IsAdvisoryID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestStaleWarning(t *testing.T) {
	week := 7 * 24 * time.Hour
	tests := []struct {
		age  time.Duration
		want string
	}{
		{age: week, want: ""},
		{age: 9 * 24 * time.Hour, want: "vulnerability database is 9 days old (run: secpipe db update)"},
		{age: 30 * time.Hour, want: ""},
	}
	for _, tt := range tests {
		if got := StaleWarning(tt.age, week); got != tt.want {
			t.Errorf("StaleWarning(%s) = %q, want %q", tt.age, got, tt.want)
		}
	}
	if got := StaleWarning(30*time.Hour, time.Hour); got != "vulnerability database is 30 hours old (run: secpipe db update)" {
		t.Errorf("StaleWarning(30h, max 1h) = %q", got)
	}
}
