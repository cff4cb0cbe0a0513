package dockerfile

import (
	"context"
	"sync"
	"testing"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

func memRoot(path, src string) *rootfs.MemRoot {
	return rootfs.NewMemRoot([]rootfs.Entry{{Path: path, Mode: 0o644, Size: int64(len(src))}}, map[string][]byte{path: []byte(src)})
}

// TestCacheFollowsContents: one list of checks run over trees that differ
// only in a file's contents judges each tree on its own, also when the
// checks run at the same time.
func TestCacheFollowsContents(t *testing.T) {
	roots := []struct {
		root *rootfs.MemRoot
		want config.Status
	}{
		{memRoot("Dockerfile", "FROM alpine:3.20\nUSER app\n"), config.Pass},
		{memRoot("Dockerfile", "FROM alpine:3.20\nUSER root\n"), config.Fail},
		{memRoot("Dockerfile", "FROM alpine:3.20\nUSER app\n"), config.Pass},
	}
	checks := Checks()
	var rootUser config.Check
	for _, c := range checks {
		if c.ID == "dockerfile-root-user" {
			rootUser = c
		}
	}
	for i, tt := range roots {
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Go(func() {
				if _, err := c.Run(context.Background(), tt.root); err != nil {
					t.Errorf("%s: %v", c.ID, err)
				}
			})
		}
		wg.Wait()
		rs, err := rootUser.Run(context.Background(), tt.root)
		if err != nil || len(rs) != 1 || rs[0].Status != tt.want {
			t.Errorf("tree %d: dockerfile-root-user = %+v, %v, want one %s", i, rs, err, tt.want)
		}
	}
}
