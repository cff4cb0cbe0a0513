package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// pendingRows lists the inbox's rows as "EXECUTION Stage.Action", in
// page order.
func pendingRows(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr class="pending" data-execution="([^"]+)" data-action="([^"]+)">`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

// badge returns the navigation's count of waiting approvals ("" when it
// shows none).
func badge(body string) string {
	m := regexp.MustCompile(`id="approvals-badge"[^>]*>([0-9]+)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestApprovalsInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	older := e.startWaiting()
	newer := e.startWaiting()

	victor := e.client()
	victor.login(store.RoleViewer)
	inbox := victor.get("/approvals")
	want := []string{newer + " Release.Approve", older + " Release.Approve"}
	if got := pendingRows(inbox.body); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("inbox = %v, want %v (newest first)", got, want)
	}
	mustContain(t, "viewer's inbox", inbox.body, "An operator has to decide", "Ship &lt;b&gt;it&lt;/b&gt;?")
	if strings.Contains(inbox.body, "approve-form") {
		t.Errorf("viewer's inbox offers the approve form")
	}
	if got := badge(victor.get("/executions").body); got != "2" {
		t.Errorf("badge = %q, want 2", got)
	}

	olga := e.client()
	olga.login(store.RoleOperator)
	inbox = olga.get("/approvals")
	if n := strings.Count(inbox.body, `<input type="hidden" name="return" value="approvals">`); n != 2 {
		t.Fatalf("operator's inbox has %d approve forms, want 2", n)
	}
	// approve is the inbox's form (post adds the session's CSRF token to
	// it, so each post gets a fresh one).
	approve := func() url.Values {
		return url.Values{"return": {"approvals"}, "action": {"Release.Approve"}, "decision": {"approve"},
			"reason": {"reviewed"}}
	}

	// The inbox's form is refused without the session's CSRF token and
	// for a viewer.
	noCSRF := approve()
	noCSRF.Set("csrf", "")
	if res := olga.post("/executions/"+older+"/approve", noCSRF); res.status != http.StatusForbidden {
		t.Errorf("inbox approve without CSRF token = %d, want 403", res.status)
	}
	if res := victor.post("/executions/"+older+"/approve", approve()); res.status != http.StatusForbidden {
		t.Errorf("viewer's inbox approve = %d, want 403", res.status)
	}
	if st := e.status(older); st != pipeline.StatusRunning {
		t.Fatalf("execution %s = %s after refused decisions, want running", older, st)
	}

	res := olga.post("/executions/"+older+"/approve", approve())
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/approvals" {
		t.Fatalf("inbox approve = %d %q, want 303 to /approvals", res.status, res.header.Get("Location"))
	}
	if st := e.finish(older); st != pipeline.StatusSucceeded {
		t.Errorf("approved execution = %s, want succeeded", st)
	}
	inbox = olga.get("/approvals")
	mustContain(t, "inbox after approving", inbox.body, "Approved Release.Approve of "+older+".")
	if got := pendingRows(inbox.body); len(got) != 1 || got[0] != newer+" Release.Approve" {
		t.Errorf("inbox after approving = %v, want only %s", got, newer)
	}
	if got := badge(inbox.body); got != "1" {
		t.Errorf("badge after approving = %q, want 1", got)
	}

	reject := url.Values{"return": {"approvals"}, "action": {"Release.Approve"}, "decision": {"reject"},
		"reason": {"not today"}}
	if res := olga.post("/executions/"+newer+"/approve", reject); res.status != http.StatusSeeOther {
		t.Fatalf("inbox reject = %d", res.status)
	}
	if st := e.finish(newer); st != pipeline.StatusFailed {
		t.Errorf("rejected execution = %s, want failed", st)
	}
	inbox = olga.get("/approvals")
	mustContain(t, "empty inbox", inbox.body, `id="no-approvals"`, "Rejected Release.Approve of "+newer+".")
	if got := badge(inbox.body); got != "" {
		t.Errorf("badge with nothing waiting = %q, want none", got)
	}
	var actions []string
	for _, a := range e.audit() {
		actions = append(actions, a.Action+" "+a.Target+" "+a.Actor)
	}
	wantAudit := []string{"approval.reject " + newer + " olga", "approval.approve " + older + " olga"}
	if strings.Join(actions, ",") != strings.Join(wantAudit, ",") {
		t.Errorf("audit = %v, want %v", actions, wantAudit)
	}
}
