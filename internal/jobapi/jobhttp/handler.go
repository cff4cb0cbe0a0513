// Package jobhttp is the job API over HTTP: NewHandler serves a
// jobapi.Service under /api/v1/jobs/ (the four calls of CodePipeline's job
// API as JSON, and each job's artifacts as gzip-compressed tar archives),
// and Client implements jobapi.Service against such a server, for
// `secpipe worker` and other workers written in Go.
//
// On the wire a job's InputArtifacts and OutputArtifacts map artifact names
// to URL paths on the server (InputLocation, OutputLocation), never to the
// server's directories. A worker holding a job (its nonce in the
// X-Secpipe-Job-Nonce header) downloads each input with GET and, once it
// has acknowledged the job, uploads each output with PUT before reporting
// its success. docs/job-api.md describes the endpoints and bodies.
package jobhttp

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// PathPrefix is the path under which the handler serves the job API.
const PathPrefix = "/api/v1/jobs/"

// NonceHeader carries the nonce of the job whose artifacts a worker
// downloads or uploads.
const NonceHeader = "X-Secpipe-Job-Nonce"

// MaxRequestBody bounds the JSON body of a request (1 MiB).
const MaxRequestBody = 1 << 20

// MaxBatchSize is the most jobs one poll may ask for, as in CodePipeline.
const MaxBatchSize = 100

// JobLookup finds a job for the handler, which authorizes calls about a job
// by its action type and serves its artifacts from the directories the
// job names. The engine's jobapi.Service implements it.
type JobLookup interface {
	// LookupJob returns job id with its current nonce (empty unless a
	// worker holds it) and its artifact directories, and its state, in
	// which a dispatched or in-progress job whose lease has run out counts
	// as queued. An unknown id wraps pipeline.ErrNotFound.
	LookupJob(ctx context.Context, id string) (jobapi.Job, jobapi.State, error)
}

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	// Lookup finds jobs for authorization and artifacts; nil means the
	// Service, when it implements JobLookup. Without one, the artifact
	// endpoints answer 404, and calls about a job are refused (500) when
	// Authorize is set.
	Lookup JobLookup
	// Authorize, when set, is asked whether the caller of r may work jobs
	// of actionType: for a poll, with the type polled for; for the other
	// calls, with the type of the job they name. An error refuses the
	// request with 403, or 401 when it wraps ErrUnauthenticated; its text
	// is sent to the caller, so it must not hold the token.
	Authorize func(r *http.Request, actionType string) error
	// Limits bound an uploaded output archive; zero fields take the
	// defaults.
	Limits ArchiveLimits
	// Logger receives the server's own failures; nil discards them.
	Logger *slog.Logger
}

// handler serves the job API over one Service.
type handler struct {
	svc    jobapi.Service
	lookup JobLookup
	opts   HandlerOptions
	log    *slog.Logger
	// swap serializes the replacement of output directories.
	swap sync.Mutex
}

// NewHandler returns the HTTP handler of the job API over svc, serving
// paths under PathPrefix (mount it there):
//
//	POST PathPrefix+"poll"         PollForJobsInput → PollForJobsOutput
//	POST PathPrefix+"acknowledge"  AcknowledgeJobInput → AcknowledgeJobOutput
//	POST PathPrefix+"success"      PutJobSuccessResultInput → {}
//	POST PathPrefix+"failure"      PutJobFailureResultInput → {}
//	GET  PathPrefix+"{id}/inputs/{name}"   → the input as .tar.gz
//	PUT  PathPrefix+"{id}/outputs/{name}"  .tar.gz → 204
//
// Errors are {"error": {"code", "message"}}: 400 for a malformed request
// or one the rules refuse, 404 for an unknown job or artifact, 409 when
// the job's state refuses a valid request (a wrong nonce, a job not
// acknowledged), 413 for a body over MaxRequestBody or an archive over
// the limits, 415 for a body that is not JSON (or, for an upload, not
// gzip), 401/403 from Authorize. The handler is safe for concurrent use.
func NewHandler(svc jobapi.Service, opts HandlerOptions) http.Handler {
	h := &handler{svc: svc, lookup: opts.Lookup, opts: opts, log: opts.Logger}
	if h.lookup == nil {
		h.lookup, _ = svc.(JobLookup)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.opts.Limits = opts.Limits.withDefaults()
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathPrefix+"poll", h.poll)
	mux.HandleFunc("POST "+PathPrefix+"acknowledge", h.acknowledge)
	mux.HandleFunc("POST "+PathPrefix+"success", h.success)
	mux.HandleFunc("POST "+PathPrefix+"failure", h.failure)
	mux.HandleFunc("GET "+PathPrefix+"{id}/inputs/{name}", h.input)
	mux.HandleFunc("PUT "+PathPrefix+"{id}/outputs/{name}", h.output)
	mux.HandleFunc(PathPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no job API endpoint %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// InputLocation is where a worker downloads input artifact name of job id:
// a path under PathPrefix.
func InputLocation(id, name string) string { return location(id, "inputs", name) }

// OutputLocation is where a worker uploads output artifact name of job id.
func OutputLocation(id, name string) string { return location(id, "outputs", name) }

func location(id, kind, name string) string {
	return PathPrefix + url.PathEscape(id) + "/" + kind + "/" + url.PathEscape(name)
}

// wireJob replaces the artifact directories of job with their locations.
func wireJob(job jobapi.Job) jobapi.Job {
	job.InputArtifacts = locations(job.ID, "inputs", job.InputArtifacts)
	job.OutputArtifacts = locations(job.ID, "outputs", job.OutputArtifacts)
	return job
}

func locations(id, kind string, dirs map[string]string) map[string]string {
	if dirs == nil {
		return nil
	}
	out := make(map[string]string, len(dirs))
	for name := range dirs {
		out[name] = location(id, kind, name)
	}
	return out
}

func (h *handler) poll(w http.ResponseWriter, r *http.Request) {
	var in jobapi.PollForJobsInput
	if !h.decode(w, r, &in) || !h.authorize(w, r, in.ActionType) {
		return
	}
	if in.ActionType == "" || in.MaxBatchSize < 0 || in.MaxBatchSize > MaxBatchSize {
		writeError(w, http.StatusBadRequest, CodeInvalid,
			fmt.Sprintf("poll: want an actionType and a maxBatchSize from 0 to %d", MaxBatchSize))
		return
	}
	jobs, err := h.svc.PollForJobs(r.Context(), in.ActionType, in.MaxBatchSize)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := jobapi.PollForJobsOutput{Jobs: make([]jobapi.Job, 0, len(jobs))}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, wireJob(j))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) acknowledge(w http.ResponseWriter, r *http.Request) {
	var in jobapi.AcknowledgeJobInput
	if !h.decode(w, r, &in) || !h.needID(w, in.JobID) {
		return
	}
	if _, _, ok := h.authorizeJob(w, r, in.JobID); !ok {
		return
	}
	if in.Nonce == "" {
		writeError(w, http.StatusBadRequest, CodeInvalid, "acknowledge: want the job's nonce")
		return
	}
	if err := h.svc.AcknowledgeJob(r.Context(), in.JobID, in.Nonce); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, jobapi.AcknowledgeJobOutput{Status: jobapi.StatusInProgress})
}

func (h *handler) success(w http.ResponseWriter, r *http.Request) {
	var in jobapi.PutJobSuccessResultInput
	if !h.decode(w, r, &in) || !h.needID(w, in.JobID) {
		return
	}
	if _, _, ok := h.authorizeJob(w, r, in.JobID); !ok || !h.valid(w, in.Result.Validate()) {
		return
	}
	if err := h.svc.PutJobSuccessResult(r.Context(), in.JobID, in.Result); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

func (h *handler) failure(w http.ResponseWriter, r *http.Request) {
	var in jobapi.PutJobFailureResultInput
	if !h.decode(w, r, &in) || !h.needID(w, in.JobID) {
		return
	}
	if _, _, ok := h.authorizeJob(w, r, in.JobID); !ok || !h.valid(w, in.FailureDetails.Validate()) {
		return
	}
	if err := h.svc.PutJobFailureResult(r.Context(), in.JobID, in.FailureDetails); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// decode reads the JSON body of r into v; on failure it answers and
// returns false.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if !isMediaType(r.Header.Get("Content-Type"), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = cmp.Or(terr, errors.New("data after the JSON value"))
		}
	}
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is over %d bytes", MaxRequestBody))
	default:
		writeError(w, http.StatusBadRequest, CodeInvalid, "malformed JSON body: "+strings.TrimPrefix(err.Error(), "invalid "))
	}
	return false
}

// isMediaType reports whether the Content-Type header value names want
// (parameters such as charset are ignored).
func isMediaType(header, want string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && mt == want
}

func (h *handler) needID(w http.ResponseWriter, id string) bool {
	if id == "" {
		writeError(w, http.StatusBadRequest, CodeInvalid, "want a jobId")
		return false
	}
	return true
}

// valid answers 400 for a result that fails its validation.
func (h *handler) valid(w http.ResponseWriter, err error) bool {
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeInvalid, err.Error())
		return false
	}
	return true
}

// authorize asks Authorize about actionType; on refusal it answers and
// returns false.
func (h *handler) authorize(w http.ResponseWriter, r *http.Request, actionType string) bool {
	if h.opts.Authorize == nil {
		return true
	}
	err := h.opts.Authorize(r, actionType)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="secpipe"`)
		writeError(w, http.StatusUnauthorized, CodeUnauthenticated, err.Error())
	default:
		writeError(w, http.StatusForbidden, CodeForbidden, err.Error())
	}
	return false
}

// authorizeJob looks job id up, when authorization needs its type, and
// authorizes the call by it. On failure it answers and returns false.
func (h *handler) authorizeJob(w http.ResponseWriter, r *http.Request, id string) (jobapi.Job, jobapi.State, bool) {
	if h.opts.Authorize == nil {
		return jobapi.Job{}, "", true
	}
	if h.lookup == nil {
		h.log.Error("job API: Authorize is set but there is no JobLookup to find a job's type")
		writeError(w, http.StatusInternalServerError, CodeInternal, "the server cannot authorize calls about a job")
		return jobapi.Job{}, "", false
	}
	return h.lookupJob(w, r, id)
}

// lookupJob finds job id and authorizes the call by its type.
func (h *handler) lookupJob(w http.ResponseWriter, r *http.Request, id string) (jobapi.Job, jobapi.State, bool) {
	job, state, err := h.lookup.LookupJob(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return job, state, false
	}
	return job, state, h.authorize(w, r, job.ActionType)
}

// fail answers the error of a call the handler found valid: a refusal
// of the Service is then a conflict with the job's state.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, pipeline.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, pipeline.ErrInvalid):
		writeError(w, http.StatusConflict, CodeConflict, err.Error())
	case r.Context().Err() != nil:
		// The caller went away; nobody reads the answer.
		writeError(w, http.StatusServiceUnavailable, CodeInternal, "the request was cancelled")
	default:
		h.log.Error("job API call failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, CodeInternal, "the server failed to handle the call; its log says why")
	}
}

// nonceMatches compares a nonce in constant time.
func nonceMatches(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
