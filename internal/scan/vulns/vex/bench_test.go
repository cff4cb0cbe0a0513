package vex

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkLookup looks up one finding in a document of 2,000 statements
// (a vendor feed's size), 1% of them about the finding's vulnerability.
func BenchmarkLookup(b *testing.B) {
	var stmts []string
	for i := range 2000 {
		vuln := fmt.Sprintf("CVE-2024-%d", i%100)
		purl := fmt.Sprintf("pkg:deb/debian/pkg%d@1.%d?arch=amd64", i%50, i)
		stmts = append(stmts, stmt(fmt.Sprint(i), vuln, purl, "fixed", ""))
	}
	d, err := Parse("bench.json", []byte(doc(strings.Join(stmts, ","))))
	if err != nil {
		b.Fatal(err)
	}
	ids := []string{"DEBIAN-CVE-2024-7", "CVE-2024-7"}
	p := Product{PURL: "pkg:deb/debian/pkg7@1.7?arch=amd64&distro=debian-12", Target: goldenImage}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.Lookup(ids, p); !ok {
			b.Fatal("no statement")
		}
	}
}
