// Package gate turns a scanner's findings into a pass or fail decision. Every
// secpipe scanner shares it: the CLI's --fail-on, --unknown-as, --ignore-file
// and --baseline flags become a Policy, and Evaluate applies that policy to
// the findings of one scan.
//
// A finding can be let through in three ways, each recorded in its
// Suppressed field so that reports still show it:
//
//   - inline: a "secpipe:ignore" comment on the finding's line; the scanner
//     sets Suppressed{By: "inline"} itself and the gate honours it;
//   - ignore-file: an entry of a .secpipeignore file matches it;
//   - baseline: its fingerprint appears in a previous report, so it is not new.
//
// # Ignore file
//
// A .secpipeignore file is YAML:
//
//	version: 1                       # optional; 1 is the only version
//	ignore:
//	  - rule: aws-access-key-id      # Finding.RuleID (or a vulnerability's alias)
//	    package: lodash@4.17.20      # Location.Package, NAME or NAME@VERSION
//	    path: "test/fixtures/**"     # doublestar glob on Location.Path
//	    fingerprint: 3f2a9c...       # Finding.Fingerprint, 32 hex digits
//	    reason: fixture keys, revoked 2026-10
//	    expires: 2027-01-31          # optional
//
// Each entry names at least one of rule, package, path and fingerprint; a
// finding matches an entry when every matcher the entry gives matches. For a
// vulnerability, rule matches its id or any alias (CVE-2018-17182 ignores
// the finding DSA-4308-1 reports for it), without regard to case, and
// package matches the affected package by name or name@version. Path globs
// (github.com/bmatcuk/doublestar/v4: "*" stays within a directory, "**"
// crosses directories, "{a,b}" alternates) are relative to the scanned root,
// with forward slashes. A finding without a path (a package or runtime
// finding) never matches an entry that gives one.
//
// Every entry needs a reason: an ignore entry is a decision someone took, and
// the reason is what the next reader needs. Expires is a date, YYYY-MM-DD
// (the entry lapses at the end of that day, UTC), or an RFC 3339 time. A
// lapsed entry no longer suppresses: the finding it matches counts against
// the gate again and carries the entry in its Expired field, so reports can
// say why it came back. IgnoreFile.Expired lists lapsed entries and
// IgnoreFile.Unused lists entries that match nothing, for warnings.
//
// An empty file, or one with only comments, ignores nothing. Anything else
// that breaks these rules (an unknown or repeated field, a missing reason,
// an entry without a matcher, a bad glob or date, a value of the wrong type,
// two entries with the same matchers) is an error naming the file, line and
// field, e.g. ".secpipeignore:7: ignore[1].expires: bad date "2027-02-30"
// (want YYYY-MM-DD or RFC 3339)". Anchors, aliases and merge keys are not
// supported.
//
// # Baseline
//
// A baseline is a previous secpipe report, in the json or sarif format; the
// format is recognised from the content. Findings whose fingerprint appears
// in it are suppressed, so only new findings fail the gate. The json report
// is read as {"findings": [{"fingerprint": "..."}, ...]}; the SARIF 2.1.0
// log as {"version": "2.1.0", "runs": [{"results": [{"partialFingerprints":
// {"secpipeFingerprint/v1": "..."}}]}]}. Other fields are not read.
//
// # Precedence
//
// For each finding, in order: a suppression the scanner set (inline) stands;
// otherwise the first ignore entry in the file that matches and has not
// lapsed suppresses it; otherwise, if only lapsed entries match, the finding
// counts and is marked Expired, even when it is in the baseline (the expiry
// date was a promise to fix it, which a baseline taken while the entry held
// must not quietly extend); otherwise a baseline match suppresses it.
package gate
