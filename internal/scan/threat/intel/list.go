package intel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Category says what a list's entries are: it picks the finding type a match
// produces.
type Category string

// Categories of lists.
const (
	CategoryC2     Category = "c2"     // command-and-control infrastructure
	CategoryMining Category = "mining" // crypto-currency mining pools
	CategoryCustom Category = "custom" // users' own lists and feeds
	CategoryTest   Category = "test"   // entries that exist to exercise detection
)

// Default limits applied by [Parse]; [ParseOptions] overrides them.
const (
	DefaultMaxBytes      = 64 << 20
	DefaultMaxEntries    = 2_000_000
	DefaultMaxLineLength = 4096
	maxWarnings          = 100
)

// List is one parsed threat or trusted list. It is immutable after Parse
// returns and safe to share between goroutines and Sets.
type List struct {
	// Name identifies the list in matches: the file name, feed URL or "default".
	Name string
	// Category is the category given to Parse.
	Category Category
	// Domains holds the normalised domain entries (lower case, no trailing dot,
	// no "*." prefix); each matches itself and its subdomains.
	Domains []string
	// Prefixes holds the IP entries, masked; a single address is a /32 or /128.
	Prefixes []netip.Prefix
	// Skipped counts malformed lines skipped in lenient mode.
	Skipped int
	// Warnings describes the first skipped lines ("FILE:LINE: ...").
	Warnings []string
}

// Len returns the number of entries in l.
func (l *List) Len() int { return len(l.Domains) + len(l.Prefixes) }

// ParseOptions tunes [ParseWith]. The zero value is strict with default limits.
type ParseOptions struct {
	// Lenient skips malformed lines, recording them in List.Warnings, instead of
	// failing. Limits are enforced in both modes.
	Lenient bool
	// MaxBytes caps the input size (default DefaultMaxBytes).
	MaxBytes int64
	// MaxEntries caps the number of entries (default DefaultMaxEntries).
	MaxEntries int
	// MaxLineLength caps the length of one line (default DefaultMaxLineLength).
	MaxLineLength int
}

// LineError reports a malformed line. It unwraps to pipeline.ErrInvalid.
type LineError struct {
	File   string
	Line   int
	Text   string
	Reason string
}

// Error formats the error as "FILE:LINE: REASON: TEXT".
func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %q", e.File, e.Line, e.Reason, e.Text)
}

// Unwrap returns pipeline.ErrInvalid.
func (e *LineError) Unwrap() error { return pipeline.ErrInvalid }

// Parse reads a list in GuardDuty's plain-text format (see the package
// documentation) strictly: the first malformed line is returned as a
// *LineError naming name:LINE. Read errors are wrapped; exceeded limits wrap
// pipeline.ErrInvalid.
func Parse(name string, r io.Reader, category Category) (*List, error) {
	return ParseWith(name, r, category, ParseOptions{})
}

// LoadFile parses the list stored at path strictly, naming it by path.
// A missing file wraps pipeline.ErrNotFound.
func LoadFile(path string, category Category) (*List, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("load threat list %s: %w", path, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load threat list: %w", err)
	}
	defer f.Close()
	return Parse(path, f, category)
}

// ParseWith is Parse with options: lenient mode and size limits.
func ParseWith(name string, r io.Reader, category Category, opts ParseOptions) (*List, error) {
	opts = opts.withDefaults()
	lr := &io.LimitedReader{R: r, N: opts.MaxBytes + 1}
	br := bufio.NewReaderSize(lr, opts.MaxLineLength+2)
	l := &List{Name: name, Category: category}
	seenD := map[string]bool{}
	seenP := map[netip.Prefix]bool{}
	for n := 1; ; n++ {
		line, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("%s: larger than %d bytes: %w", name, opts.MaxBytes, pipeline.ErrInvalid)
		}
		if line == nil && errors.Is(err, io.EOF) {
			return l, nil
		}
		if perr := l.addLine(name, n, line, tooLong, seenD, seenP); perr != nil {
			if !opts.Lenient {
				return nil, perr
			}
			l.Skipped++
			if len(l.Warnings) < maxWarnings {
				l.Warnings = append(l.Warnings, perr.Error())
			}
		}
		if l.Len() > opts.MaxEntries {
			return nil, fmt.Errorf("%s: more than %d entries: %w", name, opts.MaxEntries, pipeline.ErrInvalid)
		}
		if errors.Is(err, io.EOF) {
			return l, nil
		}
	}
}

func (o ParseOptions) withDefaults() ParseOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxLineLength <= 0 {
		o.MaxLineLength = DefaultMaxLineLength
	}
	return o
}

// readLine returns the next line without its terminator. A line longer than
// the reader's buffer is reported as tooLong (its start is returned) and the
// rest of it is discarded. At the end of input it returns the last partial
// line (or nil) with io.EOF.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	b, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line = append([]byte(nil), b[:min(64, len(b))]...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		if errors.Is(err, io.EOF) {
			return line, true, nil
		}
		return line, true, err
	}
	if errors.Is(err, io.EOF) && len(b) == 0 {
		return nil, false, io.EOF
	}
	return bytes.TrimSuffix(b, []byte("\n")), false, err
}

// addLine parses one line and appends its entry, if any.
func (l *List) addLine(name string, n int, raw []byte, tooLong bool, seenD map[string]bool, seenP map[netip.Prefix]bool) error {
	if tooLong {
		return &LineError{File: name, Line: n, Text: string(raw) + "...", Reason: "line too long"}
	}
	text := string(raw)
	if n == 1 {
		text = strings.TrimPrefix(text, "\ufeff")
	}
	entry := stripComment(text)
	if entry == "" {
		return nil
	}
	p, d, reason := parseEntry(entry)
	if reason != "" {
		return &LineError{File: name, Line: n, Text: strings.TrimSpace(text), Reason: reason}
	}
	if d != "" {
		if !seenD[d] {
			seenD[d] = true
			l.Domains = append(l.Domains, d)
		}
		return nil
	}
	if !seenP[p] {
		seenP[p] = true
		l.Prefixes = append(l.Prefixes, p)
	}
	return nil
}

// stripComment removes comments and surrounding whitespace.
func stripComment(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		return ""
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		rest := strings.TrimSpace(s[i:])
		if strings.HasPrefix(rest, "#") {
			return s[:i]
		}
	}
	return s
}

// parseEntry classifies one entry as a prefix or a normalised domain, or
// returns why it is invalid.
func parseEntry(s string) (netip.Prefix, string, string) {
	if strings.ContainsAny(s, " \t") {
		return netip.Prefix{}, "", "more than one field"
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, "", "invalid CIDR"
		}
		a, bits := p.Addr(), p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a, bits).Masked(), "", ""
	}
	if strings.Contains(s, ":") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, "", "invalid IP address"
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), "", ""
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), "", ""
	}
	d, reason := parseDomain(s)
	return netip.Prefix{}, d, reason
}
