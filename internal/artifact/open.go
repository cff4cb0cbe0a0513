package artifact

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// OpenBlob opens the contents of one regular file of an artifact by the
// file's digest (Entry.Digest), so that a caller can stream a tree (as a
// tar archive, say) without extracting it. The caller closes the reader.
// OpenBlob does not check the contents against the digest: a caller that
// must detect a damaged store hashes what it reads, as Extract does. A
// malformed digest wraps pipeline.ErrInvalid, a blob the store lacks
// pipeline.ErrNotFound.
func (s *Store) OpenBlob(digest string) (io.ReadCloser, error) {
	h, err := parseDigest(digest)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	f, err := os.Open(s.blobPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", digest, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", digest, err)
	}
	return f, nil
}
