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

// parser reads strace's output and writes the events of its tracker.
// Not safe for concurrent use.
type parser struct {
	tr    *tracker
	out   io.Writer
	max   int
	werr  error
	stats Stats
}

func newParser(spec sandbox.Spec, out io.Writer, maxEvents int) *parser {
	p := &parser{out: out, max: maxEvents}
	argv0 := ""
	if len(spec.Argv) > 0 {
		argv0 = spec.Argv[0]
	}
	p.tr = newTracker(argv0, spec.Dir, p.write)
	return p
}

// write writes one event unless the bound is reached or a write failed.
func (p *parser) write(r *record) {
	if p.werr != nil || p.stats.Events >= p.max {
		p.stats.Dropped++
		return
	}
	if _, err := p.out.Write(r.marshal()); err != nil {
		p.werr = err
		p.stats.Dropped++
		return
	}
	p.stats.Events++
}

// parse reads r to its end, line by line. It returns the first error of
// the event writer; read errors end the trace early and are returned too.
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
			p.tr.finish()
			if errors.Is(err, io.EOF) {
				return p.werr
			}
			return errors.Join(p.werr, err)
		}
	}
}

// line handles one line of the trace.
func (p *parser) line(b []byte) {
	p.stats.Lines++
	if len(b) > MaxLineBytes || !p.tr.line(string(b)) {
		p.stats.Unparsed++
	}
}
