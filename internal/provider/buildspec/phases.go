package buildspec

import (
	"context"
	"fmt"

	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
	"github.com/secpipe/secpipe/internal/provider/internal/proc"
	"github.com/secpipe/secpipe/internal/spec"
)

// The on-failure values. An empty one follows CodeBuild's phase
// transitions.
const (
	onFailureAbort    = "ABORT"
	onFailureContinue = "CONTINUE"
)

// build is one run of a buildspec. It is used by one goroutine.
type build struct {
	spec     *spec.Buildspec
	warnings []string
	srcDir   string
	log      *proc.LineWriter
	session  proc.SessionConfig

	ctx  context.Context
	sess *proc.Session
	// failure is the first phase failure, empty while the build succeeds.
	failure string
	// ran says whether any phase ran (reports are read only then).
	ran bool
	// lost says a command ended the shell, and with it what the commands
	// had set.
	lost bool
}

// runPhases runs the phases in order, following the on-failure rules. It
// returns an error only when the build could not go on at all (ctx ended,
// the shell could not start).
func (b *build) runPhases(ctx context.Context) error {
	b.ctx = ctx
	stop := false
	for _, ph := range b.spec.Phases {
		if stop {
			b.log.Line(fmt.Sprintf("[%s] skipped: the build failed", ph.Name))
			continue
		}
		b.ran = true
		msg, err := b.phase(ph)
		if err != nil {
			return err
		}
		if msg == "" {
			continue
		}
		if b.failure == "" {
			b.failure = fmt.Sprintf("phase %s failed: %s", ph.Name, msg)
		}
		switch ph.OnFailure {
		case onFailureContinue:
		case onFailureAbort:
			stop = true
		default:
			// CodeBuild's transitions: a failed install or pre_build ends
			// the build; a failed build goes on to post_build.
			stop = ph.Name == "install" || ph.Name == "pre_build"
		}
	}
	return nil
}

// phase runs one phase: its commands up to the first failure, then its
// finally commands up to theirs. It returns what failed, or "".
func (b *build) phase(ph spec.Phase) (string, error) {
	if err := b.setSucceeding(); err != nil {
		return "", err
	}
	b.log.Line(fmt.Sprintf("[%s] entering phase", ph.Name))
	failed, err := b.commands(ph.Name, ph.Commands)
	if err != nil {
		return "", err
	}
	finallyFailed, err := b.commands(ph.Name+" finally", ph.Finally)
	if err != nil {
		return "", err
	}
	if failed == "" {
		failed = finallyFailed
	}
	state := "SUCCEEDED"
	if failed != "" {
		state = "FAILED: " + failed
	}
	b.log.Line(fmt.Sprintf("[%s] phase complete: %s", ph.Name, state))
	return failed, nil
}

// commands runs commands up to the first failure and describes it.
func (b *build) commands(label string, commands []string) (string, error) {
	for _, c := range commands {
		b.log.Line(fmt.Sprintf("[%s] running command: %s", label, actioncfg.Clip(c)))
		status, err := b.exec(c)
		if err != nil {
			return "", err
		}
		if status != 0 {
			return fmt.Sprintf("command %q exited with status %d", actioncfg.Clip(c), status), nil
		}
	}
	return "", nil
}

// exec runs one command in the session, starting a new session first when
// the last one ended (a command ran exit): state set by earlier commands
// is lost then, which the log says.
func (b *build) exec(command string) (int, error) {
	if b.sess == nil {
		if err := b.start(); err != nil {
			return 0, err
		}
	}
	status, alive, err := b.sess.Exec(command)
	if err != nil {
		return 0, err
	}
	if !alive {
		_ = b.sess.Close()
		b.sess = nil
		b.lost = true
		b.log.Line(fmt.Sprintf("the shell exited with status %d; later commands run in a new shell, without the variables set so far", status))
	}
	return status, nil
}

// start starts a shell session.
func (b *build) start() error {
	sess, err := proc.StartSession(b.ctx, b.session, b.log)
	if err != nil {
		return fmt.Errorf("start the build shell: %w", err)
	}
	b.sess = sess
	return nil
}

// setSucceeding sets CODEBUILD_BUILD_SUCCEEDING to 0 once the build has
// failed, for the phases that still run.
func (b *build) setSucceeding() error {
	if b.failure == "" {
		return nil
	}
	b.session.Env = append(b.session.Env, "CODEBUILD_BUILD_SUCCEEDING=0")
	if b.sess == nil {
		return nil
	}
	_, err := b.exec("CODEBUILD_BUILD_SUCCEEDING=0; export CODEBUILD_BUILD_SUCCEEDING")
	return err
}

// close ends the session, if one is open.
func (b *build) close() {
	if b.sess != nil {
		_ = b.sess.Close()
		b.sess = nil
	}
}
