package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Kind says which scanner family produced a Finding.
type Kind string

// The finding kinds. Every security stage emits exactly one of them.
const (
	KindSecret Kind = "secret"
	KindVuln   Kind = "vuln"
	KindConfig Kind = "config"
	KindThreat Kind = "threat"
)

// Kinds lists every finding kind.
func Kinds() []Kind { return []Kind{KindSecret, KindVuln, KindConfig, KindThreat} }

// ParseKind parses a kind name; it wraps ErrInvalid for unknown names.
func ParseKind(name string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == strings.ToLower(strings.TrimSpace(name)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w kind %q (want secret, vuln, config or threat)", ErrInvalid, name)
}

// Location says where a Finding was seen. Only the fields that apply are set:
// a file finding has Path and Line; a finding from git history adds Commit,
// Author and Date; a package finding has Package and Version; a runtime
// finding has Event.
type Location struct {
	// Path is slash-separated and relative to the scanned root. Inside an
	// archive it reads "outer.zip!inner/file.txt".
	Path      string    `json:"path,omitempty"`
	Line      int       `json:"line,omitempty"`
	Column    int       `json:"column,omitempty"`
	EndLine   int       `json:"end_line,omitempty"`
	EndColumn int       `json:"end_column,omitempty"`
	Commit    string    `json:"commit,omitempty"`
	Author    string    `json:"author,omitempty"`
	Email     string    `json:"email,omitempty"`
	Date      time.Time `json:"date,omitzero"`
	Package   string    `json:"package,omitempty"`
	Version   string    `json:"version,omitempty"`
	Event     string    `json:"event,omitempty"`
}

// String renders the location the way people and editors read it:
// "path:line", "package@version" or the event.
func (l Location) String() string {
	switch {
	case l.Path != "" && l.Line > 0:
		return fmt.Sprintf("%s:%d", l.Path, l.Line)
	case l.Path != "":
		return l.Path
	case l.Package != "" && l.Version != "":
		return l.Package + "@" + l.Version
	case l.Package != "":
		return l.Package
	default:
		return l.Event
	}
}

// Suppression records why a Finding does not count against a gate.
type Suppression struct {
	// By is "inline" (a secpipe:ignore comment), "ignore-file", "baseline"
	// or "vex" (an OpenVEX statement: not affected, or fixed).
	By      string    `json:"by"`
	Reason  string    `json:"reason,omitempty"`
	Source  string    `json:"source,omitempty"` // the ignore file and entry, e.g. ".secpipeignore:12"
	Expires time.Time `json:"expires,omitzero"`
}

// Finding is the one result type of every scanner.
//
// Evidence is always redacted (see Redact): no Finding ever holds a secret in
// full, so reports, logs and stores built from Findings are safe to keep.
type Finding struct {
	Kind   Kind   `json:"kind"`
	RuleID string `json:"rule_id"`
	// Aliases are other ids of the same problem: a vulnerability's CVE,
	// GHSA and distribution advisory ids besides RuleID.
	Aliases     []string `json:"aliases,omitempty"`
	Severity    Severity `json:"severity"`
	CVSS        float64  `json:"cvss,omitempty"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Location    Location `json:"location"`
	// Fingerprint identifies the same problem across runs: it does not change
	// when the finding moves to another line. Baselines and ignore files match on it.
	Fingerprint string   `json:"fingerprint"`
	Remediation string   `json:"remediation,omitempty"`
	References  []string `json:"references,omitempty"`
	Evidence    string   `json:"evidence,omitempty"`
	// Group ties findings that are parts of one credential (an AWS key id and
	// its secret key on neighbouring lines): they share a Group value.
	Group string `json:"group,omitempty"`
	// Suppressed is set when an ignore rule or baseline keeps the finding from
	// failing a gate; the finding is still reported.
	Suppressed *Suppression `json:"suppressed,omitempty"`
	// Expired names an ignore entry that matched but is past its expiry date.
	Expired *Suppression `json:"expired_ignore,omitempty"`
}

// Fingerprint hashes its parts into a stable 16-byte hex identifier.
// Scanners pass what identifies the problem (rule, path, a hash of the
// secret, package name) but not what moves (line numbers).
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// RedactKeep is the most characters of a secret any output may show.
const RedactKeep = 4

// Redact returns the first few characters of secret followed by a fixed
// mask, so neither the rest of the secret nor its length leaks. Short
// secrets show at most a quarter of their characters.
func Redact(secret string) string {
	keep := min(RedactKeep, len(secret)/4)
	// Never cut a multi-byte character in half.
	for keep > 0 && keep < len(secret) && secret[keep]&0xC0 == 0x80 {
		keep--
	}
	return secret[:keep] + "*****"
}

// Scanner is a security stage: it inspects a target (a path, image or
// lockfile, depending on the scanner) and streams findings to emit as it
// finds them. Scan stops at the first error from emit and returns it; it
// returns ctx.Err() when cancelled. Scan may work on several goroutines but
// calls emit from one goroutine at a time, so emit needs no locking.
type Scanner interface {
	Name() string
	Scan(ctx context.Context, target string, emit func(Finding) error) error
}
