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

func TestParseBuildspec(t *testing.T) {
	tests := []struct {
		file string
		want *Buildspec
	}{
		{
			file: "full.yml",
			want: &Buildspec{
				Version: "0.2",
				Env: BuildspecEnv{
					Shell:             "bash",
					Variables:         []EnvVar{{"IMAGE_NAME", "golden"}, {"VERSION", "1.10"}, {"DEBUG", "false"}, {"EMPTY", ""}},
					ExportedVariables: []string{"IMAGE_TAG", "BUILD_ID"},
				},
				Phases: []Phase{
					{Name: "install", OnFailure: "CONTINUE", Commands: []string{"./install_software.sh"}},
					{Name: "pre_build", OnFailure: "ABORT", Commands: []string{"secpipe scan secrets ."}},
					{Name: "build", OnFailure: "ABORT",
						Commands: []string{"make build", "if [ -n \"$DEBUG\" ]; then\n  make debug\nfi\n"},
						Finally:  []string{"make clean"}},
					{Name: "post_build", Commands: []string{`echo "built $IMAGE_TAG"`}},
				},
				Artifacts: BuildspecArtifacts{Files: []string{"**/*"}, BaseDirectory: "dist", DiscardPaths: true, Name: "golden-image"},
				Reports: []Report{
					{Name: "unit-tests", Files: []string{"**/junit-*.xml"}, BaseDirectory: "build/reports", FileFormat: "JUNITXML"},
					{Name: "coverage", Files: []string{"coverage.xml"}, FileFormat: "COBERTURAXML"},
				},
			},
		},
		{
			file: "minimal.yml",
			want: &Buildspec{Version: "0.2", Phases: []Phase{{Name: "build", Commands: []string{"echo hello"}}}},
		},
		{
			file: "old.yml",
			want: &Buildspec{Version: "0.1",
				Phases:    []Phase{{Name: "build", Commands: []string{"echo one", "echo two"}}},
				Artifacts: BuildspecArtifacts{Files: []string{"out/*.bin"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "buildspec", tt.file)
			got, warnings, err := LoadBuildspec(path)
			if err != nil {
				t.Fatalf("LoadBuildspec(%s): %v", path, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadBuildspec(%s) differs (-want +got):\n%s", path, diff)
			}
			golden(t, strings.TrimSuffix(path, ".yml")+".warnings.golden", strings.Join(warnings, "\n")+"\n")
		})
	}
}

// TestParseBuildspecErrors pins the messages of invalid buildspecs: each
// testdata/buildspec/errors/X.yml fails with the text in X.golden.
func TestParseBuildspecErrors(t *testing.T) {
	paths, err := filepath.Glob("testdata/buildspec/errors/*.yml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no error files: %v", err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".yml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := ParseBuildspec("buildspec.yml", data)
			if err == nil {
				t.Fatalf("ParseBuildspec(%s) = %+v, want an error", path, b)
			}
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("ParseBuildspec(%s) error %v does not wrap pipeline.ErrInvalid", path, err)
			}
			golden(t, strings.TrimSuffix(path, ".yml")+".golden", err.Error()+"\n")
		})
	}
}

func TestLoadBuildspecMissing(t *testing.T) {
	_, _, err := LoadBuildspec(filepath.Join(t.TempDir(), "buildspec.yml"))
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("LoadBuildspec(missing) = %v, want ErrNotFound", err)
	}
}
