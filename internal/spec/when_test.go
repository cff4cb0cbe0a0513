package spec

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// repo writes files into a fresh directory and returns it.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEvalWhen(t *testing.T) {
	dir := repo(t, map[string]string{
		"config.json":     `{"InstallInspectorAgent": true, "Count": 3, "Name": "golden", "Nested": {"List": [1, 2]}}`,
		"off.json":        `{"InstallInspectorAgent": false}`,
		"settings.yml":    "scan:\n  enabled: yes\n  level: high\n  retries: 2\n",
		"conf/app.yaml":   "debug: true\n",
		"broken.json":     `{"a":`,
		"list.json":       `[1, 2, 3]`,
		"sub/readme.txt":  "x",
		"config.JSON":     `{"upper": true}`,
		"plain-text.conf": "key: value\n",
	})
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.json"), []byte(`{"a": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"variables.ENV": "prod", "Build.Version": "1.2.3"}
	tests := []struct {
		name    string
		expr    string
		want    bool
		wantErr error
	}{
		{name: "empty holds", expr: "  ", want: true},
		{name: "seed toggle on", expr: `file("config.json").InstallInspectorAgent == true`, want: true},
		{name: "seed toggle off", expr: `file("off.json").InstallInspectorAgent == true`, want: false},
		{name: "numbers", expr: `file("config.json").Count > 2 && file("config.json").Count == 3`, want: true},
		{name: "strings", expr: `file("config.json").Name startsWith "gold"`, want: true},
		{name: "nested", expr: `len(file("config.json").Nested.List) == 2`, want: true},
		{name: "missing key is nil", expr: `file("config.json").Nope == nil`, want: true},
		{name: "yaml", expr: `file("settings.yml").scan.level == "high" && file("settings.yml").scan.retries == 2`, want: true},
		{name: "yaml yes is a string", expr: `file("settings.yml").scan.enabled == "yes"`, want: true},
		{name: "yaml extension", expr: `file("conf/app.yaml").debug`, want: true},
		{name: "upper-case json extension", expr: `file("config.JSON").upper`, want: true},
		{name: "other extensions read as yaml", expr: `file("plain-text.conf").key == "value"`, want: true},
		{name: "json list", expr: `len(file("list.json")) == 3`, want: true},
		{name: "exists", expr: `exists("sub/readme.txt") && exists("sub") && !exists("nope.txt")`, want: true},
		{name: "var with full key", expr: `var("Build.Version") == "1.2.3"`, want: true},
		{name: "var with bare name", expr: `var("ENV") == "prod"`, want: true},
		{name: "variables map", expr: `variables["variables.ENV"] == "prod"`, want: true},
		{name: "short circuit skips the missing file", expr: `exists("nope.json") && file("nope.json").x`, want: false},
		{name: "missing file", expr: `file("nope.json").x == 1`, wantErr: pipeline.ErrNotFound},
		{name: "parent path", expr: `file("../secret.json").a`, wantErr: pipeline.ErrInvalid},
		{name: "absolute path", expr: `exists("/etc/passwd")`, wantErr: pipeline.ErrInvalid},
		{name: "symlink out of the repository", expr: `file("link.json").a`},
		{name: "broken json", expr: `file("broken.json").a`, wantErr: pipeline.ErrInvalid},
		{name: "unknown var", expr: `var("NOPE") == ""`, wantErr: pipeline.ErrInvalid},
		{name: "not a bool", expr: `file("config.json").Count`, wantErr: pipeline.ErrInvalid},
		{name: "string result", expr: `"yes"`, wantErr: pipeline.ErrInvalid},
		{name: "syntax", expr: `file("config.json") ==`, wantErr: pipeline.ErrInvalid},
		{name: "unknown name", expr: `enabled`, wantErr: pipeline.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EvalWhen(tt.expr, WhenEnv{RepoDir: dir, Variables: vars})
			wantErr := tt.wantErr != nil || tt.name == "symlink out of the repository"
			if wantErr {
				if err == nil {
					t.Fatalf("EvalWhen(%q) = %v, want an error", tt.expr, got)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("EvalWhen(%q) error %v, want %v", tt.expr, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("EvalWhen(%q): %v", tt.expr, err)
			}
			if got != tt.want {
				t.Errorf("EvalWhen(%q) = %v, want %v", tt.expr, got, tt.want)
			}
		})
	}
}

func TestEvalWhenMessages(t *testing.T) {
	dir := repo(t, nil)
	tests := []struct {
		name string
		expr string
		want string
	}{
		{name: "missing file names it", expr: `file("config.json").X == true`,
			want: `file("config.json"): no such file in the repository ` + dir},
		{name: "escape", expr: `file("../x.json").X`, want: `file("../x.json"): the path must be relative and stay inside the repository`},
		{name: "not a bool", expr: `var("A")`, want: `when "var(\"A\")": expected bool, but got string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EvalWhen(tt.expr, WhenEnv{RepoDir: dir, Variables: map[string]string{"A": "x"}})
			if err == nil || err.Error() != tt.want {
				t.Errorf("EvalWhen(%q) error = %v, want %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestEvalWhenNoRepo(t *testing.T) {
	if _, err := EvalWhen(`exists("x")`, WhenEnv{}); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("EvalWhen without RepoDir = %v, want ErrInvalid", err)
	}
	got, err := EvalWhen(`variables["x"] == ""`, WhenEnv{})
	if err != nil || !got {
		t.Errorf("EvalWhen(variables) without variables = %v, %v; want true", got, err)
	}
}
