package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/store/postgres/pgtest"
)

// TestServerPostgres runs secpipe server on PostgreSQL: a token made with
// secpipe token, a registered pipeline released to success.
func TestServerPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	serverGit(t, "", "init", "-q", "-b", "main", repo)
	yml := "version: 1\nname: pg\nstages:\n  - name: Source\n    actions:\n" +
		"      - {name: Source, provider: git, outputs: [SourceArtifact]}\n"
	if err := os.WriteFile(filepath.Join(repo, "secpipe.yml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	serverGit(t, repo, "add", "-A")
	serverGit(t, repo, "-c", "user.name=Dana", "-c", "user.email=d@example.com", "commit", "-q", "-m", "first")

	data := filepath.Join(dir, "data")
	var out, errs bytes.Buffer
	if code := Run(context.Background(), []string{"token", "create", "admin", "--role", "admin", "--data", data,
		"--database", dsn}, &out, &errs); code != 0 {
		t.Fatalf("token create = %d: %s", code, errs.String())
	}
	token := strings.TrimSpace(out.String())

	addrFile := filepath.Join(dir, "addr")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var serverErr bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"server", "--data", data, "--database", dsn, "--addr", "127.0.0.1:0",
			"--addr-file", addrFile, "--images", filepath.Join(dir, "images")}, io.Discard, &serverErr)
	}()
	defer func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("server = %d: %s", code, serverErr.String())
		}
	}()
	var base string
	serverEventually(t, "the server to listen", func() bool {
		b, err := os.ReadFile(addrFile)
		base = "http://" + strings.TrimSpace(string(b))
		return err == nil && len(b) > 0
	})
	call := func(method, path, body string, want int, v any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		if v != nil {
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	call("POST", "/api/v1/pipelines", fmt.Sprintf(`{"repo": %q}`, repo), http.StatusCreated, nil)
	var x struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	call("POST", "/api/v1/pipelines/pg/executions", "", http.StatusCreated, &x)
	serverEventually(t, "the execution to succeed", func() bool {
		call("GET", "/api/v1/executions/"+x.ID, "", http.StatusOK, &x)
		if x.Status == "failed" {
			t.Fatalf("execution failed")
		}
		return x.Status == "succeeded"
	})
}

func serverGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// serverEventually polls cond until it holds or 30 s pass.
func serverEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
