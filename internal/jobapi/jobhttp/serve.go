package jobhttp

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// ArchiveType is the content type of artifact archives: a tar, gzipped.
const ArchiveType = "application/gzip"

// heldJob finds the job an artifact request names, authorizes the call
// and checks that the caller holds the job with its nonce, in one of the
// states allowed. On failure it answers and returns false.
func (h *handler) heldJob(w http.ResponseWriter, r *http.Request, allowed ...jobapi.State) (jobapi.Job, bool) {
	if h.lookup == nil {
		writeError(w, http.StatusNotFound, CodeNotFound, "this server does not serve job artifacts")
		return jobapi.Job{}, false
	}
	nonce := r.Header.Get(NonceHeader)
	if nonce == "" {
		writeError(w, http.StatusBadRequest, CodeInvalid, "want the job's nonce in the "+NonceHeader+" header")
		return jobapi.Job{}, false
	}
	id := r.PathValue("id")
	job, state, ok := h.lookupJob(w, r, id)
	if !ok {
		return job, false
	}
	held := false
	for _, s := range allowed {
		held = held || state == s
	}
	switch {
	case !held:
		writeError(w, http.StatusConflict, CodeConflict, fmt.Sprintf("job %s is %s, not %s", id, state, allowedText(allowed)))
		return job, false
	case !nonceMatches(nonce, job.Nonce):
		writeError(w, http.StatusConflict, CodeConflict, fmt.Sprintf("job %s: wrong nonce", id))
		return job, false
	}
	return job, true
}

func allowedText(states []jobapi.State) string {
	if len(states) == 1 {
		return string(states[0])
	}
	return fmt.Sprintf("%s or %s", states[0], states[1])
}

// input streams an input artifact of a job the caller holds.
func (h *handler) input(w http.ResponseWriter, r *http.Request) {
	job, ok := h.heldJob(w, r, jobapi.StateDispatched, jobapi.StateInProgress)
	if !ok {
		return
	}
	name := r.PathValue("name")
	dir, ok := job.InputArtifacts[name]
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("job %s has no input artifact %q", job.ID, name))
		return
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		h.fail(w, r, fmt.Errorf("input artifact %s of job %s: not a directory: %v", name, job.ID, err))
		return
	}
	w.Header().Set("Content-Type", ArchiveType)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	extendDeadlines(w)
	if err := WriteArchive(r.Context(), w, dir); err != nil {
		if r.Context().Err() == nil {
			h.log.Error("job API: stream input artifact", "job", job.ID, "artifact", name, "error", err)
		}
		// Break the response off, so the worker sees a failed transfer
		// rather than a complete archive.
		panic(http.ErrAbortHandler)
	}
}

// TransferTimeout bounds one artifact transfer. It replaces the server's
// short read and write timeouts, meant for JSON calls, which would cut a
// large artifact off in the middle.
const TransferTimeout = time.Hour

// extendDeadlines gives the request's connection TransferTimeout to read
// the body and write the answer. A server without deadlines (or a writer
// that cannot set them) is left as it is.
func extendDeadlines(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(TransferTimeout)
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}

// output receives an output artifact of a job the caller has
// acknowledged: it extracts the archive beside the output directory and
// then puts it in the directory's place, so a failed or repeated upload
// leaves either the old tree or the new one.
func (h *handler) output(w http.ResponseWriter, r *http.Request) {
	job, ok := h.heldJob(w, r, jobapi.StateInProgress)
	if !ok {
		return
	}
	name := r.PathValue("name")
	dir, ok := job.OutputArtifacts[name]
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("job %s has no output artifact %q", job.ID, name))
		return
	}
	if ct := r.Header.Get("Content-Type"); !isMediaType(ct, ArchiveType) && !isMediaType(ct, "application/x-gzip") {
		writeError(w, http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "the body must be a gzip-compressed tar ("+ArchiveType+")")
		return
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".upload-")
	if err != nil {
		h.fail(w, r, fmt.Errorf("output artifact %s of job %s: %w", name, job.ID, err))
		return
	}
	defer os.RemoveAll(tmp)
	extendDeadlines(w)
	body := http.MaxBytesReader(w, r.Body, h.opts.Limits.streamCap())
	if err := Extract(r.Context(), body, tmp, h.opts.Limits); err != nil {
		h.refuseUpload(w, r, fmt.Errorf("output artifact %s of job %s: %w", name, job.ID, err))
		return
	}
	if err := h.replace(tmp, dir); err != nil {
		h.fail(w, r, fmt.Errorf("output artifact %s of job %s: %w", name, job.ID, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// refuseUpload answers the failure of an upload's extraction.
func (h *handler) refuseUpload(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	switch {
	case IsTooLarge(err) || errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, err.Error())
	case errors.Is(err, pipeline.ErrInvalid):
		writeError(w, http.StatusBadRequest, CodeInvalid, err.Error())
	case isReadError(err):
		writeError(w, http.StatusBadRequest, CodeInvalid, "the upload broke off: "+err.Error())
	default:
		h.fail(w, r, err)
	}
}

// replace puts the tree at tmp in the place of dir.
func (h *handler) replace(tmp, dir string) error {
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	h.swap.Lock()
	defer h.swap.Unlock()
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
