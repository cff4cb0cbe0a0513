package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

func engineQuery(p string) engine.ExecutionQuery { return engine.ExecutionQuery{Pipeline: p} }

// mustContain fails unless body holds every one of want.
func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// noSecrets fails when body shows a planted secret or the webhook secret.
func noSecrets(t *testing.T, what, body string) {
	t.Helper()
	for _, s := range []string{plantedKeyID, plantedSecret, "Xk29vQp7Lm3sR8", "whsec-never-shown"} {
		if strings.Contains(body, s) {
			t.Errorf("%s shows the secret %q", what, s)
		}
	}
}

func TestPagesShowRealExecutions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	failed := e.start(fmt.Sprintf(flakyPipeline, filepath.Join(e.dir, "marker")))
	if st := e.finish(failed); st != pipeline.StatusFailed {
		t.Fatalf("flaky execution = %s, want failed", st)
	}
	c := e.client()
	c.login(store.RoleOperator)

	pipelines := c.get("/pipelines")
	mustContain(t, "pipelines page", pipelines.body, `data-pipeline="demo"`, id, "running", "Release change")
	noSecrets(t, "pipelines page", pipelines.body)

	list := c.get("/executions")
	mustContain(t, "executions page", list.body, id, failed, "flaky", "cli", "failed")
	onlyFailed := c.get("/executions?status=failed")
	if !strings.Contains(onlyFailed.body, failed) || strings.Contains(onlyFailed.body, id) {
		t.Errorf("executions?status=failed does not list exactly the failed execution")
	}
	onlyDemo := c.get("/executions?pipeline=demo")
	if !strings.Contains(onlyDemo.body, id) || strings.Contains(onlyDemo.body, failed) {
		t.Errorf("executions?pipeline=demo does not list exactly the demo execution")
	}
	if res := c.get("/executions?status=bogus"); res.status != http.StatusBadRequest {
		t.Errorf("executions?status=bogus = %d, want 400", res.status)
	}

	page := c.get("/executions/" + id)
	mustContain(t, "execution page", page.body,
		`data-stage="Source" data-status="succeeded"`, `data-stage="Scan" data-status="succeeded"`,
		`data-stage="Release" data-status="running"`, `data-action="Approve" data-status="waiting"`,
		`<tr class="variable" data-ref="#{Src.Commit}"><td>Source.Fetch</td>`, ">abc123<", `id="findings-link">3<`,
		`<a class="cell tone-wait" href="#action-2-0" data-action="Approve" data-status="waiting">`,
		`<a class="cell tone-ok" href="#action-0-0" data-action="Fetch" data-status="succeeded">`,
		`<tr class="action" id="action-2-0" data-action="Approve"`, "Ship &lt;b&gt;it&lt;/b&gt;?", `value="Release.Approve"`,
		`id="cancel"`)
	if strings.Contains(page.body, "Ship <b>it</b>") {
		t.Errorf("execution page renders the approval summary unescaped")
	}
	noSecrets(t, "execution page", page.body)

	flaky := c.get("/executions/" + failed)
	mustContain(t, "failed execution page", flaky.body, `data-stage="Build" data-status="failed"`, "Retry stage",
		"exited with status 3", `<a class="cell tone-fail" href="#action-0-0" data-action="Compile" data-status="failed">`,
		`id="no-artifacts"`)

	log := c.get("/executions/" + failed + "/logs/Build/Compile")
	mustContain(t, "log page", log.body, "no marker")
	raw := c.get("/executions/" + failed + "/logs/Build/Compile/raw")
	if raw.status != http.StatusOK || !strings.Contains(raw.body, "no marker") ||
		!strings.HasPrefix(raw.header.Get("Content-Type"), "text/plain") {
		t.Errorf("raw log = %d %q %q", raw.status, raw.header.Get("Content-Type"), raw.body)
	}
	for _, path := range []string{"/executions/nope", "/executions/" + id + "/logs/Build/Nope",
		"/executions/" + id + "/logs/..%2F..%2Fetc/passwd", "/nope"} {
		if res := c.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, res.status)
		}
	}
}

func TestFindingsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	c := e.client()
	c.login(store.RoleViewer)
	rows := regexp.MustCompile(`<tr class="finding" data-kind="([a-z]+)" data-severity="([a-z]+)"`)
	tests := []struct {
		query     string
		wantRows  int
		wantRules []string
	}{
		{query: "", wantRows: 3, wantRules: []string{"aws-access-key-id", "aws-secret-access-key", "local-url-password"}},
		{query: "?severity=critical", wantRows: 2, wantRules: []string{"aws-access-key-id", "aws-secret-access-key"}},
		{query: "?severity=low&kind=secret", wantRows: 1, wantRules: []string{"local-url-password"}},
		{query: "?kind=vuln", wantRows: 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := c.get("/executions/" + id + "/findings" + tt.query)
			if res.status != http.StatusOK {
				t.Fatalf("status = %d", res.status)
			}
			got := rows.FindAllStringSubmatch(res.body, -1)
			if len(got) != tt.wantRows {
				t.Errorf("rows = %d, want %d", len(got), tt.wantRows)
			}
			q, _ := url.ParseQuery(strings.TrimPrefix(tt.query, "?"))
			for _, m := range got {
				if k := q.Get("kind"); k != "" && m[1] != k {
					t.Errorf("row of kind %s under kind=%s", m[1], k)
				}
				if s := q.Get("severity"); s != "" && m[2] != s {
					t.Errorf("row of severity %s under severity=%s", m[2], s)
				}
			}
			mustContain(t, "findings page", res.body, tt.wantRules...)
			noSecrets(t, "findings page", res.body)
		})
	}
	all := c.get("/executions/" + id + "/findings")
	mustContain(t, "findings page", all.body, "app/config.js:2", "AKIA*****", "open", "3 of 3 findings")
	if res := c.get("/executions/" + id + "/findings?severity=severe"); res.status != http.StatusBadRequest {
		t.Errorf("findings?severity=severe = %d, want 400", res.status)
	}
	if res := c.get("/executions/latest/findings"); !strings.Contains(res.body, id) {
		t.Errorf("findings of the latest execution do not name %s", id)
	}
}

func TestApproveAndReject(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		decision   string
		wantStatus pipeline.Status
		wantAudit  string
	}{
		{decision: "approve", wantStatus: pipeline.StatusSucceeded, wantAudit: "approval.approve"},
		{decision: "reject", wantStatus: pipeline.StatusFailed, wantAudit: "approval.reject"},
	} {
		t.Run(tt.decision, func(t *testing.T) {
			e := newEnv(t)
			id := e.startWaiting()
			c := e.client()
			c.login(store.RoleOperator)
			c.get("/executions/" + id)
			res := c.post("/executions/"+id+"/approve", url.Values{"action": {"Release.Approve"},
				"decision": {tt.decision}, "reason": {"looks <fine>"}})
			if res.status != http.StatusSeeOther || res.header.Get("Location") != "/executions/"+id {
				t.Fatalf("approve = %d %q: %s", res.status, res.header.Get("Location"), res.body)
			}
			if st := e.finish(id); st != tt.wantStatus {
				t.Errorf("execution = %s, want %s", st, tt.wantStatus)
			}
			entries := e.audit()
			if len(entries) != 1 || entries[0].Actor != "olga" || entries[0].Action != tt.wantAudit ||
				entries[0].Target != id || !strings.Contains(entries[0].Detail, "looks <fine>") {
				t.Errorf("audit = %+v, want one %s by olga on %s", entries, tt.wantAudit, id)
			}
			approvals, err := e.st.Approvals(context.Background(), id)
			if err != nil || len(approvals) != 1 || approvals[0].By != "olga" {
				t.Errorf("approvals = %+v, %v; want one by olga", approvals, err)
			}
			page := c.get("/executions/" + id)
			mustContain(t, "execution page after the decision", page.body, "looks &lt;fine&gt;", "olga")
			again := c.post("/executions/"+id+"/approve", url.Values{"action": {"Release.Approve"},
				"decision": {"approve"}})
			if again.status != http.StatusSeeOther {
				t.Errorf("second decision = %d, want a redirect with a message", again.status)
			}
			mustContain(t, "page after a second decision", c.get("/executions/"+id).body, "flash-error",
				"not waiting for an approval")
			if n := len(e.audit()); n != 1 {
				t.Errorf("audit has %d entries after a refused second decision, want 1", n)
			}
		})
	}
}

func TestRetryAndCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	marker := filepath.Join(e.dir, "marker")
	id := e.start(fmt.Sprintf(flakyPipeline, marker))
	if st := e.finish(id); st != pipeline.StatusFailed {
		t.Fatalf("flaky = %s, want failed", st)
	}
	c := e.client()
	c.login(store.RoleOperator)
	c.get("/executions/" + id)
	writeFile(t, marker)
	if res := c.post("/executions/"+id+"/retry", url.Values{"stage": {"Build"}}); res.status != http.StatusSeeOther {
		t.Fatalf("retry = %d: %s", res.status, res.body)
	}
	if st := e.finish(id); st != pipeline.StatusSucceeded {
		t.Errorf("retried execution = %s, want succeeded", st)
	}

	waiting := e.startWaiting()
	c.get("/executions/" + waiting)
	if res := c.post("/executions/"+waiting+"/cancel", nil); res.status != http.StatusSeeOther {
		t.Fatalf("cancel = %d: %s", res.status, res.body)
	}
	if st := e.finish(waiting); st != pipeline.StatusCancelled {
		t.Errorf("cancelled execution = %s, want cancelled", st)
	}
	entries := e.audit()
	got := map[string]string{}
	for _, a := range entries {
		if a.Actor != "olga" {
			t.Errorf("audit entry %+v: actor %q, want olga", a, a.Actor)
		}
		got[a.Action] = a.Target
	}
	if got["execution.retry"] != id || got["execution.cancel"] != waiting || len(entries) != 2 {
		t.Errorf("audit = %+v, want a retry of %s and a cancel of %s", entries, id, waiting)
	}
	// Cancelling a finished execution is refused and not audited.
	c.post("/executions/"+waiting+"/cancel", nil)
	if n := len(e.audit()); n != 2 {
		t.Errorf("audit has %d entries after cancelling a finished execution, want 2", n)
	}
}

func TestRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	c.login(store.RoleOperator)
	res := c.post("/pipelines/demo/release", nil)
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/executions/") {
		t.Fatalf("release = %d %q: %s", res.status, loc, res.body)
	}
	id := strings.TrimPrefix(loc, "/executions/")
	x, err := e.st.Execution(context.Background(), id)
	if err != nil || x.Trigger != "manual olga" {
		t.Errorf("released execution = %+v, %v; want trigger \"manual olga\"", x, err)
	}
	mustContain(t, "released execution page", c.get(loc).body, "Started execution "+id, "manual olga")
	entries := e.audit()
	if len(entries) != 1 || entries[0].Action != "pipeline.release" || entries[0].Target != "demo" ||
		entries[0].Actor != "olga" {
		t.Errorf("audit = %+v, want a release of demo by olga", entries)
	}
	if res := c.post("/pipelines/nope/release", nil); res.status != http.StatusSeeOther {
		t.Errorf("release of an unknown pipeline = %d, want a redirect with a message", res.status)
	}
	mustContain(t, "pipelines page after a failed release", c.get("/pipelines").body, "flash-error", "nope")
}

func TestImages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := filepath.Join(e.dir, "rootfs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "hello"))
	im, err := e.images.Publish(context.Background(), image.PublishRequest{Name: "golden", RootFS: root, Channel: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login(store.RoleOperator)
	page := c.get("/images")
	mustContain(t, "images page", page.body, im.Digest, "golden", "golden@dev", "promote-form")
	res := c.post("/images/promote", url.Values{"ref": {"golden@" + im.Digest}, "channel": {"prod"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("promote = %d: %s", res.status, res.body)
	}
	got, err := e.images.Inspect(context.Background(), "golden@prod")
	if err != nil || got.Digest != im.Digest {
		t.Errorf("golden@prod = %v, %v; want %s", got.Digest, err, im.Digest)
	}
	if res := c.post("/images/revoke", url.Values{"digest": {im.Digest}, "reason": {"CVE-2018-17182"}}); res.status != http.StatusSeeOther {
		t.Fatalf("revoke = %d: %s", res.status, res.body)
	}
	page = c.get("/images")
	mustContain(t, "images page after revoking", page.body, "revoked", "CVE-2018-17182")
	if strings.Contains(page.body, "promote-form") {
		t.Errorf("a revoked image still offers promotion")
	}
	res = c.post("/images/promote", url.Values{"ref": {"golden@" + im.Digest}, "channel": {"stable"}})
	if res.status != http.StatusSeeOther {
		t.Errorf("promoting a revoked image = %d, want a redirect with a message", res.status)
	}
	mustContain(t, "images page after a refused promotion", c.get("/images").body, "flash-error")
	var actions []string
	for _, a := range e.audit() {
		actions = append(actions, a.Action+" "+a.Actor)
	}
	if strings.Join(actions, ",") != "image.revoke olga,image.promote olga" {
		t.Errorf("audit = %v, want a promotion and a revocation by olga", actions)
	}
}

func TestAuditPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for i := range 105 {
		if err := e.st.AddAudit(ctx, &store.AuditEntry{Actor: "olga", Action: "execution.cancel",
			Target: fmt.Sprintf("x-%d", i), Detail: "<script>alert(1)</script>"}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.client()
	c.login(store.RoleAdmin)
	page := c.get("/audit")
	if n := strings.Count(page.body, `<tr class="entry"`); n != 100 {
		t.Errorf("first audit page has %d entries, want 100", n)
	}
	if strings.Contains(page.body, "<script>alert") {
		t.Errorf("audit page renders a detail unescaped")
	}
	older := regexp.MustCompile(`href="(/audit\?before=[0-9]+)" id="older"`).FindStringSubmatch(page.body)
	if older == nil {
		t.Fatalf("first audit page has no link to older entries")
	}
	second := c.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if n := strings.Count(second.body, `<tr class="entry"`); n != 5 || !strings.Contains(second.body, "x-0<") {
		t.Errorf("second audit page has %d entries, want the 5 oldest", n)
	}
	one := c.get("/audit?target=x-7")
	if n := strings.Count(one.body, `<tr class="entry"`); n != 1 {
		t.Errorf("audit?target=x-7 has %d entries, want 1", n)
	}
}
