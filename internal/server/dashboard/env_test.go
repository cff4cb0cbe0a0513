package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/server/servertest"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/approval"
	"github.com/secpipe/secpipe/internal/provider/scan"
	"github.com/secpipe/secpipe/internal/provider/shell"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/server/dashboard"
	"github.com/secpipe/secpipe/internal/spec"
	"github.com/secpipe/secpipe/internal/store"
	"github.com/secpipe/secpipe/internal/store/sqlite"
)

// The secret the demo pipeline plants (the golden-image example's key
// pair); no page may ever show it in full.
const (
	plantedKeyID  = "AKIAUJZDEGXDNCF32EPF"
	plantedSecret = "FkM/R5Kjp1vRt+1fjORS/6ilI8ihN5KXSc7Tvo/h"
)

// demoPipeline writes a file with a key pair, scans it (reporting, not
// failing), then waits for an approval before deploying.
const demoPipeline = `version: 1
name: demo
execution_mode: parallel
stages:
  - name: Source
    actions:
      - name: Fetch
        provider: shell
        outputs: [SourceArtifact]
        namespace: Src
        config:
          script: |
            mkdir -p "$OUTPUT_DIR/app"
            cat > "$OUTPUT_DIR/app/config.js" <<'JS'
            const config = {
              accessKeyId: '` + plantedKeyID + `',
              secretAccessKey: '` + plantedSecret + `',
              databaseUrl: 'postgres://app:Xk29vQp7Lm3sR8@localhost:5432/shop',
            };
            JS
            export Commit=abc123
          exported_variables: [Commit]
  - name: Scan
    actions:
      - name: Secrets
        provider: scan
        inputs: [SourceArtifact]
        config: {scanners: [secrets], fail_on: none}
  - name: Release
    actions:
      - {name: Approve, provider: approval, config: {summary: "Ship <b>it</b>?"}}
      - name: Deploy
        provider: shell
        run_order: 2
        config: {commands: ["echo deployed #{Src.Commit}"]}
`

// flakyPipeline fails until the marker file exists.
const flakyPipeline = `version: 1
name: flaky
execution_mode: parallel
stages:
  - name: Build
    actions:
      - name: Compile
        provider: shell
        config:
          env: {MARKER: %q}
          commands: ['test -f "$MARKER" || { echo "no marker"; exit 3; }', 'echo built']
`

// tailPipeline prints a line every 50 ms until the stop file exists.
const tailPipeline = `version: 1
name: tail
execution_mode: parallel
stages:
  - name: Build
    actions:
      - name: Loop
        provider: shell
        config:
          env: {STOP: %q}
          commands:
            - 'i=0; while [ ! -f "$STOP" ]; do i=$((i+1)); echo "tick $i"; sleep 0.05; done; echo "loop finished"'
`

// env is a dashboard over a real engine: SQLite store, River, the shell,
// scan and approval providers, an image store, and a token per role.
type env struct {
	t      testing.TB
	dir    string
	st     *sqlite.Store
	eng    *engine.Engine
	arts   *artifact.Store
	images *image.Store
	dash   *dashboard.Dashboard
	srv    *httptest.Server
	tokens map[store.Role]string
	// clock is the dashboard's clock: real time plus skew.
	mu   sync.Mutex
	skew time.Duration
}

// newEnv builds the environment; the dashboard is served by an httptest
// server.
func newEnv(t testing.TB) *env {
	t.Helper()
	state := servertest.New(t)
	ctx := context.Background()
	dir, db, st, disp, arts, images := state.Dir, state.DB, state.Store, state.Dispatcher, state.Artifacts, state.Images
	providers := map[string]pipeline.Provider{}
	for _, p := range []pipeline.Provider{shell.New(shell.Config{}), approval.New(approval.Config{}), scan.New(scan.Config{})} {
		providers[p.Name()] = p
	}
	eng, err := engine.New(engine.Config{Store: st, DB: db, Dispatcher: disp, Providers: providers, Artifacts: arts,
		DataDir: dir, User: "server",
		When: func(expr, repoDir string, vars map[string]string) (bool, error) {
			return spec.EvalWhen(expr, spec.WhenEnv{RepoDir: repoDir, Variables: vars})
		},
		Resolve: spec.Resolve})
	if err != nil {
		t.Fatal(err)
	}
	if err := disp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, st: st, eng: eng, arts: arts, images: images, tokens: map[store.Role]string{}}
	e.makeTokens()
	if err := st.CreatePipeline(ctx, store.PipelineRecord{Name: "demo", Repo: dir, Branch: "main",
		WebhookSecret: "whsec-never-shown", Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	dash, err := dashboard.New(dashboard.Config{Engine: eng, Store: st, Images: images, Artifacts: arts,
		Authenticate: e.authenticate, Recheck: dashboard.TokenCheck(st, e.now), Release: e.release,
		Audit:  func(ctx context.Context, a store.AuditEntry) error { return st.AddAudit(ctx, &a) },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	e.dash = dash
	e.srv = httptest.NewServer(dash.Handler())
	t.Cleanup(func() {
		dash.Close()
		e.srv.Close()
		eng.Drain()
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = disp.Stop(stop)
	})
	return e
}

func (e *env) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Now().Add(e.skew)
}

// advance moves the dashboard's clock forward.
func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.skew += d
}

// makeTokens stores a token per role: alice (admin), olga (operator),
// victor (viewer), walter (worker).
func (e *env) makeTokens() {
	names := map[store.Role]string{store.RoleAdmin: "alice", store.RoleOperator: "olga",
		store.RoleViewer: "victor", store.RoleWorker: "walter"}
	for role, name := range names {
		tok, rec, err := auth.New(auth.Spec{Name: name, Role: role}, time.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		if err := e.st.CreateToken(context.Background(), rec); err != nil {
			e.t.Fatal(err)
		}
		e.tokens[role] = tok
	}
}

// authenticate checks a token against the store, as the server does.
func (e *env) authenticate(ctx context.Context, token string) (dashboard.Principal, error) {
	id, secret, err := auth.Parse(token)
	if err != nil {
		return dashboard.Principal{}, err
	}
	t, err := e.st.TokenByHash(ctx, auth.Hash(secret))
	if err != nil {
		return dashboard.Principal{}, err
	}
	if t.ID != id {
		return dashboard.Principal{}, fmt.Errorf("token: %w", pipeline.ErrNotFound)
	}
	if why := auth.Usable(t, time.Now()); why != "" {
		return dashboard.Principal{}, fmt.Errorf("%w: token %s", pipeline.ErrInvalid, why)
	}
	return dashboard.Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Expires: t.Expires}, nil
}

// release starts the demo pipeline, as the server's Release does for a
// registered pipeline.
func (e *env) release(ctx context.Context, name, trigger string) (string, error) {
	if name != "demo" {
		return "", fmt.Errorf("pipeline %q: %w", name, pipeline.ErrNotFound)
	}
	return e.eng.Start(ctx, e.parse(demoPipeline), engine.StartOptions{RepoDir: e.dir, Trigger: trigger,
		Revision: "0123456789abcdef"})
}

// parse reads a pipeline definition.
func (e *env) parse(src string) *pipeline.Pipeline {
	e.t.Helper()
	p, err := spec.Parse("secpipe.yml", []byte(src), spec.Options{Providers: []string{"shell", "approval", "scan"}})
	if err != nil {
		e.t.Fatalf("Parse = %v", err)
	}
	return p
}

// start starts an execution of src.
func (e *env) start(src string) string {
	e.t.Helper()
	id, err := e.eng.Start(context.Background(), e.parse(src), engine.StartOptions{RepoDir: e.dir, Trigger: "cli"})
	if err != nil {
		e.t.Fatalf("Start = %v", err)
	}
	return id
}

// startWaiting starts the demo pipeline and waits until its approval
// waits.
func (e *env) startWaiting() string {
	e.t.Helper()
	id := e.start(demoPipeline)
	e.waitFor("the approval of "+id, func() bool {
		r, err := e.st.ActionRun(context.Background(), id, "Release", "Approve")
		return err == nil && r.Status == pipeline.StatusWaiting
	})
	return id
}

// finish waits for execution id to end and returns its status.
func (e *env) finish(id string) pipeline.Status {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := e.eng.Wait(ctx, id)
	if err != nil {
		e.t.Fatalf("Wait(%s) = %v", id, err)
	}
	return st
}

// status reads the status of execution id.
func (e *env) status(id string) pipeline.Status {
	e.t.Helper()
	x, err := e.st.Execution(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return x.Status
}

// waitFor polls cond until it holds or 20 s pass.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// audit returns the audit log, newest first.
func (e *env) audit() []store.AuditEntry {
	e.t.Helper()
	entries, err := e.st.Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return entries
}

// client is a browser-like HTTP client with its own cookie jar; it does
// not follow redirects, so tests see them.
type client struct {
	e    *env
	http *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a finished request: status, headers and body.
type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) response {
	c.e.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) get(path string) response {
	c.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.do(req)
}

// post submits a form; the client's CSRF token (from the last page) is
// added unless form sets csrf itself.
func (c *client) post(path string, form url.Values) response {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login logs the client in with the token of role and checks it landed
// on the pipelines page.
func (c *client) login(role store.Role) {
	c.e.t.Helper()
	c.loginWith(c.e.tokens[role])
}

// loginWith logs the client in with token and checks it landed on the
// pipelines page.
func (c *client) loginWith(token string) {
	c.e.t.Helper()
	if res := c.get("/login"); res.status != http.StatusOK {
		c.e.t.Fatalf("GET /login = %d", res.status)
	}
	res := c.post("/login", url.Values{"token": {token}, "next": {"/pipelines"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/pipelines" {
		c.e.t.Fatalf("login = %d %q: %s", res.status, res.header.Get("Location"), res.body)
	}
	// Load a page to pick up the session's CSRF token.
	if res := c.get("/pipelines"); res.status != http.StatusOK {
		c.e.t.Fatalf("GET /pipelines after login = %d", res.status)
	}
}

// writeFile creates a file (the tests' markers and stop files).
func writeFile(t testing.TB, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}
