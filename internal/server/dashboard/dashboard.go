// Package dashboard is secpipe's web dashboard: server-rendered pages
// (html/template, assets embedded with go:embed, a little vanilla
// JavaScript) over the engine, the store, the artifact store and the image
// store: pipelines, executions (a stage→action grid, logs, output
// variables, artifacts), findings per execution and across the project
// (with a chart drawn as inline SVG), the approvals inbox, images with
// their SBOM and scan report, and the audit log.
//
// People log in by pasting an API token; the dashboard checks it
// (Config.Authenticate) and keeps a server-side session in memory, named by
// a random id in an HttpOnly, SameSite=Strict cookie. The token itself is
// never stored. Sessions end at logout, after Config.SessionTTL, after
// Config.IdleTimeout without a request, when the token expires, when the
// process restarts, when the server calls EndSessions (say, after revoking
// the token through the API), or at the first request after Config.Recheck,
// run at most once a minute per session, finds the token revoked or
// expired (say, revoked with the CLI against the same store). Every
// state-changing request is a POST carrying a CSRF token derived from the
// session id with an HMAC under Config.SessionKey; a missing or wrong one
// is refused with 403, as is any cross-origin POST.
//
// Roles: viewers read everything but the audit log and download an
// image's SBOM and scan report; operators also release, approve, reject,
// retry, cancel, promote and revoke, and download an execution's
// artifacts (whole trees: the source with whatever secrets it leaks, which
// viewers see only redacted in the findings); admins also read the audit
// log; worker tokens may not log in. The buttons a role may not use are
// not shown, and the handlers refuse them (403) anyway. Every change made
// through the dashboard is written to the audit log with the actor's name.
package dashboard

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Defaults of Config.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultIdleTimeout = 2 * time.Hour
)

// Principal is who a token belongs to: the token's id, name and role, and
// when it expires.
type Principal struct {
	// TokenID names the token to Config.Recheck.
	TokenID string
	Name    string
	Role    store.Role
	// Expires, when set, ends the token's sessions.
	Expires time.Time
}

// Store is what the dashboard reads from the store besides what the
// engine offers: executions by filter, action runs, findings, approval
// decisions, registered pipelines and the audit log. A store.Store
// satisfies it.
type Store interface {
	Executions(ctx context.Context, f store.ExecutionFilter) ([]store.Execution, error)
	ActionRun(ctx context.Context, executionID, stage, action string) (store.ActionRun, error)
	ActionRuns(ctx context.Context, executionID string) ([]store.ActionRun, error)
	Findings(ctx context.Context, executionID string) ([]store.ActionFinding, error)
	Approvals(ctx context.Context, executionID string) ([]store.Approval, error)
	Pipelines(ctx context.Context) ([]store.PipelineRecord, error)
	Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
}

// Artifacts reads the artifact store: the entries of an artifact and the
// contents of its files. *artifact.Store satisfies it.
type Artifacts interface {
	List(digest string) ([]artifact.Entry, error)
	OpenBlob(digest string) (io.ReadCloser, error)
}

// Config configures a Dashboard. Engine, Store, Authenticate and Audit are
// required; every other zero field takes a default or turns a feature off.
type Config struct {
	Engine *engine.Engine
	Store  Store
	// Images is the image store; nil hides the images page.
	Images *image.Store
	// Artifacts is the engine's artifact store; nil shows artifacts
	// without sizes or download links.
	Artifacts Artifacts
	// Authenticate checks a pasted API token and says whose it is; any
	// error refuses the login.
	Authenticate func(ctx context.Context, token string) (Principal, error)
	// Recheck checks again that the token of a session's principal is
	// usable (neither revoked nor expired) and returns its principal now;
	// any error ends the session. It runs at most once a minute per
	// session; nil checks only Principal.Expires.
	Recheck func(ctx context.Context, p Principal) (Principal, error)
	// Release starts an execution of a registered pipeline for its latest
	// revision ("manual NAME" as trigger) and returns its id; nil hides the
	// "Release change" button.
	Release func(ctx context.Context, pipeline, trigger string) (executionID string, err error)
	// Retry reruns stage (empty: the failed one) of an ended execution,
	// recreating whatever the server removed when it ended (its
	// checkout); nil calls Engine.Retry.
	Retry func(ctx context.Context, id, stage string) error
	// Audit records an entry in the audit log.
	Audit  func(ctx context.Context, e store.AuditEntry) error
	Logger *slog.Logger
	// Now tells the time (time.Now).
	Now func() time.Time
	// Secure sets the Secure flag on cookies (the dashboard is served over
	// HTTPS) and names the session cookie with the __Host- prefix.
	Secure bool
	// SessionKey is the HMAC key of CSRF tokens; nil means a random key
	// (the tokens of a restarted server are then invalid, as are its
	// sessions anyway).
	SessionKey []byte
	// SessionTTL bounds a session's life (DefaultSessionTTL); IdleTimeout
	// ends a session unused that long (DefaultIdleTimeout).
	SessionTTL  time.Duration
	IdleTimeout time.Duration
}

// Dashboard serves the web dashboard. Create it with New; it is safe for
// concurrent use. Call Close when shutting down so that open live streams
// end.
type Dashboard struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	key      []byte
	sessions *sessions
	pages    *pages
	handler  http.Handler

	closeOnce sync.Once
	closing   chan struct{}
}

// New checks cfg and builds a Dashboard; a missing required field wraps
// pipeline.ErrInvalid.
func New(cfg Config) (*Dashboard, error) {
	if cfg.Engine == nil || cfg.Store == nil || cfg.Authenticate == nil || cfg.Audit == nil {
		return nil, fmt.Errorf("dashboard: %w config: Engine, Store, Authenticate and Audit are required",
			pipeline.ErrInvalid)
	}
	d := &Dashboard{cfg: cfg, log: cfg.Logger, now: cfg.Now, key: cfg.SessionKey, closing: make(chan struct{})}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.now == nil {
		d.now = time.Now
	}
	if len(d.key) == 0 {
		d.key = make([]byte, 32)
		_, _ = rand.Read(d.key) // crypto/rand.Read never fails
	}
	ttl, idle := cfg.SessionTTL, cfg.IdleTimeout
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	d.sessions = newSessions(ttl, idle, d.now)
	p, err := loadPages()
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d.pages = p
	d.handler = d.routes()
	return d, nil
}

// Handler returns the dashboard's handler, to be mounted at "/" (it
// answers 404 for paths it does not know, /api/ and /healthz included).
func (d *Dashboard) Handler() http.Handler { return d.handler }

// Close ends the live streams (log tails, execution updates) open now and
// refuses new ones; pages keep working. Call it before shutting the HTTP
// server down, which otherwise waits for those streams.
func (d *Dashboard) Close() {
	d.closeOnce.Do(func() { close(d.closing) })
}

// EndSessions ends every session of the token named name; the server calls
// it when it revokes or deletes that token. It returns how many ended.
func (d *Dashboard) EndSessions(name string) int { return d.sessions.endAll(name) }

// routes builds the handler: security headers and cross-origin
// protection around a mux.
func (d *Dashboard) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("GET /login", d.loginPage)
	mux.HandleFunc("POST /login", d.login)
	mux.HandleFunc("POST /logout", d.post(store.RoleViewer, d.logout))
	mux.HandleFunc("GET /{$}", d.get(store.RoleViewer, func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/pipelines", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /pipelines", d.get(store.RoleViewer, d.pipelinesPage))
	mux.HandleFunc("POST /pipelines/{name}/release", d.post(store.RoleOperator, d.release))
	mux.HandleFunc("GET /executions", d.get(store.RoleViewer, d.executionsPage))
	mux.HandleFunc("GET /executions/{id}", d.get(store.RoleViewer, d.executionPage))
	mux.HandleFunc("GET /executions/{id}/events", d.get(store.RoleViewer, d.executionEvents))
	mux.HandleFunc("POST /executions/{id}/approve", d.post(store.RoleOperator, d.approve))
	mux.HandleFunc("POST /executions/{id}/retry", d.post(store.RoleOperator, d.retry))
	mux.HandleFunc("POST /executions/{id}/cancel", d.post(store.RoleOperator, d.cancel))
	mux.HandleFunc("GET /executions/{id}/findings", d.get(store.RoleViewer, d.findingsPage))
	mux.HandleFunc("GET /executions/{id}/artifacts/{name}", d.get(store.RoleOperator, d.downloadArtifact))
	mux.HandleFunc("GET /executions/{id}/logs/{stage}/{action}", d.get(store.RoleViewer, d.logPage))
	mux.HandleFunc("GET /executions/{id}/logs/{stage}/{action}/raw", d.get(store.RoleViewer, d.logRaw))
	mux.HandleFunc("GET /executions/{id}/logs/{stage}/{action}/stream", d.get(store.RoleViewer, d.logStream))
	mux.HandleFunc("GET /findings", d.get(store.RoleViewer, d.projectFindings))
	mux.HandleFunc("GET /approvals", d.get(store.RoleViewer, d.approvalsPage))
	if d.cfg.Images != nil {
		mux.HandleFunc("GET /images", d.get(store.RoleViewer, d.imagesPage))
		mux.HandleFunc("GET /images/{digest}/attachments/{attachment}", d.get(store.RoleViewer, d.attachment))
		mux.HandleFunc("POST /images/promote", d.post(store.RoleOperator, d.promote))
		mux.HandleFunc("POST /images/revoke", d.post(store.RoleOperator, d.revoke))
	}
	mux.HandleFunc("GET /audit", d.get(store.RoleAdmin, d.auditPage))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, nil, fmt.Errorf("page %s: %w", r.URL.Path, pipeline.ErrNotFound))
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.refuse(w, r, nil, http.StatusForbidden, "Cross-origin request refused.")
	}))
	return securityHeaders(d.cfg.Secure, cop.Handler(mux))
}

// securityHeaders sets the headers every response carries: a strict CSP
// (no inline scripts or styles), no framing, no sniffing, no referrer, and
// HSTS when served over HTTPS. Pages add Cache-Control: no-store.
func securityHeaders(secure bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// errClosed ends live streams after Close.
var errClosed = errors.New("dashboard closed")
