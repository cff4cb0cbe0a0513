package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// LogPath returns where the log of an action of execution id is kept:
// DataDir/logs/ID/STAGE.ACTION.log, appended to by every attempt. The file
// exists once the action has started.
func (e *Engine) LogPath(id, stage, action string) string {
	return filepath.Join(e.cfg.DataDir, "logs", safeName(id), safeName(stage)+"."+safeName(action)+".log")
}

// workRoot is the directory holding an execution's work directories.
func (e *Engine) workRoot(id string) string {
	return filepath.Join(e.cfg.DataDir, "work", safeName(id))
}

// actionRoot is the directory of an action's artifacts: in/NAME and
// out/NAME.
func (e *Engine) actionRoot(id, stage, action string) string {
	return filepath.Join(e.workRoot(id), safeName(stage)+"."+safeName(action))
}

// safeName makes a name usable as one path element.
func safeName(s string) string {
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

// workspace is the directory tree of one action: ROOT/in/NAME (extracted
// input artifacts) and ROOT/out/NAME (outputs to fill), created only when
// the action has artifacts and kept across continuations, and ROOT.tmp,
// the scratch directory of one invocation.
type workspace struct {
	root    string
	inputs  map[string]string
	outputs map[string]string
	tmp     string
}

// prepareWorkspace builds the workspace of an attempt. A first invocation
// starts from scratch; a continuation reuses the artifact directories of
// the previous invocation (outputs written so far included), which
// completed its preparation before it answered "in progress".
func (e *Engine) prepareWorkspace(ctx context.Context, at *attempt) (*workspace, error) {
	root := e.actionRoot(at.run.ExecutionID, at.run.Stage, at.run.Action)
	ws := &workspace{root: root, inputs: map[string]string{}, outputs: map[string]string{}, tmp: root + ".tmp"}
	for name := range at.inputs {
		ws.inputs[name] = filepath.Join(root, "in", safeName(name))
	}
	for _, name := range at.action.Outputs {
		ws.outputs[name] = filepath.Join(root, "out", safeName(name))
	}
	reuse := false
	if at.token != "" {
		_, err := os.Stat(root)
		reuse = err == nil
	}
	if !reuse && (len(ws.inputs) > 0 || len(ws.outputs) > 0) {
		if err := e.freshWorkspace(ctx, ws, at.inputs); err != nil {
			return nil, err
		}
	}
	if err := os.RemoveAll(ws.tmp); err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	if err := os.MkdirAll(ws.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("work directory: %w", err)
	}
	return ws, nil
}

// freshWorkspace empties the artifact directories, extracts the inputs
// and creates empty output directories.
func (e *Engine) freshWorkspace(ctx context.Context, ws *workspace, digests map[string]string) error {
	if err := os.RemoveAll(ws.root); err != nil {
		return fmt.Errorf("work directory: %w", err)
	}
	for name, dir := range ws.inputs {
		if err := e.cfg.Artifacts.Extract(ctx, digests[name], dir); err != nil {
			return fmt.Errorf("extract input artifact %s: %w", name, err)
		}
	}
	for _, dir := range ws.outputs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("output directory: %w", err)
		}
	}
	return nil
}

// putOutputs stores each output directory as an artifact.
func (e *Engine) putOutputs(ctx context.Context, outputs map[string]string) (map[string]string, error) {
	if len(outputs) == 0 {
		return nil, nil
	}
	digests := make(map[string]string, len(outputs))
	for name, dir := range outputs {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("output artifact %s: %w", name, err)
			}
		}
		d, err := e.cfg.Artifacts.Put(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("store output artifact %s: %w", name, err)
		}
		digests[name] = d
	}
	return digests, nil
}

// actionLog is an action's log file, safe for concurrent writes, which
// also streams what it gets to subscribers. The file is created on the
// first write, so an action that says nothing costs no file.
type actionLog struct {
	mu     sync.Mutex
	path   string
	f      *os.File
	err    error
	header string // written before the first output
	hub    *hub
	stream Event // template for EventLog events; zero when nobody listens
}

// openLog prepares the log of an attempt (appending to the action's log).
func (e *Engine) openLog(at *attempt) *actionLog {
	path := at.run.LogPath
	if path == "" {
		path = e.LogPath(at.run.ExecutionID, at.run.Stage, at.run.Action)
	}
	l := &actionLog{path: path, hub: e.hub}
	if e.hub.active(at.run.ExecutionID) {
		l.stream = Event{Kind: EventLog, ExecutionID: at.run.ExecutionID, Stage: at.run.Stage,
			Action: at.run.Action, Attempt: at.run.Attempt}
	}
	return l
}

// open creates the file when needed; the lock must be held.
func (l *actionLog) open() error {
	if l.f != nil || l.err != nil {
		return l.err
	}
	if l.err = os.MkdirAll(filepath.Dir(l.path), 0o755); l.err != nil {
		return l.err
	}
	l.f, l.err = os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if l.err != nil {
		return l.err
	}
	if l.header != "" {
		_, l.err = l.f.WriteString(l.header)
	}
	return l.err
}

// Write appends p to the log.
func (l *actionLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.open(); err != nil {
		return 0, fmt.Errorf("action log: %w", err)
	}
	n, err := l.f.Write(p)
	if l.stream.Kind != "" && n > 0 {
		ev := l.stream
		ev.Time = time.Now()
		ev.Log = append([]byte(nil), p[:n]...)
		l.hub.publish(ev)
	}
	return n, err
}

// Header sets the line written before the attempt's first output.
func (l *actionLog) Header(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.header = fmt.Sprintf("[secpipe] "+format+"\n", args...)
}

// Printf writes an engine line to the log.
func (l *actionLog) Printf(format string, args ...any) {
	_, _ = fmt.Fprintf(l, "[secpipe] "+format+"\n", args...)
}

// Opened reports whether anything was written.
func (l *actionLog) Opened() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f != nil
}

// Close closes the file, if any; later writes fail.
func (l *actionLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = os.ErrClosed
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
