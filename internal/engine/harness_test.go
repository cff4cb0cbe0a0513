package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/queue"
	"github.com/secpipe/secpipe/internal/spec"
	"github.com/secpipe/secpipe/internal/store"
)

// fakeProvider runs a function; it counts its calls.
type fakeProvider struct {
	name string
	run  func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error)

	mu    sync.Mutex
	calls []pipeline.ActionRequest
}

func (p *fakeProvider) Name() string { return p.name }

func (p *fakeProvider) Run(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
	p.mu.Lock()
	p.calls = append(p.calls, *req)
	p.mu.Unlock()
	if p.run == nil {
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}
	return p.run(ctx, req)
}

// callsOf returns the requests the provider got for action name.
func (p *fakeProvider) callsOf(name string) []pipeline.ActionRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []pipeline.ActionRequest
	for _, c := range p.calls {
		if c.Action.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// options tune a harness.
type options struct {
	river      bool
	dir        string // reuse a data directory (crash tests)
	providers  map[string]pipeline.Provider
	continueIn time.Duration
	now        func() time.Time
	lease      time.Duration
	noStart    bool
	// real wires the real condition evaluator and reference resolver.
	real bool
}

// harness is an engine on a fresh data directory with its dispatcher
// running.
type harness struct {
	dir  string
	db   *sql.DB
	disp queue.Dispatcher
	eng  *engine.Engine
	arts *artifact.Store
}

func newHarness(t testing.TB, o options) *harness {
	t.Helper()
	dir := o.dir
	if dir == "" {
		dir = t.TempDir()
	}
	db, err := queue.OpenSQLite(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatalf("OpenSQLite = %v", err)
	}
	var disp queue.Dispatcher
	if o.river {
		disp, err = queue.NewRiver(db, queue.RiverConfig{Workers: 8, RescueStuckJobsAfter: time.Hour,
			FetchPollInterval: 5 * time.Millisecond})
		if err != nil {
			t.Fatalf("NewRiver = %v", err)
		}
	} else {
		disp = queue.NewMemory()
	}
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatalf("artifact.Open = %v", err)
	}
	cfg := engine.Config{DB: db, Dispatcher: disp, Providers: o.providers, Artifacts: arts,
		DataDir: dir, ContinuationDelay: o.continueIn, Now: o.now, JobLease: o.lease,
		When: fakeWhen, Resolve: fakeResolve, User: "tester", Exclusive: true} // as `secpipe run`
	if o.real {
		cfg.When = func(expr, repoDir string, vars map[string]string) (bool, error) {
			return spec.EvalWhen(expr, spec.WhenEnv{RepoDir: repoDir, Variables: vars})
		}
		cfg.Resolve = spec.Resolve
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatalf("engine.New = %v", err)
	}
	h := &harness{dir: dir, db: db, disp: disp, eng: eng, arts: arts}
	if !o.noStart {
		h.start(t)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = disp.Stop(ctx)
		_ = db.Close()
	})
	return h
}

func (h *harness) start(t testing.TB) {
	t.Helper()
	if err := h.disp.Start(context.Background()); err != nil {
		t.Fatalf("Start dispatcher = %v", err)
	}
}

// fakeWhen understands "true", "false", "var:KEY=VALUE" and
// "file:NAME" (the file exists in the repository); anything else is an
// error.
func fakeWhen(expr, repoDir string, vars map[string]string) (bool, error) {
	switch {
	case expr == "true":
		return true, nil
	case expr == "false":
		return false, nil
	case strings.HasPrefix(expr, "var:"):
		k, v, _ := strings.Cut(strings.TrimPrefix(expr, "var:"), "=")
		return vars[k] == v, nil
	case strings.HasPrefix(expr, "file:"):
		_, err := os.Stat(filepath.Join(repoDir, strings.TrimPrefix(expr, "file:")))
		return err == nil, nil
	}
	return false, fmt.Errorf("bad expression %q", expr)
}

// fakeResolve replaces "#{KEY}" in the string values of a config map.
func fakeResolve(v any, vars map[string]string) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	out := map[string]any{}
	for k, val := range m {
		s, ok := val.(string)
		if !ok {
			out[k] = val
			continue
		}
		for strings.Contains(s, "#{") {
			i := strings.Index(s, "#{")
			j := strings.Index(s[i:], "}")
			if j < 0 {
				break
			}
			key := s[i+2 : i+j]
			val, ok := vars[key]
			if !ok {
				return nil, fmt.Errorf("unknown reference #{%s}", key)
			}
			s = s[:i] + val + s[i+j+1:]
		}
		out[k] = s
	}
	return out, nil
}

// run starts p and waits for its end.
func (h *harness) run(t testing.TB, p *pipeline.Pipeline, opts engine.StartOptions) (string, pipeline.Status) {
	t.Helper()
	id, err := h.eng.Start(context.Background(), p, opts)
	if err != nil {
		t.Fatalf("Start = %v", err)
	}
	return id, h.wait(t, id)
}

func (h *harness) wait(t testing.TB, id string) pipeline.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := h.eng.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait(%s) = %v", id, err)
	}
	return st
}

// statuses maps "Stage.Action" and "Stage" to statuses.
func (h *harness) statuses(t testing.TB, id string) map[string]pipeline.Status {
	t.Helper()
	info, err := h.eng.Execution(context.Background(), id)
	if err != nil {
		t.Fatalf("Execution(%s) = %v", id, err)
	}
	out := map[string]pipeline.Status{}
	for _, s := range info.Stages {
		out[s.Name] = s.Status
		for _, a := range s.Actions {
			out[s.Name+"."+a.Action] = a.Status
		}
	}
	return out
}

func (h *harness) action(t testing.TB, id, stage, action string) store.ActionRun {
	t.Helper()
	r, err := h.eng.Store().ActionRun(context.Background(), id, stage, action)
	if err != nil {
		t.Fatalf("ActionRun = %v", err)
	}
	return r
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// stage builds a stage.
func stage(name string, actions ...pipeline.Action) pipeline.Stage {
	return pipeline.Stage{Name: name, Actions: actions}
}

// pipe builds a pipeline.
func pipe(name string, stages ...pipeline.Stage) *pipeline.Pipeline {
	return &pipeline.Pipeline{Version: 1, Name: name, ExecutionMode: pipeline.ModeParallel, Stages: stages}
}

// ok is a provider that succeeds.
func ok() *fakeProvider { return &fakeProvider{name: "ok"} }
