package kubernetes

import (
	"context"
	"crypto/sha256"
	"sync"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// tree is what the checks look at in a source tree: the manifests that
// parsed and the workloads among their objects, and the outcome of
// parsing each candidate file in path order, which only kubernetes-parse
// reports: Pass for a file of objects, Fail for one that does not parse,
// NotApplicable for a Helm template or a file skipped.
type tree struct {
	m      *manifests
	ws     []*workload
	parsed []config.Result
}

// cache remembers the last source tree the checks of one Checks() list
// loaded, so that running them all parses each manifest once. A tree is
// the same when its manifests have the same paths and contents. The cache
// keeps parsed objects, never the Root, and only the last tree. It is
// safe for concurrent use; what it returns is never modified.
type cache struct {
	mu   sync.Mutex
	key  [sha256.Size]byte
	last *tree
}

// load reads and parses the manifests of r and finds their workloads.
func (c *cache) load(ctx context.Context, r rootfs.Root) (*tree, error) {
	srcs, key, err := readSources(ctx, r)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && c.key == key {
		return c.last, nil
	}
	c.key, c.last = key, parseSources(srcs)
	return c.last, nil
}
