package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/store"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantText   string
	}{
		{name: "malformed", token: "not-a-token", wantStatus: http.StatusUnauthorized, wantText: "not valid"},
		{name: "unknown", token: "spt_0123abcd_" + strings.Repeat("A", 43), wantStatus: http.StatusUnauthorized,
			wantText: "not valid"},
		{name: "empty", token: "", wantStatus: http.StatusBadRequest, wantText: "Paste an API token"},
		{name: "worker", token: e.tokens[store.RoleWorker], wantStatus: http.StatusForbidden,
			wantText: "A worker token cannot use the dashboard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client()
			c.get("/login")
			res := c.post("/login", url.Values{"token": {tt.token}})
			if res.status != tt.wantStatus || !strings.Contains(res.body, tt.wantText) {
				t.Errorf("login = %d %q, want %d with %q", res.status, res.body, tt.wantStatus, tt.wantText)
			}
			if tt.token != "" && strings.Contains(res.body, tt.token) {
				t.Errorf("the refused token is echoed back")
			}
			if got := c.get("/pipelines"); got.status != http.StatusSeeOther {
				t.Errorf("GET /pipelines after a refused login = %d, want a redirect to the login page", got.status)
			}
		})
	}
}

func TestLoginSessionCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	if res := c.get("/executions"); res.status != http.StatusSeeOther ||
		res.header.Get("Location") != "/login?next=%2Fexecutions" {
		t.Fatalf("GET /executions logged out = %d %q, want a redirect to the login page",
			res.status, res.header.Get("Location"))
	}
	c.get("/login?next=%2Fexecutions")
	res := c.post("/login", url.Values{"token": {e.tokens[store.RoleViewer]}, "next": {"/executions"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/executions" {
		t.Fatalf("login = %d %q, want 303 to /executions", res.status, res.header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: res.header}).Cookies() {
		if ck.Name == "secpipe_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatalf("login set no session cookie: %v", res.header["Set-Cookie"])
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.Secure {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", session)
	}
	if strings.Contains(session.Value, e.tokens[store.RoleViewer]) || len(session.Value) < 40 {
		t.Errorf("session cookie value %q: want a long random id, not the token", session.Value)
	}
	if page := c.get("/executions"); page.status != http.StatusOK || !strings.Contains(page.body, "victor") {
		t.Errorf("GET /executions logged in = %d, want 200 naming the user", page.status)
	}
	if res := c.post("/logout", nil); res.status != http.StatusSeeOther {
		t.Fatalf("logout = %d", res.status)
	}
	if res := c.get("/executions"); res.status != http.StatusSeeOther {
		t.Errorf("GET /executions after logout = %d, want a redirect to the login page", res.status)
	}
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
		c := e.client()
		c.get("/login")
		res := c.post("/login", url.Values{"token": {e.tokens[store.RoleViewer]}, "next": {next}})
		if loc := res.header.Get("Location"); loc != "/pipelines" {
			t.Errorf("login with next=%q redirects to %q, want /pipelines", next, loc)
		}
	}
}

func TestLoginCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name string
		// page loads the login page first (setting the login cookie).
		page bool
		csrf string
	}{
		{name: "no login cookie, no token", csrf: ""},
		{name: "no login cookie, forged token", csrf: "forged"},
		{name: "login cookie, no token", page: true, csrf: ""},
		{name: "login cookie, wrong token", page: true, csrf: "wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.client()
			if tt.page {
				c.get("/login")
			}
			res := c.post("/login", url.Values{"token": {e.tokens[store.RoleAdmin]}, "csrf": {tt.csrf}})
			if res.status != http.StatusForbidden {
				t.Errorf("login = %d, want 403", res.status)
			}
			if got := c.get("/pipelines"); got.status != http.StatusSeeOther {
				t.Errorf("a login without a valid CSRF token started a session")
			}
		})
	}
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	olga := e.client()
	olga.login(store.RoleOperator)
	other := e.client()
	other.login(store.RoleOperator)
	tests := []struct {
		name string
		csrf string
	}{
		{name: "missing", csrf: ""},
		{name: "wrong", csrf: "AAAA"},
		{name: "another session's", csrf: other.csrf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/executions/" + id + "/cancel", "/executions/" + id + "/approve",
				"/pipelines/demo/release", "/images/revoke", "/logout"} {
				res := olga.post(path, url.Values{"csrf": {tt.csrf}, "action": {"Approve"}, "decision": {"approve"},
					"digest": {"sha256:00"}, "reason": {"r"}})
				if res.status != http.StatusForbidden {
					t.Errorf("POST %s = %d, want 403", path, res.status)
				}
			}
		})
	}
	if st := e.status(id); st != "running" {
		t.Errorf("execution status = %s after refused posts, want running", st)
	}
	if n := len(e.audit()); n != 0 {
		t.Errorf("audit has %d entries after refused posts, want none", n)
	}
	// The session survived the refused logout.
	if res := olga.get("/pipelines"); res.status != http.StatusOK {
		t.Errorf("GET /pipelines = %d after a refused logout, want 200", res.status)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	c := e.client()
	c.login(store.RoleOperator)
	form := url.Values{"csrf": {c.csrf}}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/executions/"+id+"/cancel", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := c.do(req); res.status != http.StatusForbidden {
		t.Errorf("cross-site POST with a valid CSRF token = %d, want 403", res.status)
	}
	if st := e.status(id); st != "running" {
		t.Errorf("execution status = %s, want running", st)
	}
}

func TestRoleRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.startWaiting()
	victor := e.client()
	victor.login(store.RoleViewer)
	page := victor.get("/executions/" + id)
	if page.status != http.StatusOK {
		t.Fatalf("viewer GET execution = %d", page.status)
	}
	for _, button := range []string{`value="approve"`, `id="cancel"`, "Retry stage"} {
		if strings.Contains(page.body, button) {
			t.Errorf("viewer's execution page shows %s", button)
		}
	}
	if !strings.Contains(page.body, "An operator has to decide") {
		t.Errorf("viewer's execution page does not say an operator must decide")
	}
	if p := victor.get("/pipelines"); strings.Contains(p.body, "Release change") {
		t.Errorf("viewer's pipelines page shows the release button")
	}
	if p := victor.get("/images"); strings.Contains(p.body, "promote-form") {
		t.Errorf("viewer's images page shows the promote form")
	}
	posts := []struct {
		path string
		form url.Values
	}{
		{"/executions/" + id + "/approve", url.Values{"action": {"Approve"}, "decision": {"approve"}}},
		{"/executions/" + id + "/cancel", nil},
		{"/executions/" + id + "/retry", url.Values{"stage": {"Release"}}},
		{"/pipelines/demo/release", nil},
		{"/images/promote", url.Values{"ref": {"x"}, "channel": {"prod"}}},
		{"/images/revoke", url.Values{"digest": {"x"}, "reason": {"r"}}},
	}
	for _, p := range posts {
		if res := victor.post(p.path, p.form); res.status != http.StatusForbidden {
			t.Errorf("viewer POST %s = %d, want 403", p.path, res.status)
		}
	}
	if st := e.status(id); st != "running" {
		t.Errorf("execution status = %s after a viewer's posts, want running", st)
	}
	xs, _, err := e.eng.ListExecutions(t.Context(), engineQuery("demo"))
	if err != nil || len(xs) != 1 {
		t.Errorf("executions of demo = %d, %v; want 1 (the viewer's release refused)", len(xs), err)
	}
	for role, want := range map[store.Role]int{store.RoleViewer: http.StatusForbidden,
		store.RoleOperator: http.StatusForbidden, store.RoleAdmin: http.StatusOK} {
		c := e.client()
		c.login(role)
		if res := c.get("/audit"); res.status != want {
			t.Errorf("%s GET /audit = %d, want %d", role, res.status, want)
		}
		if nav := strings.Contains(c.get("/pipelines").body, `href="/audit"`); nav != (want == http.StatusOK) {
			t.Errorf("%s sees the audit link: %v", role, nav)
		}
	}
}

func TestSessionEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	t.Run("idle", func(t *testing.T) {
		c := e.client()
		c.login(store.RoleViewer)
		e.advance(3 * time.Hour)
		if res := c.get("/pipelines"); res.status != http.StatusSeeOther {
			t.Errorf("GET /pipelines after 3 idle hours = %d, want a redirect to the login page", res.status)
		}
	})
	t.Run("EndSessions", func(t *testing.T) {
		c := e.client()
		c.login(store.RoleOperator)
		if n := e.dash.EndSessions("olga"); n != 1 {
			t.Errorf("EndSessions(olga) = %d, want 1", n)
		}
		if res := c.get("/pipelines"); res.status != http.StatusSeeOther {
			t.Errorf("GET /pipelines after EndSessions = %d, want a redirect to the login page", res.status)
		}
	})
}

// TestSessionEndsWithToken: a session lives no longer than its token, and
// a token revoked in the store (not through the API, which ends sessions
// itself) ends its sessions within a minute.
func TestSessionEndsWithToken(t *testing.T) {
	t.Parallel()
	t.Run("expiry", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		tok, _, err := auth.Create(context.Background(), e.st, auth.Spec{Name: "erin", Role: store.RoleViewer,
			TTL: time.Hour}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c := e.client()
		c.loginWith(tok)
		e.advance(time.Hour - 30*time.Second)
		if res := c.get("/pipelines"); res.status != http.StatusOK {
			t.Fatalf("GET /pipelines 30 s before the token expires = %d, want 200", res.status)
		}
		e.advance(30 * time.Second)
		if res := c.get("/pipelines"); res.status != http.StatusSeeOther {
			t.Errorf("GET /pipelines once the token expired = %d, want a redirect to the login page", res.status)
		}
	})
	t.Run("revoked in the store", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		c := e.client()
		c.login(store.RoleOperator)
		if _, err := auth.Revoke(context.Background(), e.st, "olga", time.Now()); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute)
		if res := c.get("/pipelines"); res.status != http.StatusSeeOther {
			t.Errorf("GET /pipelines a minute after the token was revoked = %d, want a redirect to the login page",
				res.status)
		}
		if res := c.post("/logout", nil); res.status != http.StatusForbidden {
			t.Errorf("POST /logout after the session ended = %d, want 403", res.status)
		}
		// Other sessions carry on.
		v := e.client()
		v.login(store.RoleViewer)
		e.advance(time.Minute)
		if res := v.get("/pipelines"); res.status != http.StatusOK {
			t.Errorf("GET /pipelines as victor after a check = %d, want 200", res.status)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/login", "/static/app.js"} {
		res := c.get(path)
		want := map[string]string{
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
		}
		for k, v := range want {
			if got := res.header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
		csp := res.header.Get("Content-Security-Policy")
		for _, part := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
			if !strings.Contains(csp, part) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, part)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: CSP %q allows inline code", path, csp)
		}
	}
	login := c.get("/login")
	if strings.Contains(login.body, "<script>") || strings.Contains(login.body, " style=") {
		t.Errorf("login page has inline script or style")
	}
	if got := login.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("login page Cache-Control = %q, want no-store", got)
	}
}
