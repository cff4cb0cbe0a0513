package dockerfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/secpipe/secpipe/internal/rootfs"
)

// seedDockerfiles adds every Dockerfile of the fixtures to the corpus.
func seedDockerfiles(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, name := range append(files, more...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range txtar.Parse(data).Files {
			if isDockerfile(file.Name) {
				f.Add(file.Data)
			}
		}
	}
	f.Add([]byte("FROM a\nRUN <<EOF\n"))
	f.Add([]byte("# escape=`\nFROM a\nRUN x `\n y\n"))
	f.Add([]byte("FROM $A AS\nONBUILD RUN x\n"))
}

// FuzzParseDockerfile holds the parser and every check to never panicking:
// whatever BuildKit accepts, the checks can judge.
func FuzzParseDockerfile(f *testing.F) {
	seedDockerfiles(f)
	checks := Checks()
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := parse("Dockerfile", data); err != nil {
			return
		}
		r := rootfs.NewMemRoot([]rootfs.Entry{{Path: "Dockerfile", Mode: 0o644, Size: int64(len(data))}},
			map[string][]byte{"Dockerfile": data})
		for _, c := range checks {
			rs, err := c.Run(context.Background(), r)
			if err != nil {
				t.Fatalf("%s: %v after parse succeeded", c.ID, err)
			}
			if len(rs) == 0 {
				t.Fatalf("%s: no results", c.ID)
			}
		}
	})
}

// FuzzSplitShell holds the shell reader to never panicking and to
// keeping pipe references inside the list.
func FuzzSplitShell(f *testing.F) {
	for _, s := range []string{
		"a && b | c", "curl x | sh", `sh -c "$(curl x)"`, "cat <<EOF\nx\nEOF\n", "a 2>&1 >/dev/null",
		"'unterminated", "$(((", "`x", "bash -c 'sh -c \"sh -c x | y\"'", "{ a; } | b", "a |\n b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		cmds := splitShell(script)
		for i, c := range cmds {
			if c.feeder < -1 || c.feeder >= i {
				t.Fatalf("splitShell(%q)[%d].feeder = %d, want -1 or an earlier command", script, i, c.feeder)
			}
			if len(c.words) == 0 {
				t.Fatalf("splitShell(%q)[%d] has no words", script, i)
			}
			feeders(cmds, i)
		}
	})
}
