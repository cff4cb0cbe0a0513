package system

import (
	"fmt"
	"strings"
)

// parseApkInstalled parses apk's installed database (lib/apk/db/installed):
// blocks of "K:value" lines separated by blank lines, where P is the
// package name, V its version and o its origin. Errors name the line.
func parseApkInstalled(data []byte) ([]Package, error) {
	var out []Package
	var cur *Package
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			if cur != nil && cur.Name == "" {
				return nil, fmt.Errorf("line %d: package entry without a P: line", cur.Line)
			}
			cur = nil
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, fmt.Errorf("line %d: want \"K:value\", got %q", n, clip(line))
		}
		if cur == nil {
			out = append(out, Package{Line: n})
			cur = &out[len(out)-1]
		}
		switch v := line[2:]; line[0] {
		case 'P':
			cur.Name, cur.Line = v, n
		case 'V':
			cur.Version = v
		case 'o':
			cur.Source = v
		}
	}
	if cur != nil && cur.Name == "" {
		return nil, fmt.Errorf("line %d: package entry without a P: line", cur.Line)
	}
	return out, nil
}
