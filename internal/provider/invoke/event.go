package invoke

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/internal/actioncfg"
)

// Event is the CodePipeline.job event a handler reads on its standard
// input.
type Event struct {
	Job Job `json:"CodePipeline.job"`
}

// Job is the job of an Event.
type Job struct {
	ID        string  `json:"id"`
	AccountID string  `json:"accountId"`
	Data      JobData `json:"data"`
}

// JobData is what the handler works on.
type JobData struct {
	ActionConfiguration ActionConfiguration `json:"actionConfiguration"`
	InputArtifacts      []Artifact          `json:"inputArtifacts"`
	OutputArtifacts     []Artifact          `json:"outputArtifacts"`
	// ContinuationToken is the token the handler answered last time; it
	// is absent on a first invocation.
	ContinuationToken string `json:"continuationToken,omitempty"`
}

// ActionConfiguration carries FunctionName and UserParameters.
type ActionConfiguration struct {
	Configuration map[string]string `json:"configuration"`
}

// Artifact is an input or output artifact of the job; its location is a
// local directory.
type Artifact struct {
	Name     string   `json:"name"`
	Location Location `json:"location"`
}

// Location says where an artifact is: Type "Local" and an absolute Path.
type Location struct {
	Type string `json:"type"`
	Path string `json:"path"`
}

// newEvent builds the event of one invocation.
func newEvent(req *pipeline.ActionRequest, s settings, handler, jobID string) Event {
	fn := s.Function
	if fn == "" {
		fn = filepath.Base(handler)
	}
	conf := map[string]string{"FunctionName": fn}
	if len(s.UserParameters) > 0 && string(s.UserParameters) != "null" {
		conf["UserParameters"] = userParameters(s.UserParameters)
	}
	return Event{Job: Job{
		ID:        jobID,
		AccountID: "local",
		Data: JobData{
			ActionConfiguration: ActionConfiguration{Configuration: conf},
			InputArtifacts:      artifacts(actioncfg.Inputs(req)),
			OutputArtifacts:     artifacts(actioncfg.Outputs(req)),
			ContinuationToken:   req.ContinuationToken,
		},
	}}
}

// jobEvent builds the event of a job run by Exec.
func jobEvent(req *pipeline.ActionRequest, handler, jobID string) Event {
	return Event{Job: Job{
		ID:        jobID,
		AccountID: "local",
		Data: JobData{
			ActionConfiguration: ActionConfiguration{Configuration: jobConfiguration(req.Config, handler)},
			InputArtifacts:      artifacts(actioncfg.Inputs(req)),
			OutputArtifacts:     artifacts(actioncfg.Outputs(req)),
			ContinuationToken:   req.ContinuationToken,
		},
	}}
}

// jobConfiguration is the event configuration of a job's action
// configuration: FunctionName is cfg's "function" (else handler's file
// name), UserParameters its "user_parameters", and every other key is
// passed on; values are text as CodePipeline passes them (a string as it
// is, anything else as its JSON text).
func jobConfiguration(cfg map[string]any, handler string) map[string]string {
	conf := map[string]string{"FunctionName": filepath.Base(handler)}
	for k, v := range cfg {
		raw, err := json.Marshal(v)
		if err != nil || len(raw) == 0 {
			continue
		}
		switch text := userParameters(raw); k {
		case "function":
			if text != "" {
				conf["FunctionName"] = text
			}
		case "user_parameters":
			if string(raw) != "null" {
				conf["UserParameters"] = text
			}
		default:
			conf[k] = text
		}
	}
	return conf
}

// userParameters is the configured value as CodePipeline passes it: a
// string as it is, anything else as its JSON text.
func userParameters(raw []byte) string {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s
		}
	}
	return strings.TrimSpace(string(raw))
}

func artifacts(list []actioncfg.Artifact) []Artifact {
	out := make([]Artifact, 0, len(list))
	for _, a := range list {
		out = append(out, Artifact{Name: a.Name, Location: Location{Type: "Local", Path: a.Dir}})
	}
	return out
}

// tail keeps the last max bytes written to it; one goroutine writes.
type tail struct {
	max       int
	b         []byte
	truncated bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
		t.truncated = true
	}
	return len(p), nil
}

// bytes returns the last max bytes written.
func (t *tail) bytes() []byte {
	if len(t.b) > t.max {
		t.truncated = true
		return t.b[len(t.b)-t.max:]
	}
	return t.b
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
