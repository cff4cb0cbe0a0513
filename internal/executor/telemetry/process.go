package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// traceFIFO is the named pipe strace writes its trace to. It lives in a
// private temporary directory outside the sandbox's root, and strace opens
// it close-on-exec, so the sandboxed processes can neither see nor forge
// it. Run holds a write end of its own until strace is gone, so the reader
// neither blocks opening the FIFO nor sees its end before strace opened it.
type traceFIFO struct {
	dir  string
	path string
	r, w *os.File
}

// openTrace creates the FIFO and opens both its ends.
func openTrace() (*traceFIFO, error) {
	dir, err := os.MkdirTemp("", "secpipe-trace-")
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	t := &traceFIFO{dir: dir, path: filepath.Join(dir, "strace")}
	if err := syscall.Mkfifo(t.path, 0o600); err != nil {
		t.close()
		return nil, fmt.Errorf("telemetry: mkfifo: %w", err)
	}
	// O_NONBLOCK lets the read end open with no writer yet; the runtime's
	// poller then waits for data.
	if t.r, err = os.OpenFile(t.path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err != nil {
		t.close()
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if t.w, err = os.OpenFile(t.path, os.O_WRONLY, 0); err != nil {
		t.close()
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	return t, nil
}

// closeWriter closes Run's own write end.
func (t *traceFIFO) closeWriter() {
	if t.w != nil {
		t.w.Close()
		t.w = nil
	}
}

// close closes both ends and removes the directory.
func (t *traceFIFO) close() {
	t.closeWriter()
	if t.r != nil {
		t.r.Close()
	}
	os.RemoveAll(t.dir)
}

// readExitCode reads bwrap's --json-status-fd documents until the pipe
// closes and returns the command's exit code, nil when bwrap reported
// none.
func readExitCode(r io.Reader) *int {
	var code *int
	dec := json.NewDecoder(r)
	for {
		var doc struct {
			ExitCode *int `json:"exit-code"`
		}
		if err := dec.Decode(&doc); err != nil {
			_, _ = io.Copy(io.Discard, r)
			return code
		}
		if doc.ExitCode != nil {
			code = doc.ExitCode
		}
	}
}

// outputs wraps the caller's writers so that bwrap's and strace's own
// messages can be quoted in errors; one writer given twice stays one.
func outputs(stdout, stderr io.Writer, tail *tailWriter) (io.Writer, io.Writer) {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	tail.w = stderr
	if stdout == stderr {
		return tail, tail
	}
	return stdout, tail
}

// tailKeep is how much of the stream a tailWriter keeps.
const tailKeep = 1024

// tailWriter passes writes to w and keeps the last bytes written.
type tailWriter struct {
	w    io.Writer
	last []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.last = append(t.last, p...)
	if len(t.last) > tailKeep {
		t.last = append(t.last[:0:0], t.last[len(t.last)-tailKeep:]...)
	}
	return t.w.Write(p)
}

// String returns the kept bytes, trimmed.
func (t *tailWriter) String() string { return strings.TrimSpace(string(t.last)) }
