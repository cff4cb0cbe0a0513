package kernel

import (
	"cmp"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// kernelConfig is the build configuration of the image's kernel, as
// installed next to it (boot/config-VERSION, or lib/modules/VERSION/config).
type kernelConfig struct {
	// Path is empty when the image has no kernel configuration.
	Path string
	// Options maps CONFIG_ names to their value; "is not set" lines map to "n".
	Options map[string]string
}

// loadKernelConfig reads the configuration of the newest kernel (the last
// by name) the image ships.
func loadKernelConfig(r rootfs.Root) (kernelConfig, error) {
	var paths []string
	for _, pattern := range []string{"boot/config-*", "lib/modules/*/config", "usr/lib/modules/*/config"} {
		for _, e := range rootfs.Glob(r, pattern) {
			if e.Mode.IsRegular() {
				paths = append(paths, e.Path)
			}
		}
	}
	if len(paths) == 0 {
		return kernelConfig{}, nil
	}
	slices.SortFunc(paths, func(a, b string) int { return compareVersions(versionOf(a), versionOf(b)) })
	p := paths[len(paths)-1]
	data, ok, err := readRegular(r, p)
	if err != nil || !ok {
		return kernelConfig{}, err
	}
	return kernelConfig{Path: p, Options: parseKernelConfig(data)}, nil
}

// versionOf extracts the kernel version from a configuration path.
func versionOf(p string) string {
	if rest, ok := strings.CutPrefix(p, "boot/config-"); ok {
		return rest
	}
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(p, "usr/"), "lib/modules/"), "/config")
}

// compareVersions orders kernel versions naturally: runs of digits
// compare as numbers ("6.1.0-10" after "6.1.0-9").
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// parseKernelConfig parses a Kconfig .config: "CONFIG_X=value" lines and
// "# CONFIG_X is not set" comments.
func parseKernelConfig(data []byte) map[string]string {
	opts := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "# "); ok {
			if name, ok := strings.CutSuffix(rest, " is not set"); ok && strings.HasPrefix(name, "CONFIG_") {
				opts[name] = "n"
			}
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "CONFIG_") {
			opts[k] = strings.Trim(v, `"`)
		}
	}
	return opts
}
