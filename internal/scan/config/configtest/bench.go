package configtest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// SyntheticRoot builds a root of about n entries shaped like a Debian
// image: programs, libraries, documentation, a few setuid programs and
// the account databases, for benchmarks of root-filesystem checks.
func SyntheticRoot(n int) *rootfs.MemRoot {
	passwd := []byte("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n")
	group := []byte("root:x:0:\nshadow:x:42:\nalice:x:1000:\n")
	entries := []rootfs.Entry{
		{Path: "usr/bin", Mode: fs.ModeDir | 0o755}, {Path: "bin", Mode: fs.ModeSymlink | 0o777, Link: "usr/bin"},
		{Path: "etc/passwd", Mode: 0o644, Size: int64(len(passwd))}, {Path: "etc/group", Mode: 0o644, Size: int64(len(group))},
		{Path: "etc/shadow", Mode: 0o640, GID: 42}, {Path: "usr/bin/passwd", Mode: fs.ModeSetuid | 0o755},
		{Path: "usr/sbin/cron", Mode: 0o755}, {Path: "etc/crontab", Mode: 0o644},
		{Path: "home/alice", Mode: fs.ModeDir | 0o750, UID: 1000, GID: 1000}, {Path: "root", Mode: fs.ModeDir | 0o700},
	}
	for i := 0; len(entries) < n; i++ {
		dir := []string{"usr/bin", "usr/lib/x86_64-linux-gnu", "usr/share/doc/pkg%d", "var/log", "etc/pkg%d"}[i%5]
		entries = append(entries, rootfs.Entry{Path: fmt.Sprintf(dir+"/file%d", i/5, i), Mode: 0o644})
	}
	return rootfs.NewMemRoot(entries, map[string][]byte{"etc/passwd": passwd, "etc/group": group})
}

// BenchChecks times running every check over r.
func BenchChecks(b *testing.B, checks []config.Check, r rootfs.Root) {
	r.Entries() // a DirRoot walks on first use; time the checks only
	b.ResetTimer()
	for b.Loop() {
		for _, c := range checks {
			if _, err := c.Run(context.Background(), r); err != nil {
				b.Fatalf("%s: %v", c.ID, err)
			}
		}
	}
}

// BenchRootFS times checks over the unpacked root filesystem named by
// SECPIPE_BENCH_ROOTFS (e.g. the minbase tree scripts/bench-config.sh
// builds); it skips when the variable is unset.
func BenchRootFS(b *testing.B, checks []config.Check) {
	dir := os.Getenv("SECPIPE_BENCH_ROOTFS")
	if dir == "" {
		b.Skip("SECPIPE_BENCH_ROOTFS is not set")
	}
	r, err := rootfs.NewDirRoot(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d entries", len(r.Entries()))
	BenchChecks(b, checks, r)
}

// ReplicatedTree builds a source tree of n files named by pathf (a
// format taking the file's index), cycling through the first file of each
// fixture, and returns it with its total size in bytes.
func ReplicatedTree(b *testing.B, fixtures []string, pathf string, n int) (*rootfs.MemRoot, int) {
	var sources [][]byte
	for _, name := range fixtures {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		sources = append(sources, txtar.Parse(data).Files[0].Data)
	}
	var entries []rootfs.Entry
	contents := map[string][]byte{}
	size := 0
	for i := range n {
		p := fmt.Sprintf(pathf, i)
		data := sources[i%len(sources)]
		entries = append(entries, rootfs.Entry{Path: p, Mode: 0o644, Size: int64(len(data))})
		contents[p] = data
		size += len(data)
	}
	return rootfs.NewMemRoot(entries, contents), size
}

// BenchFreshChecks times running a fresh list of checks (so that a group's
// parse cache starts empty, as in one scan) over r of size bytes.
func BenchFreshChecks(b *testing.B, checks func() []config.Check, r rootfs.Root, size int) {
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		for _, c := range checks() {
			if _, err := c.Run(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
