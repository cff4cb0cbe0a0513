// Package telemetry records what a sandboxed command does — the programs it
// runs, the addresses it connects to, the DNS questions it sends, the files
// it changes and the ports it listens on — as the JSON-lines event log that
// internal/scan/threat reads.
//
// It runs bubblewrap (see package sandbox) under strace, which follows every
// process of the sandbox with ptrace: nothing is installed in the kernel.
// strace writes its trace to a FIFO in a private temporary directory, and
// Run turns it into events line by line while the command runs. Events
// start with the execve of the command inside the sandbox; bwrap's own
// setup is never reported. PIDs are the host's (strace's PID namespace);
// paths are as the sandboxed processes see them.
//
// When the root is a filesystem of its own, fanotify (package fswatch)
// records the changes and executions of its files instead of strace's
// view of the paths programs pass (Options.WatchRoot), and the
// connections a sinkhole saw can join the log (Options.Conns). The sources
// are merged in time order; see recorder.
package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/executor/sandbox"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// DefaultMaxEvents is the bound on events of one run when
// Options.MaxEvents is 0.
const DefaultMaxEvents = 1_000_000

// killGrace bounds how long Run waits for output pipes after a kill.
const killGrace = 2 * time.Second

// traced are the system calls strace reports. Beyond the changes the log
// records, clone and friends give parents, socket/pipe/dup/close follow
// what descriptors 0-2 are, chdir gives relative paths a base, and write
// carries DNS questions on connected sockets.
const traced = "trace=execve,execveat,clone,clone3,fork,vfork,chdir,fchdir," +
	"socket,socketpair,pipe,pipe2,connect,accept,accept4,bind,listen,sendto,sendmsg,sendmmsg,write," +
	"openat,open,creat,rename,renameat,renameat2,chmod,fchmodat,unlink,unlinkat,dup,dup2,dup3,close"

// Options tunes Run. The zero value works.
type Options struct {
	// Timeout bounds the whole run; 0 means only ctx does. When it
	// expires the sandbox is killed and Run returns an error wrapping
	// context.DeadlineExceeded.
	Timeout time.Duration
	// MaxEvents bounds the events written; later ones are counted in
	// Stats.Dropped. 0 means DefaultMaxEvents.
	MaxEvents int
	// Strace is the strace program; "" looks it up on PATH. It must know
	// --pidns-translation (strace 5.9 or later).
	Strace string
	// WatchRoot records the changes and executions of the files of
	// spec.Root with fanotify (package fswatch) instead of following
	// paths in the trace. spec.Root must be the root of a filesystem of
	// its own (fswatch.MountTmpfs). When fanotify cannot start (no root,
	// an old kernel, a plain directory), Run records file changes from
	// the trace, logs why once and says so in Stats.
	WatchRoot bool
	// Conns, when set, delivers the connections the sandbox's network
	// saw (a sinkhole's): Run merges them into the log as connect events
	// until the command has ended and what is buffered is read. Run never
	// closes it.
	Conns <-chan Conn
	// Logger receives the notice of a fallback; nil discards it.
	Logger *slog.Logger
}

// Conn is a connection or datagram the sandbox's network received.
type Conn struct {
	Time time.Time
	// Proto is "tcp" or "udp".
	Proto string
	// Src is the sender's address and port; Dst the address it was sent
	// to (the original destination, before the sinkhole took it).
	Src, Dst netip.AddrPort
	// Bytes is the size received; Data the first bytes, hex-encoded and
	// shortened.
	Bytes int
	Data  string
}

// What Stats.Files says recorded file changes.
const (
	FilesFanotify = "fanotify"
	FilesStrace   = "strace"
)

// Stats counts what Run read and wrote.
type Stats struct {
	// Events is the number of events written.
	Events int
	// Dropped is the number of events past Options.MaxEvents.
	Dropped int
	// Lines is the number of lines strace wrote.
	Lines int
	// Unparsed is the number of lines that did not have strace's shape
	// (or were longer than MaxLineBytes).
	Unparsed int
	// Files is what recorded file changes: FilesFanotify or FilesStrace.
	Files string
	// FanotifyError says why fanotify did not start when it was asked
	// to.
	FanotifyError string
	// FilesLost counts fanotify's events lost to a queue overflow or
	// whose path could not be found.
	FilesLost int
	// Conns is the number of connections merged from Options.Conns.
	Conns int
}

// mergeLag is how long an event waits for the events of the other
// sources that happened before it; flushEvery is how often the waiting
// events are checked.
const (
	mergeLag   = 500 * time.Millisecond
	flushEvery = 100 * time.Millisecond
)

// Run runs spec.Argv in a bubblewrap sandbox, as sandbox.Run does, under
// strace, and writes what it does to events as JSON lines (the event log of
// package threat), each with a single Write call, while it runs: the
// trace's events, fanotify's (Options.WatchRoot) and the network's
// (Options.Conns) merged in time order, each written once it is about
// half a second old. It returns the command's exit code (128+N for a
// signal N) with a nil error, whatever the code, and the counts of what
// it read and wrote.
//
// An error means the command did not run to its end or its events could
// not be written: the spec is invalid (wraps pipeline.ErrInvalid); strace
// or bwrap is missing (wraps pipeline.ErrNotFound); bwrap or strace could
// not start the command (the error quotes their message); ctx was
// cancelled or Options.Timeout expired (the sandbox is killed and ctx's
// error is wrapped); or events returned an error, which is wrapped (the
// command still runs to its end, its trace is read and discarded). Run may
// be called concurrently for different roots; events is written from one
// goroutine at a time.
func Run(ctx context.Context, spec sandbox.Spec, events io.Writer, opts Options) (int, Stats, error) {
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	strace, err := lookTool(opts.Strace, "strace", "strace")
	if err != nil {
		return -1, Stats{}, err
	}
	bwrap, args, cleanup, err := sandbox.Command(spec)
	if err != nil {
		return -1, Stats{}, fmt.Errorf("telemetry: %w", err)
	}
	defer cleanup()
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	trace, err := openTrace()
	if err != nil {
		return -1, Stats{}, err
	}
	defer trace.close()
	stats := &Stats{Files: FilesStrace}
	rec := newRecorder(events, opts.MaxEvents, 0, stats)
	if root, err := os.OpenRoot(spec.Root); err == nil {
		rec.root = root
	}
	p := newParserTo(spec, rec)
	src := &sources{rec: rec, conns: opts.Conns}
	if opts.WatchRoot {
		src.watch(spec, opts.Logger)
	}
	if src.w != nil || opts.Conns != nil {
		rec.lag = mergeLag
	}
	src.start()
	defer src.stop()
	argv := append(straceArgs(trace.path), bwrap)
	argv = append(argv, args...)
	code, err := run(ctx, spec, strace, argv, trace, p)
	src.stop()
	werr := p.close() // what was recorded is written, whatever happened
	if err != nil {
		return code, *stats, err
	}
	if werr != nil {
		return code, *stats, fmt.Errorf("telemetry: write events: %w", werr)
	}
	return code, *stats, nil
}

// lookTool finds a program: prog itself when it is a path, else name on
// PATH; the error names the Debian package.
func lookTool(prog, name, pkg string) (string, error) {
	if prog == "" {
		prog = name
	}
	p, err := exec.LookPath(prog)
	if err != nil {
		return "", fmt.Errorf("telemetry: %s is not installed: apt-get install %s: %w", prog, pkg, pipeline.ErrNotFound)
	}
	return p, nil
}

// straceArgs is strace's command line up to the traced program.
func straceArgs(out string) []string {
	return []string{"-f", "-qq", "-ttt", "--pidns-translation", "-s", "512", "-xx",
		"-e", traced, "-e", "signal=none", "-o", out, "--"}
}

// run starts strace with argv in its own process group, parses its trace
// while it runs and waits for both.
func run(ctx context.Context, spec sandbox.Spec, strace string, argv []string, trace *traceFIFO, p *parser) (int, error) {
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("telemetry: %w", err)
	}
	defer statusR.Close()
	tail := &tailWriter{}
	cmd := exec.CommandContext(ctx, strace, argv...)
	cmd.Stdout, cmd.Stderr = outputs(spec.Stdout, spec.Stderr, tail)
	cmd.ExtraFiles = []*os.File{statusW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = killGrace
	if err := cmd.Start(); err != nil {
		statusW.Close()
		return -1, fmt.Errorf("telemetry: start strace: %w", err)
	}
	statusW.Close()
	parsed := make(chan error, 1)
	go func() { parsed <- p.parse(trace.r) }()
	status := make(chan *int, 1)
	go func() { status <- readExitCode(statusR) }()
	waitErr := cmd.Wait()
	trace.closeWriter() // strace is gone: the parser reads to the end
	readErr := <-parsed
	if ctx.Err() != nil {
		return -1, fmt.Errorf("telemetry: %w", ctx.Err())
	}
	code := <-status
	if code == nil {
		return -1, fmt.Errorf("telemetry: bwrap could not run the command under strace (%v): %s", waitErr, tail.String())
	}
	if readErr != nil {
		return *code, fmt.Errorf("telemetry: read the trace: %w", readErr)
	}
	return *code, nil
}
