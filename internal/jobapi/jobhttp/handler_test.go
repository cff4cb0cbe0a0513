package jobhttp_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/jobapi/jobhttp"
)

const (
	typeDeploy = "Deploy/secpipe-deployer/1"
	typeTest   = "Test/secpipe-tester/1"
)

// fixture is a handler over a tracked Memory with jobs in every state a
// test needs, and a token check: "deployer" may work Deploy jobs only,
// "admin" anything.
type fixture struct {
	t   *testing.T
	m   *tracked
	srv *httptest.Server
	// queued, held (dispatched), acked (in progress) and test (a held
	// job of another type) are job ids; nonces holds their nonces.
	queued, held, acked, test string
	nonces                    map[string]string
	// in and out are the artifact directories of acked.
	in, out string
}

func authorize(r *http.Request, actionType string) error {
	switch r.Header.Get("Authorization") {
	case "Bearer admin":
		return nil
	case "Bearer deployer":
		if actionType == typeDeploy {
			return nil
		}
		return fmt.Errorf("this token may not work jobs of type %q", actionType)
	}
	return fmt.Errorf("%w: no or unknown token", jobhttp.ErrUnauthenticated)
}

func newFixture(t *testing.T, limits jobhttp.ArchiveLimits) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, m: newTracked(jobapi.MemoryOptions{}), nonces: map[string]string{}}
	f.srv = httptest.NewServer(jobhttp.NewHandler(f.m, jobhttp.HandlerOptions{Authorize: authorize, Limits: limits}))
	t.Cleanup(f.srv.Close)
	base := t.TempDir()
	f.in, f.out = filepath.Join(base, "in"), filepath.Join(base, "out")
	writeTree(t, f.in, map[string]string{"app/config.js": "module.exports = {}"})
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		t.Fatal(err)
	}
	submit := func(actionType string) string {
		id, err := f.m.Submit(ctx, jobapi.Job{ActionType: actionType, InputArtifacts: map[string]string{"Src": f.in},
			OutputArtifacts: map[string]string{"Out": f.out}})
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := f.m.PollForJobs(ctx, actionType, 1)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("PollForJobs = %v, %v", jobs, err)
		}
		f.nonces[id] = jobs[0].Nonce
		return id
	}
	f.acked = submit(typeDeploy)
	if err := f.m.AcknowledgeJob(ctx, f.acked, f.nonces[f.acked]); err != nil {
		t.Fatal(err)
	}
	f.held = submit(typeDeploy)
	f.test = submit(typeTest)
	var err error
	if f.queued, err = f.m.Submit(ctx, jobapi.Job{ActionType: typeDeploy}); err != nil {
		t.Fatal(err)
	}
	return f
}

// do sends a request and returns the status and the error code of the
// body (or the body when it is not an error).
func (f *fixture) do(method, path, token, contentType string, header map[string]string, body []byte) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct{ Code, Message string }
	}
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(data, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			f.t.Errorf("%s %s: error body %q is not {\"error\": {\"code\", \"message\"}}", method, path, data)
		}
		return resp.StatusCode, e.Error.Code
	}
	return resp.StatusCode, string(data)
}

func TestHandlerJSONCalls(t *testing.T) {
	f := newFixture(t, jobhttp.ArchiveLimits{})
	const ct = "application/json"
	body := func(format string, args ...any) []byte { return fmt.Appendf(nil, format, args...) }
	tests := []struct {
		name        string
		path        string
		token       string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{name: "poll", path: "poll", token: "deployer", body: body(`{"actionType":%q}`, typeDeploy), status: 200},
		{name: "poll with charset", path: "poll", token: "admin", contentType: "application/json; charset=utf-8",
			body: body(`{"actionType":%q,"maxBatchSize":3}`, typeDeploy), status: 200},
		{name: "poll without a token", path: "poll", body: body(`{"actionType":%q}`, typeDeploy), status: 401, code: "unauthenticated"},
		{name: "poll for a type the token may not work", path: "poll", token: "deployer",
			body: body(`{"actionType":%q}`, typeTest), status: 403, code: "forbidden"},
		{name: "poll without a type", path: "poll", token: "admin", body: body(`{}`), status: 400, code: "invalid"},
		{name: "poll for too many", path: "poll", token: "admin",
			body: body(`{"actionType":"t","maxBatchSize":101}`), status: 400, code: "invalid"},
		{name: "not JSON", path: "poll", token: "admin", contentType: "text/plain",
			body: body(`{"actionType":"t"}`), status: 415, code: "unsupported_media_type"},
		{name: "malformed JSON", path: "poll", token: "admin", body: body(`{"actionType":`), status: 400, code: "invalid"},
		{name: "two JSON values", path: "poll", token: "admin", body: body(`{"actionType":"t"} {}`), status: 400, code: "invalid"},
		{name: "wrong field type", path: "poll", token: "admin", body: body(`{"actionType":7}`), status: 400, code: "invalid"},
		{name: "body over 1 MiB", path: "poll", token: "admin",
			body: body(`{"actionType":"%s"}`, strings.Repeat("t", 1<<20)), status: 413, code: "too_large"},
		{name: "acknowledge", path: "acknowledge", token: "deployer",
			body: body(`{"jobId":%q,"nonce":%q}`, f.held, f.nonces[f.held]), status: 200},
		{name: "acknowledge with a wrong nonce", path: "acknowledge", token: "deployer",
			body: body(`{"jobId":%q,"nonce":"guess"}`, f.acked), status: 409, code: "conflict"},
		{name: "acknowledge without a nonce", path: "acknowledge", token: "admin",
			body: body(`{"jobId":%q}`, f.held), status: 400, code: "invalid"},
		{name: "acknowledge an unknown job", path: "acknowledge", token: "admin",
			body: body(`{"jobId":"nope","nonce":"n"}`), status: 404, code: "not_found"},
		{name: "acknowledge a job of another type", path: "acknowledge", token: "deployer",
			body: body(`{"jobId":%q,"nonce":%q}`, f.test, f.nonces[f.test]), status: 403, code: "forbidden"},
		{name: "success of a queued job", path: "success", token: "deployer",
			body: body(`{"jobId":%q}`, f.queued), status: 409, code: "conflict"},
		{name: "success with a bad percentage", path: "success", token: "deployer",
			body: body(`{"jobId":%q,"executionDetails":{"percentComplete":101}}`, f.acked), status: 400, code: "invalid"},
		{name: "success without a job", path: "success", token: "deployer", body: body(`{}`), status: 400, code: "invalid"},
		{name: "failure of an unknown type", path: "failure", token: "deployer",
			body: body(`{"jobId":%q,"failureDetails":{"type":"Oops"}}`, f.acked), status: 400, code: "invalid"},
		{name: "failure without a token", path: "failure",
			body: body(`{"jobId":%q,"failureDetails":{"message":"x"}}`, f.acked), status: 401, code: "unauthenticated"},
		{name: "success", path: "success", token: "deployer",
			body: body(`{"jobId":%q,"outputVariables":{"Url":"https://x"}}`, f.acked), status: 200},
		{name: "a second success", path: "success", token: "deployer",
			body: body(`{"jobId":%q}`, f.acked), status: 409, code: "conflict"},
		{name: "no such endpoint", path: "cancel", token: "admin", body: body(`{}`), status: 404, code: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			if tt.contentType == "" {
				tt.contentType = ct
			}
			status, code := f.do("POST", jobhttp.PathPrefix+tt.path, tt.token, tt.contentType, nil, tt.body)
			if status != tt.status || (tt.code != "" && code != tt.code) {
				t.Errorf("POST %s %s = %d %s, want %d %s", tt.path, tt.body[:min(len(tt.body), 80)], status, code, tt.status, tt.code)
			}
		})
	}
}

func TestHandlerPollShowsLocationsNotDirectories(t *testing.T) {
	m := newTracked(jobapi.MemoryOptions{})
	id, err := m.Submit(context.Background(), jobapi.Job{ActionType: "t",
		InputArtifacts: map[string]string{"Src": "/srv/secpipe/work/x/in/Src"}, OutputArtifacts: map[string]string{"Out": "/srv/o"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(jobhttp.NewHandler(m, jobhttp.HandlerOptions{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+jobhttp.PathPrefix+"poll", "application/json", strings.NewReader(`{"actionType":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if bytes.Contains(data, []byte("/srv")) {
		t.Errorf("poll answer shows a server directory: %s", data)
	}
	for _, want := range []string{jobhttp.PathPrefix + id + "/inputs/Src", jobhttp.PathPrefix + id + "/outputs/Out"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("poll answer %s does not hold the location %s", data, want)
		}
	}
}

func TestHandlerArtifacts(t *testing.T) {
	f := newFixture(t, jobhttp.ArchiveLimits{MaxBytes: 1 << 10})
	small := archive(t, entry{name: "result.txt", typ: tar.TypeReg, body: "ok"})
	big := archive(t, entry{name: "big", typ: tar.TypeReg, body: strings.Repeat("b", 2<<10)})
	escape := archive(t, entry{name: "../../escape", typ: tar.TypeReg, body: "x"})
	nonce := func(id string) map[string]string { return map[string]string{jobhttp.NonceHeader: f.nonces[id]} }
	tests := []struct {
		name, method, path, token, contentType string
		header                                 map[string]string
		body                                   []byte
		status                                 int
		code                                   string
	}{
		{name: "download", method: "GET", path: jobhttp.InputLocation(f.acked, "Src"), token: "deployer",
			header: nonce(f.acked), status: 200},
		{name: "download by the dispatched holder", method: "GET", path: jobhttp.InputLocation(f.held, "Src"),
			token: "deployer", header: nonce(f.held), status: 200},
		{name: "download without a nonce", method: "GET", path: jobhttp.InputLocation(f.acked, "Src"), token: "deployer",
			status: 400, code: "invalid"},
		{name: "download with a wrong nonce", method: "GET", path: jobhttp.InputLocation(f.acked, "Src"), token: "deployer",
			header: nonce(f.held), status: 409, code: "conflict"},
		{name: "download of a queued job", method: "GET", path: jobhttp.InputLocation(f.queued, "Src"), token: "deployer",
			header: map[string]string{jobhttp.NonceHeader: "x"}, status: 409, code: "conflict"},
		{name: "download of an unknown artifact", method: "GET", path: jobhttp.InputLocation(f.acked, "Nope"),
			token: "deployer", header: nonce(f.acked), status: 404, code: "not_found"},
		{name: "download of an unknown job", method: "GET", path: jobhttp.InputLocation("nope", "Src"),
			token: "deployer", header: nonce(f.acked), status: 404, code: "not_found"},
		{name: "download of another type's job", method: "GET", path: jobhttp.InputLocation(f.test, "Src"),
			token: "deployer", header: nonce(f.test), status: 403, code: "forbidden"},
		{name: "download without a token", method: "GET", path: jobhttp.InputLocation(f.acked, "Src"),
			header: nonce(f.acked), status: 401, code: "unauthenticated"},
		{name: "upload before acknowledging", method: "PUT", path: jobhttp.OutputLocation(f.held, "Out"), token: "deployer",
			contentType: jobhttp.ArchiveType, header: nonce(f.held), body: small, status: 409, code: "conflict"},
		{name: "upload not gzip", method: "PUT", path: jobhttp.OutputLocation(f.acked, "Out"), token: "deployer",
			contentType: "application/json", header: nonce(f.acked), body: small, status: 415, code: "unsupported_media_type"},
		{name: "upload over the limits", method: "PUT", path: jobhttp.OutputLocation(f.acked, "Out"), token: "deployer",
			contentType: jobhttp.ArchiveType, header: nonce(f.acked), body: big, status: 413, code: "too_large"},
		{name: "upload escaping", method: "PUT", path: jobhttp.OutputLocation(f.acked, "Out"), token: "deployer",
			contentType: jobhttp.ArchiveType, header: nonce(f.acked), body: escape, status: 400, code: "invalid"},
		{name: "upload garbage", method: "PUT", path: jobhttp.OutputLocation(f.acked, "Out"), token: "deployer",
			contentType: jobhttp.ArchiveType, header: nonce(f.acked), body: []byte("garbage"), status: 400, code: "invalid"},
		{name: "upload to an input", method: "PUT", path: jobhttp.InputLocation(f.acked, "Src"), token: "deployer",
			contentType: jobhttp.ArchiveType, header: nonce(f.acked), body: small, status: 404, code: "not_found"},
		{name: "upload", method: "PUT", path: jobhttp.OutputLocation(f.acked, "Out"), token: "deployer",
			contentType: jobhttp.ArchiveType, header: nonce(f.acked), body: small, status: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			status, code := f.do(tt.method, tt.path, tt.token, tt.contentType, tt.header, tt.body)
			if status != tt.status || (tt.code != "" && code != tt.code) {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, status, code, tt.status, tt.code)
			}
		})
	}
	// Only the last upload changed the output directory.
	if got := readTree(t, f.out); len(got) != 1 || got["result.txt"] != "0644 ok" {
		t.Errorf("output directory after the uploads = %v, want result.txt only", got)
	}
	if names := dirNames(t, filepath.Dir(f.out)); len(names) != 2 {
		t.Errorf("the uploads left %v beside the output directory, want in and out", names)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(f.out), "..", "escape")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an upload wrote outside its directory: %v", err)
	}
}

// Without a JobLookup, calls about a job cannot be authorized: the
// handler refuses them rather than letting them through.
func TestHandlerWithoutLookupFailsClosed(t *testing.T) {
	m := jobapi.NewMemory(jobapi.MemoryOptions{})
	srv := httptest.NewServer(jobhttp.NewHandler(m, jobhttp.HandlerOptions{Authorize: authorize}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+jobhttp.PathPrefix+"acknowledge", strings.NewReader(`{"jobId":"j","nonce":"n"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer admin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("acknowledge with Authorize and no lookup = %d, want 500", resp.StatusCode)
	}
}

// TestHandlerSlowUpload: an artifact upload may take longer than the
// server's timeouts for JSON calls; the handler lifts them for transfers.
func TestHandlerSlowUpload(t *testing.T) {
	f := newFixture(t, jobhttp.ArchiveLimits{})
	srv := httptest.NewUnstartedServer(jobhttp.NewHandler(f.m, jobhttp.HandlerOptions{Authorize: authorize}))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	data := archive(t, entry{name: "result.txt", typ: tar.TypeReg, body: strings.Repeat("slow ", 1000)})
	pr, pw := io.Pipe()
	go func() {
		// The body trickles in over about a second: three times the
		// server's read timeout.
		for chunk := range slices.Chunk(data, len(data)/10+1) {
			time.Sleep(100 * time.Millisecond)
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, err := http.NewRequest("PUT", srv.URL+jobhttp.OutputLocation(f.acked, "Out"), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer deployer")
	req.Header.Set("Content-Type", jobhttp.ArchiveType)
	req.Header.Set(jobhttp.NonceHeader, f.nonces[f.acked])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("slow upload = %d %s, want 204", resp.StatusCode, body)
	}
	if got := readTree(t, f.out)["result.txt"]; !strings.Contains(got, "slow slow") {
		t.Errorf("uploaded tree holds %q", got)
	}
}
