package spec

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with the golden file at path, or rewrites the file
// when -update is set.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; run go test -update to accept):\n%s", path, diff)
	}
}

// providers are the provider names the error files are checked against.
var providers = []string{"git", "buildspec", "shell", "scan", "approval", "invoke", "custom"}

// TestParseErrors pins the message of every class of error: each
// testdata/errors/X.yml fails to parse with the text in X.golden.
func TestParseErrors(t *testing.T) {
	paths, err := filepath.Glob("testdata/errors/*.yml")
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
			p, err := Parse(filepath.Base(path), data, Options{Providers: providers})
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want an error", path, p)
			}
			if !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("Parse(%s) error %v does not wrap pipeline.ErrInvalid", path, err)
			}
			golden(t, strings.TrimSuffix(path, ".yml")+".golden", err.Error()+"\n")
		})
	}
}
