// Package buildspec is the buildspec action provider: it runs a CodeBuild
// buildspec (version 0.2) on this machine. The phases install, pre_build,
// build and post_build run in that order in one shell session, so
// variables, exports and the working directory carry from command to
// command and phase to phase. Phase failures follow CodeBuild's phase
// transitions: a failed install or pre_build ends the build; a failed
// build still runs post_build; on-failure ABORT ends the build at any
// phase and CONTINUE goes on to the next phase (the build still fails).
// Each phase's finally commands run whether its commands failed or not.
// CODEBUILD_BUILD_SUCCEEDING is 1 until a phase fails, 0 after.
//
// env.variables are set for the commands (the action's env config
// overrides them), env.exported-variables become output variables once
// the build succeeds, artifacts.files (doublestar globs relative to
// base-directory; discard-paths flattens) are copied into the action's
// first output artifact, and JUnit XML reports become test results (the
// build's status decides the action, failing tests only get noted).
// Fields that cannot apply locally produce warnings.
//
// Configuration keys: buildspec (a path inside the primary input
// artifact, default buildspec.yml) or buildspec_inline (the YAML text);
// primary_source (the name of the input artifact to build, default the
// first); env (a mapping of environment variables).
//
// The primary input's directory is CODEBUILD_SRC_DIR and the working
// directory; other inputs are CODEBUILD_SRC_DIR_<name>. A read-only input
// is built in a writable copy.
package buildspec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
	"github.com/secpipe/secpipe/internal/provider/internal/proc"
	"github.com/secpipe/secpipe/internal/provider/internal/workspace"
	"github.com/secpipe/secpipe/internal/spec"
)

// DefaultFile is the buildspec file read when the configuration names
// none.
const DefaultFile = "buildspec.yml"

// Config configures the provider.
type Config struct {
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// KillGrace is the time between SIGTERM and SIGKILL when an action is
	// cancelled or times out; zero means proc.DefaultGrace.
	KillGrace time.Duration
	// Environ is the environment builds start from; nil means the
	// environment of this process.
	Environ []string
}

// Provider runs buildspec actions. It is safe for concurrent use.
type Provider struct {
	cfg Config
	log *slog.Logger
}

var _ pipeline.Provider = (*Provider)(nil)

// New returns a buildspec provider.
func New(cfg Config) *Provider {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Provider{cfg: cfg, log: log}
}

// Name returns "buildspec".
func (p *Provider) Name() string { return "buildspec" }

// settings is the decoded configuration of one action.
type settings struct {
	Buildspec       string                    `json:"buildspec"`
	BuildspecInline string                    `json:"buildspec_inline"`
	PrimarySource   string                    `json:"primary_source"`
	Env             map[string]actioncfg.Text `json:"env"`
}

// Validate checks an action's configuration (not the buildspec file,
// which lives in an artifact); errors wrap pipeline.ErrInvalid.
func (p *Provider) Validate(cfg map[string]any) error {
	_, err := parse(cfg)
	return err
}

func parse(cfg map[string]any) (settings, error) {
	var s settings
	if err := actioncfg.Decode(cfg, &s); err != nil {
		return s, err
	}
	if s.Buildspec != "" && s.BuildspecInline != "" {
		return s, fmt.Errorf("%w config: give buildspec or buildspec_inline, not both", pipeline.ErrInvalid)
	}
	if s.BuildspecInline != "" {
		if _, _, err := spec.ParseBuildspec("buildspec_inline", []byte(s.BuildspecInline)); err != nil {
			return s, fmt.Errorf("config: buildspec_inline: %w", err)
		}
	}
	return s, nil
}

// Run runs the build. A buildspec that cannot be read or parsed, or a
// configuration that cannot run, is an error wrapping pipeline.ErrInvalid;
// a failing phase or a missing artifact fails the action (ActionFailed);
// cancelling ctx kills every process of the build and returns the
// context's error.
func (p *Provider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	s, err := parse(req.Config)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	in, hasInput, err := actioncfg.Primary(req, s.PrimarySource)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	bs, warnings, err := load(in, hasInput, s)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	return p.run(ctx, req, s, bs, warnings)
}

// run runs a loaded buildspec.
func (p *Provider) run(ctx context.Context, req *pipeline.ActionRequest, s settings, bs *spec.Buildspec, warnings []string) (pipeline.ActionResult, error) {
	scratch, remove, err := workspace.Scratch(req.WorkDir, "buildspec-")
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	defer remove()
	b, err := p.newBuild(req, s, bs, scratch)
	if err != nil {
		return pipeline.ActionResult{}, err
	}
	b.warnings = warnings
	defer b.log.Flush()
	defer b.close()
	for _, w := range b.warnings {
		b.log.Line("warning: " + w)
	}
	if err := b.runPhases(ctx); err != nil {
		return pipeline.ActionResult{}, err
	}
	return b.finish(req)
}

// newBuild sets up the build's directories and environment.
func (p *Provider) newBuild(req *pipeline.ActionRequest, s settings, bs *spec.Buildspec, scratch string) (*build, error) {
	in, hasInput, err := actioncfg.Primary(req, s.PrimarySource)
	if err != nil {
		return nil, err
	}
	shellPath, err := proc.LookShell(bs.Env.Shell)
	if err != nil {
		return nil, fmt.Errorf("buildspec env.shell: %w", err)
	}
	srcDir := filepath.Join(scratch, "src")
	if hasInput {
		if srcDir, err = workspace.WritableCopy(in.Dir, scratch, "src"); err != nil {
			return nil, err
		}
	} else if err := os.Mkdir(srcDir, 0o755); err != nil {
		return nil, fmt.Errorf("create source directory: %w", err)
	}
	cmdDir := filepath.Join(scratch, "commands")
	if err := os.Mkdir(cmdDir, 0o700); err != nil {
		return nil, fmt.Errorf("create command directory: %w", err)
	}
	b := &build{
		spec: bs, srcDir: srcDir, log: proc.NewLineWriter(req.Log),
		session: proc.SessionConfig{Shell: shellPath, Dir: srcDir, ScriptDir: cmdDir, Grace: p.cfg.KillGrace},
	}
	b.session.Env = p.environ(req, s, bs, in.Name, srcDir)
	return b, nil
}

// load reads the buildspec: inline, or from the primary input.
func load(in actioncfg.Artifact, hasInput bool, s settings) (*spec.Buildspec, []string, error) {
	if s.BuildspecInline != "" {
		return spec.ParseBuildspec("buildspec_inline", []byte(s.BuildspecInline))
	}
	name := s.Buildspec
	if name == "" {
		name = DefaultFile
	}
	if !hasInput {
		return nil, nil, fmt.Errorf("%w config: the action has no input artifact to read %s from (use buildspec_inline)", pipeline.ErrInvalid, name)
	}
	path, err := actioncfg.LocalPath(in.Dir, name, "buildspec")
	if err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: %s not found in input artifact %s", pipeline.ErrInvalid, name, in.Name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	return spec.ParseBuildspec(name, data)
}

// environ is the build's environment: the base, CodeBuild's variables,
// env.variables, then the action's env.
func (p *Provider) environ(req *pipeline.ActionRequest, s settings, bs *spec.Buildspec, primary, srcDir string) []string {
	env := p.cfg.Environ
	if env == nil {
		env = os.Environ()
	}
	env = append(append([]string(nil), env...), actioncfg.Env(req, primary, srcDir)...)
	env = append(env,
		"CODEBUILD_BUILD_ID="+req.Pipeline+":"+req.ExecutionID,
		"CODEBUILD_BUILD_NUMBER="+fmt.Sprint(req.Attempt),
		"CODEBUILD_INITIATOR=secpipe/"+req.Pipeline,
		"CODEBUILD_BUILD_SUCCEEDING=1",
	)
	for _, v := range bs.Env.Variables {
		env = append(env, v.Name+"="+v.Value)
	}
	for k, v := range s.Env {
		env = append(env, k+"="+string(v))
	}
	return env
}
