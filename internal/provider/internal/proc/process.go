// Package proc runs the commands of action providers: each in its own
// process group, killed as a group (SIGTERM, then SIGKILL after a grace
// period) when its context ends, with nothing of the group left running
// once it has been waited for. It also streams output line by line and
// keeps a shell session alive across commands (see Session).
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// DefaultGrace is how long a process group gets between SIGTERM and
// SIGKILL when no grace period is given.
const DefaultGrace = 5 * time.Second

// Process is a command started by Start. Call Wait exactly once; Wait is
// what kills the rest of the group and releases the output pipes.
type Process struct {
	cmd     *exec.Cmd
	ctx     context.Context
	grace   time.Duration
	readers []*os.File
	copies  sync.WaitGroup
	exited  chan struct{}
	watcher chan struct{}
}

// Start starts cmd in a new process group. Its Stdout and Stderr may be
// any writers: writers that are not files are fed from pipes owned by the
// Process, so a background child that keeps the pipe open cannot make
// Wait hang. When ctx ends, the group receives SIGTERM, and SIGKILL after
// grace (DefaultGrace when zero). Start returns an error when the command
// cannot start; nothing is left running then.
func Start(ctx context.Context, cmd *exec.Cmd, grace time.Duration) (*Process, error) {
	if grace <= 0 {
		grace = DefaultGrace
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.WaitDelay = grace
	p := &Process{cmd: cmd, ctx: ctx, grace: grace, exited: make(chan struct{}), watcher: make(chan struct{})}
	writers, err := p.pipeOutputs()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		p.closeAll(writers)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		p.closeAll(writers)
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	for _, w := range writers {
		_ = w.Close()
	}
	go p.watch()
	return p, nil
}

// pipeOutputs replaces the command's non-file output writers by pipes
// copied to them; Stdout and Stderr share one pipe when they are the same
// writer, so their lines keep their order.
func (p *Process) pipeOutputs() ([]*os.File, error) {
	var writers []*os.File
	shared := sameWriter(p.cmd.Stdout, p.cmd.Stderr)
	for i, dst := range []*io.Writer{&p.cmd.Stdout, &p.cmd.Stderr} {
		if *dst == nil {
			continue
		}
		if _, ok := (*dst).(*os.File); ok {
			continue
		}
		if i == 1 && shared {
			p.cmd.Stderr = p.cmd.Stdout
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			p.closeAll(writers)
			return nil, fmt.Errorf("create output pipe: %w", err)
		}
		p.readers = append(p.readers, r)
		writers = append(writers, w)
		p.copies.Add(1)
		go func(out io.Writer) {
			defer p.copies.Done()
			_, _ = io.Copy(out, r)
		}(*dst)
		*dst = w
	}
	return writers, nil
}

// sameWriter reports whether a and b are the same comparable writer.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a != nil && a == b
}

// closeAll closes the pipes of a command that did not start.
func (p *Process) closeAll(writers []*os.File) {
	for _, w := range writers {
		_ = w.Close()
	}
	for _, r := range p.readers {
		_ = r.Close()
	}
	p.copies.Wait()
}

// watch signals the group when the context ends before the process does.
func (p *Process) watch() {
	defer close(p.watcher)
	select {
	case <-p.exited:
		return
	case <-p.ctx.Done():
	}
	p.signal(syscall.SIGTERM)
	t := time.NewTimer(p.grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		p.signal(syscall.SIGKILL)
	}
}

// signal sends sig to the whole process group.
func (p *Process) signal(sig syscall.Signal) {
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// Pid returns the process id (and group id) of the started command.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the command to exit, then kills whatever is left of its
// group and waits (at most the grace period) for its output to be copied.
// It returns the context's error when the context ended before the
// command did, else the command's error (an *exec.ExitError for a non-zero
// exit status).
func (p *Process) Wait() error {
	err := p.cmd.Wait()
	close(p.exited)
	<-p.watcher
	p.signal(syscall.SIGKILL)
	done := make(chan struct{})
	go func() {
		p.copies.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(p.grace):
	}
	for _, r := range p.readers {
		_ = r.Close()
	}
	<-done
	if ctxErr := p.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return err
}

// ExitStatus returns the exit status an error from Wait stands for: 0 for
// nil, the status of an exit, 128+N for death by signal N, and -1 for
// anything else.
func ExitStatus(err error) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return -1
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return exit.ExitCode()
}

// Run starts cmd with Start and waits for it.
func Run(ctx context.Context, cmd *exec.Cmd, grace time.Duration) error {
	p, err := Start(ctx, cmd, grace)
	if err != nil {
		return err
	}
	return p.Wait()
}
