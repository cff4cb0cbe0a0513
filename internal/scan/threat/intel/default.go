package intel

import (
	"bytes"
	"embed"
	"fmt"
)

//go:embed default/c2.txt default/mining.txt
var defaultFiles embed.FS

// Default returns secpipe's own small lists, named "default": GuardDuty's
// public C&C test domain (category c2) and well-known public mining pools
// (category mining). They are test and well-known entries, not a threat
// feed. Each call parses fresh copies; the embedded files are checked by the
// tests, so a parse failure is a build defect and panics.
func Default() []*List {
	files := []struct {
		file     string
		category Category
	}{
		{"default/c2.txt", CategoryC2},
		{"default/mining.txt", CategoryMining},
	}
	lists := make([]*List, 0, len(files))
	for _, d := range files {
		b, err := defaultFiles.ReadFile(d.file)
		if err != nil {
			panic(fmt.Sprintf("intel: embedded list %s: %v", d.file, err))
		}
		l, err := Parse("default", bytes.NewReader(b), d.category)
		if err != nil {
			panic(fmt.Sprintf("intel: embedded list %s: %v", d.file, err))
		}
		lists = append(lists, l)
	}
	return lists
}
