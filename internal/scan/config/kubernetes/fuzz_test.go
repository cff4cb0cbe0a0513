package kubernetes

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/secpipe/secpipe/internal/rootfs"
)

// FuzzManifests holds the manifest walker and every check to never
// panicking: any YAML gives results or an error.
func FuzzManifests(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, name := range append(files, more...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range txtar.Parse(data).Files {
			f.Add(file.Data)
		}
	}
	f.Add([]byte("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - &a {name: x, securityContext: *a}\n"))
	f.Add([]byte("a: &a {<<: [*a, *a]}\napiVersion: v1\nkind: List\nitems: [*a, {apiVersion: v1, kind: List, items: []}]\n"))
	checks := Checks()
	f.Fuzz(func(t *testing.T, data []byte) {
		r := rootfs.NewMemRoot([]rootfs.Entry{{Path: "m.yaml", Mode: 0o644, Size: int64(len(data))}},
			map[string][]byte{"m.yaml": data})
		for _, c := range checks {
			rs, err := c.Run(context.Background(), r)
			if err == nil && len(rs) == 0 {
				t.Fatalf("%s: no results and no error", c.ID)
			}
		}
	})
}
