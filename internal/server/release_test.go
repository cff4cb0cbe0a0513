package server_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// demoPipeline fetches the repository and tests it.
const demoPipeline = `version: 1
name: demo
stages:
  - name: Source
    actions:
      - {name: Source, provider: git, outputs: [SourceArtifact]}
  - name: Build
    actions:
      - name: Test
        provider: shell
        inputs: [SourceArtifact]
        config: {commands: ["echo building", "cat $INPUT_SourceArtifact/README"]}
`

func TestRegisterAndRelease(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	repo := newRepo(t, map[string]string{"README": "one\n", "secpipe.yml": demoPipeline})
	// Without a name, the pipeline takes the one in secpipe.yml.
	var p struct {
		Name             string `json:"name"`
		Branch           string `json:"branch"`
		WebhookSecretSet bool   `json:"webhook_secret_set"`
	}
	ts.must("POST", "/api/v1/pipelines", store.RoleOperator,
		map[string]any{"repo": repo.dir, "webhook_secret": "s3cr3t-hook", "poll_interval": "1m"},
		http.StatusCreated, &p)
	if p.Name != "demo" || p.Branch != "main" || !p.WebhookSecretSet {
		t.Fatalf("registered %+v, want demo on main with a webhook secret", p)
	}
	code, body := ts.do("POST", "/api/v1/pipelines", store.RoleOperator, map[string]any{"repo": repo.dir})
	if c, _ := errorCode(t, body); code != http.StatusConflict || c != "conflict" {
		t.Errorf("registering demo again = %d %s, want 409 conflict", code, body)
	}

	head := repo.git("rev-parse", "HEAD")
	x := ts.release("demo", nil)
	if x.Trigger != "manual operator" || x.Pipeline != "demo" || x.Revision != head {
		t.Errorf("released %s by %q at %s, want demo by \"manual operator\" at %s", x.Pipeline, x.Trigger, x.Revision, head)
	}
	done := ts.waitStatus(x.ID, pipeline.StatusSucceeded)
	if a := action(done, "Build", "Test"); a.Status != pipeline.StatusSucceeded || a.DurationMS < 0 || a.Log == "" {
		t.Errorf("Build/Test = %+v", a)
	}
	code, log := ts.do("GET", action(done, "Build", "Test").Log, store.RoleViewer, nil)
	if code != http.StatusOK || !strings.Contains(string(log), "one") {
		t.Errorf("log = %d %q, want the README's content", code, log)
	}
	ts.eventually("the checkout to be removed", func() bool {
		_, err := os.Stat(ts.checkout(x.ID))
		return errors.Is(err, os.ErrNotExist)
	})

	// A revision other than the head: the first commit, after a second.
	second := repo.commit("second", map[string]string{"README": "two\n"})
	y := ts.release("demo", map[string]string{"revision": head})
	if y.Revision != head {
		t.Errorf("released revision %s, want %s", y.Revision, head)
	}
	ts.waitStatus(y.ID, pipeline.StatusSucceeded)
	z := ts.release("demo", nil)
	if z.Revision != second {
		t.Errorf("released the head %s, want %s", z.Revision, second)
	}
	ts.waitStatus(z.ID, pipeline.StatusSucceeded)
	code, body = ts.do("POST", "/api/v1/pipelines/demo/executions", store.RoleOperator, map[string]string{"revision": "nope"})
	if code != http.StatusNotFound {
		t.Errorf("release of an unknown revision = %d %s, want 404", code, body)
	}

	var list struct {
		Executions []struct {
			ID      string `json:"id"`
			Trigger string `json:"trigger"`
		} `json:"executions"`
	}
	ts.must("GET", "/api/v1/executions?pipeline=demo&status=succeeded", store.RoleViewer, nil, http.StatusOK, &list)
	if len(list.Executions) != 3 || list.Executions[0].ID != z.ID {
		t.Errorf("executions of demo = %+v, want 3, newest %s first", list.Executions, z.ID)
	}
	var audit struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	ts.must("GET", "/api/v1/audit?target="+x.ID, store.RoleAdmin, nil, http.StatusOK, &audit)
	if len(audit.Entries) != 1 || audit.Entries[0].Action != "execution.start" {
		t.Errorf("audit of %s = %+v, want its start", x.ID, audit.Entries)
	}
}

func TestReleaseBrokenPipeline(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	broken := strings.Replace(demoPipeline, "inputs: [SourceArtifact]", "inputs: [NoSuchArtifact]", 1)
	repo := newRepo(t, map[string]string{"README": "x", "ci/secpipe.yml": broken})
	var p struct {
		Dir string `json:"dir"`
	}
	ts.must("POST", "/api/v1/pipelines", store.RoleOperator,
		map[string]any{"name": "broken", "repo": repo.dir, "dir": "./ci/"}, http.StatusCreated, &p)
	if p.Dir != "ci" {
		t.Errorf("dir = %q, want ci", p.Dir)
	}
	code, body := ts.do("POST", "/api/v1/pipelines/broken/executions", store.RoleOperator, nil)
	c, msg := errorCode(t, body)
	if code != http.StatusBadRequest || c != "invalid" || !strings.Contains(msg, "ci/secpipe.yml:11") {
		t.Errorf("release = %d %s, want 400 naming ci/secpipe.yml:11", code, body)
	}
	xs, err := ts.store.Executions(context.Background(), store.ExecutionFilter{})
	if err != nil || len(xs) != 0 {
		t.Errorf("executions = %d, %v; want none", len(xs), err)
	}
	entries, err := os.ReadDir(filepath.Join(ts.dir, "data", "checkouts"))
	if err != nil || len(entries) != 0 {
		t.Errorf("checkouts = %v, %v; want none", entries, err)
	}
	if code, _ := ts.do("POST", "/api/v1/pipelines/nope/executions", store.RoleOperator, nil); code != http.StatusNotFound {
		t.Errorf("release of an unknown pipeline = %d, want 404", code)
	}
}

func TestRegisterRejects(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	repo := newRepo(t, map[string]string{"secpipe.yml": demoPipeline})
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{name: "no repo", body: map[string]any{"name": "a"}, want: "repo"},
		{name: "relative path", body: map[string]any{"name": "a", "repo": "some/dir"}, want: "absolute"},
		{name: "option", body: map[string]any{"name": "a", "repo": "--upload-pack=x"}, want: "repo"},
		{name: "bad name", body: map[string]any{"name": "../x", "repo": repo.dir}, want: "name"},
		{name: "dir outside", body: map[string]any{"name": "a", "repo": repo.dir, "dir": "../up"}, want: "dir"},
		{name: "short poll", body: map[string]any{"name": "a", "repo": repo.dir, "poll_interval": "1s"}, want: "poll_interval"},
		{name: "bad glob", body: map[string]any{"name": "a", "repo": repo.dir,
			"filter": map[string]any{"paths": []string{"a/[b"}}}, want: "filter.paths"},
		{name: "unknown branch", body: map[string]any{"name": "a", "repo": repo.dir, "branch": "nope"}, want: "nope"},
		{name: "not a repository", body: map[string]any{"name": "a", "repo": t.TempDir(), "branch": "main"}, want: "fetch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := ts.do("POST", "/api/v1/pipelines", store.RoleOperator, tc.body)
			c, msg := errorCode(t, body)
			if code != http.StatusBadRequest || c != "invalid" || !strings.Contains(msg, tc.want) {
				t.Errorf("POST %v = %d %s, want 400 mentioning %q", tc.body, code, body, tc.want)
			}
		})
	}
}

func TestPipelinePatchDelete(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	repo := newRepo(t, map[string]string{"README": "x", "secpipe.yml": demoPipeline})
	ts.register("demo", repo.dir)
	var p struct {
		Paused       bool   `json:"paused"`
		PollInterval string `json:"poll_interval"`
	}
	ts.must("PATCH", "/api/v1/pipelines/demo", store.RoleOperator,
		map[string]any{"paused": true, "poll_interval": "5m", "webhook_secret": "abc"}, http.StatusOK, &p)
	if !p.Paused || p.PollInterval != "5m0s" {
		t.Errorf("patched = %+v", p)
	}
	if code, _ := ts.do("PATCH", "/api/v1/pipelines/demo", store.RoleViewer, map[string]any{"paused": false}); code != http.StatusForbidden {
		t.Errorf("viewer PATCH = %d, want 403", code)
	}
	// Paused pipelines still release manually.
	x := ts.release("demo", nil)
	ts.waitStatus(x.ID, pipeline.StatusSucceeded)
	var audit struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	ts.must("GET", "/api/v1/audit?target=demo", store.RoleAdmin, nil, http.StatusOK, &audit)
	var actions []string
	for _, e := range audit.Entries {
		actions = append(actions, e.Action+" "+e.Detail)
	}
	got := strings.Join(actions, "; ")
	if !strings.Contains(got, "pipeline.pause") || !strings.Contains(got, "pipeline.update changed poll_interval, webhook_secret") ||
		strings.Contains(got, "abc") {
		t.Errorf("audit of demo = %s", got)
	}
	if code, _ := ts.do("DELETE", "/api/v1/pipelines/demo", store.RoleOperator, nil); code != http.StatusNoContent {
		t.Errorf("DELETE = %d, want 204", code)
	}
	if code, _ := ts.do("GET", "/api/v1/pipelines/demo", store.RoleViewer, nil); code != http.StatusNotFound {
		t.Errorf("GET after DELETE = %d, want 404", code)
	}
	// Its executions stay.
	if got := ts.execution(x.ID); got.Status != pipeline.StatusSucceeded {
		t.Errorf("execution after DELETE = %s", got.Status)
	}
}
