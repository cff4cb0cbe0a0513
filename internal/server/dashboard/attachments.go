package dashboard

import (
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// digestPattern matches a full SHA-256 digest.
var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// parseDigest checks a digest taken from a URL; anything but
// "sha256:" and 64 lower-case hex digits wraps pipeline.ErrInvalid.
func parseDigest(what, s string) (string, error) {
	if !digestPattern.MatchString(s) {
		return "", fmt.Errorf("%w %s %q: want sha256: and 64 hex digits", pipeline.ErrInvalid, what, s)
	}
	return s, nil
}

// attachment serves a file attached to an image (its SBOM, its scan
// report), read from the image store's OCI layout (blobs/sha256/HEX, as
// the OCI image layout specifies) and checked against its digest while it
// is sent. Only a blob the image lists as an attachment is served.
func (d *Dashboard) attachment(w http.ResponseWriter, r *http.Request, ss *session) {
	digest, err := parseDigest("image", r.PathValue("digest"))
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	ref, err := parseDigest("attachment", r.PathValue("attachment"))
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	im, err := d.cfg.Images.Inspect(r.Context(), digest)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	var att *image.AttachmentInfo
	for i := range im.Attachments {
		if im.Attachments[i].Digest == ref {
			att = &im.Attachments[i]
		}
	}
	if att == nil || !digestPattern.MatchString(att.Blob) {
		d.fail(w, r, ss, fmt.Errorf("attachment %s of image %s: %w", ref, digest, pipeline.ErrNotFound))
		return
	}
	f, err := os.Open(blobPath(d.cfg.Images.LayoutPath(), att.Blob))
	if errors.Is(err, fs.ErrNotExist) {
		d.fail(w, r, ss, fmt.Errorf("attachment %s of image %s: blob %s: %w", ref, digest, att.Blob, pipeline.ErrNotFound))
		return
	}
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", attachmentType(att.MediaType))
	h.Set("Content-Disposition", `attachment; filename="`+downloadName(shortDigest(im.Digest)+"-"+att.Title)+`"`)
	h.Set("Content-Length", strconv.FormatInt(att.Size, 10))
	h.Set("Cache-Control", "no-store")
	if err := copyVerified(w, f, att.Blob, att.Size, make([]byte, 32<<10)); err != nil {
		d.log.Warn("attachment download cut", "image", digest, "attachment", ref, "err", err)
		panic(http.ErrAbortHandler) // the headers are sent: only cutting the response tells the client
	}
}

// blobPath is where an OCI image layout at layout keeps the blob digest
// ("sha256:HEX", checked by the caller).
func blobPath(layout, digest string) string {
	return filepath.Join(layout, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

// attachmentType is the Content-Type an attachment is served with: its
// media type when it is JSON, otherwise plain bytes, so that a browser
// never renders an attachment as a page.
func attachmentType(mediaType string) string {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return mt
	}
	return "application/octet-stream"
}
