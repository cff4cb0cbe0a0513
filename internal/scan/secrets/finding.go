package secrets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// ignoreMarker on a line keeps the secrets on that line from failing a
// gate; rule ids after it (comma separated) limit it to those rules.
const ignoreMarker = "secpipe:ignore"

// source says where a text comes from.
type source struct {
	// path is slash-separated and relative to the scanned root.
	path string
	// commit is set for lines added by a commit in git history.
	commit *commit
	// staged marks lines from the changes staged in the index.
	staged bool
	// lines holds the real line number of each line of the text, for diffs
	// whose added lines are not consecutive; nil when line i is line i+1.
	lines []int32
}

// commit describes one commit of git history.
type commit struct {
	hash, author, email string
	date                time.Time
}

// lineCursor turns byte offsets into line indexes, counting newlines
// forward from the last offset asked for.
type lineCursor struct {
	buf       []byte
	pos, line int
}

// at returns the 0-based index of the line holding off and that line's start.
func (c *lineCursor) at(off int) (idx, start int) {
	if off < c.pos {
		c.pos, c.line = 0, 0
	}
	c.line += bytes.Count(c.buf[c.pos:off], []byte{'\n'})
	c.pos = off
	return c.line, bytes.LastIndexByte(c.buf[:off], '\n') + 1
}

// spanFindings finds the secrets in sp, directly and in its base64 blobs,
// and appends a finding for each one that sp owns.
func (s *Scanner) spanFindings(sp span, src *source, out []pipeline.Finding) []pipeline.Finding {
	ms := s.det.Find(sp.buf)
	lc := lineCursor{buf: sp.buf}
	for _, m := range ms {
		if m.Start < sp.from || m.Start >= sp.own {
			continue
		}
		out = append(out, s.finding(m.Rule, m.Secret, sp, &lc, m.Start, src, false))
	}
	return s.decodedFindings(sp, ms, src, out)
}

// finding builds the Finding for secret, found by r at offset off of sp
// (for a decoded secret, off is where the encoded blob starts).
func (s *Scanner) finding(r *Rule, secret string, sp span, lc *lineCursor, off int, src *source, decoded bool) pipeline.Finding {
	idx, ls := lc.at(off)
	le := bytes.IndexByte(sp.buf[off:], '\n')
	if le < 0 {
		le = len(sp.buf)
	} else {
		le += off
	}
	col := off - ls + 1
	if idx == 0 {
		col += sp.col
	}
	line := sp.line + idx
	if src.lines != nil {
		line = int(src.lines[line-1])
	}
	sum := sha256.Sum256([]byte(secret))
	parts := []string{"secret", r.ID, src.path, hex.EncodeToString(sum[:])}
	loc := pipeline.Location{Path: src.path, Line: line, Column: col}
	if c := src.commit; c != nil {
		parts = append(parts, c.hash)
		loc.Commit, loc.Author, loc.Email, loc.Date = c.hash, c.author, c.email, c.date
	}
	f := pipeline.Finding{
		Kind:        pipeline.KindSecret,
		RuleID:      r.ID,
		Severity:    r.Severity,
		Title:       r.Title,
		Description: describe(src, decoded),
		Location:    loc,
		Fingerprint: pipeline.Fingerprint(parts...),
		Remediation: r.Remediation,
		References:  slices.Clone(r.References),
		Evidence:    pipeline.Redact(secret),
	}
	if s.ignored(sp.buf[ls:le], r.ID) {
		f.Suppressed = &pipeline.Suppression{
			By:     "inline",
			Reason: ignoreMarker + " on the line",
			Source: fmt.Sprintf("%s:%d", src.path, line),
		}
	}
	return f
}

// describe says where a secret was found, beyond its location.
func describe(src *source, decoded bool) string {
	var parts []string
	if decoded {
		parts = append(parts, "found in base64-decoded data")
	}
	if c := src.commit; c != nil {
		short := c.hash[:min(12, len(c.hash))]
		parts = append(parts, fmt.Sprintf("found in commit %s by %s on %s", short, c.author, c.date.Format(time.DateOnly)))
	}
	if src.staged {
		parts = append(parts, "found in the changes staged for commit")
	}
	return strings.Join(parts, "; ")
}

// ignored reports whether line carries an ignore marker that covers rule
// id. Words after the marker (comma separated, no spaces) that name known
// rules limit the marker to those rules; a marker followed by anything
// else (or nothing) covers every rule.
func (s *Scanner) ignored(line []byte, id string) bool {
	i := bytes.Index(line, []byte(ignoreMarker))
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(line[i+len(ignoreMarker):]))
	if len(fields) == 0 {
		return true
	}
	var named bool
	for _, w := range strings.Split(fields[0], ",") {
		if w == id {
			return true
		}
		if s.ruleByID[w] != nil {
			named = true
		}
	}
	return !named
}
