package version

import "testing"

// benchPairs is one realistic comparison per rule family: an installed
// version against an advisory's fixed version.
func benchPairs() []struct{ ecosystem, a, b string } {
	return []struct{ ecosystem, a, b string }{
		{ecosystem: "Alpine", a: "3.1.4-r1", b: "3.1.4_p1-r0"},
		{ecosystem: "CRAN", a: "1.4-10", b: "1.4.11"},
		{ecosystem: "Debian", a: "4.9.110-3+deb9u4", b: "4.9.110-3+deb9u5"},
		{ecosystem: "Hackage", a: "2.1.0.3", b: "2.1.1"},
		{ecosystem: "Maven", a: "2.13.4.2", b: "2.14.0-rc1"},
		{ecosystem: "NuGet", a: "6.0.0-preview.7", b: "6.0.0"},
		{ecosystem: "Packagist", a: "v5.4.21", b: "5.4.22-beta1"},
		{ecosystem: "Pub", a: "1.2.0-dev.1", b: "1.2.0"},
		{ecosystem: "PyPI", a: "2.28.1", b: "2.31.0rc1"},
		{ecosystem: "Red Hat", a: "0:5.14.0-362.8.1.el9_3", b: "5.14.0-362.13.1.el9_3"},
		{ecosystem: "RubyGems", a: "7.0.4.2", b: "7.0.4.3.rc1"},
		{ecosystem: "npm", a: "4.17.20", b: "4.17.21-beta.2"},
		{ecosystem: "Go", a: "v0.0.0-20220722155217-630584e8d5aa", b: "0.17.0"},
	}
}

// BenchmarkCompare measures Compare on strings (two parses and a compare)
// and Version.Compare on parsed versions, the matcher's hot path.
func BenchmarkCompare(b *testing.B) {
	for _, p := range benchPairs() {
		b.Run(p.ecosystem+"/strings", func(b *testing.B) {
			for b.Loop() {
				if _, err := Compare(p.ecosystem, p.a, p.b); err != nil {
					b.Fatal(err)
				}
			}
		})
		va, errA := Parse(p.ecosystem, p.a)
		vb, errB := Parse(p.ecosystem, p.b)
		if errA != nil || errB != nil {
			b.Fatal(errA, errB)
		}
		b.Run(p.ecosystem+"/parsed", func(b *testing.B) {
			for b.Loop() {
				va.Compare(vb)
			}
		})
	}
}
