package trigger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

func TestWebhookReplay(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testWebhookReplay(t, b.open(t)) })
	}
}

func testWebhookReplay(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newHookFixtureOn(t, s, store.PipelineRecord{WebhookSecret: testSecret,
		Filter: store.PushFilter{Tags: []string{"v*"}}})
	tag := payload(t, "github-tag.json", nil)
	send := func(delivery string) answer {
		return f.send(t, hook{forge: "github", event: "push", delivery: delivery, body: tag, secret: testSecret})
	}
	if got := send("72d3162e-cc78-11e3-81ab-4c9367dc0958"); got.code != 202 {
		t.Fatalf("first delivery = %d %+v", got.code, got)
	}
	f.clk.advance(time.Hour)
	for _, delivery := range []string{"72d3162e-cc78-11e3-81ab-4c9367dc0958", "a-new-id", ""} {
		if got := send(delivery); got.code != 200 || got.Status != "duplicate" {
			t.Errorf("replay with delivery %q = %d %+v, want 200 duplicate", delivery, got.code, got.webhookAnswer)
		}
	}
	if n := len(f.rel.released()); n != 1 {
		t.Fatalf("%d releases after replays, want 1", n)
	}
	f.clk.advance(24 * time.Hour)
	if got := send("72d3162e-cc78-11e3-81ab-4c9367dc0958"); got.code != 202 {
		t.Errorf("delivery after 25 h = %d %+v, want 202", got.code, got)
	}

	audit, err := f.s.Audit(ctx, store.AuditFilter{Target: "app"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range audit {
		got = append(got, e.Actor+" "+e.Action)
	}
	want := []string{"webhook:github webhook.release", "webhook:github webhook.accept",
		"webhook:github webhook.release", "webhook:github webhook.accept"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit = %q, want %q", got, want)
	}
	d := parseDetail(audit[0].Detail)
	if d["execution"] != "x-2" || d["delivery"] != "72d3162e-cc78-11e3-81ab-4c9367dc0958" || d["ref"] != "refs/tags/v1.4.0" {
		t.Errorf("release audit detail = %q", audit[0].Detail)
	}
}

func TestWebhookFailedReleaseMayBeRedelivered(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
	}{
		{"network", errors.New("git fetch https://ci:hunter2@git.example.com/acme/app.git: connection reset"), 502},
		{"broken pipeline", fmt.Errorf("secpipe.yml:4: stages: required: %w", pipeline.ErrInvalid), 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHookFixture(t, store.PipelineRecord{WebhookSecret: testSecret, LastRevision: "old",
				Repo: "https://ci:hunter2@git.example.com/acme/app.git"})
			fail := true
			f.rel.fail = func(call) error {
				if fail {
					fail = false
					return tt.err
				}
				return nil
			}
			h := hook{forge: "github", event: "push", delivery: "d-1", body: payload(t, "github-push.json", nil),
				secret: testSecret}
			got := f.send(t, h)
			if got.code != tt.wantCode {
				t.Fatalf("failed release = %d %+v, want %d", got.code, got, tt.wantCode)
			}
			if strings.Contains(got.Error.Message, "hunter2") {
				t.Errorf("answer reveals the repository password: %q", got.Error.Message)
			}
			if rev := pipelineRecord(t, f.s, "app").LastRevision; rev != "old" {
				t.Errorf("LastRevision after a failed release = %q, want it restored to %q", rev, "old")
			}
			if got := f.send(t, h); got.code != 202 {
				t.Errorf("redelivery = %d %+v, want 202", got.code, got)
			}
		})
	}
}

// TestWebhookAndPolling: a webhook release of the pipeline's branch moves
// LastRevision, so polling does not release it again, and leaves the
// poll chain running.
func TestWebhookAndPolling(t *testing.T) {
	ctx := context.Background()
	pf := newPollFixture(t, time.Minute)
	rec := pipelineRecord(t, pf.s, "app")
	rec.WebhookSecret = testSecret
	rec.Repo = pf.repo.dir
	if err := pf.s.UpdatePipeline(ctx, rec); err != nil {
		t.Fatal(err)
	}
	h := pf.tr.WebhookHandler()
	c0 := pf.repo.git("rev-parse", "HEAD")
	if err := pf.tr.Schedule(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	next := pf.poll(t, pf.q.take()[0])

	push := func(rev string) answer {
		body := payload(t, "github-push.json", map[string]any{"after": rev})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, hook{forge: "github", event: "push", delivery: "d-" + rev[:7], body: body,
			secret: testSecret}.request("app"))
		var a answer
		a.code = w.Code
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	if got := push(c0); got.code != 200 || !strings.Contains(got.Reason, "already released") {
		t.Errorf("push of the polled revision = %d %+v, want 200 already released", got.code, got.webhookAnswer)
	}
	c1 := pf.repo.commit("app.js", "x\n")
	if got := push(c1); got.code != 202 {
		t.Fatalf("push of a new commit = %d %+v", got.code, got)
	}
	pf.clk.advance(time.Minute)
	if next = pf.poll(t, next[0]); len(next) != 1 {
		t.Fatalf("the poll chain ended after a webhook: %d next polls", len(next))
	}
	got := pf.rel.released()
	if len(got) != 2 || got[0].trigger != "poll "+c0[:7] || got[1].trigger != "webhook:github "+c1[:7] {
		t.Errorf("releases = %+v, want c0 by poll and c1 by webhook, once each", got)
	}
}

func TestWebhookNeverRevealsSecret(t *testing.T) {
	ctx := context.Background()
	f := newHookFixture(t, store.PipelineRecord{WebhookSecret: testSecret})
	var bodies []string
	for _, h := range []hook{
		{forge: "github", event: "push", body: payload(t, "github-push.json", nil), secret: "wrong"},
		{forge: "gitlab", event: "Push Hook", body: payload(t, "gitlab-push.json", nil), secret: "wrong"},
		{forge: "gitlab", event: "Push Hook", delivery: "g-1", body: payload(t, "gitlab-push.json", nil),
			secret: testSecret},
		{forge: "github", event: "push", delivery: "h-1", body: payload(t, "github-push.json", nil),
			secret: testSecret},
	} {
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, h.request("app"))
		bodies = append(bodies, w.Body.String())
	}
	audit, err := f.s.Audit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range audit {
		bodies = append(bodies, e.Detail)
	}
	bodies = append(bodies, f.logs.String())
	for _, b := range bodies {
		if strings.Contains(b, testSecret) {
			t.Errorf("secret revealed in %q", b)
		}
	}
	if !strings.Contains(f.logs.String(), "webhook rejected") {
		t.Errorf("rejections were not logged:\n%s", f.logs)
	}
}
