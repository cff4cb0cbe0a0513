package jobhttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// An input directory goes to the worker and an output directory comes
// back to the server, whole.
func TestArtifactRoundTrip(t *testing.T) {
	ctx := context.Background()
	m := newTracked(jobapi.MemoryOptions{})
	server := t.TempDir()
	in, out := filepath.Join(server, "in", "SourceArtifact"), filepath.Join(server, "out", "BuildArtifact")
	inputs := map[string]string{
		"app/src/config.js":   "module.exports = {region: 'eu-west-1'}",
		"install_software.sh": "#!/bin/sh\napt-get install -y jq\n",
		"docs/":               "",
		"current":             "-> app/src",
	}
	writeTree(t, in, inputs)
	writeTree(t, out, map[string]string{"stale.txt": "from an earlier attempt"})
	id, err := m.Submit(ctx, jobapi.Job{ActionType: typeDeploy,
		InputArtifacts:  map[string]string{"SourceArtifact": in},
		OutputArtifacts: map[string]string{"BuildArtifact": out}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := serve(t, m, jobhttp.HandlerOptions{Authorize: authorize}, jobhttp.ClientOptions{Token: "deployer"})

	jobs, err := c.PollForJobs(ctx, typeDeploy, 1)
	if err != nil || len(jobs) != 1 || jobs[0].ID != id {
		t.Fatalf("PollForJobs = %v, %v", jobs, err)
	}
	job := jobs[0]
	worker := t.TempDir()
	dirs, err := c.DownloadInputs(ctx, job, filepath.Join(worker, "in"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"SourceArtifact": filepath.Join(worker, "in", "SourceArtifact")}, dirs); diff != "" {
		t.Errorf("DownloadInputs directories (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(described(inputs), readTree(t, dirs["SourceArtifact"])); diff != "" {
		t.Errorf("downloaded input (-want +got):\n%s", diff)
	}

	outputs := map[string]string{"image/manifest.json": `{"layers": []}`, "sbom.cdx.json": "{}"}
	writeTree(t, filepath.Join(worker, "out", "BuildArtifact"), outputs)
	err = c.UploadOutputs(ctx, job, filepath.Join(worker, "out"))
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("UploadOutputs before acknowledging = %v, want ErrInvalid (a conflict)", err)
	}
	if err := c.AcknowledgeJob(ctx, job.ID, job.Nonce); err != nil {
		t.Fatal(err)
	}
	if err := c.UploadOutputs(ctx, job, filepath.Join(worker, "out")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(described(outputs), readTree(t, out)); diff != "" {
		t.Errorf("uploaded output on the server (-want +got):\n%s", diff)
	}
	// Uploading again replaces the tree rather than merging into it.
	if err := os.Remove(filepath.Join(worker, "out", "BuildArtifact", "sbom.cdx.json")); err != nil {
		t.Fatal(err)
	}
	if err := c.UploadOutputs(ctx, job, filepath.Join(worker, "out")); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, out); got["sbom.cdx.json"] != "" {
		t.Errorf("a second upload kept a file the worker removed: %v", got)
	}
	if err := c.PutJobSuccessResult(ctx, job.ID, jobapi.SuccessResult{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DownloadInputs(ctx, job, filepath.Join(worker, "again"))
	if !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("DownloadInputs of a finished job = %v, want ErrInvalid", err)
	}
}

// flaky fails the first n requests with 503 before passing them on.
type flaky struct {
	n    atomic.Int32
	next http.Handler
	seen atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.seen.Add(1)
	if f.n.Add(-1) >= 0 {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	f.next.ServeHTTP(w, r)
}

func TestClientRetries(t *testing.T) {
	ctx := context.Background()
	m := newTracked(jobapi.MemoryOptions{})
	in := t.TempDir()
	writeTree(t, in, map[string]string{"f": "data"})
	if _, err := m.Submit(ctx, jobapi.Job{ActionType: "t", InputArtifacts: map[string]string{"In": in}}); err != nil {
		t.Fatal(err)
	}
	fl := &flaky{next: jobhttp.NewHandler(m, jobhttp.HandlerOptions{})}
	srv := httptest.NewServer(fl)
	defer srv.Close()
	c, err := jobhttp.NewClient(srv.URL, jobhttp.ClientOptions{Attempts: 3, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	fl.n.Store(1)
	var se *jobhttp.StatusError
	if _, err := c.PollForJobs(ctx, "t", 1); !errors.As(err, &se) || se.Status != 503 || fl.seen.Load() != 1 {
		t.Fatalf("PollForJobs through a 503 = %v after %d requests, want the 503 and no retry", err, fl.seen.Load())
	}
	jobs, err := c.PollForJobs(ctx, "t", 1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("PollForJobs = %v, %v", jobs, err)
	}
	fl.n.Store(2)
	fl.seen.Store(0)
	if err := c.AcknowledgeJob(ctx, jobs[0].ID, jobs[0].Nonce); err != nil || fl.seen.Load() != 3 {
		t.Errorf("AcknowledgeJob through two 503s = %v after %d requests, want success after 3", err, fl.seen.Load())
	}
	fl.n.Store(2)
	if _, err := c.DownloadInputs(ctx, jobs[0], t.TempDir()); err != nil {
		t.Errorf("DownloadInputs through two 503s = %v", err)
	}
	fl.n.Store(3)
	if err := c.PutJobSuccessResult(ctx, jobs[0].ID, jobapi.SuccessResult{}); !errors.As(err, &se) || se.Status != 503 {
		t.Errorf("PutJobSuccessResult through three 503s with 3 attempts = %v, want the 503", err)
	}
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	m := newTracked(jobapi.MemoryOptions{})
	_, srv := serve(t, m, jobhttp.HandlerOptions{Authorize: authorize}, jobhttp.ClientOptions{})
	client := func(base, token string) *jobhttp.Client {
		c, err := jobhttp.NewClient(base, jobhttp.ClientOptions{Token: token, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var se *jobhttp.StatusError
	_, err := client(srv.URL, "").PollForJobs(ctx, typeDeploy, 1)
	if !errors.As(err, &se) || se.Status != 401 || !se.Refused() || !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("PollForJobs without a token = %v, want a refused 401 wrapping ErrInvalid", err)
	}
	_, err = client(srv.URL, "deployer").PollForJobs(ctx, typeTest, 1)
	if !errors.As(err, &se) || se.Status != 403 || !strings.Contains(err.Error(), "may not work jobs") {
		t.Errorf("PollForJobs of a forbidden type = %v, want 403 with the server's reason", err)
	}
	err = client(srv.URL, "admin").AcknowledgeJob(ctx, "no-such-job", "n")
	if !errors.Is(err, pipeline.ErrNotFound) {
		t.Errorf("AcknowledgeJob of an unknown job = %v, want ErrNotFound", err)
	}
	_, err = client(srv.URL+"/not-the-api", "admin").PollForJobs(ctx, typeDeploy, 1)
	if !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), "no job API at") {
		t.Errorf("PollForJobs at a wrong URL = %v, want ErrInvalid naming the URL", err)
	}
	for _, bad := range []string{"", "ftp://host", "http://", "host:8080", "http://user:pw@host", "http://h/?q=1"} {
		if _, err := jobhttp.NewClient(bad, jobhttp.ClientOptions{}); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("NewClient(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// A job whose artifact location points anywhere but the job API is
// refused before the token is sent there.
func TestClientKeepsTheTokenAtHome(t *testing.T) {
	var leaked atomic.Bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization") != "")
	}))
	defer elsewhere.Close()
	c, err := jobhttp.NewClient("http://127.0.0.1:1", jobhttp.ClientOptions{Token: "secret", Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{elsewhere.URL + "/api/v1/jobs/j/inputs/In", "//" + elsewhere.Listener.Addr().String() + "/x", "/etc/passwd"} {
		job := jobapi.Job{ID: "j", Nonce: "n", InputArtifacts: map[string]string{"In": loc}}
		if _, err := c.DownloadInputs(context.Background(), job, t.TempDir()); !errors.Is(err, pipeline.ErrInvalid) {
			t.Errorf("DownloadInputs from %q = %v, want ErrInvalid", loc, err)
		}
	}
	job := jobapi.Job{ID: "j", Nonce: "n", OutputArtifacts: map[string]string{"../up": jobhttp.OutputLocation("j", "x")}}
	if err := c.UploadOutputs(context.Background(), job, t.TempDir()); !errors.Is(err, pipeline.ErrInvalid) {
		t.Errorf("UploadOutputs of an artifact named ../up = %v, want ErrInvalid", err)
	}
	if leaked.Load() {
		t.Error("the token was sent to another server")
	}
}
