package pipeline

import (
	"fmt"
	"strings"
)

// Severity ranks a Finding. The zero value is SeverityUnknown, used when a
// source gives no rating (many advisories carry none); gates state a policy
// for it instead of guessing.
type Severity int

// Severities, lowest first, so that comparisons read naturally:
// f.Severity >= SeverityHigh.
const (
	SeverityUnknown Severity = iota
	SeverityInfo
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unknown", "info", "low", "medium", "high", "critical"}

// Severities lists every severity from lowest to highest.
func Severities() []Severity {
	return []Severity{SeverityUnknown, SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
}

// String returns the lower-case name used in flags, files and reports.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name, case-insensitively. It wraps
// ErrInvalid and lists the accepted names when the name is unknown.
func ParseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return SeverityUnknown, fmt.Errorf("%w severity %q (want one of %s)", ErrInvalid, name, strings.Join(severityNames[:], ", "))
}

// MarshalText encodes the severity by name, for JSON and YAML.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
