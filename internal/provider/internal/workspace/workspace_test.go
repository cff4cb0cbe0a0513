package workspace

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tree describes a directory: path → "content", "->target" for a link, or
// "/" for a directory; with its permission bits.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, _ := d.Info()
		switch {
		case d.IsDir():
			got[rel] = "/"
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			got[rel] = "->" + target
		default:
			b, _ := os.ReadFile(p)
			got[rel] = string(b) + " " + info.Mode().Perm().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(src, "a/b"), 0o755))
	must(t, os.MkdirAll(filepath.Join(src, "empty"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "a/b/run.sh"), []byte("#!/bin/sh"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "ro.txt"), []byte("ro"), 0o444))
	must(t, os.Symlink("a/b/run.sh", filepath.Join(src, "link")))
	dst := filepath.Join(t.TempDir(), "out")
	if err := CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tree(t, src), tree(t, dst)); diff != "" {
		t.Errorf("copy differs (-src +dst):\n%s", diff)
	}
	// Copying again over the read-only copy works.
	if err := CopyFile(filepath.Join(src, "ro.txt"), filepath.Join(dst, "ro.txt")); err != nil {
		t.Errorf("CopyFile over a read-only file: %v", err)
	}
	if !Writable(dst) {
		t.Errorf("Writable(%s) = false", dst)
	}
}

func TestCopyFileSpecial(t *testing.T) {
	if err := CopyFile("/dev/null", filepath.Join(t.TempDir(), "null")); err == nil {
		t.Error("CopyFile copied a device")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
