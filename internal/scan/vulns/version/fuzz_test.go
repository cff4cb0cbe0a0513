package version

import (
	"testing"
)

// FuzzCompare checks, in every ecosystem Ecosystems lists, that Parse and
// Compare never panic, that a parsed version equals itself, that swapping
// the operands negates the result, and that Compare on strings agrees with
// Version.Compare.
func FuzzCompare(f *testing.F) {
	seeds := []struct{ a, b string }{
		{a: "1.0.0", b: "1.0.0-rc.1"},
		{a: "1:2.3-4+deb9u5", b: "2.3-4~bpo8"},
		{a: "1.2.3_rc1-r2", b: "1.2.3a"},
		{a: "1.0.post1.dev2+local.7", b: "1!0.9"},
		{a: "1.0-SNAPSHOT", b: "1.0.sp-1"},
		{a: "v2.0.0-20200101000000-abcdef012345", b: "v2.0.0+incompatible"},
		{a: "1.0^git1~rc", b: "1.0-1.el9_2"},
		{a: "1.0.0.beta.1", b: "1.0.0-pre"},
		{a: "0.9-10", b: "0.9.10"},
		{a: "1.0.0-beta+build.1", b: "1.0.0-BETA"},
		{a: "1.0.0-alpha.-1", b: "1.0.0-alpha.0"},
		{a: "0", b: "1:"},
	}
	ecosystems := Ecosystems()
	for i := range ecosystems {
		for _, s := range seeds {
			f.Add(uint8(i), s.a, s.b)
		}
	}
	f.Fuzz(func(t *testing.T, pick uint8, a, b string) {
		eco := ecosystems[int(pick)%len(ecosystems)]
		va, errA := Parse(eco, a)
		vb, errB := Parse(eco, b)
		if errA != nil || errB != nil {
			if _, err := Compare(eco, a, b); err == nil {
				t.Errorf("%s: Compare(%q, %q) error = nil, but Parse failed (%v, %v)", eco, a, b, errA, errB)
			}
			return
		}
		if got := va.Compare(va); got != 0 {
			t.Errorf("%s: Compare(%q, %q) = %d, want 0", eco, a, a, got)
		}
		ab, ba := va.Compare(vb), vb.Compare(va)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Errorf("%s: Compare(%q, %q) = %d but Compare(%q, %q) = %d", eco, a, b, ab, b, a, ba)
		}
		if got, err := Compare(eco, a, b); err != nil || got != ab {
			t.Errorf("%s: Compare(%q, %q) = %d, %v; parsed form says %d", eco, a, b, got, err, ab)
		}
	})
}
