package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/server/trigger"
)

// releases records what a server would have released.
type releases struct {
	mu   sync.Mutex
	list []string
}

func (r *releases) Release(_ context.Context, name, trig, revision string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, name+" "+trig+" "+revision)
	return "x-1", nil
}

func (r *releases) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.list...)
}

// TestPipelineAddStartsPolling: `pipeline add --poll` leaves a poll job in
// the server's queue, so a running server polls the new pipeline without
// a restart.
func TestPipelineAddStartsPolling(t *testing.T) {
	ctx := context.Background()
	repo, data := t.TempDir(), t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dana", "GIT_AUTHOR_EMAIL=dana@example.com",
			"GIT_COMMITTER_NAME=Dana", "GIT_COMMITTER_EMAIL=dana@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	yml := "version: 1\nname: shop\nstages:\n  - name: Source\n    actions:\n" +
		"      - {name: Source, provider: git, outputs: [SourceArtifact]}\n"
	if err := os.WriteFile(filepath.Join(repo, "secpipe.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "secpipe.yml")
	git("commit", "-q", "-m", "pipeline")
	head := git("rev-parse", "HEAD")

	var stdout, stderr bytes.Buffer
	if code := Run(ctx, []string{"pipeline", "add", repo, "--poll", "10s", "--data", data}, &stdout, &stderr); code != 0 {
		t.Fatalf("pipeline add = %d: %s", code, stderr.String())
	}

	st, err := openState(ctx, &env{getenv: func(string) string { return "" }}, &stateFlags{data: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.db.Close()
	disp, err := st.dispatcher(nil)
	if err != nil {
		t.Fatal(err)
	}
	rel := &releases{}
	trigger.New(trigger.Config{Store: st.store, Dispatcher: disp, Releaser: rel})
	if err := disp.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = disp.Stop(sctx)
	}()
	want := "shop poll " + head[:7] + " " + head
	deadline := time.Now().Add(20 * time.Second)
	for len(rel.all()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the pipeline was not polled")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := rel.all(); len(got) != 1 || got[0] != want {
		t.Errorf("releases = %q, want [%q]", got, want)
	}
}
