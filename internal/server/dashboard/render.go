package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames lists the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"login", "error", "pipelines", "executions", "execution", "log", "findings", "project",
	"approvals", "images", "audit"}

// pages holds the parsed templates and the cache-busting versions of the
// static assets.
type pages struct {
	byName  map[string]*template.Template
	version map[string]string
}

// loadPages parses every page with the layout.
func loadPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}, version: map[string]string{}}
	for _, name := range []string{"style.css", "app.js", "favicon.svg"} {
		b, err := fs.ReadFile(staticFS, "static/"+name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		p.version[name] = hex.EncodeToString(sum[:6])
	}
	funcs := template.FuncMap{
		"asset":    func(name string) string { return "/static/" + name + "?v=" + p.version[name] },
		"duration": formatDuration,
		"time":     formatTime,
		"short":    shortDigest,
		"status":   statusClass,
		"tone":     statusTone,
		"bytes":    formatBytes,
		"join":     strings.Join,
		"pathEsc":  url.PathEscape,
		"choice":   newChoice,
		"logURL": func(id, stage, action string) string {
			return logBase(store.ActionRun{ExecutionID: id, Stage: stage, Action: action})
		},
	}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html",
			"templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page's template gets: the layout's needs and the
// page's own Data.
type view struct {
	Title    string
	Page     string
	User     *Principal
	CSRF     string
	Flash    []flash
	Operator bool
	Admin    bool
	Images   bool
	// Pending counts the actions waiting for an approval (the badge in
	// the navigation).
	Pending int
	Data    any
}

// render writes page name with data, status and the no-store header. It
// renders into a buffer first, so a template error gives a clean 500.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, ss *session, status int, name, title string, data any) {
	v := view{Title: title, Page: name, Images: d.cfg.Images != nil, Data: data}
	if ss != nil {
		p := ss.principal
		v.User, v.CSRF, v.Flash = &p, d.csrfToken(ss), d.sessions.takeFlash(ss)
		v.Operator, v.Admin = p.allowed(store.RoleOperator), p.allowed(store.RoleAdmin)
		v.Pending = d.pendingCount(r)
	}
	var buf bytes.Buffer
	if err := d.pages.byName[name].Execute(&buf, v); err != nil {
		d.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pendingCount counts the actions waiting for an approval, for the
// navigation's badge; a failure is logged and shows no badge.
func (d *Dashboard) pendingCount(r *http.Request) int {
	items, _, err := d.pendingApprovals(r.Context())
	if err != nil {
		d.log.Warn("count pending approvals", "err", err)
		return 0
	}
	return len(items)
}

// errorData fills the error page.
type errorData struct {
	Status  int
	Message string
}

// refuse renders the error page with status and a message for people.
func (d *Dashboard) refuse(w http.ResponseWriter, r *http.Request, ss *session, status int, msg string) {
	d.render(w, r, ss, status, "error", http.StatusText(status), errorData{Status: status, Message: msg})
}

// fail renders err: not found is 404, invalid input 400, anything else a
// logged 500 that does not show the error.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, ss *session, err error) {
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		d.refuse(w, r, ss, http.StatusNotFound, "Not found: "+err.Error())
	case errors.Is(err, pipeline.ErrInvalid):
		d.refuse(w, r, ss, http.StatusBadRequest, err.Error())
	default:
		d.log.Error("dashboard", "path", r.URL.Path, "err", err)
		d.refuse(w, r, ss, http.StatusInternalServerError, "Something went wrong; the server log says what.")
	}
}

// done redirects after a form post, with a message for the next page.
func (d *Dashboard) done(w http.ResponseWriter, r *http.Request, ss *session, to, msg string) {
	d.sessions.addFlash(ss, flash{Text: msg})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// failed redirects after a form post that the engine or store refused:
// invalid requests and missing things become a message on the next page,
// anything else an error page.
func (d *Dashboard) failed(w http.ResponseWriter, r *http.Request, ss *session, to string, err error) {
	if !errors.Is(err, pipeline.ErrInvalid) && !errors.Is(err, pipeline.ErrNotFound) {
		d.fail(w, r, ss, err)
		return
	}
	d.sessions.addFlash(ss, flash{Error: true, Text: err.Error()})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// audit writes an audit entry for a change the actor made; a failure is
// logged and shown, since the change itself is done.
func (d *Dashboard) audit(r *http.Request, ss *session, action, target, detail string) {
	e := store.AuditEntry{At: d.now().UTC(), Actor: ss.principal.Name, Action: action, Target: target, Detail: detail}
	if err := d.cfg.Audit(r.Context(), e); err != nil {
		d.log.Error("write audit entry", "action", action, "target", target, "err", err)
		d.sessions.addFlash(ss, flash{Error: true, Text: "Done, but the audit entry could not be written."})
	}
}

// staticHandler serves the embedded assets; their URLs carry a content
// version, so they may be cached for long.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // "static" is embedded, so Sub cannot fail
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// formatDuration renders a duration the way people read it: 850ms, 12.3s,
// 3m04s, 2h05m; zero is "–".
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// formatTime renders a time in UTC; zero is "–".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// shortDigest shortens "sha256:HEX" to its first 12 hex digits.
func shortDigest(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// statusClass is the CSS class of a status badge.
func statusClass(s pipeline.Status) string { return "st st-" + statusTone(s) }

// statusTone is the colour family of a status: ok, fail, run, wait or
// other.
func statusTone(s pipeline.Status) string {
	switch s {
	case pipeline.StatusSucceeded:
		return "ok"
	case pipeline.StatusFailed:
		return "fail"
	case pipeline.StatusRunning:
		return "run"
	case pipeline.StatusWaiting:
		return "wait"
	}
	return "other"
}

// formatBytes renders a size the way people read it: 512 B, 1.5 KiB,
// 12.0 MiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// choice is a filter's <select>, rendered by the layout's "choice"
// template: an optional "any" entry, then the options, the one equal to
// Selected selected.
type choice struct {
	Label, Name, Selected string
	Any                   bool
	Options               []string
}

// newChoice builds a choice for a template; options is a slice of
// strings or of a string type (pipeline.Kind), selected a string or one of
// those.
func newChoice(label, name string, selected any, anyOption bool, options any) choice {
	c := choice{Label: label, Name: name, Selected: fmt.Sprint(selected), Any: anyOption}
	v := reflect.ValueOf(options)
	for i := range v.Len() {
		c.Options = append(c.Options, fmt.Sprint(v.Index(i).Interface()))
	}
	return c
}
