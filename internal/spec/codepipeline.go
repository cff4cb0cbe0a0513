package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// cpPipeline is the part of `aws codepipeline get-pipeline` output that
// is imported.
type cpPipeline struct {
	Name          string       `json:"name"`
	PipelineType  string       `json:"pipelineType"`
	ExecutionMode string       `json:"executionMode"`
	Variables     []cpVariable `json:"variables"`
	Triggers      []cpTrigger  `json:"triggers"`
	Stages        []cpStage    `json:"stages"`
}

type cpVariable struct {
	Name         string `json:"name"`
	DefaultValue string `json:"defaultValue"`
	Description  string `json:"description"`
}

type cpTrigger struct {
	ProviderType     string `json:"providerType"`
	GitConfiguration struct {
		SourceActionName string          `json:"sourceActionName"`
		Push             []cpPushFilter  `json:"push"`
		PullRequest      json.RawMessage `json:"pullRequest"`
	} `json:"gitConfiguration"`
}

type cpPushFilter struct {
	Branches  *cpFilter `json:"branches"`
	Tags      *cpFilter `json:"tags"`
	FilePaths *cpFilter `json:"filePaths"`
}

type cpFilter struct {
	Includes []string `json:"includes"`
	Excludes []string `json:"excludes"`
}

type cpStage struct {
	Name        string          `json:"name"`
	Actions     []cpAction      `json:"actions"`
	Blockers    json.RawMessage `json:"blockers"`
	OnFailure   json.RawMessage `json:"onFailure"`
	OnSuccess   json.RawMessage `json:"onSuccess"`
	BeforeEntry json.RawMessage `json:"beforeEntry"`
}

type cpAction struct {
	Name         string `json:"name"`
	ActionTypeID struct {
		Category string `json:"category"`
		Owner    string `json:"owner"`
		Provider string `json:"provider"`
		Version  string `json:"version"`
	} `json:"actionTypeId"`
	RunOrder         int               `json:"runOrder"`
	Configuration    map[string]any    `json:"configuration"`
	Commands         []string          `json:"commands"`
	OutputVariables  []string          `json:"outputVariables"`
	InputArtifacts   []cpArtifact      `json:"inputArtifacts"`
	OutputArtifacts  []cpArtifact      `json:"outputArtifacts"`
	Namespace        string            `json:"namespace"`
	Region           string            `json:"region"`
	RoleArn          string            `json:"roleArn"`
	TimeoutInMinutes int               `json:"timeoutInMinutes"`
	EnvironmentVars  []json.RawMessage `json:"environmentVariables"`
}

type cpArtifact struct {
	Name string `json:"name"`
}

// ImportCodePipeline converts the JSON of `aws codepipeline get-pipeline`
// ({"pipeline": {...}} or the bare pipeline object) into a Pipeline;
// name is the file name used in messages. It returns warnings for what
// does not carry over (regions, roles, CodeBuild project settings,
// actions with no local equivalent, which become failing shell
// placeholders), and an error wrapping pipeline.ErrInvalid when the JSON
// is malformed or the result breaks the rules Parse enforces.
func ImportCodePipeline(name string, data []byte) (*pipeline.Pipeline, []string, error) {
	if len(data) > maxFileSize {
		return nil, nil, invalidf("%s: file too large (%d bytes, the limit is %d)", name, len(data), maxFileSize)
	}
	cp, err := decodeCodePipeline(name, data)
	if err != nil {
		return nil, nil, err
	}
	im := &importer{probs: &problems{name: name}, regions: map[string]bool{}}
	p := im.pipeline(cp)
	validate(p, nil, Options{}, im.probs)
	if err := im.probs.err(); err != nil {
		return nil, im.warnings, err
	}
	return p, im.warnings, nil
}

// decodeCodePipeline reads either shape of the JSON.
func decodeCodePipeline(name string, data []byte) (*cpPipeline, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(name, data, err)
	}
	body, prefix := data, ""
	if raw, ok := probe["pipeline"]; ok {
		body, prefix = raw, "pipeline."
	}
	var cp cpPipeline
	if err := json.Unmarshal(body, &cp); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return nil, invalidf("%s: %s%s: want %s, got %s", name, prefix, typ.Field, typ.Type, typ.Value)
		}
		return nil, jsonError(name, data, err)
	}
	return &cp, nil
}

// jsonError turns a JSON error into "NAME:LINE: message".
func jsonError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return invalidf("%s:%d: %v", name, lineAt(data, syn.Offset), syn)
	}
	return invalidf("%s: %v", name, err)
}

// lineAt returns the line of a byte offset.
func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// importer converts a CodePipeline declaration, collecting warnings.
type importer struct {
	probs    *problems
	warnings []string
	// regions are the regions already warned about.
	regions map[string]bool
}

// warnf records a warning about field.
func (im *importer) warnf(field, format string, args ...any) {
	im.warnings = append(im.warnings, im.probs.format(problem{field: field, msg: fmt.Sprintf(format, args...)}))
}

// badNameChar is what a CodePipeline pipeline name may hold and a
// secpipe one may not.
var badNameChar = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

func (im *importer) pipeline(cp *cpPipeline) *pipeline.Pipeline {
	p := &pipeline.Pipeline{Version: 1, Name: cp.Name, ExecutionMode: pipeline.ModeSuperseded}
	if fixed := badNameChar.ReplaceAllString(cp.Name, "-"); fixed != cp.Name {
		im.warnf("name", "%q renamed %q (a pipeline name holds only letters, digits, '_', '.' and '-')", cp.Name, fixed)
		p.Name = fixed
	}
	switch strings.ToUpper(cp.ExecutionMode) {
	case "", "SUPERSEDED":
	case "QUEUED":
		p.ExecutionMode = pipeline.ModeQueued
	case "PARALLEL":
		p.ExecutionMode = pipeline.ModeParallel
	default:
		im.probs.add(0, "executionMode", "unknown execution mode %q (want SUPERSEDED, QUEUED or PARALLEL)", cp.ExecutionMode)
	}
	for _, v := range cp.Variables {
		p.Variables = append(p.Variables, pipeline.Variable{Name: v.Name, Default: v.DefaultValue, Description: v.Description})
	}
	for i, tr := range cp.Triggers {
		p.Triggers = append(p.Triggers, im.triggers(index("triggers", i), tr)...)
	}
	for i, st := range cp.Stages {
		p.Stages = append(p.Stages, im.stage(index("stages", i), st))
	}
	return p
}

// triggers converts the push filters of one trigger.
func (im *importer) triggers(where string, tr cpTrigger) []pipeline.Trigger {
	if len(tr.GitConfiguration.PullRequest) > 0 && string(tr.GitConfiguration.PullRequest) != "null" {
		im.warnf(where, "pull request triggers are not supported; ignored")
	}
	var out []pipeline.Trigger
	for j, push := range tr.GitConfiguration.Push {
		field := index(join(where, "push"), j)
		g := &pipeline.GitTrigger{
			Branches: im.includes(join(field, "branches"), push.Branches),
			Tags:     im.includes(join(field, "tags"), push.Tags),
			Paths:    im.includes(join(field, "filePaths"), push.FilePaths),
		}
		out = append(out, pipeline.Trigger{Git: g})
	}
	return out
}

func (im *importer) includes(field string, f *cpFilter) []string {
	if f == nil {
		return nil
	}
	if len(f.Excludes) > 0 {
		im.warnf(field, "excludes %s are not supported; ignored", strings.Join(f.Excludes, ", "))
	}
	return f.Includes
}

func (im *importer) stage(where string, st cpStage) pipeline.Stage {
	for _, extra := range []struct {
		key, why string
		raw      json.RawMessage
	}{
		{"blockers", "stage blockers are not supported", st.Blockers},
		{"onFailure", "a failed stage fails the execution (give its actions retries instead)", st.OnFailure},
		{"onSuccess", "success conditions are not supported", st.OnSuccess},
		{"beforeEntry", "entry conditions are not imported (give the stage a when condition instead)", st.BeforeEntry},
	} {
		if len(extra.raw) > 0 && string(extra.raw) != "null" {
			im.warnf(join(where, extra.key), "not imported: %s", extra.why)
		}
	}
	s := pipeline.Stage{Name: st.Name}
	for j, a := range st.Actions {
		s.Actions = append(s.Actions, im.action(index(join(where, "actions"), j), a))
	}
	return s
}

func (im *importer) action(where string, ca cpAction) pipeline.Action {
	a := pipeline.Action{Name: ca.Name, RunOrder: max(ca.RunOrder, 1), Namespace: ca.Namespace}
	for _, in := range ca.InputArtifacts {
		a.Inputs = append(a.Inputs, in.Name)
	}
	for _, out := range ca.OutputArtifacts {
		a.Outputs = append(a.Outputs, out.Name)
	}
	if ca.TimeoutInMinutes > 0 {
		a.Timeout = time.Duration(ca.TimeoutInMinutes) * time.Minute
	}
	if ca.Region != "" && !im.regions[ca.Region] {
		im.regions[ca.Region] = true
		im.warnf(where, "region %s ignored here and in later actions: actions run locally", ca.Region)
	}
	if ca.RoleArn != "" {
		im.warnf(where, "roleArn ignored: actions run with the local user's rights")
	}
	a.Provider, a.Config = im.provider(where, ca)
	if len(a.Config) == 0 {
		a.Config = nil
	}
	return a
}

// configString returns a configuration value as a string.
func configString(cfg map[string]any, key string) string {
	switch v := cfg[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// unused warns about the configuration keys that were not carried over.
func (im *importer) unused(where string, cfg map[string]any, used ...string) {
	var keys []string
	for k := range cfg {
		found := false
		for _, u := range used {
			found = found || k == u
		}
		if !found {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	sort.Strings(keys)
	im.warnf(where, "configuration %s not imported", strings.Join(keys, ", "))
}
