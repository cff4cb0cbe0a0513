package dashboard_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// chromiumPath finds Debian's chromium. Without it the browser tests skip,
// except under CI, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: the browser tests must run (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); skipping the browser tests")
	return ""
}

// browser is a headless chromium tab; it records the errors the pages
// report (uncaught exceptions, CSP violations, script errors).
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first call starts the browser; it must not carry a timeout,
	// which would stop the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// stepTimeout bounds one step of a browser test.
const stepTimeout = 20 * time.Second

// do runs steps in the tab, failing the test with what step did.
func (b *browser) do(t *testing.T, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// submit runs an action that loads a new page (a click on a submit
// button) and waits until the new page has loaded: the old page is marked,
// and the tab is polled until it shows an unmarked, complete document.
func (b *browser) submit(t *testing.T, step string, a chromedp.Action[chromedp.Void]) {
	t.Helper()
	b.do(t, step+": mark the page", chromedp.Evaluate[chromedp.Void](`window.secpipeOldPage = true; true`))
	b.do(t, step, a)
	loaded := chromedp.Evaluate[bool](`window.secpipeOldPage !== true && document.readyState === "complete"`)
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, loaded) // fails while the pages change over
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no new page loaded (last error: %v)", step, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get runs an action that returns a value.
func get[T any](t *testing.T, b *browser, step string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// pageErrors returns the errors the pages reported so far.
func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	e := newEnv(t)
	id := e.startWaiting()
	url := e.srv.URL
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	t.Run("log in and see the stages", func(t *testing.T) {
		b.do(t, "log in",
			chromedp.Navigate(url+"/executions/"+id),
			chromedp.WaitVisible(css(`#token`)),
			chromedp.SendKeys(css(`#token`), e.tokens[store.RoleOperator]),
		)
		b.submit(t, "submit the token", chromedp.Click(css(`#login`)))
		b.do(t, "see the execution", chromedp.WaitVisible(css(`#execution`)))
		if who := get(t, b, "read the user", chromedp.Text(css(`#who`))); !strings.HasPrefix(who, "olga") {
			t.Errorf("logged in as %q, want olga", who)
		}
		stages := get(t, b, "read the stages", chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("section.stage")).map(s => s.dataset.stage + "=" + s.dataset.status)`))
		want := "Source=succeeded,Scan=succeeded,Release=running"
		if got := strings.Join(stages, ","); got != want {
			t.Errorf("stages = %s, want %s", got, want)
		}
	})

	t.Run("approve and watch the execution finish", func(t *testing.T) {
		b.do(t, "give a reason", chromedp.SendKeys(css(`.approve-form input[name=reason]`), "ship it"))
		b.submit(t, "approve", chromedp.Click(css(`.approve-form button.approve`)))
		// The page follows the execution and reloads when it changes.
		b.do(t, "see it finish", chromedp.WaitVisible(css(`#execution[data-status="succeeded"]`)))
		status := get(t, b, "read the status", chromedp.Text(css(`#execution-status`)))
		if status != "succeeded" || e.status(id) != pipeline.StatusSucceeded {
			t.Errorf("shown status %q, stored %s; want succeeded", status, e.status(id))
		}
		entries := e.audit()
		if len(entries) != 1 || entries[0].Action != "approval.approve" || entries[0].Actor != "olga" {
			t.Errorf("audit = %+v, want olga's approval", entries)
		}
	})

	t.Run("watch the log grow", func(t *testing.T) {
		stop := filepath.Join(e.dir, "stop")
		tail := e.start(fmt.Sprintf(tailPipeline, stop))
		e.waitFor("the loop to start", func() bool {
			r, err := e.st.ActionRun(context.Background(), tail, "Build", "Loop")
			return err == nil && r.Status == pipeline.StatusRunning
		})
		length := chromedp.Evaluate[int](`document.getElementById("log").textContent.length`)
		b.do(t, "open the log",
			chromedp.Navigate(url+"/executions/"+tail+"/logs/Build/Loop"),
			chromedp.Poll[chromedp.Void](`document.getElementById("log").textContent.includes("tick 3\n")`),
		)
		before := get(t, b, "measure the log", length)
		b.do(t, "see it grow",
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("log").textContent.length > %d`, before)))
		writeFile(t, stop)
		b.do(t, "see it end", chromedp.WaitVisible(css(`pre#log[data-ended="succeeded"]`)))
		text := get(t, b, "read the log", chromedp.TextContent(css(`#log`)))
		status := get(t, b, "read the status", chromedp.Text(css(`#log-status`)))
		if !strings.Contains(text, "loop finished") || strings.Count(text, "tick 1\n") != 1 || status != "succeeded" {
			t.Errorf("final log (status %q) = %q: want every line once and the last one", status, text)
		}
	})

	t.Run("the execution page follows a running execution", func(t *testing.T) {
		stop := filepath.Join(e.dir, "stop-again")
		run := e.start(fmt.Sprintf(tailPipeline, stop))
		b.do(t, "open the running execution", chromedp.Navigate(url+"/executions/"+run),
			chromedp.WaitVisible(css(`section.stage[data-stage="Build"]`)))
		writeFile(t, stop)
		b.do(t, "see it finish without reloading by hand",
			chromedp.WaitVisible(css(`#execution[data-status="succeeded"]`)))
	})

	t.Run("filter findings", func(t *testing.T) {
		rows := func(want int) string {
			b.do(t, "wait for the rows", chromedp.Poll[chromedp.Void](
				fmt.Sprintf(`document.querySelectorAll("tr.finding").length === %d`, want)))
			got := get(t, b, "read the rows", chromedp.Evaluate[[]string](
				`Array.from(document.querySelectorAll("tr.finding")).map(r => r.dataset.kind + "/" + r.dataset.severity)`))
			return strings.Join(got, ",")
		}
		b.do(t, "open the findings", chromedp.Navigate(url+"/executions/"+id+"/findings"),
			chromedp.WaitVisible(css(`#findings-filter`)))
		if got := rows(3); got != "secret/critical,secret/critical,secret/low" {
			t.Errorf("findings = %s, want the two AWS keys and the database password", got)
		}
		// Choosing a value applies the filter at once (SetValue fires the
		// change event as a person's choice does).
		b.submit(t, "filter by severity", chromedp.SetValue(css(`#severity-filter`), "critical"))
		if got := rows(2); got != "secret/critical,secret/critical" {
			t.Errorf("critical findings = %s, want the two AWS keys", got)
		}
		// Without script the Filter button applies it.
		b.do(t, "choose a kind quietly",
			chromedp.Evaluate[chromedp.Void](`document.getElementById("kind-filter").value = "vuln"; true`))
		b.submit(t, "filter by kind", chromedp.Click(css(`#filter`)))
		if sel := get(t, b, "read the filter", chromedp.Value(css(`#kind-filter`))); sel != "vuln" {
			t.Errorf("kind filter after the reload = %q, want vuln", sel)
		}
		if got := rows(0); got != "" {
			t.Errorf("critical vulnerabilities = %s, want none", got)
		}
		if count := get(t, b, "read the count", chromedp.Text(css(`#findings-count`))); count != "0 of 3 findings" {
			t.Errorf("count = %q, want 0 of 3 findings", count)
		}
		body := get(t, b, "read the page", chromedp.OuterHTML(css(`html`)))
		if strings.Contains(body, plantedSecret) || strings.Contains(body, plantedKeyID) {
			t.Errorf("the findings page shows a secret in full")
		}
	})

	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("the pages reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
