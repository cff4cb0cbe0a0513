package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/approval"
	"github.com/secpipe/secpipe/internal/provider/custom"
	"github.com/secpipe/secpipe/internal/provider/shell"
	"github.com/secpipe/secpipe/internal/spec"
)

// realPipeline exercises the real parser, conditions, references and
// providers: shell actions passing artifacts and variables, a condition on
// a repository file, an approval and a custom action.
const realPipeline = `version: 1
name: real
execution_mode: queued
variables:
  - {name: Greeting, default: hello}
stages:
  - name: Source
    actions:
      - name: Fetch
        provider: shell
        outputs: [SourceArtifact]
        namespace: Src
        config:
          commands:
            - echo "#{variables.Greeting}" > "$OUTPUT_DIR/greeting.txt"
            - export Word=world
          exported_variables: [Word]
  - name: Build
    when: 'file("config.json").Build == true'
    actions:
      - name: Compile
        provider: shell
        inputs: [SourceArtifact]
        outputs: [BuildArtifact]
        config:
          commands:
            - cat "$INPUT_SourceArtifact/greeting.txt" > "$OUTPUT_DIR/out.txt"
            - echo "#{Src.Word}" >> "$OUTPUT_DIR/out.txt"
  - name: Skipped
    when: 'exists("nope.txt")'
    actions:
      - {name: Never, provider: shell, config: {commands: ["exit 1"]}}
  - name: Release
    actions:
      - {name: Approve, provider: approval, config: {summary: ship it?}}
      - name: Deploy
        provider: custom
        run_order: 2
        inputs: [BuildArtifact]
        config: {action_type: Deploy/local-deployer/1}
`

func TestRealProviders(t *testing.T) {
	repo := t.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "config.json"), []byte(`{"Build": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	providers := map[string]pipeline.Provider{
		"shell": shell.New(shell.Config{}), "approval": approval.New(approval.Config{}),
		"custom": custom.New(custom.Config{}),
	}
	var names []string
	for name := range providers {
		names = append(names, name)
	}
	p, err := spec.Parse("secpipe.yml", []byte(realPipeline), spec.Options{Providers: names})
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	h := newHarness(t, options{river: true, providers: providers, real: true})
	ctx := context.Background()
	id, err := h.eng.Start(ctx, p, engine.StartOptions{RepoDir: repo})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the approval", func() bool { return h.action(t, id, "Release", "Approve").Status == pipeline.StatusWaiting })
	if err := h.eng.Approve(ctx, id, "Approve", "fine", true); err != nil {
		t.Fatal(err)
	}
	svc := h.eng.Jobs()
	job := pollOne(t, svc, "Deploy/local-deployer/1")
	b, err := os.ReadFile(filepath.Join(job.InputArtifacts["BuildArtifact"], "out.txt"))
	if err != nil || string(b) != "hello\nworld\n" {
		t.Errorf("deploy input out.txt = %q, %v", b, err)
	}
	if err := svc.AcknowledgeJob(ctx, job.ID, job.Nonce); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutJobSuccessResult(ctx, job.ID, jobapi.SuccessResult{Summary: "deployed"}); err != nil {
		t.Fatal(err)
	}
	if st := h.wait(t, id); st != pipeline.StatusSucceeded {
		info, _ := h.eng.Execution(ctx, id)
		t.Fatalf("status = %s: %s", st, info.Message)
	}
	all := h.statuses(t, id)
	if all["Skipped"] != pipeline.StatusSkipped || all["Build.Compile"] != pipeline.StatusSucceeded {
		t.Errorf("statuses = %v", all)
	}
	log, err := os.ReadFile(h.eng.LogPath(id, "Release", "Approve"))
	if err != nil || !strings.Contains(string(log), "ship it?") {
		t.Errorf("approval log = %q, %v", log, err)
	}
}
