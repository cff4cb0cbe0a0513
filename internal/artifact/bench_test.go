package artifact

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// benchTree returns a tree of n small files (about 2 KiB each, all
// different) in 20 directories.
func benchTree(b *testing.B, n int) []file {
	b.Helper()
	files := make([]file, 0, n)
	for i := range n {
		files = append(files, file{
			path: fmt.Sprintf("dir%02d/file%04d.txt", i%20, i),
			data: strings.Repeat(fmt.Sprintf("line %d of a benchmark file\n", i), 64),
		})
	}
	return files
}

// BenchmarkPut stores a 1,000-file tree into an empty store each time.
func BenchmarkPut(b *testing.B) {
	src := writeTree(b, benchTree(b, 1000))
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(filepath.Join(b.TempDir(), "artifacts"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.Put(ctx, src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutUnchanged stores a 1,000-file tree the store already holds,
// as a rerun of an unchanged action does.
func BenchmarkPutUnchanged(b *testing.B) {
	src := writeTree(b, benchTree(b, 1000))
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "artifacts"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Put(ctx, src); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Put(ctx, src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtract recreates a 1,000-file tree in a fresh directory.
func BenchmarkExtract(b *testing.B) {
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "artifacts"))
	if err != nil {
		b.Fatal(err)
	}
	digest, err := s.Put(ctx, writeTree(b, benchTree(b, 1000)))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		dst := filepath.Join(b.TempDir(), "out")
		b.StartTimer()
		if err := s.Extract(ctx, digest, dst); err != nil {
			b.Fatal(err)
		}
	}
}
