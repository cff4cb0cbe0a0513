package version

import (
	"fmt"
	"strings"
)

// This file holds the family rules osv-scalibr's parsers leave out. Each
// case says what the ecosystem's own tool does, what osv-scalibr does, and
// how secpipe closes the gap; fixes_test.go pins each one.

// prepare checks v against the family's own rules and returns the string to
// hand to osv-scalibr's parser.
func (r rules) prepare(v string) (string, error) {
	switch r {
	case rulesDebian:
		return v, checkDebian(v)
	case rulesCRAN:
		return v, checkCRAN(v)
	case rulesSemVer:
		return markSignedIdentifiers(v), nil
	}
	return v, nil
}

// checkDebian rejects what dpkg rejects as bad syntax (empty epoch, epoch
// not a number, nothing after the colon, empty upstream version, empty
// revision), an epoch with a sign, and any byte outside ASCII.
//
// osv-scalibr catches only the epoch that is empty or not a number. It reads
// "-1:2.0" as epoch -1 (dpkg: "epoch in version is negative"), "1:" as
// an empty version and "2.0-" as revision 0 (dpkg: "nothing after colon",
// "revision number is empty"). dpkg reads the epoch with strtol and so takes
// "+1:2.0"; Debian policy makes the epoch an unsigned integer and secpipe
// holds to that. osv-scalibr weighs a multi-byte character by its first
// byte only, so "1é" equals "1è"; dpkg compares bytes but warns that such a
// character is invalid, and no Debian archive holds one, so secpipe rejects
// it rather than guess.
func checkDebian(v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 {
			return fmt.Errorf("non-ASCII character at byte %d (Debian versions hold letters, digits and . + - ~ :)", i)
		}
	}
	rest := v
	if epoch, after, ok := strings.Cut(v, ":"); ok {
		if epoch == "" {
			return fmt.Errorf("epoch before the colon is empty")
		}
		if !allDigits(epoch) {
			return fmt.Errorf("epoch %q is not an unsigned number", epoch)
		}
		if after == "" {
			return fmt.Errorf("nothing after the epoch colon")
		}
		rest = after
	}
	i := strings.LastIndexByte(rest, '-')
	if i == 0 {
		return fmt.Errorf("upstream version is empty")
	}
	if i == len(rest)-1 {
		return fmt.Errorf("revision after the last hyphen is empty")
	}
	return nil
}

// checkCRAN holds CRAN versions to R's package_version syntax: numbers
// separated by single dots or hyphens.
//
// osv-scalibr converts each part with big.Int.SetString, which also takes a
// sign, so it reads "1.+2" as "1.2"; R rejects it. (It already rejects empty
// parts and letters.)
func checkCRAN(v string) error {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !isDigit(c) && c != '.' && c != '-' {
			return fmt.Errorf("character %q at byte %d (CRAN versions hold digits separated by . or -)", c, i)
		}
	}
	return nil
}

// markSignedIdentifiers fixes the SemVer order of pre-release identifiers
// that are a hyphen followed by digits, such as "-1" in "1.0.0-alpha.-1".
//
// SemVer 2.0 (§11.4) makes such an identifier alphanumeric: it sorts after
// every numeric identifier and lexically among the alphanumeric ones; node
// semver and Go's x/mod/semver agree ("1.0.0-alpha.0" < "1.0.0-alpha.-1").
// osv-scalibr parses identifiers with big.Int.SetString, which reads a sign,
// so it compares "-1" as the number -1, below 0. NuGet and Pub share that
// code but keep it: NuGet's int.TryParse and Dart's int.tryParse read the
// sign too, so there it is the native order.
//
// The fix appends a NUL byte to each such identifier before osv-scalibr
// parses the string. The identifier then no longer parses as a number, and
// it still orders lexically exactly as before, because NUL sorts below every
// byte and check has already refused control characters in the input. The
// Version keeps the original string for String.
func markSignedIdentifiers(v string) string {
	start, end := prerelease(v)
	pre := v[start:end]
	if !strings.Contains(pre, "-") {
		return v
	}
	ids := strings.Split(pre, ".")
	changed := false
	for i, id := range ids {
		if len(id) > 1 && id[0] == '-' && allDigits(id[1:]) {
			ids[i] = id + "\x00"
			changed = true
		}
	}
	if !changed {
		return v
	}
	return v[:start] + strings.Join(ids, ".") + v[end:]
}

// prerelease returns the byte range of v that osv-scalibr splits into
// pre-release identifiers: what follows the leading "v", digits and dots,
// less one leading hyphen, up to the first "+". The range is empty when
// there is none.
func prerelease(v string) (start, end int) {
	i := 0
	if strings.HasPrefix(v, "v") {
		i = 1
	}
	for i < len(v) && (isDigit(v[i]) || v[i] == '.') {
		i++
	}
	end = len(v)
	if plus := strings.IndexByte(v[i:], '+'); plus >= 0 {
		end = i + plus
	}
	if i < end && v[i] == '-' {
		i++
	}
	return i, end
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
