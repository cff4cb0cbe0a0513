package buildspec

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/pipeline"
)

const fullBuildspec = `version: 0.2
env:
  variables:
    GREETING: hello
    NUM: "3"
  exported-variables:
    - VERSION
    - GREETING
phases:
  install:
    runtime-versions:
      golang: 1.22
    commands:
      - echo install $GREETING
  build:
    commands:
      - export VERSION=1.$NUM
      - test "$(pwd)" = "$CODEBUILD_SRC_DIR"
      - mkdir -p dist/sub
      - echo bin > dist/app
      - echo lib > dist/sub/lib.so
      - cp "$CODEBUILD_SRC_DIR_Extra/extra.txt" dist/sub/
artifacts:
  base-directory: dist
  files:
    - '**/*'
  discard-paths: DISCARD
reports:
  unit:
    files:
      - 'reports/*.xml'
`

func readJUnit(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "junit", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// files lists the regular files of a tree with their content.
func files(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, _ := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// withExtra adds a second input artifact, Extra, holding extra.txt.
func withExtra(t *testing.T, req *pipeline.ActionRequest) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "extra.txt"), []byte("extra\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	req.Action.Inputs = append(req.Action.Inputs, "Extra")
	req.Inputs["Extra"] = dir
}

func TestRunBuildspec(t *testing.T) {
	tests := []struct {
		name    string
		discard string
		want    map[string]string
	}{
		{name: "discard-paths", discard: "yes", want: map[string]string{"app": "bin\n", "lib.so": "lib\n", "extra.txt": "extra\n"}},
		{name: "keep paths", discard: "no", want: map[string]string{"app": "bin\n", "sub/lib.so": "lib\n", "sub/extra.txt": "extra\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, log := newRequest(t, nil, map[string]string{
				"buildspec.yml":        strings.Replace(fullBuildspec, "DISCARD", tt.discard, 1),
				"reports/pytest.xml":   readJUnit(t, "pytest.xml"),
				"reports/surefire.xml": readJUnit(t, "surefire.xml"),
			})
			withExtra(t, req)
			got, err := New(Config{}).Run(context.Background(), req)
			if err != nil {
				t.Fatalf("Run: %v\nlog:\n%s", err, log)
			}
			if got.State != pipeline.ActionSucceeded {
				t.Fatalf("Run = %s %q\nlog:\n%s", got.State, got.Message, log)
			}
			if diff := cmp.Diff(map[string]string{"VERSION": "1.3", "GREETING": "hello"}, got.OutputVariables); diff != "" {
				t.Errorf("OutputVariables (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, files(t, req.Outputs["Out"])); diff != "" {
				t.Errorf("artifact (-want +got):\n%s", diff)
			}
			wantTests := []pipeline.TestSuite{
				{Name: "pytest", File: "reports/pytest.xml", Tests: 2, Failures: 1, Duration: 51 * time.Millisecond},
				{Name: "com.example.AppTest", File: "reports/surefire.xml", Tests: 4, Failures: 1, Errors: 1, Skipped: 1, Duration: 1234 * time.Millisecond},
			}
			if diff := cmp.Diff(wantTests, got.Tests); diff != "" {
				t.Errorf("Tests (-want +got):\n%s", diff)
			}
			warnings := strings.Join(got.Warnings, "\n")
			for _, w := range []string{"runtime-versions", "3 test(s) failed or errored"} {
				if !strings.Contains(warnings, w) || !strings.Contains(log.String(), "warning: ") {
					t.Errorf("warnings = %q, want one about %q, in the log too", warnings, w)
				}
			}
			for _, l := range []string{"install hello\n", "[build] running command: export VERSION=1.$NUM\n", "[post_build]"} {
				if strings.Contains(log.String(), l) == (l == "[post_build]") {
					t.Errorf("log = %q; want %q present: %v", log, l, l != "[post_build]")
				}
			}
		})
	}
}

func TestRunBuildspecOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]any
		files   map[string]string
		state   pipeline.ActionState
		message string
		invalid string // an error wrapping ErrInvalid containing this
	}{
		{
			name:    "no matching artifacts",
			files:   map[string]string{"buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands: [echo hi]\nartifacts:\n  files: ['out/**/*']\n"},
			state:   pipeline.ActionFailed,
			message: `no matching artifact paths found (artifacts.files out/**/* in ".")`,
		},
		{
			name:  "buildspec at another path, inline env",
			cfg:   map[string]any{"buildspec": "ci/build.yml", "env": map[string]any{"MODE": "release"}},
			files: map[string]string{"ci/build.yml": "version: 0.2\nenv:\n  variables:\n    MODE: debug\nphases:\n  build:\n    commands: ['test \"$MODE\" = release']\n"},
			state: pipeline.ActionSucceeded,
		},
		{
			name:  "inline buildspec",
			cfg:   map[string]any{"buildspec_inline": "version: 0.2\nphases:\n  build:\n    commands: ['exit 0']\n"},
			state: pipeline.ActionSucceeded,
		},
		{
			name:    "failing build",
			files:   map[string]string{"buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands: ['sh -c \"exit 5\"']\n"},
			state:   pipeline.ActionFailed,
			message: `phase build failed: command "sh -c \"exit 5\"" exited with status 5`,
		},
		{name: "missing buildspec", invalid: "buildspec.yml not found in input artifact Src"},
		{name: "bad buildspec", files: map[string]string{"buildspec.yml": "version: 9\n"}, invalid: "version"},
		{name: "both", cfg: map[string]any{"buildspec": "a.yml", "buildspec_inline": "x"}, invalid: "not both"},
		{name: "escaping path", cfg: map[string]any{"buildspec": "../x.yml"}, invalid: "relative path inside"},
		{name: "unknown primary", cfg: map[string]any{"primary_source": "Nope"}, invalid: `"Nope" is not an input artifact`},
		{
			name:    "unknown shell",
			files:   map[string]string{"buildspec.yml": "version: 0.2\nenv:\n  shell: /no/such/shell\nphases:\n  build:\n    commands: [true]\n"},
			invalid: "env.shell",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, log := newRequest(t, tt.cfg, tt.files)
			got, err := New(Config{}).Run(context.Background(), req)
			if tt.invalid != "" {
				if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), tt.invalid) {
					t.Fatalf("Run = %v, want ErrInvalid containing %q", err, tt.invalid)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v\nlog:\n%s", err, log)
			}
			if got.State != tt.state || got.Message != tt.message {
				t.Errorf("Run = %s %q, want %s %q\nlog:\n%s", got.State, got.Message, tt.state, tt.message, log)
			}
		})
	}
}

func TestRunBuildspecCancel(t *testing.T) {
	req, _ := newRequest(t, nil, map[string]string{
		"buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 60 & echo $! > \"$MARK\"; wait\n",
	})
	mark := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan time.Time, 1)
	go func() {
		for {
			if b, err := os.ReadFile(mark); err == nil && strings.HasSuffix(string(b), "\n") {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancelled <- time.Now()
		cancel()
	}()
	_, err := New(Config{Environ: append(os.Environ(), "MARK="+mark)}).Run(ctx, req)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if d := time.Since(<-cancelled); d > time.Second {
		t.Errorf("Run returned %v after the cancel", d)
	}
}

func TestMatch(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"a.txt", "dir/b.txt", "dir/deep/c.bin", "other/d.txt"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "other"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		patterns []string
		want     []string
	}{
		{patterns: []string{"**/*"}, want: []string{"a.txt", "dir/b.txt", "dir/deep/c.bin", "link", "other/d.txt"}},
		{patterns: []string{"**/*.txt"}, want: []string{"a.txt", "dir/b.txt", "other/d.txt"}},
		{patterns: []string{"./dir"}, want: []string{"dir/b.txt", "dir/deep/c.bin"}},
		{patterns: []string{"dir/*", "a.txt", "a.txt"}, want: []string{"a.txt", "dir/b.txt"}},
		{patterns: []string{"nothing/**"}, want: []string{}},
	}
	for _, tt := range tests {
		got, err := match(root, tt.patterns)
		if err != nil {
			t.Fatalf("match(%q): %v", tt.patterns, err)
		}
		sort.Strings(got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("match(%q) (-want +got):\n%s", tt.patterns, diff)
		}
	}
}
