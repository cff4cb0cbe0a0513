// Package shell is the shell action provider: it runs a list of commands
// (or one script) in one shell session with set -e semantics, with the
// action's artifacts in its environment, and reads chosen environment
// variables back as output variables.
//
// Configuration keys: commands (a list of strings, or one string) or
// script (a string); shell (default /bin/sh); env (a mapping); working_dir
// (relative to the first input artifact, or to the scratch directory when
// the action has no input); exported_variables (names read from the
// shell's environment after the last command). The shell sees
// CODEBUILD_SRC_DIR, INPUT_<name>, OUTPUT_DIR and OUTPUT_<name> (see
// actioncfg.Env).
package shell

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
	"github.com/secpipe/secpipe/internal/provider/internal/proc"
	"github.com/secpipe/secpipe/internal/provider/internal/workspace"
)

// Config configures the provider.
type Config struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// KillGrace is the time between SIGTERM and SIGKILL when an action is
	// cancelled or times out; zero means proc.DefaultGrace.
	KillGrace time.Duration
	// Environ is the environment commands start from; nil means the
	// environment of this process.
	Environ []string
}

// Provider runs shell actions. It is safe for concurrent use.
type Provider struct {
	cfg Config
	log *slog.Logger
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns a shell provider.
func New(cfg Config) *Provider {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{cfg: cfg, log: log}
}

// Name returns "shell".
func (p *Provider) Name() string { return "shell" }

// settings is the decoded configuration of one action.
type settings struct {
	Commands          actioncfg.Strings         `json:"commands"`
	Script            string                    `json:"script"`
	Shell             string                    `json:"shell"`
	Env               map[string]actioncfg.Text `json:"env"`
	WorkingDir        string                    `json:"working_dir"`
	ExportedVariables actioncfg.Strings         `json:"exported_variables"`
}

// Validate checks an action's configuration; errors wrap
// pipeline.ErrInvalid.
func (p *Provider) Validate(cfg map[string]any) error {
	_, err := parse(cfg)
	return err
}

func parse(cfg map[string]any) (settings, error) {
	var s settings
	if err := actioncfg.Decode(cfg, &s); err != nil {
		return s, err
	}
	switch {
	case len(s.Commands) == 0 && s.Script == "":
		return s, fmt.Errorf("%w config: commands or script is required", pipeline.ErrInvalid)
	case len(s.Commands) > 0 && s.Script != "":
		return s, fmt.Errorf("%w config: give commands or script, not both", pipeline.ErrInvalid)
	}
	for _, n := range s.ExportedVariables {
		if actioncfg.EnvName(n) != n || n == "" || n[0] >= '0' && n[0] <= '9' {
			return s, fmt.Errorf("%w config: exported_variables: %q is not a variable name", pipeline.ErrInvalid, n)
		}
	}
	for n := range s.Env {
		if n == "" || strings.ContainsAny(n, "=\x00") {
			return s, fmt.Errorf("%w config: env: %q is not a variable name", pipeline.ErrInvalid, n)
		}
	}
	return s, nil
}

// Run runs the action's commands. A failing command fails the action
// (ActionFailed, naming the command and its exit status); a configuration
// that cannot run is an error; cancelling ctx kills the shell and
// everything it started and returns the context's error.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	s, err := parse(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	shell, err := proc.LookShell(s.Shell)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	scratch, remove, err := workspace.Scratch(req.WorkDir, "shell-")
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	defer remove()
	dir, env, err := p.prepare(req, s, scratch)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	log := proc.NewLineWriter(req.Log)
	defer log.Flush()
	sess, err := proc.StartSession(ctx, proc.SessionConfig{
		Shell: shell, Dir: dir, Env: env, Errexit: true, ScriptDir: scratch, Grace: p.cfg.KillGrace,
	}, log)
	if err != nil {
		return pipeline.ActionResult{}, fmt.Errorf("start %s: %w", shell, err)
	}
	defer sess.Close()
	p.log.Debug("shell action", "action", req.Action.Name, "shell", shell, "dir", dir)
	return run(sess, log, s)
}

// prepare returns the working directory and environment of the commands.
func (p *Provider) prepare(req *pipeline.ActionRequest, s settings, scratch string) (string, []string, error) {
	base, srcDir, primary := req.WorkDir, req.WorkDir, ""
	if base == "" {
		base, srcDir = scratch, scratch
	}
	if in, ok, _ := actioncfg.Primary(req, ""); ok {
		dir, err := workspace.WritableCopy(in.Dir, scratch, "src")
		if err != nil {
			return "", nil, err
		}
		base, srcDir, primary = dir, dir, in.Name
	}
	dir, err := actioncfg.LocalPath(base, s.WorkingDir, "working_dir")
	if err != nil {
		return "", nil, err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", nil, fmt.Errorf("%w config: working_dir: %s is not a directory", pipeline.ErrInvalid, s.WorkingDir)
	}
	env := p.cfg.Environ
	if env == nil {
		env = os.Environ()
	}
	env = append(append([]string(nil), env...), actioncfg.Env(req, primary, srcDir)...)
	for k, v := range s.Env {
		env = append(env, k+"="+string(v))
	}
	return dir, env, nil
}

// run runs the commands in the session and reads the exported variables.
func run(sess *proc.Session, log *proc.LineWriter, s settings) (pipeline.ActionResult, error) {
	commands := []string(s.Commands)
	if s.Script != "" {
		commands = []string{s.Script}
	}
	for i, c := range commands {
		if s.Script == "" {
			log.Line("$ " + actioncfg.Clip(c))
		}
		status, alive, err := sess.Exec(c)
		if err != nil {
			return pipeline.ActionResult{}, fmt.Errorf("run %q: %w", actioncfg.Clip(c), err)
		}
		if status != 0 {
			msg := fmt.Sprintf("command %q exited with status %d", actioncfg.Clip(c), status)
			if s.Script != "" {
				msg = fmt.Sprintf("script exited with status %d", status)
			}
			log.Line(msg)
			return pipeline.ActionResult{State: pipeline.ActionFailed, Message: msg}, nil
		}
		if !alive {
			// "exit 0" ends the commands, successfully, as in a script.
			res := pipeline.ActionResult{State: pipeline.ActionSucceeded}
			if len(s.ExportedVariables) > 0 {
				res.Warnings = append(res.Warnings, "the shell exited before exported_variables could be read")
			}
			if skipped := len(commands) - i - 1; skipped > 0 {
				log.Line(fmt.Sprintf("the shell exited; %d remaining command(s) not run", skipped))
			}
			return res, nil
		}
	}
	vars, err := sess.Vars(s.ExportedVariables)
	if err != nil {
		return pipeline.ActionResult{}, fmt.Errorf("read exported_variables: %w", err)
	}
	res := pipeline.ActionResult{State: pipeline.ActionSucceeded}
	if len(vars) > 0 {
		res.OutputVariables = vars
	}
	for _, n := range s.ExportedVariables {
		if _, ok := vars[n]; !ok {
			res.Warnings = append(res.Warnings, fmt.Sprintf("exported variable %s is not set", n))
			log.Line("warning: exported variable " + n + " is not set")
		}
	}
	return res, nil
}
