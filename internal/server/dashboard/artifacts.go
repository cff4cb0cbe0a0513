package dashboard

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/secpipe/secpipe/internal/artifact"
	"github.com/secpipe/secpipe/internal/engine"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// artifactView is an artifact of the execution page.
type artifactView struct {
	engine.ArtifactInfo
	// Files and Size count the artifact's regular files and their bytes;
	// Known is false when the artifact store was not read (none
	// configured) and Missing when it no longer holds the artifact.
	Files   int
	Size    int64
	Known   bool
	Missing bool
	// Download is the URL of its tar.gz, empty when not offered.
	Download string
}

// artifactViews lists the artifacts of execution id with their sizes;
// download links are made when download is set.
func (d *Dashboard) artifactViews(ctx context.Context, id string, download bool) ([]artifactView, error) {
	arts, err := d.cfg.Engine.Artifacts(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]artifactView, 0, len(arts))
	for _, a := range arts {
		v := artifactView{ArtifactInfo: a}
		if d.cfg.Artifacts != nil {
			entries, err := d.cfg.Artifacts.List(a.Digest)
			switch {
			case errors.Is(err, pipeline.ErrNotFound):
				v.Missing = true
			case err != nil:
				return nil, fmt.Errorf("artifact %s: %w", a.Name, err)
			default:
				v.Known = true
				for _, e := range entries {
					if e.Mode.IsRegular() {
						v.Files++
						v.Size += e.Size
					}
				}
				if download {
					v.Download = "/executions/" + url.PathEscape(id) + "/artifacts/" + url.PathEscape(a.Name)
				}
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// downloadArtifact streams an artifact of an execution as a gzip-compressed
// tar archive. Every file is checked against its digest while it is sent;
// a damaged store aborts the response, so that the client sees a broken
// download rather than a wrong file.
func (d *Dashboard) downloadArtifact(w http.ResponseWriter, r *http.Request, ss *session) {
	if d.cfg.Artifacts == nil {
		d.refuse(w, r, ss, http.StatusNotFound, "This server does not offer artifact downloads.")
		return
	}
	x, err := d.execution(r)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	name := r.PathValue("name")
	arts, err := d.cfg.Engine.Artifacts(r.Context(), x.ID)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	var found *engine.ArtifactInfo
	for i := range arts {
		if arts[i].Name == name {
			found = &arts[i]
		}
	}
	if found == nil {
		d.fail(w, r, ss, fmt.Errorf("artifact %q of %s: %w", name, x.ID, pipeline.ErrNotFound))
		return
	}
	entries, err := d.cfg.Artifacts.List(found.Digest)
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Disposition", `attachment; filename="`+downloadName(x.ID+"-"+name)+`.tar.gz"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	mtime := actionFinished(x, found.Stage, found.Action)
	// A large artifact takes longer than the server's write timeout for
	// pages; the download gets an hour.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
	if err := writeTarGz(r.Context(), w, d.cfg.Artifacts, entries, mtime); err != nil {
		d.log.Warn("artifact download cut", "execution", x.ID, "artifact", name, "err", err)
		panic(http.ErrAbortHandler) // the headers are sent: only cutting the response tells the client
	}
	d.log.Info("artifact downloaded", "execution", x.ID, "artifact", name, "by", ss.principal.Name)
}

// actionFinished is when the action stage.action of x finished, the time
// the archive gives its entries; the Unix epoch when unknown.
func actionFinished(x engine.ExecutionInfo, stage, action string) time.Time {
	for _, st := range x.Stages {
		for _, a := range st.Actions {
			if a.Stage == stage && a.Action == action && !a.Finished.IsZero() {
				return a.Finished.UTC().Truncate(time.Second)
			}
		}
	}
	return time.Unix(0, 0).UTC()
}

// unsafeName matches what a download's file name may not hold.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// downloadName makes s a plain file name for Content-Disposition.
func downloadName(s string) string {
	s = strings.Trim(unsafeName.ReplaceAllString(s, "_"), "._")
	if s == "" {
		return "artifact"
	}
	return s
}

// writeTarGz writes entries as a gzip-compressed tar archive to w, reading
// file contents from arts and checking each against its digest and size.
func writeTarGz(ctx context.Context, w io.Writer, arts Artifacts, entries []artifact.Entry, mtime time.Time) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	buf := make([]byte, 32<<10)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeEntry(tw, arts, e, mtime, buf); err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// writeEntry writes one entry (and a file's checked contents) to tw.
func writeEntry(tw *tar.Writer, arts Artifacts, e artifact.Entry, mtime time.Time, buf []byte) error {
	hdr := &tar.Header{Name: e.Path, Mode: int64(e.Mode.Perm()), ModTime: mtime, Format: tar.FormatPAX}
	switch {
	case e.Mode.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, e.Path+"/"
	case e.Mode&fs.ModeSymlink != 0:
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, e.Link, 0o777
	default:
		hdr.Typeflag, hdr.Size = tar.TypeReg, e.Size
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeReg {
		return nil
	}
	rc, err := arts.OpenBlob(e.Digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	return copyVerified(tw, rc, e.Digest, e.Size, buf)
}

// copyVerified copies exactly size bytes from r to w and checks that they
// hash to digest ("sha256:HEX"); a short, long or different blob is an
// error (after part of it was written: callers abort what they send).
func copyVerified(w io.Writer, r io.Reader, digest string, size int64, buf []byte) error {
	want, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return fmt.Errorf("%w digest %q", pipeline.ErrInvalid, digest)
	}
	hs := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, hs), io.LimitReader(r, size), buf)
	if err != nil {
		return err
	}
	extra, _ := r.Read(buf[:1])
	if got := hex.EncodeToString(hs.Sum(nil)); n != size || extra != 0 || got != want {
		return fmt.Errorf("blob %s is damaged: %d bytes (want %d) hashing to sha256:%s", digest, n, size, got)
	}
	return nil
}
