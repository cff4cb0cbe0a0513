package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// childEnv names the data directory a re-executed test binary runs the
// crash child in.
const childEnv = "SECPIPE_ENGINE_CRASH_CHILD"

// recorder appends "ACTION attempt N" to DIR/calls.log for every call,
// writes its output artifact and, when block is set for the action, blocks
// after creating DIR/blocking.
func recorder(dir string, block map[string]bool) *fakeProvider {
	var mu sync.Mutex
	return &fakeProvider{name: "rec", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		mu.Lock()
		f, err := os.OpenFile(filepath.Join(dir, "calls.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err == nil {
			_, err = fmt.Fprintf(f, "%s attempt %d\n", req.Action.Name, req.Attempt)
			f.Close()
		}
		mu.Unlock()
		if err != nil {
			return pipeline.ActionResult{}, err
		}
		for name, out := range req.Outputs {
			if err := os.WriteFile(filepath.Join(out, "data.txt"), []byte(name), 0o644); err != nil {
				return pipeline.ActionResult{}, err
			}
		}
		if block[req.Action.Name] {
			if err := os.WriteFile(filepath.Join(dir, "blocking"), nil, 0o644); err != nil {
				return pipeline.ActionResult{}, err
			}
			<-ctx.Done()
			return pipeline.ActionResult{}, ctx.Err()
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
}

func crashPipeline() *pipeline.Pipeline {
	return pipe("crash",
		stage("Source", pipeline.Action{Name: "A", Provider: "rec", Outputs: []string{"Art1"}}),
		stage("Build",
			pipeline.Action{Name: "B", Provider: "rec", Inputs: []string{"Art1"}, Outputs: []string{"Art2"}},
			pipeline.Action{Name: "B2", Provider: "rec", Inputs: []string{"Art1"}, Outputs: []string{"Art3"}, RunOrder: 2}),
		stage("Deploy", pipeline.Action{Name: "C", Provider: "rec", Inputs: []string{"Art2", "Art3"}}),
	)
}

// crashChild starts the crash pipeline and blocks in action B until it is
// killed.
func crashChild(t *testing.T, dir string) {
	h := newHarness(t, options{river: true, dir: dir,
		providers: map[string]pipeline.Provider{"rec": recorder(dir, map[string]bool{"B": true})}})
	id, err := h.eng.Start(context.Background(), crashPipeline(), engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "id"), []byte(id), 0o644); err != nil {
		t.Fatal(err)
	}
	select {} // until SIGKILL
}

func TestCrashResume(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashResume$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the child to block in B", func() bool {
		_, err := os.Stat(filepath.Join(dir, "blocking"))
		return err == nil
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	id, err := os.ReadFile(filepath.Join(dir, "id"))
	if err != nil {
		t.Fatalf("child wrote no execution id: %v\n%s", err, out.String())
	}

	h := newHarness(t, options{river: true, dir: dir, noStart: true,
		providers: map[string]pipeline.Provider{"rec": recorder(dir, nil)}})
	ctx := context.Background()
	before := h.action(t, string(id), "Source", "A")
	if b := h.action(t, string(id), "Build", "B"); b.Status != pipeline.StatusRunning {
		t.Fatalf("B after the crash is %s, want running", b.Status)
	}
	resumed, err := h.eng.Resume(ctx)
	if err != nil {
		t.Fatalf("Resume = %v", err)
	}
	if diff := cmp.Diff([]string{string(id)}, resumed); diff != "" {
		t.Errorf("Resume ids (-want +got):\n%s", diff)
	}
	h.start(t)
	if st := h.wait(t, string(id)); st != pipeline.StatusSucceeded {
		info, _ := h.eng.Execution(ctx, string(id))
		t.Fatalf("status after resume = %s: %s", st, info.Message)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	want := "A attempt 1\nB attempt 1\nB attempt 2\nB2 attempt 1\nC attempt 1\n"
	if diff := cmp.Diff(want, string(calls)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	after := h.action(t, string(id), "Source", "A")
	if diff := cmp.Diff(before.Outputs, after.Outputs); diff != "" {
		t.Errorf("A's artifact changed (-before +after):\n%s", diff)
	}
	c := h.action(t, string(id), "Deploy", "C")
	if len(c.Inputs) != 2 {
		t.Errorf("C read inputs %v, want Art2 and Art3", c.Inputs)
	}
	// A second resume finds nothing to do.
	if again, err := h.eng.Resume(ctx); err != nil || len(again) != 0 {
		t.Errorf("second Resume = %v, %v; want none", again, err)
	}
}

func TestResumeWhileRunningDoesNotDuplicate(t *testing.T) {
	release := make(chan struct{})
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if req.Action.Name == "A" {
			<-release
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	for _, river := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "river"}[river], func(t *testing.T) {
			release = make(chan struct{})
			p.calls = nil
			h := newHarness(t, options{river: river, providers: map[string]pipeline.Provider{"t": p},
				continueIn: time.Millisecond})
			ctx := context.Background()
			id, err := h.eng.Start(ctx, pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"}),
				stage("T", pipeline.Action{Name: "B", Provider: "t"})), engine.StartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "A to run", func() bool { return len(p.callsOf("A")) == 1 })
			for range 2 {
				if _, err := h.eng.Resume(ctx); err != nil {
					t.Fatal(err)
				}
			}
			close(release)
			if st := h.wait(t, id); st != pipeline.StatusSucceeded {
				t.Fatalf("status = %s", st)
			}
			time.Sleep(50 * time.Millisecond) // let duplicate jobs, if any, run
			if a, b := len(p.callsOf("A")), len(p.callsOf("B")); a != 1 || b != 1 {
				t.Errorf("A ran %d times, B %d; want once each", a, b)
			}
		})
	}
}

func TestDrain(t *testing.T) {
	release := make(chan struct{})
	p := &fakeProvider{name: "t", run: func(ctx context.Context, req *pipeline.ActionRequest) (pipeline.ActionResult, error) {
		if req.Action.Name == "A" {
			<-release
		}
		return pipeline.ActionResult{State: pipeline.ActionSucceeded}, nil
	}}
	dir := t.TempDir()
	h := newHarness(t, options{river: true, dir: dir, providers: map[string]pipeline.Provider{"t": p}})
	ctx := context.Background()
	id, err := h.eng.Start(ctx, pipe("p", stage("S", pipeline.Action{Name: "A", Provider: "t"}),
		stage("T", pipeline.Action{Name: "B", Provider: "t"})), engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A to run", func() bool { return len(p.callsOf("A")) == 1 })
	h.eng.Drain()
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- h.disp.Stop(stopCtx) }() // no more fetching; waits for A
	time.Sleep(100 * time.Millisecond)
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if n := len(p.callsOf("B")); n != 0 {
		t.Fatalf("B ran %d times in a draining engine", n)
	}
	if b := h.action(t, id, "T", "B"); b.Status != pipeline.StatusQueued || b.Attempt != 1 {
		t.Fatalf("B is %s, attempt %d; want queued, attempt 1", b.Status, b.Attempt)
	}
	h.db.Close()
	// A new engine picks up B's job (no Resume needed: the job is durable).
	h2 := newHarness(t, options{river: true, dir: dir, providers: map[string]pipeline.Provider{"t": p}})
	if st := h2.wait(t, id); st != pipeline.StatusSucceeded {
		t.Fatalf("status = %s", st)
	}
}
