package config

import (
	"path"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
)

// Limits of the contents a tarball or image load keeps for the checks, so
// that memory follows the size of /etc, not of the image.
const (
	// MaxKeptSize is the largest configuration file whose contents are
	// kept.
	MaxKeptSize = 4 << 20
	// MaxKeptSourceSize is the largest Dockerfile or YAML file kept.
	MaxKeptSourceSize = 1 << 20
)

// KeepContent says which files' contents a tarball or image load keeps for
// the checks (see rootfs.Keep): configuration that checks read (everything under
// etc/, package databases, vendor defaults that etc/ overrides, boot
// configuration, dotfiles of root and users) up to MaxKeptSize, and
// Dockerfiles and YAML files, for source trees packed as tarballs, up to
// MaxKeptSourceSize.
func KeepContent(e rootfs.Entry) bool {
	if e.Size <= MaxKeptSize && configFile(e.Path) {
		return true
	}
	return e.Size <= MaxKeptSourceSize && sourceFile(path.Base(e.Path))
}

func configFile(p string) bool {
	switch p {
	case "var/lib/dpkg/status", "lib/apk/db/installed", "usr/lib/os-release",
		"boot/grub/grub.cfg", "boot/grub2/grub.cfg", "boot/cmdline.txt":
		return true
	}
	for _, prefix := range []string{
		"etc/", "usr/etc/", "usr/share/defaults/etc/",
		"var/lib/dpkg/status.d/", "var/spool/cron/",
		"usr/lib/sysctl.d/", "lib/sysctl.d/", "run/sysctl.d/",
		"usr/lib/tmpfiles.d/", "usr/lib/modprobe.d/", "lib/modprobe.d/",
		"usr/lib/pam.d/", "boot/loader/entries/",
	} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(p, "boot/config-"); ok {
		return !strings.Contains(rest, "/")
	}
	for _, systemd := range []string{"usr/lib/systemd/", "lib/systemd/"} {
		// Units and drop-ins live in subfolders; the programs beside
		// them are not configuration.
		if rest, ok := strings.CutPrefix(p, systemd); ok {
			return strings.Contains(rest, "/")
		}
	}
	return homeDotfile(p)
}

// homeDotfile reports whether p is a dotfile of root's or a user's home
// (root/.profile, home/ann/.bashrc) or inside their .ssh folder.
func homeDotfile(p string) bool {
	var rest string
	switch {
	case strings.HasPrefix(p, "root/"):
		rest = p[len("root/"):]
	case strings.HasPrefix(p, "home/"):
		_, after, ok := strings.Cut(p[len("home/"):], "/")
		if !ok {
			return false
		}
		rest = after
	default:
		return false
	}
	return strings.HasPrefix(rest, ".") && (!strings.Contains(rest, "/") || strings.HasPrefix(rest, ".ssh/"))
}

// sourceFile reports whether a file named base is a Dockerfile or a YAML
// file (Kubernetes manifests, compose files).
func sourceFile(base string) bool {
	lower := strings.ToLower(base)
	return strings.HasPrefix(lower, "dockerfile") || strings.HasPrefix(lower, "containerfile") ||
		strings.HasSuffix(lower, ".dockerfile") || strings.HasSuffix(lower, ".containerfile") ||
		strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml")
}
