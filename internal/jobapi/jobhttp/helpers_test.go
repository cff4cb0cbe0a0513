package jobhttp_test

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobapitest"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
)

// tracked is the in-memory Service with the JobLookup the handler needs:
// it remembers each job as last handed out.
type tracked struct {
	*jobapi.Memory
	mu     sync.Mutex
	polled map[string]jobapi.Job
	subs   map[string]jobapi.Job
}

func newTracked(opts jobapi.MemoryOptions) *tracked {
	return &tracked{Memory: jobapi.NewMemory(opts), polled: map[string]jobapi.Job{}, subs: map[string]jobapi.Job{}}
}

func (m *tracked) Submit(ctx context.Context, job jobapi.Job) (string, error) {
	id, err := m.Memory.Submit(ctx, job)
	if err == nil {
		job.ID = id
		m.mu.Lock()
		m.subs[id] = job
		m.mu.Unlock()
	}
	return id, err
}

func (m *tracked) PollForJobs(ctx context.Context, actionType string, max int) ([]jobapi.Job, error) {
	jobs, err := m.Memory.PollForJobs(ctx, actionType, max)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range jobs {
		m.polled[j.ID] = j
	}
	return jobs, err
}

func (m *tracked) LookupJob(ctx context.Context, id string) (jobapi.Job, jobapi.State, error) {
	o, err := m.Outcome(ctx, id)
	if err != nil {
		return jobapi.Job{}, "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	job, ok := m.polled[id]
	if !ok {
		job = m.subs[id]
	}
	if o.State != jobapi.StateDispatched && o.State != jobapi.StateInProgress {
		job.Nonce = ""
	}
	return job, o.State, nil
}

// presenter is a Producer whose jobs a worker receives with the HTTP
// API's artifact locations.
type presenter struct{ jobapitest.Producer }

func (p presenter) Present(job jobapi.Job) jobapi.Job {
	in, out := map[string]string{}, map[string]string{}
	for name := range job.InputArtifacts {
		in[name] = jobhttp.InputLocation(job.ID, name)
	}
	for name := range job.OutputArtifacts {
		out[name] = jobhttp.OutputLocation(job.ID, name)
	}
	job.InputArtifacts, job.OutputArtifacts = in, out
	return job
}

// serve runs the handler over svc and returns a client of it.
func serve(t testing.TB, svc jobapi.Service, hopts jobhttp.HandlerOptions, copts jobhttp.ClientOptions) (*jobhttp.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(jobhttp.NewHandler(svc, hopts))
	t.Cleanup(srv.Close)
	c, err := jobhttp.NewClient(srv.URL, copts)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// writeTree creates files under dir: "path": "content" makes a file (mode
// 0644, or 0755 when the content starts with "#!"), "path/": "" a
// directory and "path": "-> target" a symbolic link.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(name, "/"):
			err = os.MkdirAll(p, 0o755)
		case strings.HasPrefix(content, "-> "):
			err = os.Symlink(strings.TrimPrefix(content, "-> "), p)
		case strings.HasPrefix(content, "#!"):
			err = os.WriteFile(p, []byte(content), 0o755)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// readTree describes the tree under dir: "path": "0644 content",
// "path/": "0755" for a directory, "path": "-> target" for a link.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			got[rel+"/"] = fmt.Sprintf("%04o", info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			got[rel] = "-> " + target
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[rel] = fmt.Sprintf("%04o %s", info.Mode().Perm(), b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// described is what readTree reports for a tree writeTree made.
func described(files map[string]string) map[string]string {
	want := map[string]string{}
	for name, content := range maps.All(files) {
		switch {
		case strings.HasSuffix(name, "/"):
			want[name] = "0755"
		case strings.HasPrefix(content, "-> "):
			want[name] = content
		case strings.HasPrefix(content, "#!"):
			want[name] = "0755 " + content
		default:
			want[name] = "0644 " + content
		}
		// Parent directories writeTree made.
		for d := filepath.Dir(filepath.FromSlash(strings.TrimSuffix(name, "/"))); d != "."; d = filepath.Dir(d) {
			want[filepath.ToSlash(d)+"/"] = "0755"
		}
	}
	return want
}
