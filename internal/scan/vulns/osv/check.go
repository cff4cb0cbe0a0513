package osv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// checker validates one decoded record and builds the Vulnerability. Strict,
// every problem is fatal. Lenient, a problem confined to a droppable part
// (an affected entry, a severity, a reference...) drops the part and becomes
// a warning; problems with the record's identity stay fatal.
type checker struct {
	file     string
	lenient  bool
	fatal    []*FieldError
	warnings []*FieldError
}

// fail records a problem that sinks the whole record.
func (c *checker) fail(field, msg string, err error) {
	c.fatal = append(c.fatal, &FieldError{File: c.file, Field: field, Msg: msg, Err: err})
}

// drop records a problem that lenient parsing recovers from by dropping the
// part of the record that holds it.
func (c *checker) drop(field, msg string, err error) {
	if !c.lenient {
		c.fail(field, msg, err)
		return
	}
	c.warnings = append(c.warnings, &FieldError{File: c.file, Field: field, Msg: msg, Err: err})
}

// problems counts the problems seen so far, fatal or not.
func (c *checker) problems() int { return len(c.fatal) + len(c.warnings) }

func (c *checker) record(w *wireRecord) *Vulnerability {
	c.id(w.ID)
	return &Vulnerability{
		SchemaVersion:    c.schemaVersion(w.SchemaVersion),
		ID:               w.ID,
		Modified:         c.timestamp("modified", w.Modified, true),
		Published:        c.timestamp("published", w.Published, false),
		Withdrawn:        c.timestamp("withdrawn", w.Withdrawn, false),
		Aliases:          c.ids("aliases", w.Aliases),
		Related:          c.ids("related", w.Related),
		Upstream:         c.ids("upstream", w.Upstream),
		Summary:          w.Summary,
		Details:          w.Details,
		Severities:       c.severities("severity", w.Severities),
		Affected:         c.affectedList(w.Affected),
		References:       c.references(w.References),
		Credits:          c.credits(w.Credits),
		DatabaseSpecific: c.object(w.DatabaseSpecific, func() string { return "database_specific" }),
	}
}

func (c *checker) id(id string) {
	if id == "" {
		c.fail("id", "missing", nil)
		return
	}
	if i := strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		c.fail("id", fmt.Sprintf("%q contains white space or a control character", id), nil)
	}
}

// schemaVersion accepts any 1.x version: later minor versions only add
// fields, which are ignored. A later major version may change meanings, so
// such a record is refused; a version that is not SemVer is dropped.
func (c *checker) schemaVersion(v string) string {
	if v == "" {
		return ""
	}
	if !isSemver(v) {
		c.drop("schema_version", fmt.Sprintf("%q is not a SemVer version", v), nil)
		return ""
	}
	if major, _, _ := strings.Cut(v, "."); major != "1" {
		c.fail("schema_version", fmt.Sprintf("unsupported schema version %q (secpipe reads 1.x)", v), nil)
	}
	return v
}

// timestamp parses an RFC 3339 time and returns it in UTC. modified is
// required; a bad withdrawn is fatal too (a record that may be withdrawn
// cannot be trusted to stand); a bad published is dropped. The time must
// fall in the years 1 to 9999 in UTC, which JSON can encode; the Go
// vulnerability database's all.zip sets modified to the zero time,
// 0001-01-01T00:00:00Z.
func (c *checker) timestamp(field, s string, required bool) time.Time {
	if s == "" {
		if required {
			c.fail(field, "missing", nil)
		}
		return time.Time{}
	}
	report := c.fail
	if field == "published" {
		report = c.drop
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		report(field, fmt.Sprintf("bad timestamp %q: want RFC 3339, e.g. 2006-01-02T15:04:05Z", s), err)
		return time.Time{}
	}
	t = t.UTC()
	if y := t.Year(); y < 1 || y > 9999 {
		report(field, fmt.Sprintf("bad timestamp %q: want a year from 1 to 9999 in UTC", s), nil)
		return time.Time{}
	}
	return t
}

// ids drops empty entries from a list of vulnerability IDs.
func (c *checker) ids(field string, ids []string) []string {
	out := ids[:0]
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			c.drop(fmt.Sprintf("%s[%d]", field, i), "empty ID", nil)
			continue
		}
		out = append(out, id)
	}
	return nilIfEmpty(out)
}

// severities drops the malformed entries of a severity list. field is the
// list's path, e.g. "severity" or "affected[1].severity".
func (c *checker) severities(field string, ss []SeverityScore) []SeverityScore {
	out := ss[:0]
	for i, s := range ss {
		if f, msg, err := checkSeverity(s); msg != "" {
			c.drop(fmt.Sprintf("%s[%d].%s", field, i, f), msg, err)
			continue
		}
		out = append(out, s)
	}
	return nilIfEmpty(out)
}

// checkSeverity returns the sub-field ("type" or "score") and the problem of
// a severity entry, or an empty message when it is sound.
func checkSeverity(s SeverityScore) (field, msg string, err error) {
	switch {
	case s.Type == "":
		return "type", "missing", nil
	case s.Score == "":
		return "score", "missing", nil
	}
	switch s.Type {
	case CVSSv2, CVSSv3, CVSSv4:
		if _, err := ScoreCVSS(s.Type, s.Score); err != nil {
			return "score", err.Error(), err
		}
	case UbuntuPriority:
		if _, ok := ubuntuPriority(s.Score); !ok {
			return "score", fmt.Sprintf("unknown Ubuntu priority %q (want negligible, low, medium, high or critical)", s.Score), nil
		}
	default:
		return "type", fmt.Sprintf("unknown severity type %q (want CVSS_V2, CVSS_V3, CVSS_V4 or Ubuntu)", s.Type), nil
	}
	return "", "", nil
}

func (c *checker) references(rs []Reference) []Reference {
	out := rs[:0]
	for i, r := range rs {
		switch {
		case r.URL == "":
			c.drop(fmt.Sprintf("references[%d].url", i), "missing", nil)
		case r.Type == "":
			c.drop(fmt.Sprintf("references[%d].type", i), "missing", nil)
		default:
			out = append(out, r)
		}
	}
	return nilIfEmpty(out)
}

func (c *checker) credits(cs []Credit) []Credit {
	out := cs[:0]
	for i, cr := range cs {
		if strings.TrimSpace(cr.Name) == "" {
			c.drop(fmt.Sprintf("credits[%d].name", i), "missing", nil)
			continue
		}
		out = append(out, cr)
	}
	return nilIfEmpty(out)
}

// object checks that a free-form field holds a JSON object; null counts as
// absent. Anything else is dropped. field names the field; it is called only
// to report a problem.
func (c *checker) object(raw json.RawMessage, field func() string) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	if t[0] != '{' {
		c.drop(field(), "want a JSON object", nil)
		return nil
	}
	return raw
}

// nilIfEmpty returns nil for an empty list, so that a parsed record holds
// one value for "absent", "null" and "[]", and re-encodes without the field.
func nilIfEmpty[T any](out []T) []T {
	if len(out) == 0 {
		return nil
	}
	return out
}
