package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/testutil"

	"github.com/secpipe/secpipe/internal/store"
)

const testSecret = "It's a Secret to Everybody"

// hookFixture serves webhooks for pipeline "app" of acme/app.
type hookFixture struct {
	s    store.Store
	rel  *fakeReleaser
	clk  *clock
	q    *recorder
	tr   *Triggers
	h    http.Handler
	logs *testutil.SyncBuffer
}

func newHookFixture(t *testing.T, rec store.PipelineRecord) *hookFixture {
	t.Helper()
	return newHookFixtureOn(t, testStore(t), rec)
}

func newHookFixtureOn(t *testing.T, s store.Store, rec store.PipelineRecord) *hookFixture {
	t.Helper()
	log, logs := testLogger()
	f := &hookFixture{s: s, rel: &fakeReleaser{}, clk: newClock(), q: newRecorder(), logs: logs}
	f.tr = New(Config{Store: s, Dispatcher: f.q, Releaser: f.rel, Logger: log, Now: f.clk.Now,
		Git: failingGit{}})
	f.h = f.tr.WebhookHandler()
	if rec.Name == "" {
		rec.Name = "app"
	}
	if rec.Repo == "" {
		rec.Repo = "https://github.com/acme/app.git"
	}
	if rec.Branch == "" {
		rec.Branch = "main"
	}
	addPipeline(t, s, rec)
	return f
}

// failingGit fails every poll; webhook tests do not poll.
type failingGit struct{}

func (failingGit) Head(context.Context, string, string) (string, error) {
	return "", errors.New("no polling in this test")
}

// payload reads testdata/NAME and applies edits to its top-level fields
// (a nil value removes the field).
func payload(t *testing.T, name string, edits map[string]any) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) == 0 {
		return raw
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range edits {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hook describes a delivery the way a forge sends it.
type hook struct {
	// forge is "github", "gitea", "forgejo" or "gitlab".
	forge    string
	event    string
	delivery string
	body     []byte
	// secret signs the body ("" sends no signature).
	secret string
	// header overrides or adds headers after signing.
	header map[string]string
}

// request builds the HTTP request of h to pipeline.
func (h hook) request(pipelineName string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/webhooks/"+pipelineName, strings.NewReader(string(h.body)))
	r.Header.Set("Content-Type", "application/json")
	set := func(names []string, v string) {
		for _, n := range names {
			if v != "" {
				r.Header.Set(n, v)
			}
		}
	}
	mac := ""
	if h.secret != "" {
		_, v := Sign(Gitea, h.body, h.secret)
		mac = v
	}
	switch h.forge {
	case "github":
		r.Header.Set("User-Agent", "GitHub-Hookshot/7f3c2a1")
		set([]string{"X-GitHub-Event"}, h.event)
		set([]string{"X-GitHub-Delivery"}, h.delivery)
		r.Header.Set("X-GitHub-Hook-ID", "109948940")
		if mac != "" {
			r.Header.Set("X-Hub-Signature-256", "sha256="+mac)
		}
	case "gitea", "forgejo":
		// Gitea and Forgejo send GitHub's and Gogs' headers too.
		set([]string{"X-Gitea-Event", "X-Gogs-Event", "X-GitHub-Event"}, h.event)
		set([]string{"X-Gitea-Delivery", "X-Gogs-Delivery", "X-GitHub-Delivery"}, h.delivery)
		set([]string{"X-Gitea-Signature", "X-Gogs-Signature"}, mac)
		if mac != "" {
			r.Header.Set("X-Hub-Signature-256", "sha256="+mac)
		}
		if h.forge == "forgejo" {
			set([]string{"X-Forgejo-Event"}, h.event)
			set([]string{"X-Forgejo-Delivery"}, h.delivery)
			set([]string{"X-Forgejo-Signature"}, mac)
		}
	case "gitlab":
		r.Header.Set("User-Agent", "GitLab/18.5.1")
		set([]string{"X-Gitlab-Event"}, h.event)
		set([]string{"X-Gitlab-Event-UUID"}, h.delivery)
		r.Header.Set("X-Gitlab-Webhook-UUID", "3c5c0404-c866-44bc-a5f6-452bb1bfc76e")
		r.Header.Set("X-Gitlab-Instance", "https://gitlab.example.com")
		set([]string{"X-Gitlab-Token"}, h.secret)
	}
	for k, v := range h.header {
		r.Header.Set(k, v)
	}
	return r
}

// answer is a decoded webhook response.
type answer struct {
	code int
	webhookAnswer
	Error struct{ Code, Message string }
}

func (f *hookFixture) send(t *testing.T, h hook) answer {
	t.Helper()
	return f.sendTo(t, "app", h)
}

func (f *hookFixture) sendTo(t *testing.T, name string, h hook) answer {
	t.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, h.request(name))
	a := answer{code: w.Code}
	if w.Code != http.StatusMethodNotAllowed {
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("response %d %q is not JSON: %v", w.Code, w.Body, err)
		}
	}
	return a
}

func TestWebhookSignatures(t *testing.T) {
	big := payload(t, "github-push.json", map[string]any{"padding": strings.Repeat("x", maxBody)})
	form := "payload=" + url.QueryEscape(string(payload(t, "github-push.json", nil)))
	tests := []struct {
		name     string
		rec      store.PipelineRecord
		pipeline string
		hook     hook
		method   string
		want     int
		wantText string
	}{
		{name: "github push", hook: hook{forge: "github", event: "push", body: payload(t, "github-push.json", nil)},
			want: 202},
		{name: "github wrong secret", hook: hook{forge: "github", event: "push",
			body: payload(t, "github-push.json", nil), secret: "guess"}, want: 401},
		{name: "github unsigned", hook: hook{forge: "github", event: "push",
			body: payload(t, "github-push.json", nil), secret: "-"}, want: 401},
		{name: "github signature without its prefix", hook: hook{forge: "github", event: "push",
			body:   payload(t, "github-push.json", nil),
			header: map[string]string{"X-Hub-Signature-256": hexMAC(t, "github-push.json")}}, want: 401},
		{name: "github body changed after signing", hook: hook{forge: "github", event: "push",
			body:   payload(t, "github-push.json", map[string]any{"ref": "refs/heads/main "}),
			header: map[string]string{"X-Hub-Signature-256": "sha256=" + hexMAC(t, "github-push.json")}}, want: 401},
		{name: "github form-encoded", hook: hook{forge: "github", event: "push", body: []byte(form),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, want: 202},
		{name: "json sent as a form (curl's default)", hook: hook{forge: "github", event: "push",
			body:   payload(t, "github-push.json", nil),
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, want: 202},
		{name: "github ping", hook: hook{forge: "github", event: "ping", body: payload(t, "github-ping.json", nil)},
			want: 200, wantText: "pong"},
		{name: "github other event", hook: hook{forge: "github", event: "issues", body: []byte(`{"action":"opened"}`)},
			want: 200, wantText: `"issues" is not a push`},
		{name: "gitea push", hook: hook{forge: "gitea", event: "push", body: payload(t, "gitea-push.json", nil)},
			want: 202},
		{name: "gitea wrong secret", hook: hook{forge: "gitea", event: "push",
			body: payload(t, "gitea-push.json", nil), secret: "guess"}, want: 401},
		{name: "forgejo push", hook: hook{forge: "forgejo", event: "push", body: payload(t, "gitea-push.json", nil)},
			want: 202},
		{name: "forgejo signature wins over gitea's", hook: hook{forge: "forgejo", event: "push",
			body: payload(t, "gitea-push.json", nil), header: map[string]string{"X-Forgejo-Signature": "00"}},
			want: 401},
		{name: "gitlab push", hook: hook{forge: "gitlab", event: "Push Hook", body: payload(t, "gitlab-push.json", nil)},
			want: 202},
		{name: "gitlab wrong token", hook: hook{forge: "gitlab", event: "Push Hook",
			body: payload(t, "gitlab-push.json", nil), secret: "It's a secret to everybody"}, want: 401},
		{name: "gitlab without token", hook: hook{forge: "gitlab", event: "Push Hook",
			body: payload(t, "gitlab-push.json", nil), secret: "-"}, want: 401},
		{name: "no webhook secret configured", rec: store.PipelineRecord{Name: "open"}, pipeline: "open",
			hook: hook{forge: "github", event: "push", body: payload(t, "github-push.json", nil)},
			want: 401, wantText: "not verified"},
		{name: "unknown pipeline", pipeline: "nope",
			hook: hook{forge: "github", event: "push", body: payload(t, "github-push.json", nil)}, want: 401,
			wantText: "not verified"},
		{name: "no forge headers", hook: hook{forge: "bitbucket", body: payload(t, "github-push.json", nil)},
			want: 400},
		{name: "no forge headers, unknown pipeline (answered alike)", pipeline: "nope",
			hook: hook{forge: "bitbucket", body: payload(t, "github-push.json", nil)}, want: 400},
		{name: "signed but malformed", hook: hook{forge: "github", event: "push", body: []byte(`{"ref": 1}`)},
			want: 400},
		{name: "too large", hook: hook{forge: "github", event: "push", body: big}, want: 413},
		{name: "not a POST", method: http.MethodGet, want: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec
			if rec.Name == "" {
				rec.WebhookSecret = testSecret
			}
			f := newHookFixture(t, rec)
			h := tt.hook
			switch h.secret {
			case "":
				h.secret = testSecret
			case "-":
				h.secret = ""
			}
			name := tt.pipeline
			if name == "" {
				name = "app"
			}
			if tt.method != "" {
				w := httptest.NewRecorder()
				f.h.ServeHTTP(w, httptest.NewRequest(tt.method, "/api/v1/webhooks/app", nil))
				if w.Code != tt.want {
					t.Fatalf("%s = %d, want %d", tt.method, w.Code, tt.want)
				}
				return
			}
			got := f.sendTo(t, name, h)
			if got.code != tt.want {
				t.Fatalf("status = %d (%+v), want %d", got.code, got, tt.want)
			}
			text := got.Reason + got.Error.Message
			if !strings.Contains(text, tt.wantText) {
				t.Errorf("answer %q lacks %q", text, tt.wantText)
			}
			if released := len(f.rel.released()); (tt.want == 202) != (released == 1) {
				t.Errorf("status %d with %d releases", got.code, released)
			}
			if tt.want == 202 && got.Execution != "x-1" {
				t.Errorf("answer names execution %q, want x-1", got.Execution)
			}
		})
	}
}

// hexMAC returns the hex HMAC of a testdata file under testSecret.
func hexMAC(t *testing.T, name string) string {
	_, v := Sign(Gitea, payload(t, name, nil), testSecret)
	return v
}

func TestWebhookFilters(t *testing.T) {
	commits := func(n int, paths ...string) []any {
		var out []any
		for i := range n {
			out = append(out, map[string]any{"id": fmt.Sprintf("%040x", i+1), "added": paths,
				"modified": []string{}, "removed": []string{}})
		}
		return out
	}
	const tagCommit = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	tests := []struct {
		name         string
		filter       store.PushFilter
		paused       bool
		forge, event string
		file         string
		edits        map[string]any
		wantRevision string // "" when the push is ignored
		wantReason   string
	}{
		{name: "pipeline's branch", file: "github-push.json",
			wantRevision: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"},
		{name: "other branch", file: "github-push.json", edits: map[string]any{"ref": "refs/heads/feature/x"},
			wantReason: "branch feature/x is not main"},
		{name: "branch glob", filter: store.PushFilter{Branches: []string{"feature/**"}}, file: "github-push.json",
			edits:        map[string]any{"ref": "refs/heads/feature/login/form"},
			wantRevision: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"},
		{name: "tag without tag filters", file: "github-tag.json", wantReason: "no tag filters"},
		{name: "tag not matching", filter: store.PushFilter{Tags: []string{"release-*"}}, file: "github-tag.json",
			wantReason: "matches no tag filter"},
		{name: "annotated tag builds its commit", filter: store.PushFilter{Tags: []string{"v*"}},
			file: "github-tag.json", wantRevision: tagCommit},
		{name: "gitlab tag builds checkout_sha", filter: store.PushFilter{Tags: []string{"v1.*"}},
			forge: "gitlab", event: "Tag Push Hook", file: "gitlab-tag.json",
			wantRevision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{name: "changed path matches", filter: store.PushFilter{Paths: []string{"app/**"}}, file: "github-push.json",
			wantRevision: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"},
		{name: "no changed path matches", filter: store.PushFilter{Paths: []string{"docs/**", "*.md"}},
			file: "github-push.json", wantReason: "no changed file matches"},
		{name: "removed file counts", filter: store.PushFilter{Paths: []string{"old/*.txt"}}, forge: "gitlab",
			event: "Push Hook", file: "gitlab-push.json", wantRevision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{name: "gitlab list cut short", filter: store.PushFilter{Paths: []string{"docs/**"}}, forge: "gitlab",
			event: "Push Hook", file: "gitlab-push.json", edits: map[string]any{"total_commits_count": 45},
			wantRevision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"},
		{name: "github list cut short", filter: store.PushFilter{Paths: []string{"docs/**"}}, file: "github-push.json",
			edits:        map[string]any{"commits": commits(githubMaxCommits, "src/x.go")},
			wantRevision: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"},
		{name: "gitea total_commits cut short", filter: store.PushFilter{Paths: []string{"docs/**"}},
			forge: "gitea", event: "push", file: "gitea-push.json", edits: map[string]any{"total_commits": 30},
			wantRevision: "bffeb74224043ba2feb48d137756c8a9331c449a"},
		{name: "branch deleted", filter: store.PushFilter{Branches: []string{"**"}}, file: "github-delete.json",
			wantReason: "refs/heads/feature/old was deleted"},
		{name: "paused", paused: true, file: "github-push.json", wantReason: "paused"},
		{name: "other repository", file: "github-push.json",
			edits: map[string]any{"repository": map[string]any{"clone_url": "https://github.com/acme/other.git",
				"html_url": "https://github.com/acme/other"}},
			wantReason: "another repository"},
		{name: "pull request ref", filter: store.PushFilter{Branches: []string{"**"}}, file: "github-push.json",
			edits: map[string]any{"ref": "refs/pull/12/head"}, wantReason: "neither a branch nor a tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHookFixture(t, store.PipelineRecord{WebhookSecret: testSecret, Filter: tt.filter,
				Paused: tt.paused})
			forge, event := tt.forge, tt.event
			if forge == "" {
				forge, event = "github", "push"
			}
			got := f.send(t, hook{forge: forge, event: event, delivery: "d-1", body: payload(t, tt.file, tt.edits),
				secret: testSecret})
			if tt.wantRevision == "" {
				if got.code != 200 || got.Status != "ignored" || !strings.Contains(got.Reason, tt.wantReason) {
					t.Errorf("answer %d %+v, want 200 ignored with %q", got.code, got.webhookAnswer, tt.wantReason)
				}
				if n := len(f.rel.released()); n != 0 {
					t.Errorf("%d releases, want none", n)
				}
				return
			}
			if got.code != 202 || got.Revision != tt.wantRevision {
				t.Fatalf("answer %d %+v, want 202 for %s", got.code, got.webhookAnswer, tt.wantRevision)
			}
			calls := f.rel.released()
			want := call{"app", fmt.Sprintf("webhook:%s %s", Forge(strings.Replace(forge, "forgejo", "gitea", 1)),
				tt.wantRevision[:7]), tt.wantRevision}
			if len(calls) != 1 || calls[0] != want {
				t.Errorf("releases = %+v, want [%+v]", calls, want)
			}
		})
	}
}
