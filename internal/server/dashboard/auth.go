package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// maxFormBytes bounds the body of a form post.
const maxFormBytes = 64 << 10

// handlerFunc is a page handler that runs with a session.
type handlerFunc func(w http.ResponseWriter, r *http.Request, ss *session)

// get wraps a page: without a session it redirects to the login page
// (coming back afterwards); a role below role gets 403.
func (d *Dashboard) get(role store.Role, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, ok := d.session(r)
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !ss.principal.allowed(role) {
			d.refuse(w, r, ss, http.StatusForbidden, "Your role ("+string(ss.principal.Role)+") may not see this page.")
			return
		}
		h(w, r, ss)
	}
}

// post wraps a form handler: it needs a session, the session's CSRF token
// in the form and a role of at least role; otherwise 403.
func (d *Dashboard) post(role store.Role, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			d.refuse(w, r, nil, http.StatusBadRequest, "The form could not be read.")
			return
		}
		ss, ok := d.session(r)
		if !ok {
			d.refuse(w, r, nil, http.StatusForbidden, "Your session has ended; log in again.")
			return
		}
		if !validToken(r.PostForm.Get("csrf"), d.csrfToken(ss)) {
			d.refuse(w, r, ss, http.StatusForbidden, "The form's security token is missing or wrong; reload the page and try again.")
			return
		}
		if !ss.principal.allowed(role) {
			d.refuse(w, r, ss, http.StatusForbidden, "Your role ("+string(ss.principal.Role)+") may not do this.")
			return
		}
		h(w, r, ss)
	}
}

// loginData fills the login page.
type loginData struct {
	CSRF  string
	Next  string
	Error string
}

// loginPage shows the token form, or goes on to the pages when a session
// is live. It sets a random login cookie that the form's CSRF token is
// bound to, so another site cannot log a browser in with its own token.
func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := d.session(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	d.renderLogin(w, r, http.StatusOK, next, "")
}

// renderLogin renders the login form with a fresh login cookie.
func (d *Dashboard) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	nonce := randomToken(16)
	d.setCookie(w, loginCookie, nonce, loginCookieAge)
	d.render(w, r, nil, status, "login", "Log in", loginData{CSRF: d.mac("login", nonce), Next: next, Error: msg})
}

// login checks the pasted token and starts a session.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		d.refuse(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !validToken(r.PostForm.Get("csrf"), d.mac("login", c.Value)) {
		d.refuse(w, r, nil, http.StatusForbidden, "The login form's security token is missing or wrong; reload the login page.")
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		d.renderLogin(w, r, http.StatusBadRequest, next, "Paste an API token.")
		return
	}
	p, err := d.cfg.Authenticate(r.Context(), token)
	if err != nil {
		if !errors.Is(err, pipeline.ErrNotFound) && !errors.Is(err, pipeline.ErrInvalid) {
			d.log.Error("dashboard login", "err", err)
		}
		d.renderLogin(w, r, http.StatusUnauthorized, next, "That token is not valid: unknown, expired or revoked.")
		return
	}
	if !p.allowed(store.RoleViewer) {
		d.log.Info("dashboard login refused", "token", p.Name, "role", p.Role)
		d.renderLogin(w, r, http.StatusForbidden, next, "A "+string(p.Role)+" token cannot use the dashboard.")
		return
	}
	if old, ok := d.session(r); ok {
		d.sessions.end(old.id)
	}
	ss := d.sessions.create(p)
	d.setCookie(w, d.sessionCookieName(), ss.id, d.sessions.ttl)
	d.setCookie(w, loginCookie, "", -1)
	d.log.Info("dashboard login", "token", p.Name, "role", p.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, ss *session) {
	d.sessions.end(ss.id)
	d.setCookie(w, d.sessionCookieName(), "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext returns next when it is a path on this site, "/pipelines"
// otherwise, so that the login page cannot redirect elsewhere.
func safeNext(next string) string {
	const home = "/pipelines"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return home
	}
	return u.RequestURI()
}
