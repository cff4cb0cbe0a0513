package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// TestImportCodePipeline pins the secpipe.yml and the warnings that the
// golden-image CodePipeline declaration imports to, and checks that the
// result parses back unchanged.
func TestImportCodePipeline(t *testing.T) {
	path := filepath.Join("testdata", "codepipeline", "golden-image.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, warnings, err := ImportCodePipeline("golden-image.json", data)
	if err != nil {
		t.Fatalf("ImportCodePipeline: %v", err)
	}
	out, err := Marshal(p)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	golden(t, filepath.Join("testdata", "codepipeline", "golden-image.secpipe.yml"), string(out))
	golden(t, filepath.Join("testdata", "codepipeline", "golden-image.warnings.golden"), strings.Join(warnings, "\n")+"\n")
	q, err := Parse("golden-image.secpipe.yml", out, Options{Providers: providers})
	if err != nil {
		t.Fatalf("Parse(imported): %v", err)
	}
	if diff := cmp.Diff(p, q); diff != "" {
		t.Errorf("Parse(Marshal(import)) differs (-want +got):\n%s", diff)
	}
}

func TestImportCodePipelineShapes(t *testing.T) {
	wrapped, err := os.ReadFile(filepath.Join("testdata", "codepipeline", "golden-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	bare, err := os.ReadFile(filepath.Join("testdata", "codepipeline", "bare.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := ImportCodePipeline("wrapped.json", wrapped)
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := ImportCodePipeline("bare.json", bare)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, q); diff != "" {
		t.Errorf("bare and wrapped imports differ (-wrapped +bare):\n%s", diff)
	}
	want := pipeline.Action{Name: "LaunchBuildEnvironment", Provider: "invoke", RunOrder: 1,
		Inputs: []string{"BuildArtifact"}, Outputs: []string{"LaunchArtifact"}, Namespace: "LaunchVariables",
		Config: map[string]any{"function": "golden-image-launch-build-environment",
			"user_parameters": `{"commit": "#{SourceVariables.CommitId}", "instanceType": "t3.medium"}`}}
	if diff := cmp.Diff(want, p.Stages[2].Actions[0]); diff != "" {
		t.Errorf("imported Lambda action differs (-want +got):\n%s", diff)
	}
}

func TestImportCodePipelineErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want string
	}{
		{name: "syntax", file: "bad-syntax.json",
			want: `bad-syntax.json:5: invalid character '}' looking for beginning of object key string`},
		{name: "references and names", file: "bad-references.json",
			want: strings.Join([]string{
				`bad-references.json: stages[0].actions[0].inputs[0]: artifact "SourceArtifact" is not the output of any action`,
				`bad-references.json: stages[0].actions[1].config.user_parameters: #{codepipeline.PipelineExecutionId}: namespace "codepipeline" is not declared by any action`,
			}, "\n")},
		{name: "types", data: `{"pipeline": {"name": 3}}`, want: `types.json: pipeline.name: want string, got number`},
		{name: "bare types", data: `{"stages": [{"name": [1]}]}`, want: `bare types.json: stages.name: want string, got array`},
		{name: "mode and empty", data: `{"name": "x", "executionMode": "SOMETIMES"}`, want: strings.Join([]string{
			`mode and empty.json: executionMode: unknown execution mode "SOMETIMES" (want SUPERSEDED, QUEUED or PARALLEL)`,
			`mode and empty.json: stages: empty (a pipeline needs at least one stage)`,
		}, "\n")},
		{name: "missing names", data: `{"stages": [{"actions": [{"actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual"}}]}]}`,
			want: strings.Join([]string{
				`missing names.json: name: missing`,
				`missing names.json: stages[0].name: missing`,
				`missing names.json: stages[0].actions[0].name: missing`,
			}, "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, name := []byte(tt.data), tt.name+".json"
			if tt.file != "" {
				var err error
				name = tt.file
				if data, err = os.ReadFile(filepath.Join("testdata", "codepipeline", tt.file)); err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := ImportCodePipeline(name, data)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("ImportCodePipeline(%s) error:\n%v\nwant:\n%s", name, err, tt.want)
			}
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("ImportCodePipeline(%s) error does not wrap ErrInvalid", name)
			}
		})
	}
}
