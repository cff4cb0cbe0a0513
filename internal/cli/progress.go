package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// drainWait bounds how long the summary waits for progress lines still
// being printed.
const drainWait = time.Second

// progress prints an execution's stage and action changes as they happen,
// one line each, and with verbose the actions' log lines, prefixed with
// the action they come from.
type progress struct {
	w       io.Writer
	verbose bool
	color   bool

	mu      sync.Mutex
	pending map[string]*bytes.Buffer // partial log lines per action
	idle    *sync.Cond
	busy    int

	// On a terminal, a status line below the progress lines shows a
	// spinner and the actions running, with their elapsed time.
	running map[string]time.Time
	footer  bool // the status line is on screen
	frame   int
}

// spinnerFrames animate the status line.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func newProgress(e *env, verbose bool) *progress {
	p := &progress{w: e.stdout, verbose: verbose, color: e.colour(&gateFlags{}),
		pending: map[string]*bytes.Buffer{}, running: map[string]time.Time{}}
	p.idle = sync.NewCond(&p.mu)
	return p
}

// follow prints the engine's events until the returned function is called.
func (p *progress) follow(eng *engine.Engine) func() {
	ch, cancel := eng.Subscribe("")
	go func() {
		for ev := range ch {
			p.mu.Lock()
			p.busy++
			p.clearFooter()
			p.track(ev)
			p.print(ev)
			p.busy--
			p.idle.Broadcast()
			p.mu.Unlock()
		}
	}()
	stop := make(chan struct{})
	if p.color {
		go p.spin(stop)
	}
	return func() {
		cancel()
		close(stop)
		p.mu.Lock()
		p.clearFooter()
		p.mu.Unlock()
	}
}

// track keeps the set of running actions for the status line.
func (p *progress) track(ev engine.Event) {
	if ev.Kind != engine.EventAction {
		return
	}
	key := ev.Stage + "/" + ev.Action
	if ev.Status == pipeline.StatusRunning {
		p.running[key] = ev.Time
	} else {
		delete(p.running, key)
	}
}

// spin redraws the status line until stop is closed.
func (p *progress) spin(stop <-chan struct{}) {
	t := time.NewTicker(120 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		p.drawFooter()
		p.mu.Unlock()
	}
}

// drawFooter writes the status line: a spinner and the running actions.
// It is called with p.mu held.
func (p *progress) drawFooter() {
	if len(p.running) == 0 {
		p.clearFooter()
		return
	}
	keys := make([]string, 0, len(p.running))
	for k := range p.running {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, time.Since(p.running[k]).Round(time.Second)))
	}
	p.frame = (p.frame + 1) % len(spinnerFrames)
	line := spinnerFrames[p.frame] + " running: " + strings.Join(parts, ", ")
	if r := []rune(line); len(r) > 120 {
		line = string(r[:117]) + "..."
	}
	fmt.Fprint(p.w, "\r\x1b[K"+line)
	p.footer = true
}

// clearFooter erases the status line so a progress line can take its
// place. It is called with p.mu held.
func (p *progress) clearFooter() {
	if p.footer {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.footer = false
	}
}

// drain gives the printer a moment to finish the events already sent.
func (p *progress) drain() {
	deadline := time.Now().Add(drainWait)
	time.Sleep(20 * time.Millisecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.busy > 0 && time.Now().Before(deadline) {
		p.idle.Wait()
	}
	p.clearFooter()
	clear(p.running)
	for key, buf := range p.pending {
		if buf.Len() > 0 {
			fmt.Fprintf(p.w, "  %s | %s\n", key, buf.String())
		}
		delete(p.pending, key)
	}
}

// print writes one event. It is called with p.mu held.
func (p *progress) print(ev engine.Event) {
	ts := ev.Time.Local().Format("15:04:05")
	switch ev.Kind {
	case engine.EventExecution:
		fmt.Fprintf(p.w, "%s execution %s %s%s\n", ts, ev.ExecutionID, p.status(ev.Status), suffix(ev.Message))
	case engine.EventStage:
		fmt.Fprintf(p.w, "%s [%s] %s%s\n", ts, ev.Stage, p.status(ev.Status), suffix(ev.Message))
	case engine.EventAction:
		attempt := ""
		if ev.Attempt > 1 {
			attempt = fmt.Sprintf(" (attempt %d)", ev.Attempt)
		}
		fmt.Fprintf(p.w, "%s [%s] %s: %s%s%s\n", ts, ev.Stage, ev.Action, p.status(ev.Status), attempt, suffix(ev.Message))
	case engine.EventLog:
		if p.verbose {
			p.logLines(ev.Stage+"/"+ev.Action, ev.Log)
		}
	}
}

// logLines prints the complete lines of a log chunk, keeping a partial
// last line for the next chunk.
func (p *progress) logLines(key string, chunk []byte) {
	buf := p.pending[key]
	if buf == nil {
		buf = &bytes.Buffer{}
		p.pending[key] = buf
	}
	buf.Write(chunk)
	data := buf.Bytes()
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data[:last+1]))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fmt.Fprintf(p.w, "  %s | %s\n", key, sc.Text())
	}
	rest := append([]byte(nil), data[last+1:]...)
	buf.Reset()
	buf.Write(rest)
}

// status renders a status word, coloured on a terminal.
func (p *progress) status(s pipeline.Status) string {
	if !p.color {
		return string(s)
	}
	code := ansiYellow
	switch s {
	case pipeline.StatusSucceeded:
		code = ansiGreen
	case pipeline.StatusFailed, pipeline.StatusCancelled:
		code = ansiRed
	case pipeline.StatusSkipped, pipeline.StatusSuperseded:
		code = ansiGrey
	}
	return code + string(s) + ansiReset
}

// ANSI colours of the progress lines.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiGrey   = "\x1b[90m"
)

// suffix renders a message after a status: " — message".
func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " — " + oneLine(msg)
}

// newTable returns an aligned table writer.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
}
