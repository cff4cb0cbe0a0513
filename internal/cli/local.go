package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/scan/sbom/extractors"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/approval"
	"github.com/secpipe/secpipe/internal/provider/buildspec"
	"github.com/secpipe/secpipe/internal/provider/custom"
	"github.com/secpipe/secpipe/internal/provider/git"
	imagebuild "github.com/secpipe/secpipe/internal/provider/image"
	"github.com/secpipe/secpipe/internal/provider/invoke"
	"github.com/secpipe/secpipe/internal/provider/scan"
	"github.com/secpipe/secpipe/internal/provider/shell"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/spec"
)

// stateDirName is where `secpipe run` keeps its store, artifacts and logs,
// inside the repository it runs.
const stateDirName = ".secpipe"

// maxActionRuntime bounds one queue job of an action attempt; the engine
// enforces each action's own timeout well below it.
const maxActionRuntime = 8 * 24 * time.Hour

// providers is the explicit list of action providers: one line each.
func providers(log *slog.Logger) []pipeline.Provider {
	return []pipeline.Provider{
		git.New(git.Config{Logger: log}),
		buildspec.New(buildspec.Config{Logger: log, Environ: builderEnviron()}),
		shell.New(shell.Config{Logger: log, Environ: builderEnviron()}),
		scan.New(scan.Config{ConfigChecks: configChecks, Extractors: extractors.Default, Version: Version, Logger: log}),
		approval.New(approval.Config{Logger: log}),
		invoke.New(invoke.Config{Logger: log, Environ: builderEnviron()}),
		custom.New(custom.Config{Logger: log}),
		&imageProvider{name: "image", log: log,
			make: func(b *imagebuild.Builder) pipeline.Provider { return imagebuild.NewProvider(b) }},
		&imageProvider{name: "verify", log: log,
			make: func(b *imagebuild.Builder) pipeline.Provider { return imagebuild.NewVerifyProvider(b) }},
	}
}

// providerNames lists the names secpipe.yml may use.
func providerNames() []string {
	var names []string
	for _, p := range providers(slog.New(slog.DiscardHandler)) {
		names = append(names, p.Name())
	}
	return names
}

// builderEnviron is the environment of commands actions run: this
// process's, with the directory of the running secpipe first on PATH, so
// a buildspec can call `secpipe scan ...` as the example repository does.
func builderEnviron() []string {
	env := os.Environ()
	exe, err := os.Executable()
	if err != nil {
		return env
	}
	dir := filepath.Dir(exe)
	for i, kv := range env {
		if len(kv) > 5 && kv[:5] == "PATH=" {
			env[i] = "PATH=" + dir + string(os.PathListSeparator) + kv[5:]
			return env
		}
	}
	return append(env, "PATH="+dir)
}

// local is the engine of one repository on this machine: its store in
// DIR/.secpipe/state.db, artifacts and logs beside it, and an in-process
// River dispatcher.
type local struct {
	repo  string
	state string
	db    *sql.DB
	disp  *queue.River
	eng   *engine.Engine
	lock  *os.File // held while this process runs executions
}

// openLocal opens (creating when create is set) the state of the repository
// at repo. Without create, a repository that never ran is an error wrapping
// pipeline.ErrNotFound.
func openLocal(repo string, create bool, log *slog.Logger) (*local, error) {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return nil, err
	}
	state := filepath.Join(abs, stateDirName)
	if _, err := os.Stat(state); errors.Is(err, os.ErrNotExist) && !create {
		return nil, fmt.Errorf("%s: no executions yet (run `secpipe run` there first): %w", abs, pipeline.ErrNotFound)
	}
	if err := os.MkdirAll(state, 0o755); err != nil {
		return nil, err
	}
	// Keep the state out of the repository's git status (and so out of
	// the source action's "uncommitted files" warning).
	ignore := filepath.Join(state, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(ignore, []byte("# secpipe's local state: executions, logs, artifacts\n*\n"), 0o644); err != nil {
			return nil, err
		}
	}
	db, err := queue.OpenSQLite(filepath.Join(state, "state.db"))
	if err != nil {
		return nil, err
	}
	l := &local{repo: abs, state: state, db: db}
	if err := l.build(log); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

func (l *local) build(log *slog.Logger) error {
	disp, err := queue.NewRiver(l.db, queue.RiverConfig{Logger: log,
		KindTimeouts: map[string]time.Duration{engine.KindAction: maxActionRuntime}})
	if err != nil {
		return err
	}
	arts, err := artifact.Open(filepath.Join(l.state, "artifacts"))
	if err != nil {
		return err
	}
	byName := map[string]pipeline.Provider{}
	for _, p := range providers(log) {
		byName[p.Name()] = p
	}
	eng, err := engine.New(engine.Config{
		DB: l.db, Dispatcher: disp, Providers: byName, Artifacts: arts, DataDir: l.state, Logger: log,
		When: func(expr, repoDir string, vars map[string]string) (bool, error) {
			return spec.EvalWhen(expr, spec.WhenEnv{RepoDir: repoDir, Variables: vars})
		},
		Resolve: spec.Resolve,
		User:    currentUser(),
		// lockRuns makes this process the only one running the
		// repository's executions.
		Exclusive: true,
	})
	if err != nil {
		return err
	}
	l.disp, l.eng = disp, eng
	return nil
}

// lockRuns makes this process the one that runs the repository's
// executions: resuming takes back attempts another engine left running,
// so two live engines on one store would run them twice. Call it before
// Resume; close releases it.
func (l *local) lockRuns() error {
	f, err := os.OpenFile(filepath.Join(l.state, "run.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%s: another secpipe process is running this repository's executions; wait for it "+
				"(secpipe status shows them) or stop it", l.repo)
		}
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	l.lock = f
	return nil
}

// start runs the dispatcher's workers.
func (l *local) start(ctx context.Context) error { return l.disp.Start(ctx) }

// close lets running attempts finish (the engine takes on no new ones),
// stops the workers, closes the database and releases the run lock.
func (l *local) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l.eng.Drain()
	err := errors.Join(l.disp.Stop(ctx), l.db.Close())
	if l.lock != nil {
		err = errors.Join(err, l.lock.Close())
	}
	return err
}

// loadPipeline reads the repository's secpipe.yml (or file).
func loadPipeline(repo, file string) (*pipeline.Pipeline, error) {
	if file == "" {
		file = filepath.Join(repo, "secpipe.yml")
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			if _, err := os.Stat(filepath.Join(repo, "secpipe.yaml")); err == nil {
				file = filepath.Join(repo, "secpipe.yaml")
			}
		}
	}
	p, err := spec.Load(file, spec.Options{Providers: providerNames()})
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no pipeline file (write secpipe.yml, see docs/pipeline.md): %w", file, pipeline.ErrNotFound)
	}
	return p, err
}

// currentUser names who approves, for the audit trail.
func currentUser() string {
	for _, k := range []string{"SECPIPE_USER", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "local"
}

// terminal waits until execution id ends, and returns its status.
func (l *local) wait(ctx context.Context, id string) (pipeline.Status, error) {
	return l.eng.Wait(ctx, id)
}

// isFailure reports whether an execution status means the run failed.
func isFailure(s pipeline.Status) bool {
	return !slices.Contains([]pipeline.Status{pipeline.StatusSucceeded}, s)
}
