package secrets

import (
	"regexp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Rule describes one credential type: how to find it and how to tell it
// from look-alikes. Rules are plain data plus an optional Verify function;
// the catalogue is the explicit list returned by Rules.
//
// A rule runs only where one of its Keywords occurs (case-insensitively):
// the prefilter finds keywords in one pass over the input, and the rule's
// regular expression then runs on the line holding the keyword (or, for a
// Multiline rule, on a window starting at that line). So every rule needs at
// least one keyword that its matches always contain or that always stands on
// the same line, such as a vendor prefix ("ghp_", "xoxb-") or a variable
// name ("aws_secret_access_key").
type Rule struct {
	// ID is stable, kebab-case and unique, e.g. "github-pat". Ignore files
	// and baselines refer to it.
	ID string
	// Title is a short human description, e.g. "GitHub personal access token".
	Title string
	// Severity of a finding from this rule.
	Severity pipeline.Severity
	// Keywords are lower-case literals (at least 3 bytes) for the prefilter.
	Keywords []string
	// Pattern is an RE2 expression. The secret is capture group SecretGroup
	// (0 for the whole match), or the group named "secret" if there is one.
	Pattern     string
	SecretGroup int
	// MinEntropy, when non-zero, is the least Shannon entropy (bits per
	// character) the secret must have; it weeds out "aaaa" and "password".
	MinEntropy float64
	// Multiline rules match across lines (PEM blocks, JSON documents) within
	// MaxLen bytes of the keyword's line.
	Multiline bool
	// MaxLen bounds a match in bytes; the chunked reader keeps this much
	// overlap between chunks. Zero means the default, 1 KiB.
	MaxLen int
	// Verify, when set, does the structural checks a regular expression
	// cannot: a checksum, a decodable payload, a known length. It receives the
	// secret and the whole match and says whether it is a real credential.
	Verify func(secret, match string) bool
	// Generic marks rules that catch secrets by their context (a variable
	// name) rather than a vendor format. They get the placeholder, variable
	// reference and hash filters, and yield to a vendor rule that matched the
	// same secret.
	Generic bool
	// CredentialGroup, when set, ties findings of rules sharing it (e.g.
	// "aws") on neighbouring lines into one credential.
	CredentialGroup string
	// Remediation tells the user what to do beyond removing the secret, e.g.
	// where to revoke it.
	Remediation string
	// References link the vendor's documentation of the format.
	References []string

	re *regexp.Regexp
}
