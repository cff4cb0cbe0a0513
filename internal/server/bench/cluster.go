package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/secpipe/secpipe/internal/store/postgres"
)

// noopPipeline is the benchmark's secpipe.yml: 10 stages of one shell
// `true` each, so every action waits for the one before.
func noopPipeline() string {
	var b strings.Builder
	b.WriteString("version: 1\nname: noop\nexecution_mode: parallel\nstages:\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "  - {name: S%02d, actions: [{name: A, provider: shell, config: {commands: [\"true\"]}}]}\n", i)
	}
	return b.String()
}

// proc is a secpipe process of the cluster.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// cluster is a server and its workers on a fresh database.
type cluster struct {
	o        options
	dir      string
	ownDir   bool
	admin    *sql.DB
	dbName   string
	dbURL    string
	db       *sql.DB
	st       *postgres.Store
	repo     string
	token    string
	url      string
	procs    []*proc
	stderr   io.Writer
	failures bool
}

// startCluster creates the database, the repository and a token, and
// starts the server and the workers. The cluster it returns, even with an
// error, must be closed.
func startCluster(ctx context.Context, o options, stderr io.Writer) (*cluster, error) {
	c := &cluster{o: o, dir: o.dir, stderr: stderr}
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "secpipe-bench-server-")
		if err != nil {
			return nil, err
		}
		c.dir, c.ownDir = dir, true
	}
	steps := []func(context.Context) error{c.createDatabase, c.createRepo, c.createToken, c.startServer,
		c.startWorkers}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			c.failures = true
			return c, err
		}
	}
	return c, nil
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// createDatabase creates an empty database and opens the store on it.
func (c *cluster) createDatabase(ctx context.Context) error {
	u, err := url.Parse(c.o.adminURL)
	if err != nil {
		return fmt.Errorf("-postgres: %w", err)
	}
	if c.admin, err = postgres.Open(ctx, c.o.adminURL); err != nil {
		return fmt.Errorf("-postgres: %w (is PostgreSQL running? scripts/test-deps.sh starts one)", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	c.dbName = "secpipe_bench_" + hex.EncodeToString(b)
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+c.dbName); err != nil {
		c.dbName = ""
		return fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + c.dbName
	c.dbURL = u.String()
	if c.db, err = postgres.Open(ctx, c.dbURL); err != nil {
		return err
	}
	c.st, err = postgres.New(ctx, c.db)
	return err
}

// createRepo makes the git repository every pipeline is registered from.
func (c *cluster) createRepo(ctx context.Context) error {
	c.repo = filepath.Join(c.dir, "repo")
	if err := os.MkdirAll(c.repo, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.repo, "secpipe.yml"), []byte(noopPipeline()), 0o644); err != nil {
		return err
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"},
		{"-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "noop"}} {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", c.repo}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %w\n%s", args[0], err, out)
		}
	}
	return nil
}

// createToken makes an admin token with `secpipe token create`.
func (c *cluster) createToken(ctx context.Context) error {
	var out, errs bytes.Buffer
	cmd := exec.CommandContext(ctx, c.o.secpipe, "token", "create", "bench", "--role", "admin", "--data", c.data(),
		"--database", c.dbURL)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("secpipe token create: %w: %s", err, errs.String())
	}
	c.token = strings.TrimSpace(out.String())
	return nil
}

// start runs the secpipe binary with args, its standard error (the JSON
// logs) in DIR/NAME.log.
func (c *cluster) start(name string, args ...string) (*proc, error) {
	p := &proc{name: name, log: filepath.Join(c.dir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(c.o.secpipe, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a Ctrl-C of the bench reaches us only
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return p, nil
}

// startServer starts the server and waits until it is ready.
func (c *cluster) startServer(ctx context.Context) error {
	addrFile := filepath.Join(c.dir, "addr")
	p, err := c.start("server", "server", "--data", c.data(), "--database", c.dbURL, "--addr", "127.0.0.1:0",
		"--addr-file", addrFile, "--images", filepath.Join(c.dir, "images"), "--log-format", "json")
	if err != nil {
		return err
	}
	return c.waitFor(ctx, p, "the server to be ready", func() bool {
		b, err := os.ReadFile(addrFile)
		if err != nil || len(bytes.TrimSpace(b)) == 0 {
			return false
		}
		c.url = "http://" + string(bytes.TrimSpace(b))
		resp, err := http.Get(c.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// startWorkers starts the database workers and waits until each works
// the queue.
func (c *cluster) startWorkers(ctx context.Context) error {
	for i := 1; i <= c.o.workers; i++ {
		p, err := c.start(fmt.Sprintf("worker-%d", i), "worker", "--database", c.dbURL, "--data", c.data(),
			"--images", filepath.Join(c.dir, "images"), "--log-format", "json")
		if err != nil {
			return err
		}
		if err := c.waitFor(ctx, p, p.name+" to start", func() bool {
			b, _ := os.ReadFile(p.log)
			return bytes.Contains(b, []byte("working the engine's jobs"))
		}); err != nil {
			return err
		}
	}
	return nil
}

// waitFor polls ready until it holds, p exits or a minute passes.
func (c *cluster) waitFor(ctx context.Context, p *proc, what string, ready func() bool) error {
	deadline := time.Now().Add(time.Minute)
	for !ready() {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while waiting for %s: %v", p.name, what, p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
	}
	return nil
}

// close stops the processes (SIGINT, then SIGKILL after 45 s), drops the
// database and removes the work directory, unless -keep. After a failure
// it shows the end of each process's log.
func (c *cluster) close() error {
	var errs []error
	for _, p := range c.procs {
		_ = p.cmd.Process.Signal(os.Interrupt)
	}
	for _, p := range c.procs {
		select {
		case <-p.done:
		case <-time.After(45 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			errs = append(errs, fmt.Errorf("%s did not stop within 45 s after SIGINT", p.name))
		}
		if p.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.name, p.err))
		}
		if c.failures || p.err != nil {
			showTail(c.stderr, p)
		}
	}
	if c.db != nil {
		c.db.Close()
	}
	if c.admin != nil {
		if c.dbName != "" && !c.o.keep {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, err := c.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+c.dbName+" WITH (FORCE)")
			cancel()
			errs = append(errs, err)
		}
		c.admin.Close()
	}
	if c.o.keep {
		fmt.Fprintf(c.stderr, "bench: kept %s and database %s\n", c.dir, c.dbName)
	} else if c.ownDir {
		errs = append(errs, os.RemoveAll(c.dir))
	}
	return errors.Join(errs...)
}

// showTail prints the last lines of p's log.
func showTail(w io.Writer, p *proc) {
	f, err := os.Open(p.log)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 20 {
			lines = lines[1:]
		}
	}
	fmt.Fprintf(w, "--- last lines of %s (%s)\n%s\n", p.name, p.log, strings.Join(lines, "\n"))
}
