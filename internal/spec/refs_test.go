package spec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

func TestResolve(t *testing.T) {
	vars := map[string]string{
		"variables.Channel":        "dev",
		"SourceVariables.CommitId": "abc123",
		"LaunchVariables.BuildId":  "b-1",
		"LaunchVariables.Image":    "golden:1",
		"Odd@ns-1.key.with.dots":   "dotted",
		"Empty.Value":              "",
		"Recursive.Value":          "#{SourceVariables.CommitId}",
	}
	tests := []struct {
		name    string
		in      any
		want    any
		wantErr string
	}{
		{name: "plain string", in: "no references", want: "no references"},
		{name: "one reference", in: "commit #{SourceVariables.CommitId}", want: "commit abc123"},
		{name: "several", in: "#{variables.Channel}/#{LaunchVariables.Image}#{LaunchVariables.BuildId}", want: "dev/golden:1b-1"},
		{name: "escape", in: "##{SourceVariables.CommitId} is written as is", want: "#{SourceVariables.CommitId} is written as is"},
		{name: "escape then reference", in: "##{x}#{Empty.Value}", want: "#{x}"},
		{name: "lone hashes and braces", in: "# {a} #x {b} ## }", want: "# {a} #x {b} ## }"},
		{name: "variable key with dots", in: "#{Odd@ns-1.key.with.dots}", want: "dotted"},
		{name: "values are not resolved again", in: "#{Recursive.Value}", want: "#{SourceVariables.CommitId}"},
		{name: "nested config",
			in: map[string]any{"commands": []any{"echo #{variables.Channel}", 3, true, nil},
				"env": map[string]any{"COMMIT": "#{SourceVariables.CommitId}"}, "#{keys.stay}": 1.5},
			want: map[string]any{"commands": []any{"echo dev", 3, true, nil},
				"env": map[string]any{"COMMIT": "abc123"}, "#{keys.stay}": 1.5}},
		{name: "string slices and maps", in: map[string]any{"l": []string{"#{Empty.Value}x"}, "m": map[string]string{"k": "#{variables.Channel}"}},
			want: map[string]any{"l": []string{"x"}, "m": map[string]string{"k": "dev"}}},
		{name: "other values pass", in: 42, want: 42},
		{name: "nil", in: nil, want: nil},
		{name: "unknown reference", in: map[string]any{"cmd": []any{"ok", "#{LaunchVariables.Nope}"}},
			wantErr: `cmd[1]: unknown reference #{LaunchVariables.Nope} (namespace "LaunchVariables" has BuildId, Image)`},
		{name: "unknown namespace", in: "#{Deploy.Url}", wantErr: `unknown reference #{Deploy.Url} (namespace "Deploy" has no variables)`},
		{name: "malformed", in: "#{NoDot}", wantErr: `malformed reference "#{NoDot}" (want #{Namespace.Variable}; write ##{ for a literal #{)`},
		{name: "unterminated", in: map[string]any{"a": "x #{A.b"}, wantErr: `a: unterminated reference "#{A.b" (want #{Namespace.Variable}; write ##{ for a literal #{)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.in, vars)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Resolve(%v) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				if !errors.Is(err, pipeline.ErrInvalid) {
					t.Errorf("Resolve(%v) error %v does not wrap ErrInvalid", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%v): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%v) differs (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestResolveDoesNotModify(t *testing.T) {
	in := map[string]any{"a": []any{"#{A.b}"}, "m": map[string]any{"c": "#{A.b}"}}
	if _, err := Resolve(in, map[string]string{"A.b": "x"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": []any{"#{A.b}"}, "m": map[string]any{"c": "#{A.b}"}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("Resolve modified its input (-want +got):\n%s", diff)
	}
}
