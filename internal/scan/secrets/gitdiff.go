package secrets

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// diffParser reads the output of git log -p -U0 (or git diff -U0) and
// collects, per commit and file, the added lines with their line numbers
// in the new file. Each collection becomes one gitUnit; a collection
// larger than unitMax is cut into units that overlap by maxLen, like a
// large file. Units travel to out in batches of about batchBytes, so that
// the many small diffs of a history cost few channel hand-offs.
type diffParser struct {
	ctx             context.Context
	out             chan<- gitBatch
	maxLen, unitMax int
	staged          bool

	seq        int
	batch      []gitUnit
	batchBytes int
	commit     *commit
	// path is the file whose lines are being collected; "" skips lines.
	path string
	// skip ignores everything up to the next file or commit (combined
	// diffs of merges, which show no added lines of their own).
	skip bool
	text []byte
	// lines holds the new-file line number of each line of text.
	lines []int32
	sp    span
	// In a hunk: the old and new lines still expected, and the number of
	// the next new line.
	oldLeft, newLeft, newLine int
}

// parse reads r to its end and sends the units found.
func (p *diffParser) parse(r io.Reader) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			if perr := p.line(line); perr != nil {
				return perr
			}
		}
		if errors.Is(err, io.EOF) {
			if err := p.flush(); err != nil {
				return err
			}
			return p.sendBatch()
		}
		if err != nil {
			return err
		}
	}
}

// line handles one line of output, newline included.
func (p *diffParser) line(l []byte) error {
	if p.oldLeft > 0 || p.newLeft > 0 {
		switch l[0] {
		case '+':
			if p.newLeft > 0 {
				p.newLeft--
				return p.add(l[1:])
			}
		case '-':
			if p.oldLeft > 0 {
				p.oldLeft--
				return nil
			}
		case '\\':
			return nil
		}
		// The hunk ended early: read the line as a header.
		p.oldLeft, p.newLeft = 0, 0
	}
	switch {
	case l[0] == '\x1e':
		if err := p.flush(); err != nil {
			return err
		}
		p.commit, p.path, p.skip = parseCommit(l[1:]), "", false
	case bytes.HasPrefix(l, []byte("diff --git ")):
		if err := p.flush(); err != nil {
			return err
		}
		p.path, p.skip = "", false
	case bytes.HasPrefix(l, []byte("diff ")):
		if err := p.flush(); err != nil {
			return err
		}
		p.path, p.skip = "", true
	case p.skip:
	case bytes.HasPrefix(l, []byte("+++ ")):
		p.path = parseDiffPath(l[4:])
	case bytes.HasPrefix(l, []byte("@@ ")):
		p.hunk(l)
	}
	return nil
}

// hunk reads a hunk header "@@ -a[,b] +c[,d] @@".
func (p *diffParser) hunk(l []byte) {
	fields := strings.Fields(string(l))
	if len(fields) < 3 {
		return
	}
	_, oldCount := parseRange(fields[1], "-")
	newStart, newCount := parseRange(fields[2], "+")
	p.oldLeft, p.newLeft, p.newLine = oldCount, newCount, newStart
}

// parseRange parses "-a,b" or "+c,d" (",b" defaults to 1).
func parseRange(f, sign string) (start, count int) {
	f, ok := strings.CutPrefix(f, sign)
	if !ok {
		return 0, 0
	}
	s, c, hasCount := strings.Cut(f, ",")
	start, _ = strconv.Atoi(s)
	count = 1
	if hasCount {
		count, _ = strconv.Atoi(c)
	}
	return start, max(count, 0)
}

// parseDiffPath reads the path of a "+++ " line: "b/dir/file", a quoted
// C-style string for unusual names, or /dev/null for a deleted file ("").
func parseDiffPath(f []byte) string {
	s := strings.TrimRight(string(f), "\r\n")
	if strings.HasPrefix(s, `"`) {
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
	}
	if s == "/dev/null" {
		return ""
	}
	// A name holding a tab gets one after it ("b/file\t"), to mark its end.
	s = strings.TrimSuffix(s, "\t")
	return strings.TrimPrefix(s, "b/")
}

// parseCommit reads the header printed by gitFormat.
func parseCommit(l []byte) *commit {
	parts := strings.SplitN(strings.TrimRight(string(l), "\r\n"), "\x1f", 4)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	date, _ := time.Parse(time.RFC3339, parts[3])
	return &commit{hash: parts[0], author: parts[1], email: parts[2], date: date}
}

// add appends one added line (newline included, if any) to the unit.
func (p *diffParser) add(l []byte) error {
	n := p.newLine
	p.newLine++
	if p.path == "" {
		return nil
	}
	l = bytes.TrimSuffix(l, []byte{'\n'})
	p.text = append(append(p.text, l...), '\n')
	p.lines = append(p.lines, int32(n))
	if len(p.text) >= p.unitMax {
		return p.split()
	}
	return nil
}

// split sends the collected text up to a cut and keeps the overlap.
func (p *diffParser) split() error {
	own, carry := cut(p.text, p.maxLen)
	if err := p.send(own); err != nil {
		return err
	}
	k := bytes.Count(p.text[:carry], []byte{'\n'})
	if ls := bytes.LastIndexByte(p.text[:carry], '\n'); ls >= 0 {
		p.sp.col = carry - ls - 1
	} else {
		p.sp.col += carry
	}
	p.text = append(make([]byte, 0, p.unitMax+p.maxLen), p.text[carry:]...)
	p.lines = append([]int32(nil), p.lines[k:]...)
	p.sp.from = own - carry
	return nil
}

// flush sends the text collected for the current file, if any.
func (p *diffParser) flush() error {
	if len(p.text) == 0 {
		p.sp = span{}
		return nil
	}
	err := p.send(len(p.text))
	p.text, p.lines, p.sp = nil, nil, span{}
	return err
}

// send queues the collected text for a worker; matches starting before
// own belong to this unit.
func (p *diffParser) send(own int) error {
	src := &source{path: p.path, commit: p.commit, staged: p.staged, lines: p.lines}
	p.batch = append(p.batch, gitUnit{src: src, sp: span{buf: p.text, from: p.sp.from, own: own, line: 1, col: p.sp.col}})
	p.batchBytes += len(p.text) + 64
	if p.batchBytes >= batchBytes {
		return p.sendBatch()
	}
	return nil
}

// batchBytes is about how much text a batch of units carries.
const batchBytes = 128 << 10

// sendBatch hands the queued units to the workers.
func (p *diffParser) sendBatch() error {
	if len(p.batch) == 0 {
		return nil
	}
	b := gitBatch{seq: p.seq, units: p.batch}
	p.seq++
	p.batch, p.batchBytes = nil, 0
	select {
	case p.out <- b:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}
