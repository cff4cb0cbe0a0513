package proc

import (
	"bytes"
	"io"
	"sync"
)

// maxLine is the longest line a LineWriter holds back; longer ones are
// written in pieces of this size.
const maxLine = 64 << 10

// LineWriter passes what is written to it on to another writer in whole
// lines, so that output of concurrent writers (a command's output and the
// provider's own messages) never interleaves within a line. It is safe for
// concurrent use; call Flush at the end to write a last unterminated line.
type LineWriter struct {
	mu  sync.Mutex
	dst io.Writer
	buf []byte
}

// NewLineWriter returns a LineWriter writing to dst; a nil dst discards.
func NewLineWriter(dst io.Writer) *LineWriter {
	if dst == nil {
		dst = io.Discard
	}
	return &LineWriter{dst: dst}
}

// Write buffers p and writes every line it completes. It never fails:
// errors of the destination are dropped, since a log that cannot be
// written must not stop a build.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		_, _ = w.dst.Write(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
	for len(w.buf) >= maxLine {
		_, _ = w.dst.Write(append(w.buf[:maxLine:maxLine], '\n'))
		w.buf = w.buf[maxLine:]
	}
	if len(w.buf) == 0 {
		w.buf = nil
	}
	return len(p), nil
}

// Line writes s as one whole line, after any pending unterminated one.
func (w *LineWriter) Line(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	_, _ = io.WriteString(w.dst, s+"\n")
}

// Flush writes a pending unterminated line, ending it with a newline.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
}

func (w *LineWriter) flushLocked() {
	if len(w.buf) == 0 {
		return
	}
	_, _ = w.dst.Write(append(w.buf, '\n'))
	w.buf = nil
}
