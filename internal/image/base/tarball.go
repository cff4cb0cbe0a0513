package base

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// maxZstdWindow bounds the memory a zstd frame may ask for (the window of
// `zstd --long`).
const maxZstdWindow = 1 << 27

// prepareTar unpacks the tarball at file; its digest is the file's.
func prepareTar(ctx context.Context, file, dst string) (Info, error) {
	digest, err := unpackFile(ctx, file, dst)
	if err != nil {
		return Info{}, err
	}
	return Info{Digest: digest, Kind: KindTar}, nil
}

// unpackFile unpacks the tarball at file into dst and returns the file's
// sha256 digest, read in the same pass.
func unpackFile(ctx context.Context, file, dst string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a tarball (refs are busybox, oci:DIR[:TAG], debian:SUITE or a tarball path): %w", file, pipeline.ErrInvalid)
	}
	h := sha256.New()
	src := io.TeeReader(f, h)
	if err := Unpack(ctx, src, dst); err != nil {
		return "", err
	}
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Unpack extracts the tar stream r (plain, gzip or zstd, told apart by
// their first bytes) into the existing directory dst; see Prepare for
// what it rejects and keeps. It reads r to its end.
func Unpack(ctx context.Context, r io.Reader, dst string) error {
	br := bufio.NewReaderSize(r, 256<<10)
	magic, _ := br.Peek(10)
	var src io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		src = zr
	case bytes.HasPrefix(magic, []byte("BZh")), bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return fmt.Errorf("bzip2 and xz tarballs are not supported; decompress it or use gzip or zstd: %w", pipeline.ErrInvalid)
	}
	if err := extract(ctx, src, dst); err != nil {
		return err
	}
	// A compressed stream checks its checksum at its very end.
	if _, err := io.Copy(io.Discard, src); err != nil {
		return fmt.Errorf("after the last entry: %w", err)
	}
	return nil
}
