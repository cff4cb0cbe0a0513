package osv

// isSemver reports whether s is a SemVer 2.0 version: MAJOR.MINOR.PATCH
// with no leading zeros, then an optional pre-release ("-rc.1") and build
// metadata ("+build.5"), without a leading "v".
func isSemver(s string) bool {
	core, build, hasBuild := cut(s, '+')
	if hasBuild && !identifiers(build, false) {
		return false
	}
	core, pre, hasPre := cut(core, '-')
	if hasPre && !identifiers(pre, true) {
		return false
	}
	for i := 0; i < 3; i++ {
		var part string
		part, core, _ = cut(core, '.')
		if !numeric(part) {
			return false
		}
		if i < 2 && core == "" {
			return false
		}
	}
	return core == ""
}

// cut is strings.Cut for one byte.
func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// numeric reports whether s is "0" or digits without a leading zero.
func numeric(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// identifiers reports whether s is a dot-separated list of non-empty
// [0-9A-Za-z-] identifiers; in a pre-release (strict) a numeric identifier
// may not have a leading zero.
func identifiers(s string, strict bool) bool {
	for {
		id, rest, more := cut(s, '.')
		if id == "" {
			return false
		}
		digits := true
		for i := 0; i < len(id); i++ {
			b := id[i]
			switch {
			case b >= '0' && b <= '9':
			case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b == '-':
				digits = false
			default:
				return false
			}
		}
		if strict && digits && len(id) > 1 && id[0] == '0' {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// isCommitHash reports whether s is a full-length Git object name: 40 (SHA-1)
// or 64 (SHA-256) hexadecimal digits.
func isCommitHash(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F') {
			return false
		}
	}
	return true
}
