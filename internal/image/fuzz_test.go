package image

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadCatalogue checks that no catalogue.json, however corrupt, makes
// loading or rendering index.json panic.
func FuzzLoadCatalogue(f *testing.F) {
	d := "sha256:" + "ab" + "0000000000000000000000000000000000000000000000000000000000000000"[2:]
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"images":{"` + d + `":{"name":"a","digest":"` + d + `"}},"names":{"a":["` + d + `"]},` +
		`"channels":{"a":{"prod":"` + d + `"}}}`))
	f.Add([]byte(`{"version":1,"images":{"x":{"name":"a","digest":"x"}}}`))
	f.Add([]byte(`{"version":1,"names":{"a":["sha256:00"]}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "catalogue.json")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := loadCatalogue(file)
		if err != nil {
			return
		}
		c.index()
		for name := range c.Names {
			c.resolve(name)
			c.resolve(name + "@prod")
		}
	})
}
