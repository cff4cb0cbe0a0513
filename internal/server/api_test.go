package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/store"
)

func TestRoles(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	poll := func(actionType string) map[string]any {
		return map[string]any{"actionType": actionType, "maxBatchSize": 1}
	}
	for _, tc := range []struct {
		name         string
		method, path string
		role         store.Role
		body         any
		want         int
	}{
		{name: "health without a token", method: "GET", path: "/healthz", want: 200},
		{name: "ready without a token", method: "GET", path: "/readyz", want: 200},
		{name: "no token", method: "GET", path: "/api/v1/pipelines", want: 401},
		{name: "viewer reads", method: "GET", path: "/api/v1/pipelines", role: store.RoleViewer, want: 200},
		{name: "viewer cannot register", method: "POST", path: "/api/v1/pipelines", role: store.RoleViewer,
			body: map[string]any{"repo": "/x"}, want: 403},
		{name: "operator cannot list tokens", method: "GET", path: "/api/v1/tokens", role: store.RoleOperator, want: 403},
		{name: "admin lists tokens", method: "GET", path: "/api/v1/tokens", role: store.RoleAdmin, want: 200},
		{name: "worker cannot read pipelines", method: "GET", path: "/api/v1/pipelines", role: store.RoleWorker, want: 403},
		{name: "worker cannot read executions", method: "GET", path: "/api/v1/executions", role: store.RoleWorker, want: 403},
		{name: "worker polls its type", method: "POST", path: "/api/v1/jobs/poll", role: store.RoleWorker,
			body: poll("Deploy/x/1"), want: 200},
		{name: "worker polls another type", method: "POST", path: "/api/v1/jobs/poll", role: store.RoleWorker,
			body: poll("Other/y/1"), want: 403},
		{name: "job API without a token", method: "POST", path: "/api/v1/jobs/poll", body: poll("Deploy/x/1"), want: 401},
		{name: "admin polls any type", method: "POST", path: "/api/v1/jobs/poll", role: store.RoleAdmin,
			body: poll("Other/y/1"), want: 200},
		{name: "unknown endpoint", method: "GET", path: "/api/v1/nope", role: store.RoleViewer, want: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := ts.do(tc.method, tc.path, tc.role, tc.body)
			if code != tc.want {
				t.Fatalf("%s %s as %q = %d %s, want %d", tc.method, tc.path, tc.role, code, body, tc.want)
			}
			if code >= 400 {
				if c, msg := errorCode(t, body); c == "" || msg == "" {
					t.Errorf("error body %s lacks a code or message", body)
				}
			}
		})
	}
}

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tc := range []struct {
		name string
		body string
		code int
		want string
	}{
		{name: "too large", body: `{"repo": "` + strings.Repeat("a", 2<<20) + `"}`, code: 413, want: "too_large"},
		{name: "unknown field", body: `{"repo": "/x", "colour": "red"}`, code: 400, want: `"colour"`},
		{name: "malformed", body: `{"repo": `, code: 400, want: "JSON"},
		{name: "wrong type", body: `{"repo": 5}`, code: 400, want: "repo"},
		{name: "two values", body: `{"repo": "/x"} {}`, code: 400, want: "more than one"},
		{name: "empty", body: ``, code: 400, want: "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := ts.do("POST", "/api/v1/pipelines", store.RoleOperator, tc.body)
			c, msg := errorCode(t, body)
			if code != tc.code || !strings.Contains(c+" "+msg, tc.want) {
				t.Errorf("POST %.40q = %d %s, want %d mentioning %s", tc.body, code, body, tc.code, tc.want)
			}
		})
	}
}

// TestSecretsStayHidden checks that webhook secrets, token secrets and
// token hashes appear in no response but the one creating the token.
func TestSecretsStayHidden(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	repo := newRepo(t, map[string]string{"README": "x", "secpipe.yml": demoPipeline})
	const hook = "hook-secret-5f1e"
	ts.must("POST", "/api/v1/pipelines", store.RoleOperator, map[string]any{"name": "demo", "repo": repo.dir,
		"webhook_secret": hook}, http.StatusCreated, nil)
	ts.must("PATCH", "/api/v1/pipelines/demo", store.RoleOperator, map[string]any{"webhook_secret": hook + "2"},
		http.StatusOK, nil)
	var created struct {
		Token string `json:"token"`
		Name  string `json:"name"`
		Role  string `json:"role"`
	}
	ts.must("POST", "/api/v1/tokens", store.RoleAdmin, map[string]any{"name": "ci", "role": "operator", "expires": "24h"},
		http.StatusCreated, &created)
	if !strings.HasPrefix(created.Token, "spt_") || created.Name != "ci" || created.Role != "operator" {
		t.Fatalf("created token = %+v", created)
	}
	code, body := ts.do("POST", "/api/v1/tokens", store.RoleAdmin, map[string]any{"name": "ci", "role": "viewer"})
	if c, _ := errorCode(t, body); code != http.StatusConflict || c != "conflict" {
		t.Errorf("a second token named ci = %d %s, want 409", code, body)
	}
	tokens, err := ts.store.Tokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{hook, hook + "2", created.Token, created.Token[13:]}
	for _, tok := range tokens {
		secrets = append(secrets, tok.Hash)
	}
	for _, tok := range ts.tokens {
		secrets = append(secrets, tok)
	}
	for _, path := range []string{"/api/v1/pipelines", "/api/v1/pipelines/demo", "/api/v1/tokens", "/api/v1/audit"} {
		code, body := ts.do("GET", path, store.RoleAdmin, nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, code, body)
		}
		for _, s := range secrets {
			if strings.Contains(string(body), s) {
				t.Errorf("GET %s reveals a secret: %s", path, body)
			}
		}
	}

	// The created token works until revoked.
	ts.tokens["ci"] = created.Token
	if code, _ := ts.do("GET", "/api/v1/executions", "ci", nil); code != http.StatusOK {
		t.Errorf("GET with the new token = %d, want 200", code)
	}
	ts.must("DELETE", "/api/v1/tokens/ci", store.RoleAdmin, nil, http.StatusOK, nil)
	if code, _ := ts.do("GET", "/api/v1/executions", "ci", nil); code != http.StatusUnauthorized {
		t.Errorf("GET with a revoked token = %d, want 401", code)
	}
	if code, _ := ts.do("DELETE", "/api/v1/tokens/nope", store.RoleAdmin, nil); code != http.StatusNotFound {
		t.Errorf("revoke of an unknown token = %d, want 404", code)
	}
}

func TestImages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "hello"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := ts.images.Publish(context.Background(), image.PublishRequest{Name: "team/golden", RootFS: root, Channel: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Images []image.Image `json:"images"`
	}
	ts.must("GET", "/api/v1/images", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Images) != 1 || list.Images[0].Digest != img.Digest {
		t.Fatalf("images = %+v", list.Images)
	}
	var got image.Image
	ts.must("GET", "/api/v1/images/team/golden@dev", store.RoleViewer, nil, http.StatusOK, &got)
	if got.Digest != img.Digest {
		t.Errorf("inspect team/golden@dev = %s, want %s", got.Digest, img.Digest)
	}
	if code, _ := ts.do("POST", "/api/v1/images/"+img.Digest+"/promote", store.RoleViewer,
		map[string]string{"channel": "prod"}); code != http.StatusForbidden {
		t.Errorf("viewer promote = %d, want 403", code)
	}
	ts.must("POST", "/api/v1/images/"+img.Digest+"/promote", store.RoleOperator, map[string]string{"channel": "prod"},
		http.StatusOK, &got)
	if strings.Join(got.Channels, ",") != "dev,prod" {
		t.Errorf("channels after promote = %v", got.Channels)
	}
	if code, _ := ts.do("POST", "/api/v1/images/"+img.Digest+"/revoke", store.RoleOperator,
		map[string]string{}); code != http.StatusBadRequest {
		t.Errorf("revoke without a reason = %d, want 400", code)
	}
	ts.must("POST", "/api/v1/images/"+img.Digest+"/revoke", store.RoleOperator,
		map[string]string{"reason": "CVE-2018-17182"}, http.StatusOK, &got)
	if got.Revoked == nil || got.Revoked.Reason != "CVE-2018-17182" {
		t.Errorf("revoked = %+v", got.Revoked)
	}
	if code, body := ts.do("POST", "/api/v1/images/"+img.Digest+"/promote", store.RoleOperator,
		map[string]string{"channel": "prod"}); code != http.StatusBadRequest || !strings.Contains(string(body), "revoked") {
		t.Errorf("promote of a revoked image = %d %s, want 400", code, body)
	}
	if code, _ := ts.do("GET", "/api/v1/images/nope", store.RoleViewer, nil); code != http.StatusNotFound {
		t.Errorf("inspect of an unknown image = %d, want 404", code)
	}
	var audit struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	ts.must("GET", "/api/v1/audit?target="+img.Digest, store.RoleAdmin, nil, http.StatusOK, &audit)
	if len(audit.Entries) != 2 || audit.Entries[0].Action != "image.revoke" || audit.Entries[1].Action != "image.promote" {
		t.Errorf("audit of the image = %+v", audit.Entries)
	}
}
