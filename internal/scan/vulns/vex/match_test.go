package vex

import (
	"fmt"
	"testing"
)

const (
	goldenImage = "pkg:oci/golden-base@sha256%3A4f9e3a1c0b7d2e6f8a5c3b1d9e7f6a2c4b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f" +
		"?repository_url=registry.example.com%2Fgolden-base"
	goldenDigest = "sha256:4f9e3a1c0b7d2e6f8a5c3b1d9e7f6a2c4b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f"
	kernel       = "pkg:deb/debian/linux@4.9.110-3%2Bdeb9u4?arch=amd64&distro=debian-9"
)

// lookupCase is one finding looked up in a document or set; wantVuln and
// wantStatus describe the statement expected, empty when none applies.
type lookupCase struct {
	name       string
	ids        []string
	product    Product
	wantVuln   string
	wantStatus Status
}

func checkLookup(t *testing.T, s Set, tests []lookupCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Lookup(tt.ids, tt.product)
			if ok != (tt.wantStatus != "") || got.Status != tt.wantStatus || got.Vulnerability.Name != tt.wantVuln {
				t.Errorf("Lookup(%q, %+v) = {%s %s}, %t; want {%s %s}",
					tt.ids, tt.product, got.Vulnerability.Name, got.Status, ok, tt.wantVuln, tt.wantStatus)
			}
		})
	}
}

func TestLookupGoldenImage(t *testing.T) {
	d := mustLoad(t, "golden-image.json")
	inImage := func(purl string) Product { return Product{PURL: purl, Target: goldenImage} }
	tests := []lookupCase{
		{name: "kernel subcomponent not affected", ids: []string{"CVE-2018-17182"}, product: inImage(kernel),
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "Debian id with CVE alias", ids: []string{"DEBIAN-CVE-2018-17182", "CVE-2018-17182"}, product: inImage(kernel),
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "DSA id matches a statement alias", ids: []string{"DSA-4308-1"}, product: inImage(kernel),
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "ids ignore case", ids: []string{"cve-2018-17182"}, product: inImage(kernel),
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "statement @id matches", ids: []string{"https://NVD.nist.gov/vuln/detail/CVE-2018-17182"}, product: inImage(kernel),
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "image given by digest", ids: []string{"CVE-2018-17182"},
			product:  Product{PURL: kernel, Target: goldenDigest},
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "extra package qualifiers", ids: []string{"CVE-2018-17182"}, product: inImage(kernel + "&epoch=0"),
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "binary package from the kernel source", ids: []string{"CVE-2018-17182"},
			product: inImage("pkg:deb/debian/linux-image-4.9.0-8-amd64@4.9.110-3%2Bdeb9u4" +
				"?arch=amd64&distro=debian-9&source=linux&sourceversion=4.9.110-3%2Bdeb9u4"),
			wantVuln: "CVE-2018-17182", wantStatus: StatusNotAffected},
		{name: "subcomponent needs the target", ids: []string{"CVE-2018-17182"}, product: Product{PURL: kernel}},
		{name: "another image", ids: []string{"CVE-2018-17182"},
			product: Product{PURL: kernel, Target: "pkg:oci/golden-base@sha256%3A00?repository_url=registry.example.com%2Fgolden-base"}},
		{name: "another kernel version", ids: []string{"CVE-2018-17182"},
			product: inImage("pkg:deb/debian/linux@4.9.144-3?arch=amd64&distro=debian-9")},
		{name: "another architecture", ids: []string{"CVE-2018-17182"},
			product: inImage("pkg:deb/debian/linux@4.9.110-3%2Bdeb9u4?arch=i386&distro=debian-9")},
		{name: "version-less purl, any kernel", ids: []string{"CVE-2018-14633"},
			product:  Product{PURL: "pkg:deb/debian/linux@4.9.144-3?arch=arm64"},
			wantVuln: "CVE-2018-14633", wantStatus: StatusFixed},
		{name: "version-less purl, other namespace", ids: []string{"CVE-2018-14633"},
			product: Product{PURL: "pkg:deb/ubuntu/linux@4.15.0-36"}},
		{name: "affected with action", ids: []string{"CVE-2023-4911"},
			product:  inImage("pkg:deb/debian/libc6@2.24-11%2Bdeb9u4?arch=amd64&distro=debian-9"),
			wantVuln: "CVE-2023-4911", wantStatus: StatusAffected},
		{name: "affected, other version", ids: []string{"CVE-2023-4911"},
			product: inImage("pkg:deb/debian/libc6@2.24-11%2Bdeb9u5?arch=amd64")},
		{name: "image-level statement covers every package", ids: []string{"CVE-2024-2511"},
			product:  inImage("pkg:deb/debian/openssl@1.1.0l-1~deb9u1?arch=amd64"),
			wantVuln: "CVE-2024-2511", wantStatus: StatusUnderInvestigation},
		{name: "image-level statement needs the target", ids: []string{"CVE-2024-2511"},
			product: Product{PURL: "pkg:deb/debian/openssl@1.1.0l-1~deb9u1?arch=amd64"}},
		{name: "image named by a plain @id", ids: []string{"CVE-2021-3156"},
			product:  Product{PURL: "pkg:deb/debian/sudo@1.8.19p1-2.1", Target: "registry.example.com/golden-base:2024.03"},
			wantVuln: "CVE-2021-3156", wantStatus: StatusNotAffected},
		{name: "unknown vulnerability", ids: []string{"CVE-2099-0001"}, product: inImage(kernel)},
		{name: "no ids", product: inImage(kernel)},
		{name: "empty id", ids: []string{""}, product: inImage(kernel)},
	}
	checkLookup(t, Set{d}, tests)
}

func TestLookupLegacy(t *testing.T) {
	s := Set{mustLoad(t, "legacy-v0.0.1.json"), mustLoad(t, "legacy-ns.json")}
	gitImage := "pkg:oci/git-image@sha256%3Aab12?repository_url=cgr.dev%2Fexample%2Fgit"
	tests := []lookupCase{
		{name: "string product", ids: []string{"CVE-2023-12345"},
			product:  Product{PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64"},
			wantVuln: "CVE-2023-12345", wantStatus: StatusFixed},
		{name: "string product, other arch", ids: []string{"CVE-2023-12345"},
			product: Product{PURL: "pkg:apk/wolfi/git@2.39.0-r1?arch=aarch64"}},
		{name: "statement-level subcomponent", ids: []string{"CVE-2023-22490"},
			product:  Product{PURL: "pkg:apk/wolfi/git@2.40.1-r0?arch=x86_64", Target: gitImage},
			wantVuln: "CVE-2023-22490", wantStatus: StatusNotAffected},
		{name: "statement-level subcomponent, other package", ids: []string{"CVE-2023-22490"},
			product: Product{PURL: "pkg:apk/wolfi/curl@8.1.2-r0", Target: gitImage}},
		{name: "bare @id name@version", ids: []string{"ghsa-jfh8-c2jp-5v3q"},
			product:  Product{PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Name: "log4j-core", Version: "2.14.1"},
			wantVuln: "GHSA-jfh8-c2jp-5v3q", wantStatus: StatusNotAffected},
		{name: "bare @id, other version", ids: []string{"GHSA-jfh8-c2jp-5v3q"},
			product: Product{Name: "log4j-core", Version: "2.17.1"}},
	}
	checkLookup(t, s, tests)
}

// stmt is a statement about pkg:npm/lodash (or the given purl) in JSON.
func stmt(id, vuln, purl, status, timestamp string) string {
	s := fmt.Sprintf(`{"@id":%q,"vulnerability":{"name":%q},"products":[{"@id":%q}],"status":%q`, id, vuln, purl, status)
	if status == "not_affected" {
		s += `,"justification":"vulnerable_code_not_present"`
	}
	if timestamp != "" {
		s += fmt.Sprintf(`,"timestamp":%q`, timestamp)
	}
	return s + "}"
}

func mustParse(t *testing.T, name, data string) *Document {
	t.Helper()
	d, err := Parse(name, []byte(data))
	if err != nil {
		t.Fatalf("Parse(%s) = %v", name, err)
	}
	return d
}

func TestLookupLatestWins(t *testing.T) {
	const lodash = "pkg:npm/lodash"
	d := mustParse(t, "history.json", `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"h",
"timestamp":"2024-01-01T00:00:00Z","last_updated":"2024-05-01T00:00:00Z","statements":[`+
		stmt("x-affected", "CVE-X", lodash, "affected", "2024-02-01T00:00:00Z")+","+
		stmt("x-not-affected", "CVE-X", lodash+"@4.17.20", "not_affected", "2024-03-01T00:00:00Z")+","+
		stmt("x-old", "CVE-X", lodash, "under_investigation", "2024-01-01T00:00:00Z")+","+
		stmt("y-inherits", "CVE-Y", lodash, "fixed", "")+","+
		stmt("y-affected", "CVE-Y", lodash, "affected", "2024-04-01T00:00:00Z")+","+
		stmt("z-first", "CVE-Z", lodash, "affected", "2024-02-01T00:00:00Z")+","+
		stmt("z-second", "CVE-Z", lodash, "fixed", "2024-02-01T01:00:00+01:00")+"]}")
	tests := []struct {
		name   string
		ids    []string
		purl   string
		wantID string
	}{
		{name: "newer version-specific statement", ids: []string{"CVE-X"}, purl: lodash + "@4.17.20", wantID: "x-not-affected"},
		{name: "latest of the others", ids: []string{"CVE-X"}, purl: lodash + "@4.17.21", wantID: "x-affected"},
		{name: "statement inherits document time", ids: []string{"CVE-Y"}, purl: lodash + "@4.17.21", wantID: "y-inherits"},
		{name: "equal times, later statement", ids: []string{"CVE-Z"}, purl: lodash + "@1.0.0", wantID: "z-second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := d.Lookup(tt.ids, Product{PURL: tt.purl})
			if !ok || got.ID != tt.wantID {
				t.Errorf("Lookup(%q, %s) = %q, %t; want %q", tt.ids, tt.purl, got.ID, ok, tt.wantID)
			}
		})
	}
}

func TestSetLookupLatestWins(t *testing.T) {
	const lodash = "pkg:npm/lodash"
	docAt := func(name, ts, status string) *Document {
		return mustParse(t, name, `{"@context":"https://openvex.dev/ns/v0.2.0","timestamp":"`+ts+`","statements":[`+
			stmt(name, "CVE-X", lodash, status, "")+"]}")
	}
	old := docAt("old", "2024-01-01T00:00:00Z", "affected")
	newer := docAt("new", "2024-06-01T00:00:00Z", "fixed")
	same := docAt("same", "2024-06-01T00:00:00Z", "under_investigation")
	tests := []struct {
		name   string
		set    Set
		wantID string
	}{
		{name: "newer document last", set: Set{old, newer}, wantID: "new"},
		{name: "newer document first", set: Set{newer, old}, wantID: "new"},
		{name: "equal times, later document", set: Set{old, newer, same}, wantID: "same"},
		{name: "nil documents are skipped", set: Set{nil, old}, wantID: "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.set.Lookup([]string{"CVE-X"}, Product{PURL: lodash + "@4.17.21"})
			if !ok || got.ID != tt.wantID {
				t.Errorf("Lookup = %q, %t; want %q", got.ID, ok, tt.wantID)
			}
		})
	}
	if _, ok := (Set{}).Lookup([]string{"CVE-X"}, Product{PURL: lodash}); ok {
		t.Error("empty Set found a statement")
	}
}

func TestStatusSuppresses(t *testing.T) {
	tests := []struct {
		status Status
		want   bool
	}{
		{StatusNotAffected, true},
		{StatusFixed, true},
		{StatusAffected, false},
		{StatusUnderInvestigation, false},
		{"", false},
	}
	for _, tt := range tests {
		if got := tt.status.Suppresses(); got != tt.want {
			t.Errorf("Status(%q).Suppresses() = %t, want %t", tt.status, got, tt.want)
		}
	}
}
