package spec

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// goldenImage is what testdata/golden-image.secpipe.yml describes.
func goldenImage() *pipeline.Pipeline {
	return &pipeline.Pipeline{
		Version:       1,
		Name:          "golden-image",
		ExecutionMode: pipeline.ModeQueued,
		Triggers:      []pipeline.Trigger{{Git: &pipeline.GitTrigger{Branches: []string{"main"}, Paths: []string{"**"}}}},
		Variables:     []pipeline.Variable{{Name: "Channel", Default: "dev", Description: "where the image is published"}},
		Stages: []pipeline.Stage{
			{Name: "Source", Actions: []pipeline.Action{
				{Name: "Source", Provider: "git", RunOrder: 1, Outputs: []string{"SourceArtifact"}, Namespace: "SourceVariables"},
			}},
			{Name: "Build", Actions: []pipeline.Action{
				{Name: "SecretScan", Provider: "scan", RunOrder: 1, Inputs: []string{"SourceArtifact"},
					Config: map[string]any{"scanners": []any{"secrets"}, "fail_on": "low"}},
				{Name: "Build", Provider: "buildspec", RunOrder: 2, Inputs: []string{"SourceArtifact"},
					Outputs: []string{"BuildArtifact"}, Namespace: "BuildVariables", Timeout: 30 * time.Minute, Retries: 1,
					Config: map[string]any{"buildspec": "buildspec.yml", "commit": "#{SourceVariables.CommitId}"}},
			}},
			{Name: "Image", When: `file("config.json").InstallInspectorAgent == true`, Actions: []pipeline.Action{
				{Name: "Launch", Provider: "image", RunOrder: 1, Inputs: []string{"BuildArtifact"}, Outputs: []string{"LaunchArtifact"},
					Config: map[string]any{"base": "oci:base-layout", "install": []any{"install_software.sh"}}},
				{Name: "Scan", Provider: "scan", RunOrder: 2, Inputs: []string{"LaunchArtifact"}, Outputs: []string{"ScanArtifact"},
					Config: map[string]any{"scanners": []any{"vulns", "config", "secrets"}, "fail_on": "high"}},
				{Name: "Publish", Provider: "image", RunOrder: 3, Inputs: []string{"LaunchArtifact", "ScanArtifact"},
					Config: map[string]any{"publish": "golden", "channel": "#{variables.Channel}",
						"version": "#{BuildVariables.Version}", "timeout": 600, "ratio": 0.5, "debug": false, "extra": nil}},
			}},
		},
	}
}

func TestParseGoldenImage(t *testing.T) {
	p, err := Load("testdata/golden-image.secpipe.yml", Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if diff := cmp.Diff(goldenImage(), p); diff != "" {
		t.Errorf("Load(golden-image) differs (-want +got):\n%s", diff)
	}
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want *pipeline.Pipeline
	}{
		{
			name: "minimal",
			yaml: "name: tiny\nstages:\n  - name: S\n    actions:\n      - {name: A, provider: shell}\n",
			want: &pipeline.Pipeline{Version: 1, Name: "tiny", ExecutionMode: pipeline.ModeSuperseded,
				Stages: []pipeline.Stage{{Name: "S", Actions: []pipeline.Action{{Name: "A", Provider: "shell", RunOrder: 1}}}}},
		},
		{
			name: "variables as a mapping, empty trigger, timeout in seconds",
			yaml: "version: 1\nname: v\nexecution_mode: PARALLEL\ntriggers: [{git: }]\nvariables: {ENV: prod, N: 1.10, EMPTY: }\n" +
				"stages:\n  - name: S\n    actions:\n      - {name: A, provider: shell, timeout: 90, config: {}}\n",
			want: &pipeline.Pipeline{Version: 1, Name: "v", ExecutionMode: pipeline.ModeParallel,
				Triggers:  []pipeline.Trigger{{Git: &pipeline.GitTrigger{}}},
				Variables: []pipeline.Variable{{Name: "ENV", Default: "prod"}, {Name: "N", Default: "1.10"}, {Name: "EMPTY"}},
				Stages: []pipeline.Stage{{Name: "S", Actions: []pipeline.Action{
					{Name: "A", Provider: "shell", RunOrder: 1, Timeout: 90 * time.Second}}}}},
		},
		{
			name: "anchors and aliases",
			yaml: "name: a\nstages:\n  - name: S\n    actions:\n      - {name: A, provider: shell, config: &c {cmd: [x, y]}}\n" +
				"      - {name: B, provider: shell, config: *c}\n",
			want: &pipeline.Pipeline{Version: 1, Name: "a", ExecutionMode: pipeline.ModeSuperseded,
				Stages: []pipeline.Stage{{Name: "S", Actions: []pipeline.Action{
					{Name: "A", Provider: "shell", RunOrder: 1, Config: map[string]any{"cmd": []any{"x", "y"}}},
					{Name: "B", Provider: "shell", RunOrder: 1, Config: map[string]any{"cmd": []any{"x", "y"}}}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("secpipe.yml", []byte(tt.yaml), Options{Providers: providers})
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.yaml, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) differs (-want +got):\n%s", tt.yaml, diff)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "secpipe.yml"), Options{})
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("Load(missing) = %v, want ErrNotFound", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse("big.yml", make([]byte, maxFileSize+1), Options{})
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("Parse(huge) = %v, want ErrInvalid", err)
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: bomb\nstages:\n  - name: S\n    actions:\n      - name: A\n        provider: shell\n        config:\n          a0: &a0 [x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		prev := "*a" + string(rune('0'+i-1))
		if i > 9 {
			prev = "*a" + string(rune('a'+i-10))
		}
		name := string(rune('0' + i))
		if i > 9 {
			name = string(rune('a' + i - 10))
		}
		b.WriteString("          a" + name + ": &a" + name + " [" + strings.Repeat(prev+", ", 7) + prev + "]\n")
	}
	start := time.Now()
	_, err := Parse("bomb.yml", []byte(b.String()), Options{})
	if err == nil || !strings.Contains(err.Error(), "too many nodes") {
		t.Errorf("Parse(alias bomb) = %v, want a too-many-nodes error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Parse(alias bomb) took %v", d)
	}
}

// TestRoundTrip checks that Marshal writes what Parse reads back to the
// same pipeline, and pins Marshal's output.
func TestRoundTrip(t *testing.T) {
	tricky := goldenImage()
	tricky.Stages[0].Actions[0].Config = map[string]any{
		"plain": "a b/c.d@e-f", "keyword": "yes", "number": "1.10", "duration": "1h30m",
		"quotes": `say "hi" \ 'there'`, "control": "tab\there\x01\u0085\u2028 end", "unicode": "héllo wörld ✓",
		"script": "set -e\nmake build\necho done\n", "script_nl": "a\n  b\nc", "empty": "", "blank_line": "a\n\nb\n",
		"ints": []any{0, -1, 1 << 62, uint64(1 << 63)}, "floats": []any{0.0, -0.5, 1e21, 1e-7, 3.0},
		"nested":          map[string]any{"list": []any{map[string]any{"k": "v", "n": nil}, []any{}, map[string]any{}, []any{[]any{"x"}}}},
		"key with spaces": true, "#{weird}": "##{literal}", "": "empty key",
	}
	for name, p := range map[string]*pipeline.Pipeline{"golden-image": goldenImage(), "tricky": tricky} {
		t.Run(name, func(t *testing.T) {
			out, err := Marshal(p)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			golden(t, filepath.Join("testdata", "marshal", name+".golden.yml"), string(out))
			q, err := Parse(name+".yml", out, Options{})
			if err != nil {
				t.Fatalf("Parse(Marshal(p)): %v\n%s", err, out)
			}
			if diff := cmp.Diff(p, q, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("Parse(Marshal(p)) differs (-want +got):\n%s\n%s", diff, out)
			}
		})
	}
}

func TestMarshalRejects(t *testing.T) {
	p := goldenImage()
	p.Stages[0].Actions[0].Config = map[string]any{"ch": make(chan int)}
	if _, err := Marshal(p); err == nil {
		t.Error("Marshal(config with a channel) succeeded, want an error")
	}
}
