package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperArgsEnv makes the test binary run `secpipe` with these arguments
// (separated by \x1f) instead of its tests: the child process a crash test
// kills.
const helperArgsEnv = "SECPIPE_TEST_RUN_ARGS"

func TestHelperSecpipe(t *testing.T) {
	args := os.Getenv(helperArgsEnv)
	if args == "" {
		t.Skip("runs only as the child of a crash test")
	}
	// As main does: Ctrl-C and SIGTERM cancel the context.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, strings.Split(args, "\x1f"), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// startChild runs `secpipe ARGS...` in a child process.
func startChild(t *testing.T, out *bytes.Buffer, args ...string) *exec.Cmd {
	t.Helper()
	child := exec.Command(os.Args[0], "-test.run=^TestHelperSecpipe$")
	child.Env = append(os.Environ(), helperArgsEnv+"="+strings.Join(args, "\x1f"))
	child.Stdout, child.Stderr = out, out
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	return child
}

// awaitFile waits until path exists.
func awaitFile(t *testing.T, path string, child *exec.Cmd, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatalf("%s never appeared; child output:\n%s", path, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunInterrupt: Ctrl-C (SIGINT) during `secpipe run` stops the running
// command, marks the execution cancelled and exits 1.
func TestRunInterrupt(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(dir, "started")
	pipelineYAML := `version: 1
name: interrupt
stages:
  - name: Build
    actions:
      - {name: Slow, provider: shell, config: {commands: ["touch ` + started + `", "sleep 30"]}}
  - name: Deploy
    actions:
      - {name: Never, provider: shell, config: {commands: ["echo never"]}}
`
	if err := os.WriteFile(filepath.Join(repo, "secpipe.yml"), []byte(pipelineYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	child := startChild(t, &out, "run", repo)
	awaitFile(t, started, child, &out)
	begin := time.Now()
	if err := child.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := child.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != ExitGate {
		t.Fatalf("interrupted run: %v, want exit %d; output:\n%s", err, ExitGate, out.String())
	}
	if took := time.Since(begin); took > 15*time.Second {
		t.Errorf("run took %s to stop after SIGINT; the sleep should have been killed", took)
	}
	if !strings.Contains(out.String(), "CANCELLED") {
		t.Errorf("summary does not say cancelled:\n%s", out.String())
	}
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), []string{"status", "-C", repo, "latest"}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("status = exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Build   Slow") || !strings.Contains(stdout.String(), "cancelled") {
		t.Errorf("status after the interrupt:\n%s", stdout.String())
	}
}

// TestRunCrashResume kills `secpipe run` (SIGKILL) while an action runs,
// then `secpipe run --resume` finishes the execution: the stages that had
// succeeded do not run again, the interrupted action runs again from the
// start, and the execution ends succeeded.
func TestRunCrashResume(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is required")
		}
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	marks := filepath.Join(dir, "marks")
	for _, d := range []string{repo, marks} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// First records each run of the first stage; Slow blocks on its
	// first attempt only (the one the test kills).
	pipelineYAML := `version: 1
name: crash
stages:
  - name: First
    actions:
      - {name: First, provider: shell, config: {commands: ["echo run >> ` + marks + `/first"]}}
  - name: Second
    actions:
      - name: Slow
        provider: shell
        config:
          commands:
            - echo attempt >> ` + marks + `/slow
            - "if [ ! -f ` + marks + `/killed ]; then touch ` + marks + `/started; sleep 20; fi"
  - name: Third
    actions:
      - {name: Last, provider: shell, config: {commands: ["echo done >> ` + marks + `/last"]}}
`
	if err := os.WriteFile(filepath.Join(repo, "secpipe.yml"), []byte(pipelineYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	child := startChild(t, &out, "run", repo)
	awaitFile(t, filepath.Join(marks, "started"), child, &out)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	// The orphaned sleep belongs to the dead run; the marker lets the
	// resumed attempt through.
	if err := os.WriteFile(filepath.Join(marks, "killed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"run", "--resume", repo}, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("run --resume = exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "of crash: SUCCEEDED") {
		t.Errorf("run --resume output lacks the succeeded summary:\n%s", stdout.String())
	}
	count := func(name string) int {
		data, _ := os.ReadFile(filepath.Join(marks, name))
		return strings.Count(string(data), "\n")
	}
	if got := count("first"); got != 1 {
		t.Errorf("First ran %d times, want once: it had succeeded before the crash", got)
	}
	if got := count("slow"); got != 2 {
		t.Errorf("Slow ran %d times, want twice: the killed attempt and the resumed one", got)
	}
	if got := count("last"); got != 1 {
		t.Errorf("Last ran %d times, want once", got)
	}
}
