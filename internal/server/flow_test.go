package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

const approvalPipeline = `version: 1
name: gated
stages:
  - name: Source
    actions:
      - {name: Source, provider: git, outputs: [SourceArtifact]}
  - name: Release
    actions:
      - {name: Approve, provider: approval, config: {summary: ship it?}}
`

func TestApprovals(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	repo := newRepo(t, map[string]string{"secpipe.yml": approvalPipeline})
	ts.register("gated", repo.dir)

	x := ts.release("gated", nil)
	ts.waitAction(x.ID, "Release", "Approve", pipeline.StatusWaiting)
	path := "/api/v1/executions/" + x.ID + "/actions/Release/Approve/"
	if code, body := ts.do("POST", path+"approve", store.RoleViewer, map[string]string{"reason": "ok"}); code != http.StatusForbidden {
		t.Errorf("viewer approve = %d %s, want 403", code, body)
	}
	if code, _ := ts.do("POST", path+"approve", "", nil); code != http.StatusUnauthorized {
		t.Errorf("approve without a token = %d, want 401", code)
	}
	if code, _ := ts.do("POST", "/api/v1/executions/"+x.ID+"/actions/Source/Source/approve", store.RoleOperator, nil); code != http.StatusBadRequest {
		t.Errorf("approving a git action = %d, want 400", code)
	}
	ts.must("POST", path+"approve", store.RoleOperator, map[string]string{"reason": "looks good"}, http.StatusOK, nil)
	ts.waitStatus(x.ID, pipeline.StatusSucceeded)
	var approvals struct {
		Approvals []struct {
			By       string `json:"by"`
			Reason   string `json:"reason"`
			Approved bool   `json:"approved"`
		} `json:"approvals"`
	}
	ts.must("GET", "/api/v1/executions/"+x.ID+"/approvals", store.RoleViewer, nil, http.StatusOK, &approvals)
	if len(approvals.Approvals) != 1 || approvals.Approvals[0].By != "operator" || !approvals.Approvals[0].Approved {
		t.Errorf("approvals = %+v, want one by operator", approvals.Approvals)
	}
	var audit struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	ts.must("GET", "/api/v1/audit?target="+x.ID, store.RoleAdmin, nil, http.StatusOK, &audit)
	if len(audit.Entries) == 0 || audit.Entries[0].Action != "approval.approve" || audit.Entries[0].Actor != "operator" ||
		audit.Entries[0].Detail != "Release.Approve: looks good" {
		t.Errorf("newest audit entry of %s = %+v, want the approval by operator", x.ID, audit.Entries)
	}
	if code, _ := ts.do("GET", "/api/v1/audit", store.RoleOperator, nil); code != http.StatusForbidden {
		t.Errorf("operator reads the audit log: %d, want 403", code)
	}

	// A rejection needs a reason, and fails the execution.
	y := ts.release("gated", nil)
	ts.waitAction(y.ID, "Release", "Approve", pipeline.StatusWaiting)
	path = "/api/v1/executions/" + y.ID + "/actions/Release/Approve/"
	if code, body := ts.do("POST", path+"reject", store.RoleOperator, nil); code != http.StatusBadRequest {
		t.Errorf("reject without a reason = %d %s, want 400", code, body)
	}
	ts.must("POST", path+"reject", store.RoleOperator, map[string]string{"reason": "not today"}, http.StatusOK, nil)
	done := ts.waitStatus(y.ID, pipeline.StatusFailed)
	if a := action(done, "Release", "Approve"); !strings.Contains(a.Message, "rejected by operator") {
		t.Errorf("rejected action message = %q", a.Message)
	}
}

func TestRetryFailedStage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	marker := filepath.Join(t.TempDir(), "marker")
	yml := fmt.Sprintf(`version: 1
name: flaky
stages:
  - name: Source
    actions:
      - {name: Source, provider: git, outputs: [SourceArtifact]}
  - name: Build
    actions:
      - {name: Test, provider: shell, config: {commands: ["test -f %s"]}}
  - name: After
    when: 'exists("README")'
    actions:
      - {name: Done, provider: shell, config: {commands: ["echo done"]}}
`, marker)
	repo := newRepo(t, map[string]string{"README": "x", "secpipe.yml": yml})
	ts.register("flaky", repo.dir)
	x := ts.release("flaky", nil)
	ts.waitStatus(x.ID, pipeline.StatusFailed)
	ts.eventually("the checkout to be removed", func() bool {
		_, err := os.Stat(ts.checkout(x.ID))
		return errors.Is(err, os.ErrNotExist)
	})
	retry := "/api/v1/executions/" + x.ID + "/retry"
	if code, _ := ts.do("POST", retry, store.RoleViewer, map[string]string{"stage": "Build"}); code != http.StatusForbidden {
		t.Errorf("viewer retry = %d, want 403", code)
	}
	if code, body := ts.do("POST", retry, store.RoleOperator, map[string]string{"stage": "Source"}); code != http.StatusBadRequest {
		t.Errorf("retry of a stage that succeeded = %d %s, want 400", code, body)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ts.must("POST", retry, store.RoleOperator, map[string]string{"stage": "Build"}, http.StatusOK, nil)
	done := ts.waitStatus(x.ID, pipeline.StatusSucceeded)
	// The later stage's condition read the repository: its checkout came
	// back for the retry.
	if a := action(done, "After", "Done"); a.Status != pipeline.StatusSucceeded {
		t.Errorf("After/Done = %s (%s), want succeeded", a.Status, a.Message)
	}
	if code, _ := ts.do("POST", retry, store.RoleOperator, nil); code != http.StatusBadRequest {
		t.Errorf("retry of a succeeded execution = %d, want 400", code)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	never := filepath.Join(t.TempDir(), "never")
	yml := fmt.Sprintf(`version: 1
name: slow
stages:
  - name: Build
    actions:
      - {name: Wait, provider: shell, config: {commands: ["while [ ! -f %s ]; do sleep 0.05; done"]}}
`, never)
	repo := newRepo(t, map[string]string{"secpipe.yml": yml})
	ts.register("slow", repo.dir)
	x := ts.release("slow", nil)
	ts.waitAction(x.ID, "Build", "Wait", pipeline.StatusRunning)
	if code, _ := ts.do("POST", "/api/v1/executions/"+x.ID+"/cancel", store.RoleViewer, nil); code != http.StatusForbidden {
		t.Errorf("viewer cancel = %d, want 403", code)
	}
	ts.must("POST", "/api/v1/executions/"+x.ID+"/cancel", store.RoleOperator, nil, http.StatusOK, nil)
	done := ts.waitStatus(x.ID, pipeline.StatusCancelled)
	if a := action(done, "Build", "Wait"); a.Status != pipeline.StatusCancelled {
		t.Errorf("Build/Wait = %s, want cancelled", a.Status)
	}
	if code, _ := ts.do("POST", "/api/v1/executions/nope/cancel", store.RoleOperator, nil); code != http.StatusNotFound {
		t.Errorf("cancel of an unknown execution = %d, want 404", code)
	}
	ts.eventually("the checkout to be removed", func() bool {
		_, err := os.Stat(ts.checkout(x.ID))
		return errors.Is(err, os.ErrNotExist)
	})
}

// findingsProvider reports fixed findings.
type findingsProvider struct{}

func (findingsProvider) Name() string { return "fixed-findings" }

func (findingsProvider) Run(_ context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	fs := []pipeline.Finding{
		{Kind: pipeline.KindSecret, RuleID: "aws-access-key", Severity: pipeline.SeverityHigh, Title: "AWS key",
			Location: pipeline.Location{Path: "app/src/config.js", Line: 3}, Evidence: pipeline.Redact("AKIAIOSFODNN7EXAMPLE")},
		{Kind: pipeline.KindConfig, RuleID: "ssh-root", Severity: pipeline.SeverityMedium, Title: "root login",
			Suppressed: &pipeline.Suppression{By: "ignore-file", Reason: "lab only"}},
	}
	if req.Stage == "Image" {
		fs = []pipeline.Finding{{Kind: pipeline.KindVuln, RuleID: "CVE-2018-17182", Severity: pipeline.SeverityCritical,
			Title: "linux", Location: pipeline.Location{Package: "linux-image", Version: "4.9"}}}
	}
	return pipeline.ActionResult{State: pipeline.ActionSucceeded, Findings: fs}, nil
}

func TestFindingsFilter(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, findingsProvider{})
	repo := newRepo(t, map[string]string{"secpipe.yml": `version: 1
name: scanned
stages:
  - name: Build
    actions:
      - {name: Scan, provider: fixed-findings}
  - name: Image
    actions:
      - {name: Scan, provider: fixed-findings}
`})
	ts.register("scanned", repo.dir)
	x := ts.release("scanned", nil)
	ts.waitStatus(x.ID, pipeline.StatusSucceeded)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{query: "", want: []string{"aws-access-key", "ssh-root", "CVE-2018-17182"}},
		{query: "kind=secret", want: []string{"aws-access-key"}},
		{query: "kind=secret,vuln", want: []string{"aws-access-key", "CVE-2018-17182"}},
		{query: "severity=high", want: []string{"aws-access-key", "CVE-2018-17182"}},
		{query: "status=open", want: []string{"aws-access-key", "CVE-2018-17182"}},
		{query: "status=suppressed", want: []string{"ssh-root"}},
		{query: "stage=Image", want: []string{"CVE-2018-17182"}},
		{query: "stage=Build&severity=medium&status=open", want: []string{"aws-access-key"}},
	} {
		var got struct {
			Findings []struct {
				Stage    string `json:"stage"`
				RuleID   string `json:"rule_id"`
				Evidence string `json:"evidence"`
			} `json:"findings"`
		}
		ts.must("GET", "/api/v1/executions/"+x.ID+"/findings?"+tc.query, store.RoleViewer, nil, http.StatusOK, &got)
		var ids []string
		for _, f := range got.Findings {
			ids = append(ids, f.RuleID)
			if strings.Contains(f.Evidence, "IOSFODNN7EXAMPLE") {
				t.Errorf("evidence %q is not redacted", f.Evidence)
			}
		}
		if strings.Join(ids, " ") != strings.Join(tc.want, " ") {
			t.Errorf("findings?%s = %v, want %v", tc.query, ids, tc.want)
		}
	}
	for _, q := range []string{"kind=nope", "severity=extreme", "status=closed"} {
		if code, _ := ts.do("GET", "/api/v1/executions/"+x.ID+"/findings?"+q, store.RoleViewer, nil); code != http.StatusBadRequest {
			t.Errorf("findings?%s = %d, want 400", q, code)
		}
	}
	if code, _ := ts.do("GET", "/api/v1/executions/nope/findings", store.RoleViewer, nil); code != http.StatusNotFound {
		t.Errorf("findings of an unknown execution = %d, want 404", code)
	}
	var info struct {
		Stages []struct {
			Actions []struct {
				Findings   int `json:"findings"`
				Suppressed int `json:"suppressed"`
			} `json:"actions"`
		} `json:"stages"`
	}
	ts.must("GET", "/api/v1/executions/"+x.ID, store.RoleViewer, nil, http.StatusOK, &info)
	if a := info.Stages[0].Actions[0]; a.Findings != 2 || a.Suppressed != 1 {
		t.Errorf("Build/Scan counts = %+v, want 2 findings, 1 suppressed", a)
	}
}
