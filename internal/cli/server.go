package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/atomicfile"
	"github.com/secpipe/secpipe/internal/engine"
	imagestore "github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/server"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/server/dashboard"
	"github.com/secpipe/secpipe/internal/server/metrics"
	"github.com/secpipe/secpipe/internal/server/trigger"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/postgres"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// stateFlags say where a server keeps its state: a data directory, and
// optionally a PostgreSQL database instead of DIR/state.db.
type stateFlags struct {
	data, database string
}

func (f *stateFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "data `DIR` (default: $SECPIPE_DATA or ~/.local/share/secpipe/server)")
	fl.StringVar(&f.database, "database", "", "PostgreSQL `URL` (default: $SECPIPE_DATABASE, else SQLite at DIR/state.db)")
}

// dataDir resolves the data directory: the flag, $SECPIPE_DATA, or
// secpipe/server under the user's data directory.
func (f *stateFlags) dataDir(e *env) (string, error) {
	if f.data != "" {
		return filepath.Abs(f.data)
	}
	if d := e.getenv("SECPIPE_DATA"); d != "" {
		return filepath.Abs(d)
	}
	if d := e.getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "secpipe", "server"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("data directory: %w (set SECPIPE_DATA or pass --data)", err)
	}
	return filepath.Join(home, ".local", "share", "secpipe", "server"), nil
}

// databaseURL is the flag or $SECPIPE_DATABASE; empty means SQLite.
func (f *stateFlags) databaseURL(e *env) string {
	if f.database != "" {
		return f.database
	}
	return e.getenv("SECPIPE_DATABASE")
}

// serverState is an open store of a server and the database under it.
type serverState struct {
	dir      string
	db       *sql.DB
	store    store.Store
	postgres bool
}

// openState opens (creating when needed) the server state f names.
func openState(ctx context.Context, e *env, f *stateFlags) (*serverState, error) {
	dir, err := f.dataDir(e)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st := &serverState{dir: dir}
	if url := f.databaseURL(e); url != "" {
		if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
			return nil, usageError{fmt.Errorf("--database: want a postgres:// URL")}
		}
		if st.db, err = postgres.Open(ctx, url); err != nil {
			return nil, err
		}
		st.postgres = true
		if st.store, err = postgres.New(ctx, st.db); err != nil {
			st.db.Close()
			return nil, err
		}
		return st, nil
	}
	if st.db, err = queue.OpenSQLite(filepath.Join(dir, "state.db")); err != nil {
		return nil, err
	}
	if st.store, err = sqlite.New(ctx, st.db); err != nil {
		st.db.Close()
		return nil, err
	}
	return st, nil
}

// releaseRuntime bounds a release by a trigger: it fetches the repository.
const releaseRuntime = 15 * time.Minute

// dispatcher returns River on the state's database.
func (st *serverState) dispatcher(log *slog.Logger) (*queue.River, error) {
	cfg := queue.RiverConfig{Logger: log, KindTimeouts: map[string]time.Duration{engine.KindAction: maxActionRuntime,
		trigger.KindRelease: releaseRuntime}, KindQueues: engineQueues()}
	if st.postgres {
		cfg.FetchPollInterval = 50 * time.Millisecond
		return queue.NewRiverPostgres(st.db, cfg)
	}
	cfg.FetchPollInterval = 10 * time.Millisecond
	return queue.NewRiver(st.db, cfg)
}

type serverOptions struct {
	state     stateFlags
	addr      string
	addrFile  string
	images    string
	verbose   bool
	logFormat string
	metrics   bool
}

func newServerCmd(e *env) *cobra.Command {
	var o serverOptions
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve the HTTP API: registered pipelines, executions, approvals, images",
		Long: `Run the engine behind an HTTP API (docs/api.md). State lives in the data
directory (executions in DIR/state.db, logs, artifacts, repository clones),
or in PostgreSQL with --database postgres://... (then DIR still holds logs,
artifacts and clones).

Every API call needs a token: create the first with
  secpipe token create NAME --role admin --data DIR
The job API for external workers is served under /api/v1/jobs/.
Prometheus metrics are served at /metrics without a token (--metrics=false
turns them off); --log-format json logs one JSON object a line.
Ctrl-C (SIGINT) or SIGTERM stops the server gracefully: running actions
finish, unfinished executions carry on at the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServer(cmd.Context(), e, o) },
	}
	o.state.register(cmd)
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", server.DefaultAddr, "listen `ADDRESS` (host:port; port 0 picks a free one)")
	f.StringVar(&o.addrFile, "addr-file", "", "write the address listened on to `FILE` (for scripts using port 0)")
	f.StringVar(&o.images, "images", "", "image store `DIR` (default: $SECPIPE_IMAGE_DIR or ~/.local/share/secpipe/images)")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "log debug messages")
	f.BoolVar(&o.metrics, "metrics", true, "serve Prometheus metrics at /metrics, without a token (docs/operations.md)")
	registerLogFormat(cmd, &o.logFormat)
	return cmd
}

func runServer(ctx context.Context, e *env, o serverOptions) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log, err := newLogger(e.stderr, o.logFormat, level)
	if err != nil {
		return err
	}
	st, err := openState(ctx, e, &o.state)
	if err != nil {
		return err
	}
	defer st.db.Close()
	unlock, err := lockServer(st.dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := hintFirstToken(ctx, e, st, o.state, o.logFormat == logJSON, log); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv, trig, err := buildServer(st, o, log, ln)
	if err != nil {
		ln.Close()
		return err
	}
	if o.addrFile != "" {
		if err := atomicfile.WriteFile(o.addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			ln.Close()
			return err
		}
	}
	if o.logFormat == logJSON {
		log.Info("secpipe server listening", "url", "http://"+ln.Addr().String(), "data", st.dir)
	} else {
		fmt.Fprintf(e.stderr, "secpipe server listening on http://%s (data %s)\n", ln.Addr(), st.dir)
	}
	// Polling: a chain per pipeline now, revived every minute if one ends.
	pollCtx, stopPolling := context.WithCancel(ctx)
	polling := make(chan struct{})
	go func() {
		defer close(polling)
		trig.Run(pollCtx)
	}()
	err = srv.Run(ctx)
	stopPolling()
	<-polling
	return err
}

// buildServer wires the server: dispatcher, artifacts, providers, images,
// the job API and the triggers (polling, webhooks).
func buildServer(st *serverState, o serverOptions, log *slog.Logger, ln net.Listener) (*server.Server,
	*trigger.Triggers, error,
) {
	disp, err := st.dispatcher(log)
	if err != nil {
		return nil, nil, err
	}
	arts, err := artifact.Open(filepath.Join(st.dir, "artifacts"))
	if err != nil {
		return nil, nil, err
	}
	imgDir, err := imageDir(o.images)
	if err != nil {
		return nil, nil, err
	}
	images, err := imagestore.OpenStore(imgDir)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]pipeline.Provider{}
	for _, p := range providers(log) {
		if ip, ok := p.(*imageProvider); ok {
			ip.dir = imgDir
		}
		byName[p.Name()] = p
	}
	// The triggers and the dashboard need the server, and the server
	// tells them of changes; the hooks run only once Run serves, after
	// both are set.
	var (
		trig *trigger.Triggers
		dash *dashboard.Dashboard
		mx   *metrics.Metrics
		mw   func(http.Handler) http.Handler
	)
	if o.metrics {
		mx = metrics.New(metrics.Config{Executions: st.store, Queue: metrics.RiverDepth(st.db), Logger: log})
		mw = mx.Instrument
	}
	srv, err := server.New(server.Config{Store: st.store, Dispatcher: disp, Artifacts: arts, Providers: byName,
		DataDir: st.dir, Images: images, Logger: log, Listener: ln, Middleware: mw,
		// On SQLite the data directory's lock makes this the only engine;
		// on PostgreSQL `secpipe worker --database` processes share it.
		Exclusive: !st.postgres,
		PipelineChanged: func(ctx context.Context, name string) {
			if err := trig.Schedule(ctx, name); err != nil && !errors.Is(err, pipeline.ErrNotFound) {
				log.Warn("reschedule polling", "pipeline", name, "err", err)
			}
		},
		TokenRevoked: func(name string) { dash.EndSessions(name) },
		Stopping:     func() { dash.Close() },
	})
	if err != nil {
		return nil, nil, err
	}
	if mx != nil {
		srv.Engine().Observe(mx.Observe)
		srv.Mount("GET /metrics", mx.Handler(), "")
	}
	jobs := jobhttp.NewHandler(srv.Engine().Jobs(), jobhttp.HandlerOptions{Authorize: auth.AuthorizeJob, Logger: log})
	srv.Mount(jobhttp.PathPrefix, jobs, store.RoleWorker)
	trig = trigger.New(trigger.Config{Store: st.store, Dispatcher: disp, Releaser: srv, Logger: log})
	srv.Mount(trigger.WebhookPattern, trig.WebhookHandler(), "")
	authn := srv.Authenticator()
	check := dashboard.TokenCheck(st.store, nil)
	dash, err = dashboard.New(dashboard.Config{Engine: srv.Engine(), Store: st.store, Images: images, Artifacts: arts,
		Logger: log,
		Authenticate: func(ctx context.Context, token string) (dashboard.Principal, error) {
			p, err := authn.AuthenticateToken(ctx, token)
			if err != nil {
				return dashboard.Principal{}, err
			}
			return check(ctx, dashboard.Principal{TokenID: p.TokenID, Name: p.Name})
		},
		Recheck: check,
		Release: func(ctx context.Context, name, trigger string) (string, error) {
			return srv.Release(ctx, name, trigger, "")
		},
		Retry: srv.Retry,
		Audit: func(ctx context.Context, e store.AuditEntry) error { return st.store.AddAudit(ctx, &e) },
	})
	if err != nil {
		return nil, nil, err
	}
	// The dashboard answers every path the API and hooks do not claim; it
	// checks its own sessions.
	srv.Mount("/", dash.Handler(), "")
	return srv, trig, nil
}

// lockServer makes this process the one server of the data directory:
// resuming takes back attempts another engine left running, so two live
// servers on one directory would run them twice.
func lockServer(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, "server.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: another secpipe server uses this data directory", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}

// hintFirstToken says how to create a token when none exists, since
// every API call needs one. It never creates one itself.
func hintFirstToken(ctx context.Context, e *env, st *serverState, f stateFlags, asJSON bool, log *slog.Logger) error {
	ts, err := st.store.Tokens(ctx)
	if err != nil || len(ts) > 0 {
		return err
	}
	where := "--data " + st.dir
	if f.database != "" {
		where += " --database URL"
	}
	if asJSON {
		log.Warn("no API tokens yet: every API call will be refused until you create one",
			"create", "secpipe token create admin --role admin "+where)
		return nil
	}
	fmt.Fprintf(e.stderr, "no API tokens yet: every API call will be refused until you create one:\n"+
		"  secpipe token create admin --role admin %s\n", where)
	return nil
}
