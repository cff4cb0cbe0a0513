// Package server is `secpipe server`: the engine behind an HTTP API.
//
// A Server owns an engine over the store and dispatcher its Config names
// (SQLite or PostgreSQL: the server does not care), serves the REST API
// under /api/v1 (documented in docs/api.md and docs/openapi.yaml) with
// bearer-token authentication (package auth), and releases registered
// pipelines: it keeps a clone of each pipeline's repository under
// DATA/repos, checks the released revision out for each execution under
// DATA/checkouts and removes that checkout when the execution ends.
//
// Other packages plug in with Mount before Run: the job API, webhooks,
// the dashboard. They read the caller with auth.FromContext and start
// executions through Release.
//
// Lifecycle: New, Mount, then Run, which resumes unfinished executions,
// starts the dispatcher, serves until its context ends and then shuts
// down gracefully (stops accepting, lets requests finish, drains the
// engine and stops the dispatcher). The caller closes the database after
// Run returns.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/spec"
	"github.com/secpipe/secpipe/internal/store"
)

// Releaser starts an execution of a registered pipeline at a revision;
// *Server is one. Triggers (polling, webhooks) call it.
type Releaser interface {
	Release(ctx context.Context, name, trigger, revision string) (executionID string, err error)
}

// Defaults of Config.
const (
	DefaultAddr            = ":8080"
	DefaultShutdownTimeout = 30 * time.Second
	// MaxBodySize bounds the body of an API request; a larger one is
	// answered 413.
	MaxBodySize = 1 << 20
)

// Config configures a Server. Store, Dispatcher, Artifacts and DataDir
// are required; every other zero field takes a default.
type Config struct {
	// Store keeps the engine's state and the server's own (pipelines,
	// tokens, audit).
	Store store.Store
	// Dispatcher runs the engine's jobs; the server starts and stops it.
	Dispatcher queue.Dispatcher
	Artifacts  engine.Artifacts
	// Providers maps provider names to the action providers executions
	// may use; secpipe.yml files naming others are refused.
	Providers map[string]pipeline.Provider
	// DataDir holds logs, work directories, repository clones (repos/)
	// and per-execution checkouts (checkouts/).
	DataDir string
	// Images is the golden image store the image endpoints manage; nil
	// answers them 404.
	Images *image.Store
	Logger *slog.Logger
	// Now tells the time (time.Now).
	Now func() time.Time
	// Addr is where Run listens (DefaultAddr) unless Listener is set.
	Addr     string
	Listener net.Listener
	// Git is the git program (git from PATH).
	Git string
	// ShutdownTimeout bounds the graceful shutdown of Run
	// (DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// ContinuationDelay, JobLease and DefaultTimeouts tune the engine
	// (see engine.Config).
	ContinuationDelay time.Duration
	JobLease          time.Duration
	DefaultTimeouts   map[string]time.Duration
	// Exclusive says no other engine works the store (a SQLite server,
	// which holds the data directory's lock): Resume then takes back at
	// once every attempt a previous process left running. Leave it false
	// when `secpipe worker --database` processes share the store: attempts
	// go back only when their runner's lease runs out (RunnerLease).
	Exclusive   bool
	RunnerLease time.Duration

	// PipelineChanged, when set, is called after the API registered,
	// changed or deleted a pipeline (the triggers reschedule its polling
	// at once rather than when their watchdog notices).
	PipelineChanged func(ctx context.Context, name string)
	// TokenRevoked, when set, is called after the API revoked a token
	// (the dashboard ends that token's sessions).
	TokenRevoked func(name string)
	// Stopping, when set, is called when Run begins to shut down, before
	// it waits for open requests (the dashboard ends its live streams).
	Stopping func()
	// Middleware, when set, wraps the whole handler (Handler): request
	// metrics, for one. It gets each request as the routing mux does.
	Middleware func(http.Handler) http.Handler
}

// pipelineChanged tells Config.PipelineChanged, when set.
func (s *Server) pipelineChanged(ctx context.Context, name string) {
	if s.cfg.PipelineChanged != nil {
		s.cfg.PipelineChanged(ctx, name)
	}
}

// Server serves the API over one engine. Create it with New; its methods
// are safe for concurrent use.
type Server struct {
	cfg       Config
	store     store.Store
	eng       *engine.Engine
	log       *slog.Logger
	now       func() time.Time
	auth      *auth.Authenticator
	mux       *http.ServeMux
	providers []string

	ready    atomic.Bool
	stopping chan struct{} // closed when Run begins to shut down
	// stopMaintain ends the engine's Maintain and waits for it; set by Run.
	stopMaintain func()
	stopOnce     sync.Once
	addr         atomic.Value // net.Addr once Run listens

	repoMu   sync.Mutex
	repoLock map[string]*sync.Mutex // per pipeline: its clone and checkouts
	claims   sync.Map               // execution id -> chan closed when its checkout's holder is done
}

// New checks cfg, builds the engine (registering its handlers on the
// Dispatcher, which must not have started) and the API routes.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Dispatcher == nil || cfg.Artifacts == nil || cfg.DataDir == "" {
		return nil, fmt.Errorf("server: %w config: Store, Dispatcher, Artifacts and DataDir are required",
			pipeline.ErrInvalid)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Git == "" {
		cfg.Git = "git"
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	cfg.DataDir = dataDir
	for _, dir := range []string{dataDir, reposDir(dataDir), checkoutsDir(dataDir)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	eng, err := engine.New(engine.Config{Store: cfg.Store, Dispatcher: cfg.Dispatcher, Providers: cfg.Providers,
		Artifacts: cfg.Artifacts, DataDir: dataDir, Logger: cfg.Logger, Now: cfg.Now,
		ContinuationDelay: cfg.ContinuationDelay, JobLease: cfg.JobLease, DefaultTimeouts: cfg.DefaultTimeouts,
		Exclusive: cfg.Exclusive, RunnerLease: cfg.RunnerLease,
		When: func(expr, repoDir string, vars map[string]string) (bool, error) {
			return spec.EvalWhen(expr, spec.WhenEnv{RepoDir: repoDir, Variables: vars})
		},
		Resolve: spec.Resolve,
		User:    "server",
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{cfg: cfg, store: cfg.Store, eng: eng, log: cfg.Logger, now: cfg.Now,
		auth: auth.NewAuthenticator(cfg.Store, cfg.Now, cfg.Logger), mux: http.NewServeMux(),
		stopping: make(chan struct{}), repoLock: map[string]*sync.Mutex{}}
	for name := range cfg.Providers {
		s.providers = append(s.providers, name)
	}
	slices.Sort(s.providers)
	s.routes()
	return s, nil
}

// Engine returns the server's engine, for handlers mounted beside the API
// (the job API uses Engine().Jobs(); the dashboard reads executions).
func (s *Server) Engine() *engine.Engine { return s.eng }

// Store returns the server's store, for read-only use by mounted handlers.
func (s *Server) Store() store.Store { return s.store }

// Authenticator returns the server's token checker, for mounted handlers
// that authenticate in their own way (a dashboard's login form).
func (s *Server) Authenticator() *auth.Authenticator { return s.auth }

// Mount serves h at pattern (a net/http ServeMux pattern, e.g.
// "/api/v1/jobs/" or "GET /dashboard/") beside the API. With role set,
// only callers whose token has at least that role reach h, with their
// auth.Principal in the request context; store.RoleWorker is the job
// API's role (worker tokens may use nothing else) and is accepted only
// for patterns under /api/v1/jobs/. With role "", h is reached without a
// token: webhooks verify signatures, a dashboard its sessions. Request
// bodies are h's to bound. Call Mount before Run; like
// http.ServeMux.Handle, it panics when pattern conflicts with a route.
func (s *Server) Mount(pattern string, h http.Handler, role store.Role) {
	if role == store.RoleWorker {
		path := pattern
		if _, p, ok := strings.Cut(pattern, " "); ok {
			path = p
		}
		if !strings.HasPrefix(path, "/api/v1/jobs/") {
			panic(fmt.Sprintf("server: Mount(%q): the worker role is for the job API under /api/v1/jobs/", pattern))
		}
	}
	if role != "" {
		if _, err := auth.ParseRole(string(role)); err != nil {
			panic(fmt.Sprintf("server: Mount(%q): %v", pattern, err))
		}
		h = s.auth.Require(role, h)
	}
	s.mux.Handle(pattern, h)
}

// Handler returns the server's HTTP handler: the API, /healthz, /readyz
// and whatever was mounted.
func (s *Server) Handler() http.Handler {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		s.mux.ServeHTTP(w, r)
	})
	if s.cfg.Middleware != nil {
		h = s.cfg.Middleware(h)
	}
	return h
}

// Addr returns the address Run listens on, nil before it listens.
func (s *Server) Addr() net.Addr {
	a, _ := s.addr.Load().(net.Addr)
	return a
}

// Run serves until ctx ends, then shuts down gracefully; see the package
// documentation. It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	ln := s.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.cfg.Addr); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	s.addr.Store(ln.Addr())
	// The engine's work outlives requests; it stops when Run shuts down.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	ids, err := s.eng.Resume(work)
	if err != nil {
		ln.Close()
		return fmt.Errorf("server: %w", err)
	}
	if len(ids) > 0 {
		s.log.Info("resumed unfinished executions", "count", len(ids))
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		s.watchCheckouts(work)
	}()
	// Heartbeats and takes back the attempts of engines that died; it
	// outlives the dispatcher (see engine.Maintain).
	maintainCtx, stopMaintain := context.WithCancel(context.WithoutCancel(ctx))
	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		s.eng.Maintain(maintainCtx)
	}()
	s.stopMaintain = func() {
		stopMaintain()
		<-maintained
	}
	if err := s.cfg.Dispatcher.Start(work); err != nil {
		ln.Close()
		stopWork()
		s.stopMaintain()
		<-watched
		return fmt.Errorf("server: start dispatcher: %w", err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		// Log streams lift the write deadline for their responses.
		WriteTimeout: time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.ready.Store(true)
	s.log.Info("serving", "addr", ln.Addr().String())
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	return errors.Join(serveErr, s.shutdown(srv, stopWork, watched))
}

// shutdown stops accepting, lets requests finish (ending log streams),
// drains the engine and stops the dispatcher.
func (s *Server) shutdown(srv *http.Server, stopWork context.CancelFunc, watched <-chan struct{}) error {
	s.ready.Store(false)
	s.stopOnce.Do(func() { close(s.stopping) })
	if s.cfg.Stopping != nil {
		s.cfg.Stopping()
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = errors.Join(err, srv.Close())
	}
	s.eng.Drain()
	// The running actions get a timeout of their own: requests that were
	// slow to end must not leave them none (they would be abandoned and
	// run again elsewhere).
	stopCtx, cancelStop := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancelStop()
	err = errors.Join(err, s.cfg.Dispatcher.Stop(stopCtx))
	s.stopMaintain()
	stopWork()
	<-watched
	s.log.Info("stopped")
	return err
}

// reposDir holds one bare clone per registered pipeline.
func reposDir(dataDir string) string { return filepath.Join(dataDir, "repos") }

// checkoutsDir holds one work tree per running execution.
func checkoutsDir(dataDir string) string { return filepath.Join(dataDir, "checkouts") }
