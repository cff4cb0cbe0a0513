package telemetry

import (
	"bufio"
	"errors"
	"io"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
)

// MaxLineBytes is the longest strace line Run parses; longer lines (huge
// argument lists) are counted as unparsed and skipped.
const MaxLineBytes = 1 << 20

// parser reads strace's output and hands the events of its tracker to
// the recorder. Not safe for concurrent use; the tracker is used under
// the recorder's lock.
type parser struct {
	tr    *tracker
	rec   *recorder
	stats *Stats
}

// newParser returns a parser of spec's trace writing to out through a
// recorder that orders nothing but the trace.
func newParser(spec sandbox.Spec, out io.Writer, maxEvents int) *parser {
	stats := &Stats{Files: FilesStrace}
	return newParserTo(spec, newRecorder(out, maxEvents, 0, stats))
}

// newParserTo returns a parser of spec's trace feeding rec.
func newParserTo(spec sandbox.Spec, rec *recorder) *parser {
	argv0 := ""
	if len(spec.Argv) > 0 {
		argv0 = spec.Argv[0]
	}
	p := &parser{rec: rec, stats: rec.stats}
	p.tr = newTracker(argv0, spec.Dir, rec.addTrace)
	p.tr.onSend = rec.sent
	p.tr.interpreter = rec.interpreter
	rec.tr = p.tr
	return p
}

// parse reads r to its end, line by line, and hands the calls still held
// back to the recorder; close writes what the recorder holds. Read errors
// end the trace early and are returned.
func (p *parser) parse(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if len(long) <= MaxLineBytes {
				long = append(long, chunk...)
			}
			continue
		case long != nil:
			chunk = append(long, chunk...)
			long = nil
		}
		if len(chunk) > 0 {
			p.line(chunk)
		}
		if err != nil {
			_, _ = io.Copy(io.Discard, br)
			p.rec.mu.Lock()
			p.tr.finish()
			p.rec.mu.Unlock()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// close writes every event still queued and returns the first error of
// the event writer.
func (p *parser) close() error {
	p.rec.finish()
	return p.rec.werr
}

// line handles one line of the trace.
func (p *parser) line(b []byte) {
	p.stats.Lines++
	if len(b) > MaxLineBytes {
		p.stats.Unparsed++
		return
	}
	p.rec.mu.Lock()
	ok := p.tr.line(string(b))
	p.rec.mu.Unlock()
	if !ok {
		p.stats.Unparsed++
	}
}
