package kubernetes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/secpipe/secpipe/internal/scan/config"
)

// BenchmarkChecks runs every check over a tree of 100 manifest files of
// real-world shape (two or three documents each), as one scan does.
func BenchmarkChecks(b *testing.B) {
	var sources [][]byte
	for _, name := range []string{"realworld-helm-rendered.txtar", "realworld-hardened.txtar"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		sources = append(sources, txtar.Parse(data).Files[0].Data)
	}
	var entries []config.Entry
	contents := map[string][]byte{}
	size := 0
	for i := range 100 {
		p := fmt.Sprintf("deploy/app%03d.yaml", i)
		data := sources[i%len(sources)]
		entries = append(entries, config.Entry{Path: p, Mode: 0o644, Size: int64(len(data))})
		contents[p] = data
		size += len(data)
	}
	r := config.NewMemRoot(entries, contents)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		for _, c := range Checks() { // a fresh list: one parse per file
			if _, err := c.Run(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
