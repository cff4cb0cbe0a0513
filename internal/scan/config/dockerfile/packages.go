package dockerfile

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// packageChecks are about how package managers are used in RUN.
func packageChecks(c *cache) []config.Check {
	return []config.Check{
		cis(check("dockerfile-apt-no-install-recommends", "apt installs without recommended packages", pipeline.SeverityLow,
			"apt-get install pulls in recommended packages by default: more software in the image means more vulnerabilities to patch and more tools for an attacker, for nothing the application asked for.",
			"Add --no-install-recommends to every apt-get install and name the packages the image really needs.",
			perInstr(c, "no apt-get install", aptRecommends)), "Ensure that unnecessary packages are not installed in the container"),
		check("dockerfile-apt-lists-cleanup", "apt package lists are removed in the same RUN", pipeline.SeverityLow,
			"The package lists apt-get update downloads stay in the layer unless the same RUN removes them: the image grows by tens of megabytes and carries stale metadata.",
			"End the RUN that installs with && rm -rf /var/lib/apt/lists/*, or mount a cache there (RUN --mount=type=cache,target=/var/lib/apt/lists).",
			perInstr(c, "no apt-get install", aptListsCleanup)),
		check("dockerfile-apt-upgrade", "RUN does not upgrade all packages", pipeline.SeverityInfo,
			"apt-get upgrade and dist-upgrade inside a build make the image's contents depend on the day it was built and hide which versions it holds; fixes belong in the base image.",
			"Build from a newer base image tag (or digest) instead of upgrading in the Dockerfile; upgrade single packages by name with a pinned version if you must.",
			perInstr(c, "no apt-get", aptUpgrade)),
		cis(check("dockerfile-apt-get-update-alone", "apt-get update shares its RUN with apt-get install", pipeline.SeverityLow,
			"A RUN with only apt-get update is cached on its own: later builds reuse the old package lists with new install lines and install outdated packages, or fail.",
			"Combine them: RUN apt-get update && apt-get install -y --no-install-recommends PKG && rm -rf /var/lib/apt/lists/*.",
			perInstr(c, "no apt-get update", aptUpdateAlone)), "Ensure update instructions are not used alone in Dockerfiles"),
		check("dockerfile-apk-no-cache", "apk add uses --no-cache", pipeline.SeverityLow,
			"apk add without --no-cache leaves the package index in /var/cache/apk, which grows the layer and carries stale metadata.",
			"Use apk add --no-cache PKG (no apk update needed), or remove /var/cache/apk/* in the same RUN.",
			perInstr(c, "no apk add", apkNoCache)),
		check("dockerfile-pip-no-cache", "pip install does not keep its cache", pipeline.SeverityLow,
			"pip keeps downloaded wheels in ~/.cache/pip: the layer grows by the size of every package installed, for nothing the image uses.",
			"Use pip install --no-cache-dir, set ENV PIP_NO_CACHE_DIR=1, or mount a cache (RUN --mount=type=cache,target=/root/.cache/pip).",
			perInstr(c, "no pip install", pipNoCache)),
		check("dockerfile-yum-clean", "yum and dnf caches are cleaned in the same RUN", pipeline.SeverityLow,
			"yum and dnf keep metadata and packages under /var/cache: unless the same RUN cleans them, the layer carries them for good.",
			"End the RUN with && yum clean all (dnf clean all, microdnf clean all), or mount a cache on /var/cache/yum or /var/cache/dnf.",
			perInstr(c, "no yum or dnf install", yumClean)),
	}
}

// subcommand returns the first argument that is not an option nor the
// value of one of the valued options.
func subcommand(args []string, valued map[string]bool) (string, int) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case valued[a]:
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a, i
		}
	}
	return "", -1
}

var aptValued = map[string]bool{"-o": true, "-c": true, "-t": true, "--option": true, "--config-file": true, "--target-release": true}

// aptCmd reports an apt-get or apt command and its subcommand.
func aptCmd(c shellCmd) (name, sub string, args []string) {
	name, args = program(c.words)
	if name != "apt-get" && name != "apt" {
		return "", "", nil
	}
	sub, _ = subcommand(args, aptValued)
	return name, sub, args
}

// mounts returns the --mount options of a RUN as key/value maps.
func mounts(in *instr) []map[string]string {
	var out []map[string]string
	for _, f := range in.flags {
		spec, ok := strings.CutPrefix(f, "--mount=")
		if !ok {
			continue
		}
		m := map[string]string{}
		for _, kv := range strings.Split(spec, ",") {
			k, v, _ := strings.Cut(kv, "=")
			m[strings.ToLower(k)] = v
		}
		out = append(out, m)
	}
	return out
}

// cached reports whether a cache or tmpfs mount of the RUN covers one of
// the directories, so what is written there stays out of the layer.
func cached(in *instr, dirs ...string) bool {
	for _, m := range mounts(in) {
		if m["type"] != "cache" && m["type"] != "tmpfs" {
			continue
		}
		target := m["target"]
		for _, alias := range []string{"dst", "destination"} {
			if target == "" {
				target = m[alias]
			}
		}
		for _, d := range dirs {
			if within(d, target) {
				return true
			}
		}
	}
	return false
}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	dir = path.Clean(strings.ReplaceAll(dir, "~", "/root"))
	return dir != "." && (p == dir || strings.HasPrefix(p, dir+"/") || dir == "/")
}

// removes reports whether a command of cmds deletes one of the
// directories (or its contents, as rm -rf /var/lib/apt/lists/* does).
func removes(cmds []shellCmd, dirs ...string) bool {
	for _, c := range cmds {
		name, args := program(c.words)
		if name != "rm" {
			continue
		}
		for _, a := range args {
			a = strings.TrimSuffix(strings.TrimSuffix(a, "*"), "/")
			for _, d := range dirs {
				if strings.HasPrefix(a, "/") || strings.HasPrefix(a, "~") {
					if within(d, a) {
						return true
					}
				}
			}
		}
	}
	return false
}

func aptRecommends(_ *file, _ *stage, in *instr) (config.Status, string) {
	var status config.Status
	var msg string
	for _, c := range runCmds(in) {
		name, sub, args := aptCmd(c)
		if sub != "install" {
			continue
		}
		if !noRecommends(args) {
			return config.Fail, fmt.Sprintf("%s install without --no-install-recommends", name)
		}
		status, msg = config.Pass, fmt.Sprintf("%s install --no-install-recommends", name)
	}
	return status, msg
}

var recommendsOff = regexp.MustCompile(`(?i)^(?:-o)?APT::Install-Recommends=["']?(?:false|0|no|off)["']?$`)

func noRecommends(args []string) bool {
	return slices.Contains(args, "--no-install-recommends") || slices.ContainsFunc(args, recommendsOff.MatchString)
}

func aptListsCleanup(_ *file, _ *stage, in *instr) (config.Status, string) {
	cmds := runCmds(in)
	for _, c := range cmds {
		name, sub, _ := aptCmd(c)
		if sub != "install" {
			continue
		}
		if removes(cmds, "/var/lib/apt/lists") || cached(in, "/var/lib/apt/lists") {
			return config.Pass, fmt.Sprintf("%s install removes or caches /var/lib/apt/lists", name)
		}
		return config.Fail, fmt.Sprintf("%s install without rm -rf /var/lib/apt/lists/* in the same RUN", name)
	}
	return 0, ""
}

func aptUpgrade(_ *file, _ *stage, in *instr) (config.Status, string) {
	var status config.Status
	var msg string
	for _, c := range runCmds(in) {
		name, sub, _ := aptCmd(c)
		switch sub {
		case "":
			continue
		case "upgrade", "dist-upgrade", "full-upgrade":
			return config.Fail, fmt.Sprintf("%s %s upgrades every package", name, sub)
		}
		status, msg = config.Pass, fmt.Sprintf("%s without upgrade", name)
	}
	return status, msg
}

func aptUpdateAlone(_ *file, _ *stage, in *instr) (config.Status, string) {
	updated := ""
	for _, c := range runCmds(in) {
		name, sub, _ := aptCmd(c)
		switch {
		case sub == "update":
			updated = name
		case updated != "" && (sub == "install" || sub == "upgrade" || sub == "dist-upgrade" || sub == "full-upgrade" || sub == "build-dep"):
			return config.Pass, fmt.Sprintf("%s update is followed by %s %s in the same RUN", updated, name, sub)
		}
	}
	if updated == "" {
		return 0, ""
	}
	return config.Fail, fmt.Sprintf("%s update without an install in the same RUN", updated)
}

func apkNoCache(_ *file, _ *stage, in *instr) (config.Status, string) {
	cmds := runCmds(in)
	for _, c := range cmds {
		name, args := program(c.words)
		if sub, _ := subcommand(args, map[string]bool{"-X": true, "--repository": true, "-p": true, "--root": true}); name != "apk" || sub != "add" {
			continue
		}
		switch {
		case slices.Contains(args, "--no-cache"):
			return config.Pass, "apk add --no-cache"
		case removes(cmds, "/var/cache/apk") || cached(in, "/var/cache/apk", "/etc/apk/cache"):
			return config.Pass, "apk add removes or caches /var/cache/apk"
		}
		return config.Fail, "apk add without --no-cache"
	}
	return 0, ""
}

var (
	pipName    = regexp.MustCompile(`^pip[0-9.]*$`)
	pythonName = regexp.MustCompile(`^python[0-9.]*$`)
	pipValued  = map[string]bool{"--proxy": true, "--log": true, "--cache-dir": true, "--timeout": true, "--retries": true, "--cert": true, "--client-cert": true, "--python": true}
)

// pipArgs returns the arguments of a pip command (pip, pip3, python -m pip).
func pipArgs(c shellCmd) ([]string, bool) {
	name, args := program(c.words)
	switch {
	case pipName.MatchString(name):
		return args, true
	case pythonName.MatchString(name):
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-m" && args[i+1] == "pip" {
				return args[i+2:], true
			}
		}
	}
	return nil, false
}

func pipNoCache(f *file, st *stage, in *instr) (config.Status, string) {
	cmds := runCmds(in)
	for _, c := range cmds {
		args, ok := pipArgs(c)
		if sub, _ := subcommand(args, pipValued); !ok || sub != "install" {
			continue
		}
		_, envOff := f.env(st, in)["PIP_NO_CACHE_DIR"]
		switch {
		case slices.Contains(args, "--no-cache-dir"):
			return config.Pass, "pip install --no-cache-dir"
		case envOff:
			return config.Pass, "pip install with PIP_NO_CACHE_DIR set"
		case removes(cmds, "/root/.cache/pip") || cached(in, "/root/.cache/pip"):
			return config.Pass, "pip install removes or caches ~/.cache/pip"
		}
		return config.Fail, "pip install without --no-cache-dir"
	}
	return 0, ""
}

var rpmManagers = map[string]bool{"yum": true, "dnf": true, "microdnf": true, "tdnf": true}

func yumClean(_ *file, _ *stage, in *instr) (config.Status, string) {
	cmds := runCmds(in)
	installer, cleaned := "", false
	for _, c := range cmds {
		name, args := program(c.words)
		if !rpmManagers[name] {
			continue
		}
		switch sub, i := subcommand(args, map[string]bool{"-c": true, "--config": true, "--installroot": true}); sub {
		case "install", "update", "upgrade", "groupinstall", "reinstall", "localinstall":
			installer = name
		case "clean":
			cleaned = cleaned || slices.Contains(args[i+1:], "all")
		}
	}
	switch {
	case installer == "":
		return 0, ""
	case cleaned || removes(cmds, "/var/cache/yum", "/var/cache/dnf") || cached(in, "/var/cache/yum", "/var/cache/dnf"):
		return config.Pass, fmt.Sprintf("%s cache cleaned in the same RUN", installer)
	}
	return config.Fail, fmt.Sprintf("%s install without %s clean all in the same RUN", installer, installer)
}
