package dashboard

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// Limits of the executions list and of form fields.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
	maxReasonLen     = 1000
)

// executionRow is one line of the executions list.
type executionRow struct {
	store.Execution
	Duration time.Duration
}

// executionsData fills the executions page.
type executionsData struct {
	Pipeline string
	Status   pipeline.Status
	Statuses []pipeline.Status
	Rows     []executionRow
	// Older is the URL of the next page, empty on the last.
	Older string
}

// allStatuses lists the statuses the filter offers.
func allStatuses() []pipeline.Status {
	return []pipeline.Status{pipeline.StatusQueued, pipeline.StatusRunning, pipeline.StatusWaiting,
		pipeline.StatusSucceeded, pipeline.StatusFailed, pipeline.StatusCancelled, pipeline.StatusSuperseded}
}

// executionQuery reads the list's query: pipeline, status, before (the
// paging cursor) and limit. A bad value wraps pipeline.ErrInvalid.
func executionQuery(q url.Values) (engine.ExecutionQuery, error) {
	f := engine.ExecutionQuery{Pipeline: strings.TrimSpace(q.Get("pipeline")), Limit: defaultListLimit}
	if s := q.Get("status"); s != "" {
		st, err := pipeline.ParseStatus(s)
		if err != nil {
			return f, err
		}
		f.Statuses = []pipeline.Status{st}
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return f, fmt.Errorf("%w before %q", pipeline.ErrInvalid, s)
		}
		f.Before = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > maxListLimit {
			return f, fmt.Errorf("%w limit %q: want 1 to %d", pipeline.ErrInvalid, s, maxListLimit)
		}
		f.Limit = n
	}
	return f, nil
}

// executionsPage lists executions, newest first, filtered by pipeline and
// status, a page at a time.
func (d *Dashboard) executionsPage(w http.ResponseWriter, r *http.Request, ss *session) {
	q, err := executionQuery(r.URL.Query())
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	xs, next, err := d.cfg.Engine.ListExecutions(r.Context(), q)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	data := executionsData{Pipeline: q.Pipeline, Statuses: allStatuses()}
	if len(q.Statuses) == 1 {
		data.Status = q.Statuses[0]
	}
	if next > 0 {
		v := url.Values{"before": {strconv.FormatInt(next, 10)}}
		if q.Pipeline != "" {
			v.Set("pipeline", q.Pipeline)
		}
		if data.Status != "" {
			v.Set("status", string(data.Status))
		}
		if q.Limit != defaultListLimit {
			v.Set("limit", strconv.Itoa(q.Limit))
		}
		data.Older = "/executions?" + v.Encode()
	}
	now := d.now()
	for _, x := range xs {
		data.Rows = append(data.Rows, executionRow{Execution: x, Duration: span(x.Started, x.Finished, now)})
	}
	d.render(w, r, ss, http.StatusOK, "executions", "Executions", data)
}

// span is finished-started, or now-started while unfinished.
func span(started, finished, now time.Time) time.Duration {
	switch {
	case started.IsZero():
		return 0
	case finished.IsZero():
		return now.Sub(started)
	}
	return finished.Sub(started)
}

// actionView is an action of the execution page.
type actionView struct {
	engine.ActionInfo
	// Approval is set on an action waiting for a decision.
	Approval bool
	// Summary and Link are an approval action's configured summary and url.
	Summary string
	Link    string
}

// stepView is the actions of a stage that share a run order: they run
// side by side, after the steps before.
type stepView struct {
	RunOrder int
	Actions  []actionView
}

// stageView is a stage of the execution page.
type stageView struct {
	engine.StageInfo
	Actions []actionView
	// Steps groups Actions by run order, for the stage→action grid.
	Steps []stepView
	// Retry is set on a failed or cancelled stage of a failed or cancelled
	// execution.
	Retry bool
}

// variableView is one output variable of an action, with the reference
// later actions use for it ("#{Src.Commit}"; just the name when the
// action has no namespace).
type variableView struct {
	Stage, Action string
	Ref           string
	Value         string
}

// executionData fills the execution page.
type executionData struct {
	engine.ExecutionInfo
	Stages    []stageView
	Approvals []store.Approval
	Artifacts []artifactView
	Variables []variableView
	Findings  int
	Live      bool
	// State fingerprints the statuses shown, so that the page's live
	// updates notice changes made before they connect.
	State string
}

// executionPage shows an execution as a stage→action grid, then each
// stage's actions in detail, its output variables and its artifacts.
func (d *Dashboard) executionPage(w http.ResponseWriter, r *http.Request, ss *session) {
	ctx := r.Context()
	info, err := d.execution(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	approvals, err := d.cfg.Store.Approvals(ctx, info.ID)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	arts, err := d.artifactViews(ctx, info.ID, ss.principal.allowed(store.RoleOperator))
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	data := executionData{ExecutionInfo: info, Approvals: approvals, Artifacts: arts, Live: !info.Status.Terminal(),
		State: stateOf(info)}
	retryable := info.Status == pipeline.StatusFailed || info.Status == pipeline.StatusCancelled
	for _, st := range info.Stages {
		sv := stageView{StageInfo: st, Retry: retryable &&
			(st.Status == pipeline.StatusFailed || st.Status == pipeline.StatusCancelled)}
		for _, a := range st.Actions {
			av := actionView{ActionInfo: a,
				Approval: a.Status == pipeline.StatusWaiting && a.Wait == store.WaitApproval}
			if a.Provider == "approval" {
				av.Summary, av.Link = approvalText(info.Definition, a.StageIndex, a.Index)
			}
			data.Findings += a.Findings
			data.Variables = append(data.Variables, variablesOf(info.Definition, a.ActionRun)...)
			sv.Actions = append(sv.Actions, av)
		}
		sv.Steps = stepsOf(sv.Actions)
		data.Stages = append(data.Stages, sv)
	}
	d.render(w, r, ss, http.StatusOK, "execution", "Execution "+info.ID, data)
}

// stepsOf groups a stage's actions by run order, lowest first; actions
// keep their definition order within a step.
func stepsOf(actions []actionView) []stepView {
	var steps []stepView
	for _, a := range actions {
		i := slices.IndexFunc(steps, func(s stepView) bool { return s.RunOrder == a.RunOrder })
		if i < 0 {
			steps = append(steps, stepView{RunOrder: a.RunOrder})
			i = len(steps) - 1
		}
		steps[i].Actions = append(steps[i].Actions, a)
	}
	slices.SortStableFunc(steps, func(a, b stepView) int { return a.RunOrder - b.RunOrder })
	return steps
}

// variablesOf lists the output variables of run by name, each with the
// reference the definition's namespace gives it.
func variablesOf(p *pipeline.Pipeline, run store.ActionRun) []variableView {
	ns := ""
	if p != nil && run.StageIndex >= 0 && run.StageIndex < len(p.Stages) &&
		run.Index >= 0 && run.Index < len(p.Stages[run.StageIndex].Actions) {
		ns = p.Stages[run.StageIndex].Actions[run.Index].Namespace
	}
	out := make([]variableView, 0, len(run.OutputVariables))
	for _, name := range slices.Sorted(maps.Keys(run.OutputVariables)) {
		ref := name
		if ns != "" {
			ref = "#{" + ns + "." + name + "}"
		}
		out = append(out, variableView{Stage: run.Stage, Action: run.Action, Ref: ref,
			Value: run.OutputVariables[name]})
	}
	return out
}

// approvalText returns the summary and url an approval action's
// configuration gives.
func approvalText(p *pipeline.Pipeline, stage, action int) (summary, link string) {
	if p == nil || stage < 0 || stage >= len(p.Stages) || action < 0 || action >= len(p.Stages[stage].Actions) {
		return "", ""
	}
	cfg := p.Stages[stage].Actions[action].Config
	summary, _ = cfg["summary"].(string)
	link, _ = cfg["url"].(string)
	if !strings.HasPrefix(link, "https://") && !strings.HasPrefix(link, "http://") {
		link = ""
	}
	return summary, link
}

// executionID resolves the {id} of a form's URL ("latest" included).
func (d *Dashboard) executionID(r *http.Request) (string, error) {
	x, err := d.execution(r)
	return x.ID, err
}

// execution reads the execution the {id} of the URL names.
func (d *Dashboard) execution(r *http.Request) (engine.ExecutionInfo, error) {
	return d.cfg.Engine.Execution(r.Context(), r.PathValue("id"))
}

// approve records an approval or rejection of a waiting approval action,
// then goes back to the execution, or to the approvals inbox when the
// form's return field says "approvals".
func (d *Dashboard) approve(w http.ResponseWriter, r *http.Request, ss *session) {
	id, err := d.executionID(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	back := "/executions/" + url.PathEscape(id)
	if r.PostForm.Get("return") == "approvals" {
		back = "/approvals"
	}
	action := r.PostForm.Get("action")
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	var approved bool
	switch r.PostForm.Get("decision") {
	case "approve":
		approved = true
	case "reject":
	default:
		d.failed(w, r, ss, back, fmt.Errorf("%w decision: want approve or reject", pipeline.ErrInvalid))
		return
	}
	if action == "" || len(reason) > maxReasonLen {
		d.failed(w, r, ss, back, fmt.Errorf("%w: name the action and give a reason of at most %d characters",
			pipeline.ErrInvalid, maxReasonLen))
		return
	}
	if err := d.cfg.Engine.ApproveAs(r.Context(), id, action, ss.principal.Name, reason, approved); err != nil {
		d.failed(w, r, ss, back, err)
		return
	}
	verb := "approval.reject"
	msg := "Rejected " + action + " of " + id + "."
	if approved {
		verb, msg = "approval.approve", "Approved "+action+" of "+id+"."
	}
	d.audit(r, ss, verb, id, action+suffix(reason))
	d.done(w, r, ss, back, msg)
}

// retry reruns a failed stage.
func (d *Dashboard) retry(w http.ResponseWriter, r *http.Request, ss *session) {
	id, err := d.executionID(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	back := "/executions/" + url.PathEscape(id)
	stage := r.PostForm.Get("stage")
	retry := d.cfg.Engine.Retry
	if d.cfg.Retry != nil {
		retry = d.cfg.Retry
	}
	if err := retry(r.Context(), id, stage); err != nil {
		d.failed(w, r, ss, back, err)
		return
	}
	d.audit(r, ss, "execution.retry", id, "stage "+stage)
	d.done(w, r, ss, back, "Retrying stage "+stage+".")
}

// cancel cancels an execution.
func (d *Dashboard) cancel(w http.ResponseWriter, r *http.Request, ss *session) {
	x, err := d.execution(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	id := x.ID
	back := "/executions/" + url.PathEscape(id)
	if x.Status.Terminal() {
		d.failed(w, r, ss, back, fmt.Errorf("%w: the execution is already %s", pipeline.ErrInvalid, x.Status))
		return
	}
	if err := d.cfg.Engine.Cancel(r.Context(), id); err != nil {
		d.failed(w, r, ss, back, err)
		return
	}
	d.audit(r, ss, "execution.cancel", id, "")
	d.done(w, r, ss, back, "Cancelled execution "+id+".")
}

// suffix renders ": reason" when there is one.
func suffix(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}
