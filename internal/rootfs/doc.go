// Package rootfs reads scan targets as read-only file trees: a directory
// (an unpacked root filesystem or a source tree), a root filesystem tarball
// (plain, gzip or zstd) or an OCI image layout flattened in memory. Every
// scanner that looks at files through a Root (configuration checks, the
// package inventory) sees the same tree the same way: paths relative to the
// root, symlinks resolved inside it and never out of it, entries with their
// mode and owner.
//
// Tarballs and images are loaded in one pass; only the files a Keep
// function asks for keep their contents, so memory follows what the
// scanners read rather than the size of the image.
package rootfs
