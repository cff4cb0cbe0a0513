package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// addSeeds adds every file matching glob under testdata to f's corpus.
func addSeeds(f *testing.F, globs ...string) {
	f.Helper()
	for _, glob := range globs {
		paths, err := filepath.Glob(filepath.Join("testdata", glob))
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzParse checks that Parse never panics and that what it accepts
// marshals to YAML that parses back to the same pipeline.
func FuzzParse(f *testing.F) {
	addSeeds(f, "*.secpipe.yml", "errors/*.yml", "codepipeline/*.yml", "marshal/*.yml")
	f.Add([]byte("version: 1\nname: x\nstages:\n- name: s\n  actions:\n  - {name: a, provider: shell, config: {c: \"é\\t\\u0085\", d: [1.5, -0.0, .nan, 1e+06, 0x10, yes, ~, {}], e: |\n    x\n     y\n}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yml", data, Options{})
		if err != nil {
			return
		}
		out, err := Marshal(p)
		if err != nil {
			t.Fatalf("Marshal of a parsed pipeline: %v", err)
		}
		q, err := Parse("marshalled.yml", out, Options{})
		if err != nil {
			t.Fatalf("Parse(Marshal(p)): %v\n%s", err, out)
		}
		if diff := cmp.Diff(p, q, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("Parse(Marshal(p)) differs from p (-p +q):\n%s\n%s", diff, out)
		}
	})
}

// FuzzParseBuildspec checks that ParseBuildspec never panics.
func FuzzParseBuildspec(f *testing.F) {
	addSeeds(f, "buildspec/*.yml", "buildspec/errors/*.yml")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, _, err := ParseBuildspec("buildspec.yml", data)
		if err == nil && b == nil {
			t.Fatal("no buildspec and no error")
		}
	})
}

// FuzzImportCodePipeline checks that the import never panics and that
// what it accepts marshals to a valid secpipe.yml.
func FuzzImportCodePipeline(f *testing.F) {
	addSeeds(f, "codepipeline/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := ImportCodePipeline("pipeline.json", data)
		if err != nil {
			return
		}
		out, err := Marshal(p)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		if _, err := Parse("imported.yml", out, Options{}); err != nil {
			t.Fatalf("Parse(Marshal(import)): %v\n%s", err, out)
		}
	})
}

// FuzzResolve checks that Resolve never panics and leaves strings without
// "#{" alone.
func FuzzResolve(f *testing.F) {
	f.Add("#{Build.Version}-##{x}", "Build.Version", "1.2")
	f.Add("#{", "a.b", "")
	f.Fuzz(func(t *testing.T, s, key, val string) {
		out, err := Resolve(s, map[string]string{key: val})
		if err == nil && out == nil {
			t.Fatal("nil result without an error")
		}
	})
}

// FuzzMarshalStrings checks that any string, as a config key or value or
// a variable's default, survives Marshal and Parse unchanged.
func FuzzMarshalStrings(f *testing.F) {
	for _, s := range []string{"", "yes", "1.10", "a: b", "- x", "#c", "x\n  y\n", "é\u0085\u2028", "'\"\\", " lead", "trail ", "\t", "|", "a\r\nb"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, val string) {
		if !utf8.ValidString(key) || !utf8.ValidString(val) {
			t.Skip("Parse reads UTF-8 only")
		}
		p := goldenImage()
		p.Variables[0].Default, p.Variables[0].Description = val, key
		p.Stages[0].Actions[0].Config = map[string]any{key: val, "list": []any{val, map[string]any{key: []any{val}}}}
		out, err := Marshal(p)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		q, err := Parse("marshalled.yml", out, Options{})
		if err != nil {
			// A reference-like string is checked like any config value.
			if strings.Contains(key+val, "#{") {
				return
			}
			t.Fatalf("Parse(Marshal(p)): %v\n%s", err, out)
		}
		if diff := cmp.Diff(p, q); diff != "" {
			t.Fatalf("Parse(Marshal(p)) differs (-p +q):\n%s\n%s", diff, out)
		}
	})
}
