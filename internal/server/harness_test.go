package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/server/servertest"

	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/provider/approval"
	"github.com/secpipe/secpipe/internal/provider/git"
	"github.com/secpipe/secpipe/internal/provider/shell"
	"github.com/secpipe/secpipe/internal/server"
	"github.com/secpipe/secpipe/internal/server/auth"
	"github.com/secpipe/secpipe/internal/store"
)

// testServer is a server on a fresh data directory with SQLite, River
// and the real git, shell and approval providers, serving on a local
// port, with one token per role.
type testServer struct {
	t      testing.TB
	srv    *server.Server
	url    string
	dir    string
	store  store.Store
	images *image.Store
	tokens map[store.Role]string
	// shutdown stops the server (once) and returns what Run returned.
	shutdown func() error
}

// extraProviders lets a test add providers.
func newTestServer(t testing.TB, extra ...pipeline.Provider) *testServer {
	t.Helper()
	state := servertest.New(t)
	ctx := context.Background()
	dir, st, disp, arts, images := state.Dir, state.Store, state.Dispatcher, state.Artifacts, state.Images
	providers := map[string]pipeline.Provider{}
	for _, p := range append([]pipeline.Provider{git.New(git.Config{}), shell.New(shell.Config{}),
		approval.New(approval.Config{})}, extra...) {
		providers[p.Name()] = p
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, Dispatcher: disp, Artifacts: arts, Providers: providers,
		DataDir: filepath.Join(dir, "data"), Images: images, Listener: ln, ShutdownTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv.Mount(jobhttp.PathPrefix, jobhttp.NewHandler(srv.Engine().Jobs(),
		jobhttp.HandlerOptions{Authorize: auth.AuthorizeJob}), store.RoleWorker)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	ts := &testServer{t: t, srv: srv, url: "http://" + ln.Addr().String(), dir: dir, store: st, images: images,
		tokens: map[store.Role]string{}}
	var once sync.Once
	var runErr error
	ts.shutdown = func() error {
		once.Do(func() {
			stop()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := ts.shutdown(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	for _, role := range []store.Role{store.RoleViewer, store.RoleOperator, store.RoleAdmin} {
		tok, _, err := auth.Create(ctx, st, auth.Spec{Name: string(role), Role: role}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ts.tokens[role] = tok
	}
	tok, _, err := auth.Create(ctx, st, auth.Spec{Name: "worker", Role: store.RoleWorker,
		ActionTypes: []string{"Deploy/x/1"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts.tokens[store.RoleWorker] = tok
	ts.eventually("the server to be ready", func() bool {
		code, _ := ts.do("GET", "/readyz", "", nil)
		return code == http.StatusOK
	})
	return ts
}

// do sends a request with role's token ("" for none) and a JSON body
// (a string or []byte is sent as it is) and returns the status and body.
func (ts *testServer) do(method, path string, role store.Role, body any) (int, []byte) {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, ts.url+path, r)
	if err != nil {
		ts.t.Fatal(err)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+ts.tokens[role])
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// must sends a request and decodes the answer into out, failing unless
// the status is want.
func (ts *testServer) must(method, path string, role store.Role, body any, want int, out any) {
	ts.t.Helper()
	code, b := ts.do(method, path, role, body)
	if code != want {
		ts.t.Fatalf("%s %s = %d %s, want %d", method, path, code, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			ts.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// errorCode returns the code of an API error body.
func errorCode(t testing.TB, body []byte) (code, message string) {
	t.Helper()
	var e auth.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return e.Error.Code, e.Error.Message
}

// eventually polls cond until it holds or 20 s pass.
func (ts *testServer) eventually(what string, cond func() bool) {
	ts.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			ts.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// execution fetches one execution.
func (ts *testServer) execution(id string) server.Execution {
	ts.t.Helper()
	var x server.Execution
	ts.must("GET", "/api/v1/executions/"+id, store.RoleViewer, nil, http.StatusOK, &x)
	return x
}

// waitStatus polls execution id until its status is one of want... or
// terminal; it returns the execution.
func (ts *testServer) waitStatus(id string, want pipeline.Status) server.Execution {
	ts.t.Helper()
	var x server.Execution
	ts.eventually("execution "+id+" to be "+string(want), func() bool {
		x = ts.execution(id)
		if x.Status.Terminal() && x.Status != want {
			ts.t.Fatalf("execution %s is %s (%s), want %s", id, x.Status, x.Message, want)
		}
		return x.Status == want
	})
	return x
}

// waitAction polls until an action of execution id has status want.
func (ts *testServer) waitAction(id, stage, name string, want pipeline.Status) {
	ts.t.Helper()
	ts.eventually(stage+"/"+name+" to be "+string(want), func() bool {
		return action(ts.execution(id), stage, name).Status == want
	})
}

// action finds an action of an execution.
func action(x server.Execution, stage, name string) server.Action {
	for _, s := range x.Stages {
		for _, a := range s.Actions {
			if s.Name == stage && a.Name == name {
				return a
			}
		}
	}
	return server.Action{}
}

// register registers the repository at repo as pipeline name.
func (ts *testServer) register(name, repo string) server.Pipeline {
	ts.t.Helper()
	var p server.Pipeline
	ts.must("POST", "/api/v1/pipelines", store.RoleOperator, map[string]any{"name": name, "repo": repo},
		http.StatusCreated, &p)
	return p
}

// release starts pipeline name and returns the execution.
func (ts *testServer) release(name string, body any) server.Execution {
	ts.t.Helper()
	var x server.Execution
	ts.must("POST", "/api/v1/pipelines/"+name+"/executions", store.RoleOperator, body, http.StatusCreated, &x)
	return x
}

// checkout is where the server checks execution id out.
func (ts *testServer) checkout(id string) string {
	return filepath.Join(ts.dir, "data", "checkouts", id)
}

// gitRepo is a repository for tests.
type gitRepo struct {
	t   testing.TB
	dir string
}

// newRepo makes a repository on branch main whose first commit holds
// files.
func newRepo(t testing.TB, files map[string]string) *gitRepo {
	t.Helper()
	r := &gitRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.commit("first", files)
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "user.name=Dana", "-c", "user.email=d@example.com"},
		args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files and commits them; it returns the commit.
func (r *gitRepo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		path := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}
