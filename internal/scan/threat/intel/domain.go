package intel

import "strings"

const (
	maxDomainLength = 253
	maxLabelLength  = 63
)

// parseDomain validates a domain entry, accepting the "*.name" and ".name"
// spellings, and returns it normalised or the reason it is invalid.
func parseDomain(s string) (string, string) {
	wildcard := false
	switch {
	case strings.HasPrefix(s, "*."):
		s, wildcard = s[2:], true
	case strings.HasPrefix(s, "."):
		s, wildcard = s[1:], true
	}
	s = normalizeDomain(s)
	if s == "" {
		return "", "empty domain"
	}
	if len(s) > maxDomainLength {
		return "", "domain longer than 253 characters"
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 && !wildcard {
		return "", "single-label domain (use *.name to list a top-level domain)"
	}
	for _, lab := range labels {
		if reason := checkLabel(lab); reason != "" {
			return "", reason
		}
	}
	if allDigits(labels[len(labels)-1]) {
		return "", "invalid IP address or numeric top-level domain"
	}
	return s, ""
}

// checkLabel returns why a DNS label is invalid, or "".
func checkLabel(lab string) string {
	if lab == "" {
		return "empty label in domain"
	}
	if len(lab) > maxLabelLength {
		return "label longer than 63 characters"
	}
	if lab[0] == '-' || lab[len(lab)-1] == '-' {
		return "label starts or ends with '-'"
	}
	for i := 0; i < len(lab); i++ {
		c := lab[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "invalid character in domain (use punycode for international names)"
		}
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// normalizeDomain lower-cases ASCII letters and removes one trailing dot. It
// allocates only when name holds upper-case letters.
func normalizeDomain(name string) string {
	name = strings.TrimSuffix(name, ".")
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			return asciiLower(name)
		}
	}
	return name
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
