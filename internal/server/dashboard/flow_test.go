package dashboard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/server/servertest"

	"github.com/chromedp/chromedp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/approval"
	"github.com/secpipe/secpipe/internal/provider/git"
	"github.com/secpipe/secpipe/internal/provider/scan"
	"github.com/secpipe/secpipe/internal/provider/shell"
	"github.com/secpipe/secpipe/internal/server"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/server/dashboard"
	"github.com/secpipe/secpipe/internal/store"
)

// leakyPipeline is the story's first run: the build's secret scan finds
// the key pair committed in app/src/config.js and fails the execution.
const leakyPipeline = `version: 1
name: leaky
stages:
  - name: Source
    actions:
      - {name: Source, provider: git, outputs: [SourceArtifact]}
  - name: Build
    actions:
      - name: SecretScan
        provider: scan
        inputs: [SourceArtifact]
        config: {scanners: [secrets], fail_on: low}
      - name: Build
        provider: shell
        run_order: 2
        inputs: [SourceArtifact]
        config: {commands: ["echo built"]}
`

// gatedPipeline scans (reporting a low finding without failing), then
// waits for someone to approve the release.
const gatedPipeline = `version: 1
name: gated
stages:
  - name: Source
    actions:
      - {name: Source, provider: git, outputs: [SourceArtifact]}
  - name: Scan
    actions:
      - {name: Secrets, provider: scan, inputs: [SourceArtifact], config: {scanners: [secrets], fail_on: high}}
  - name: Release
    actions:
      - {name: Approve, provider: approval, config: {summary: "Ship the release?"}}
      - {name: Deploy, provider: shell, run_order: 2, config: {commands: ["echo deployed"]}}
`

// leakedConfig is app/src/config.js with the story's key pair.
const leakedConfig = `const config = {
  accessKeyId: '` + plantedKeyID + `',
  secretAccessKey: '` + plantedSecret + `',
  region: 'eu-west-1',
};
`

// serverEnv is the dashboard as secpipe server mounts it: a real server
// (SQLite, River, the git, scan, shell and approval providers) serving
// the API and the dashboard on one port, with registered pipelines in
// git repositories.
type serverEnv struct {
	t       *testing.T
	url     string
	dataDir string
	st      store.Store
	tokens  map[store.Role]string
}

func newServerEnv(t *testing.T) *serverEnv {
	t.Helper()
	state := servertest.New(t)
	ctx := context.Background()
	dir, st, disp, arts, images := state.Dir, state.Store, state.Dispatcher, state.Artifacts, state.Images
	providers := map[string]pipeline.Provider{}
	for _, p := range []pipeline.Provider{git.New(git.Config{}), shell.New(shell.Config{}),
		approval.New(approval.Config{}), scan.New(scan.Config{})} {
		providers[p.Name()] = p
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var dash *dashboard.Dashboard
	srv, err := server.New(server.Config{Store: st, Dispatcher: disp, Artifacts: arts, Providers: providers,
		DataDir: filepath.Join(dir, "data"), Images: images, Listener: ln, ShutdownTimeout: 10 * time.Second,
		Exclusive: true, Stopping: func() { dash.Close() }})
	if err != nil {
		t.Fatal(err)
	}
	authn := srv.Authenticator()
	check := dashboard.TokenCheck(st, nil)
	dash, err = dashboard.New(dashboard.Config{Engine: srv.Engine(), Store: st, Images: images, Artifacts: arts,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
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
		Audit: func(ctx context.Context, e store.AuditEntry) error { return st.AddAudit(ctx, &e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount("/", dash.Handler(), "")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("server Run = %v", err)
		}
	})
	e := &serverEnv{t: t, url: "http://" + ln.Addr().String(), dataDir: filepath.Join(dir, "data"), st: st,
		tokens: map[store.Role]string{}}
	for _, role := range []store.Role{store.RoleViewer, store.RoleOperator} {
		tok, _, err := auth.Create(ctx, st, auth.Spec{Name: map[store.Role]string{store.RoleViewer: "victor",
			store.RoleOperator: "olga"}[role], Role: role}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = tok
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(e.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not get ready: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return e
}

// register commits files to a new git repository and registers it as
// pipeline name, following branch main.
func (e *serverEnv) register(name string, files map[string]string) {
	e.t.Helper()
	dir := e.t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=Dana", "-c", "user.email=d@example.com"},
			args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			e.t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	for path, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	git("add", "-A")
	git("commit", "-q", "-m", "first")
	now := time.Now()
	if err := e.st.CreatePipeline(context.Background(), store.PipelineRecord{Name: name, Repo: dir, Branch: "main",
		Created: now, Updated: now}); err != nil {
		e.t.Fatal(err)
	}
}

// client is a browser-like client of the server's dashboard (see
// env.client).
func (e *serverEnv) client() *client {
	return (&env{t: e.t, srv: &httptest.Server{URL: e.url}, tokens: e.tokens}).client()
}

// retryablePipeline fails its build until the marker file exists, then
// packages: when the repository has a VERSION file, it reads the
// repository and prints that file.
const retryablePipeline = `version: 1
name: retryable
stages:
  - name: Build
    actions:
      - name: Compile
        provider: shell
        config:
          env: {MARKER: %q}
          commands: ['test -f "$MARKER" || { echo "no marker"; exit 3; }']
  - name: Package
    when: 'exists("VERSION")'
    actions:
      - {name: Source, provider: git, outputs: [SourceArtifact]}
      - name: Show
        provider: shell
        run_order: 2
        inputs: [SourceArtifact]
        config: {commands: ['cat "$INPUT_SourceArtifact/VERSION"']}
`

// TestDashboardRetryRecreatesCheckout: the server removes an execution's
// checkout when it ends; retrying it from the dashboard checks the
// revision out again, so the stages after the retried one read the
// repository's files.
func TestDashboardRetryRecreatesCheckout(t *testing.T) {
	t.Parallel()
	e := newServerEnv(t)
	marker := filepath.Join(t.TempDir(), "marker")
	e.register("retryable", map[string]string{"secpipe.yml": fmt.Sprintf(retryablePipeline, marker),
		"VERSION": "version 4.2.7\n"})
	c := e.client()
	c.login(store.RoleOperator)
	res := c.post("/pipelines/retryable/release", nil)
	id, ok := strings.CutPrefix(res.header.Get("Location"), "/executions/")
	if res.status != http.StatusSeeOther || !ok {
		t.Fatalf("release = %d %q: %s", res.status, res.header.Get("Location"), res.body)
	}
	ctx := context.Background()
	status := func() pipeline.Status {
		x, err := e.st.Execution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return x.Status
	}
	checkout := filepath.Join(e.dataDir, "checkouts", id)
	serverEventually(t, "the release to fail and its checkout to go", func() bool {
		_, err := os.Stat(checkout)
		return status() == pipeline.StatusFailed && errors.Is(err, os.ErrNotExist)
	})

	writeFile(t, marker)
	if res := c.post("/executions/"+id+"/retry", url.Values{"stage": {"Build"}}); res.status != http.StatusSeeOther {
		t.Fatalf("retry = %d: %s", res.status, res.body)
	}
	serverEventually(t, "the retry to end", func() bool { return status().Terminal() })
	if st := status(); st != pipeline.StatusSucceeded {
		t.Errorf("after the retry the execution is %s, want succeeded", st)
	}
	if log := c.get("/executions/" + id + "/logs/Package/Show/raw").body; !strings.Contains(log, "version 4.2.7") {
		t.Errorf("Package/Show's log = %q, want the repository's VERSION", log)
	}
}

// serverEventually polls cond until it holds or 30 s pass.
func serverEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserReleaseFlow walks the story in a browser: log in, release a
// pipeline whose repository leaks a key pair and watch it fail on the
// secret scan, find the secret (redacted) among the project's findings,
// then release a gated pipeline, approve it from the inbox, see it
// succeed and see the findings counted.
func TestBrowserReleaseFlow(t *testing.T) {
	b := newBrowser(t)
	e := newServerEnv(t)
	e.register("leaky", map[string]string{"secpipe.yml": leakyPipeline, "app/src/config.js": leakedConfig})
	e.register("gated", map[string]string{"secpipe.yml": gatedPipeline,
		"app/db.js": "module.exports = 'postgres://app:Xk29vQp7Lm3sR8@localhost:5432/shop';\n"})
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	t.Run("log in", func(t *testing.T) {
		b.do(t, "open the dashboard", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(css(`#token`)),
			chromedp.SendKeys(css(`#token`), e.tokens[store.RoleOperator]))
		b.submit(t, "submit the token", chromedp.Click(css(`#login`)))
		b.do(t, "see the pipelines", chromedp.WaitVisible(css(`tr[data-pipeline="leaky"]`)))
	})

	t.Run("a release fails on the leaked secret", func(t *testing.T) {
		b.submit(t, "release leaky", chromedp.Click(css(`tr[data-pipeline="leaky"] button.release`)))
		b.do(t, "watch it fail", chromedp.WaitVisible(css(`#execution[data-status="failed"]`)))
		cells := get(t, b, "read the grid", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("#grid a.cell")).map(c => c.dataset.action + "=" + c.dataset.status)`))
		if got := strings.Join(cells, ","); got != "Source=succeeded,SecretScan=failed,Build=skipped" {
			t.Errorf("grid = %s, want the secret scan failed and the build skipped", got)
		}
		msg := get(t, b, "read the scan's message", chromedp.Text(css(`tr.action[data-action="SecretScan"] td.message`)))
		if !strings.Contains(msg, "gate failed") {
			t.Errorf("secret scan message = %q, want the gate's failure", msg)
		}
	})

	t.Run("the project's findings show the secret redacted", func(t *testing.T) {
		b.do(t, "open the findings", chromedp.Navigate(e.url+"/findings"), chromedp.WaitVisible(css(`#chart`)))
		rows := get(t, b, "read the rows", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("tr.finding")).map(r => r.dataset.pipeline + "/" + r.dataset.severity + "/" + r.querySelector("code").textContent)`))
		want := "leaky/critical/aws-access-key-id,leaky/critical/aws-secret-access-key"
		if got := strings.Join(rows, ","); got != want {
			t.Errorf("findings = %s, want %s", got, want)
		}
		locs := get(t, b, "read the locations", chromedp.Evaluate[string](
			`Array.from(document.querySelectorAll("tr.finding td:nth-child(6)")).map(c => c.textContent).join(",")`))
		if locs != "app/src/config.js:2,app/src/config.js:3" {
			t.Errorf("locations = %q, want app/src/config.js:2 and :3", locs)
		}
		body := get(t, b, "read the page", chromedp.OuterHTML(css(`html`)))
		if strings.Contains(body, plantedSecret) || strings.Contains(body, plantedKeyID) {
			t.Errorf("the findings page shows the secret in full")
		}
		if !strings.Contains(body, "AKIA") {
			t.Errorf("the findings page shows no redacted evidence")
		}
	})

	var gated string
	t.Run("approve a gated release in the inbox", func(t *testing.T) {
		b.do(t, "open the pipelines", chromedp.Navigate(e.url+"/pipelines"),
			chromedp.WaitVisible(css(`tr[data-pipeline="gated"]`)))
		b.submit(t, "release gated", chromedp.Click(css(`tr[data-pipeline="gated"] button.release`)))
		gated = get(t, b, "read the execution's address", chromedp.Evaluate[string](`window.location.pathname`))
		// The page reloads as the execution moves; once the approval
		// waits, the navigation counts it.
		b.do(t, "see the approval counted", chromedp.WaitVisible(css(`#approvals-badge`)))
		if n := get(t, b, "read the badge", chromedp.Text(css(`#approvals-badge`))); n != "1" {
			t.Errorf("badge = %q, want 1", n)
		}
		b.submit(t, "open the inbox", chromedp.Click(css(`#approvals-link`)))
		b.do(t, "give a reason", chromedp.SendKeys(css(`tr.pending[data-action="Release.Approve"] input[name=reason]`),
			"reviewed the scan"))
		b.submit(t, "approve", chromedp.Click(css(`tr.pending[data-action="Release.Approve"] button.approve`)))
		b.do(t, "see the inbox empty", chromedp.WaitVisible(css(`#no-approvals`)))
		b.do(t, "open the execution", chromedp.Navigate(e.url+gated),
			chromedp.WaitVisible(css(`#execution[data-status="succeeded"]`)))
	})

	t.Run("see the findings counted", func(t *testing.T) {
		b.do(t, "open the findings", chromedp.Navigate(e.url+"/findings"), chromedp.WaitVisible(css(`#chart`)))
		counts := get(t, b, "read the counts", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("#severity-counts a.count")).map(a => a.dataset.severity + "=" + a.dataset.count)`))
		if got := strings.Join(counts, ","); got != "critical=2,high=0,medium=0,low=1,info=0,unknown=0" {
			t.Errorf("severity counts = %s, want 2 critical (leaky) and 1 low (gated)", got)
		}
		today := time.Now().UTC().Format(time.DateOnly)
		total := get(t, b, "read today's bar", chromedp.Evaluate[string](
			`document.querySelector('#chart g.bar[data-day="`+today+`"]').dataset.total`))
		if total != "3" {
			t.Errorf("today's open findings in the chart = %s, want 3", total)
		}
		b.submit(t, "filter by the gated pipeline", chromedp.SetValue(css(`#pipeline-filter`), "gated"))
		rows := get(t, b, "read the rows", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("tr.finding")).map(r => r.dataset.pipeline + "/" + r.dataset.severity)`))
		if got := strings.Join(rows, ","); got != "gated/low" {
			t.Errorf("gated's findings = %s, want one low", got)
		}
	})

	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("the pages reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
