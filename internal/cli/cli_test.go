package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run "secpipe" in-process: each script's
// `exec secpipe ...` calls Run, so scripts exercise exactly what the binary does.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"secpipe": func() {
			os.Exit(Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI behaviour specs in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			// git needs an identity and a home for the repositories scripts build.
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("GIT_AUTHOR_NAME", "Dana Developer")
			env.Setenv("GIT_AUTHOR_EMAIL", "dana@example.com")
			env.Setenv("GIT_COMMITTER_NAME", "Dana Developer")
			env.Setenv("GIT_COMMITTER_EMAIL", "dana@example.com")
			// Scripts that skip without a tool fail instead under CI.
			env.Setenv("CI", os.Getenv("CI"))
			// The example repository, for scripts that walk its story.
			return os.CopyFS(filepath.Join(env.WorkDir, "golden-image"), os.DirFS("../../examples/golden-image"))
		},
	})
}
