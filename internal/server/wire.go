package server

import (
	"net/url"
	"time"

	"github.com/secpipe/secpipe/internal/server/repourl"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// The JSON shapes of the API (docs/openapi.yaml describes them). Secrets
// have no field here: a pipeline says whether it has a webhook secret, a
// token never shows its hash.

// PushFilter is a pipeline's push filter.
type PushFilter struct {
	Branches []string `json:"branches,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Paths    []string `json:"paths,omitempty"`
}

// Pipeline is a registered pipeline.
type Pipeline struct {
	Name             string     `json:"name"`
	Repo             string     `json:"repo"`
	Branch           string     `json:"branch"`
	Dir              string     `json:"dir"`
	PollInterval     string     `json:"poll_interval"`
	Filter           PushFilter `json:"filter"`
	WebhookSecretSet bool       `json:"webhook_secret_set"`
	LastRevision     string     `json:"last_revision,omitempty"`
	Paused           bool       `json:"paused"`
	Created          time.Time  `json:"created"`
	Updated          time.Time  `json:"updated"`
}

func pipelineJSON(p store.PipelineRecord) Pipeline {
	return Pipeline{Name: p.Name, Repo: repourl.Display(p.Repo), Branch: p.Branch, Dir: p.Dir,
		PollInterval:     durationString(p.PollInterval),
		Filter:           PushFilter{Branches: p.Filter.Branches, Tags: p.Filter.Tags, Paths: p.Filter.Paths},
		WebhookSecretSet: p.WebhookSecret != "", LastRevision: p.LastRevision, Paused: p.Paused,
		Created: p.Created, Updated: p.Updated}
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// Execution is an execution; Stages are set when one execution is asked
// for.
type Execution struct {
	ID         string            `json:"id"`
	Seq        int64             `json:"seq"`
	Pipeline   string            `json:"pipeline"`
	Status     pipeline.Status   `json:"status"`
	Mode       string            `json:"mode"`
	Revision   string            `json:"revision,omitempty"`
	Trigger    string            `json:"trigger,omitempty"`
	Message    string            `json:"message,omitempty"`
	Variables  map[string]string `json:"variables,omitempty"`
	Created    time.Time         `json:"created"`
	Started    time.Time         `json:"started,omitzero"`
	Finished   time.Time         `json:"finished,omitzero"`
	DurationMS int64             `json:"duration_ms"`
	Stages     []Stage           `json:"stages,omitempty"`
}

// Stage is a stage run.
type Stage struct {
	Index      int             `json:"index"`
	Name       string          `json:"name"`
	Status     pipeline.Status `json:"status"`
	Message    string          `json:"message,omitempty"`
	Started    time.Time       `json:"started,omitzero"`
	Finished   time.Time       `json:"finished,omitzero"`
	DurationMS int64           `json:"duration_ms"`
	Actions    []Action        `json:"actions"`
}

// Action is an action run.
type Action struct {
	Name            string               `json:"name"`
	Provider        string               `json:"provider"`
	RunOrder        int                  `json:"run_order"`
	Status          pipeline.Status      `json:"status"`
	Wait            string               `json:"wait,omitempty"`
	Attempt         int                  `json:"attempt"`
	Retries         int                  `json:"retries"`
	Message         string               `json:"message,omitempty"`
	OutputVariables map[string]string    `json:"output_variables,omitempty"`
	Inputs          map[string]string    `json:"inputs,omitempty"`
	Outputs         map[string]string    `json:"outputs,omitempty"`
	Tests           []pipeline.TestSuite `json:"tests,omitempty"`
	Warnings        []string             `json:"warnings,omitempty"`
	Findings        int                  `json:"findings"`
	Suppressed      int                  `json:"suppressed"`
	Started         time.Time            `json:"started,omitzero"`
	Finished        time.Time            `json:"finished,omitzero"`
	DurationMS      int64                `json:"duration_ms"`
	Log             string               `json:"log"`
}

func executionJSON(x store.Execution, d time.Duration) Execution {
	return Execution{ID: x.ID, Seq: x.Seq, Pipeline: x.Pipeline, Status: x.Status, Mode: string(x.Mode),
		Revision: x.Revision, Trigger: x.Trigger, Message: x.Message, Variables: x.Variables, Created: x.Created,
		Started: x.Started, Finished: x.Finished, DurationMS: d.Milliseconds()}
}

func executionInfoJSON(info engine.ExecutionInfo) Execution {
	out := executionJSON(info.Execution, info.Duration)
	out.Stages = []Stage{}
	for _, st := range info.Stages {
		s := Stage{Index: st.Index, Name: st.Name, Status: st.Status, Message: st.Message, Started: st.Started,
			Finished: st.Finished, DurationMS: st.Duration.Milliseconds(), Actions: []Action{}}
		for _, a := range st.Actions {
			s.Actions = append(s.Actions, Action{Name: a.Action, Provider: a.Provider, RunOrder: a.RunOrder,
				Status: a.Status, Wait: string(a.Wait), Attempt: a.Attempt, Retries: a.Retries, Message: a.Message,
				OutputVariables: a.OutputVariables, Inputs: a.Inputs, Outputs: a.Outputs, Tests: a.Tests,
				Warnings: a.Warnings, Findings: a.Findings, Suppressed: a.Suppressed, Started: a.Started,
				Finished: a.Finished, DurationMS: a.Duration.Milliseconds(),
				Log: "/api/v1/executions/" + url.PathEscape(info.ID) + "/actions/" + url.PathEscape(a.Stage) + "/" +
					url.PathEscape(a.Action) + "/log"})
		}
		out.Stages = append(out.Stages, s)
	}
	return out
}

// Finding is a finding with the action that reported it. Its evidence is
// redacted, as every finding's is.
type Finding struct {
	Stage  string `json:"stage"`
	Action string `json:"action"`
	pipeline.Finding
}

// Approval is a decision on an approval action.
type Approval struct {
	Stage    string    `json:"stage"`
	Action   string    `json:"action"`
	By       string    `json:"by"`
	Reason   string    `json:"reason,omitempty"`
	Approved bool      `json:"approved"`
	At       time.Time `json:"at"`
}

// Artifact is an artifact an action produced.
type Artifact struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Stage  string `json:"stage"`
	Action string `json:"action"`
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Token is an API token as admins see it: never its secret or hash.
type Token struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Role        store.Role `json:"role"`
	ActionTypes []string   `json:"action_types,omitempty"`
	Created     time.Time  `json:"created"`
	LastUsed    time.Time  `json:"last_used,omitzero"`
	Expires     time.Time  `json:"expires,omitzero"`
	Revoked     time.Time  `json:"revoked,omitzero"`
}

func tokenJSON(t store.Token) Token {
	return Token{ID: t.ID, Name: t.Name, Role: t.Role, ActionTypes: t.ActionTypes, Created: t.Created,
		LastUsed: t.LastUsed, Expires: t.Expires, Revoked: t.Revoked}
}

// NewToken is a created token: the only time its secret is shown.
type NewToken struct {
	Token
	Secret string `json:"token"`
}
