package threat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// MaxLineBytes is the longest line a Reader accepts; longer lines are an
// error (or skipped in lenient mode).
const MaxLineBytes = 1 << 20

// maxWarnings bounds the warnings a lenient Reader keeps; it still counts the rest.
const maxWarnings = 20

// Format is the layout of a log a Reader has detected.
type Format int

// The formats a Reader understands.
const (
	// FormatUnknown is reported before the first non-blank line.
	FormatUnknown Format = iota
	// FormatJSON is the JSON-lines event log.
	FormatJSON
	// FormatDNS is the plain DNS query log: TIME CLIENT_IP QUERY QTYPE.
	FormatDNS
)

// String names the format.
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatDNS:
		return "dns"
	default:
		return "unknown"
	}
}

// ReadOptions tunes a Reader.
type ReadOptions struct {
	// Lenient skips lines that cannot be parsed instead of failing; see
	// Reader.Skipped and Reader.Warnings.
	Lenient bool
}

// Reader streams Events from an event log or a DNS query log, one line at a
// time, so memory does not grow with the log. The format is detected from
// the first line that is neither blank nor a # comment: a line starting
// with '{' selects the JSON event log, anything else the plain DNS log.
// A Reader is not safe for concurrent use.
type Reader struct {
	name    string
	br      *bufio.Reader
	opts    ReadOptions
	dec     *decoder
	line    int
	format  Format
	skipped int
	warns   []error
	err     error
}

// NewReader returns a Reader of r; name (usually the file name) prefixes
// error messages as "NAME:LINE: ...".
func NewReader(name string, r io.Reader, opts ReadOptions) *Reader {
	return &Reader{name: name, br: bufio.NewReaderSize(r, 64<<10), opts: opts, dec: newDecoder()}
}

// Next returns the next event. It returns io.EOF at the end of the log. A
// malformed line yields an error that wraps pipeline.ErrInvalid and names
// NAME:LINE, unless the Reader is lenient; read errors of the underlying
// reader are returned as they are. After an error, Next keeps returning it.
func (r *Reader) Next() (Event, error) {
	for r.err == nil {
		line, err := r.readLine()
		if err != nil {
			r.err = err
			break
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || (line[0] == '#' && r.format != FormatJSON) {
			continue
		}
		if r.format == FormatUnknown {
			r.format = FormatDNS
			if line[0] == '{' {
				r.format = FormatJSON
			}
		}
		ev, perr := r.parse(line)
		if perr == nil {
			return ev, nil
		}
		if !r.warn(perr) {
			r.err = perr
		}
	}
	return Event{}, r.err
}

func (r *Reader) parse(line []byte) (Event, error) {
	ev := Event{Line: r.line}
	var err error
	if r.format == FormatJSON || line[0] == '{' {
		err = r.dec.decode(line, &ev)
	} else {
		err = parseDNSLine(line, &ev)
	}
	if err != nil {
		return Event{}, r.errorf("%w", err)
	}
	return ev, nil
}

// warn records a skipped line in lenient mode and reports whether it did.
func (r *Reader) warn(err error) bool {
	if !r.opts.Lenient {
		return false
	}
	r.skipped++
	if len(r.warns) < maxWarnings {
		r.warns = append(r.warns, err)
	}
	return true
}

func (r *Reader) errorf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %w: "+format, append([]any{r.name, r.line, pipeline.ErrInvalid}, args...)...)
}

// readLine returns the next line without its newline. A line longer than
// MaxLineBytes is consumed and reported as an error.
func (r *Reader) readLine() ([]byte, error) {
	r.line++
	line, err := r.br.ReadSlice('\n')
	if err == nil || (errors.Is(err, io.EOF) && len(line) > 0) {
		return line, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, readErr(r.name, err)
	}
	buf := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = r.br.ReadSlice('\n')
		if len(buf) <= MaxLineBytes {
			buf = append(buf, line...)
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, readErr(r.name, err)
	}
	if len(buf) > MaxLineBytes {
		lerr := r.errorf("line longer than %d bytes", MaxLineBytes)
		if r.warn(lerr) {
			return nil, nil
		}
		return nil, lerr
	}
	return buf, nil
}

func readErr(name string, err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// Format reports the detected format; FormatUnknown until the first event.
func (r *Reader) Format() Format { return r.format }

// Skipped reports how many lines a lenient Reader has skipped so far.
func (r *Reader) Skipped() int { return r.skipped }

// Warnings returns the first errors of the skipped lines (at most 20).
func (r *Reader) Warnings() []error { return r.warns }
