package jobhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/jobapi"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// DownloadInputs downloads every input artifact of job, which the caller
// holds (polled, and perhaps acknowledged, with job.Nonce), into
// dir/NAME, replacing what is there, and returns those directories by
// artifact name. A broken transfer is retried. An artifact name that is
// not a plain file name, or a location that is not a path on the server,
// wraps pipeline.ErrInvalid; so does a refused archive (see Extract).
func (c *Client) DownloadInputs(ctx context.Context, job jobapi.Job, dir string) (map[string]string, error) {
	out := make(map[string]string, len(job.InputArtifacts))
	for _, name := range slices.Sorted(maps.Keys(job.InputArtifacts)) {
		target, u, err := c.transfer(job, name, job.InputArtifacts[name], dir)
		if err != nil {
			return nil, err
		}
		err = c.retry(ctx, "download input "+name, c.opts.Attempts, func(ctx context.Context) (bool, error) {
			return c.download(ctx, job, u, target)
		})
		if err != nil {
			return nil, fmt.Errorf("download input artifact %s of job %s: %w", name, job.ID, err)
		}
		out[name] = target
	}
	return out, nil
}

func (c *Client) download(ctx context.Context, job jobapi.Job, u, target string) (bool, error) {
	if err := os.RemoveAll(target); err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set(NonceHeader, job.Nonce)
	req.Header.Set("Accept", ArchiveType)
	resp, err := c.do(req)
	if err != nil {
		return true, err
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		se := statusError(resp)
		return se.retryable(), se
	}
	err = Extract(ctx, resp.Body, target, c.opts.Limits)
	return isReadError(err), err
}

// UploadOutputs uploads dir/NAME as every output artifact NAME of job,
// which the caller has acknowledged (an empty tree when the directory
// does not exist). A broken transfer is retried; the server replaces the
// artifact whole, so a repeated upload is harmless. Errors as
// DownloadInputs; a file that cannot go in an archive (a socket, a
// device) wraps pipeline.ErrInvalid.
func (c *Client) UploadOutputs(ctx context.Context, job jobapi.Job, dir string) error {
	for _, name := range slices.Sorted(maps.Keys(job.OutputArtifacts)) {
		src, u, err := c.transfer(job, name, job.OutputArtifacts[name], dir)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		err = c.retry(ctx, "upload output "+name, c.opts.Attempts, func(ctx context.Context) (bool, error) {
			return c.upload(ctx, job, u, src)
		})
		if err != nil {
			return fmt.Errorf("upload output artifact %s of job %s: %w", name, job.ID, err)
		}
	}
	return nil
}

// errUploadDone stops the archive writer of an upload that ended.
var errUploadDone = errors.New("upload ended")

func (c *Client) upload(ctx context.Context, job jobapi.Job, u, src string) (bool, error) {
	pr, pw := io.Pipe()
	archived := make(chan error, 1)
	go func() {
		err := WriteArchive(ctx, pw, src)
		pw.CloseWithError(err)
		archived <- err
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, pr)
	if err != nil {
		pr.CloseWithError(errUploadDone)
		<-archived
		return false, err
	}
	req.Header.Set(NonceHeader, job.Nonce)
	req.Header.Set("Content-Type", ArchiveType)
	resp, err := c.do(req)
	pr.CloseWithError(errUploadDone)
	if werr := <-archived; werr != nil && !errors.Is(werr, errUploadDone) && !errors.Is(werr, io.ErrClosedPipe) {
		if resp != nil {
			drain(resp)
		}
		return false, werr
	}
	if err != nil {
		return true, err
	}
	defer drain(resp)
	if resp.StatusCode >= 300 {
		se := statusError(resp)
		return se.retryable(), se
	}
	return false, nil
}

// transfer checks an artifact's name and location and returns the local
// path dir/name and the artifact's absolute URL.
func (c *Client) transfer(job jobapi.Job, name, loc, dir string) (string, string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return "", "", fmt.Errorf("%w job %s: artifact name %q is not a plain file name", pipeline.ErrInvalid, job.ID, name)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, PathPrefix) || u.RawQuery != "" {
		// Never send the token anywhere but the server.
		return "", "", fmt.Errorf("%w job %s: artifact %s: location %q is not a job API path", pipeline.ErrInvalid, job.ID, name, loc)
	}
	abs := *c.base
	abs.Path, abs.RawPath = c.base.Path+u.Path, c.base.EscapedPath()+u.EscapedPath()
	return filepath.Join(dir, name), abs.String(), nil
}
