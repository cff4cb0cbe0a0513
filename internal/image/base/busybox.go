package base

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// defaultBusybox is where Debian's busybox-static installs busybox.
const defaultBusybox = "/bin/busybox"

// busyboxVersion finds the version in busybox's banner
// ("BusyBox v1.35.0 (Debian 1:1.35.0-4) multi-call binary.").
var busyboxVersion = regexp.MustCompile(`BusyBox v([0-9][^ ]*)`)

// The directories of a busybox root, with their modes.
var busyboxDirs = []struct {
	name string
	mode os.FileMode
}{
	{"bin", 0o755}, {"sbin", 0o755}, {"usr/bin", 0o755}, {"usr/sbin", 0o755}, {"etc", 0o755},
	{"proc", 0o555}, {"sys", 0o555}, {"dev", 0o755}, {"root", 0o700}, {"tmp", os.ModeSticky | 0o777}, {"var/tmp", os.ModeSticky | 0o777},
}

// busyboxFiles are the /etc files of a busybox root; %s is the version.
const (
	busyboxPasswd    = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	busyboxGroup     = "root:x:0:\nnogroup:x:65534:\n"
	busyboxOSRelease = "NAME=\"BusyBox\"\nID=busybox\nVERSION_ID=%s\nPRETTY_NAME=\"BusyBox v%s\"\n"
)

// prepareBusybox assembles a tiny root around the host's static busybox.
func prepareBusybox(ctx context.Context, dst string, opts Options) (Info, error) {
	bin := opts.Busybox
	if bin == "" {
		bin = defaultBusybox
	}
	if err := checkStatic(bin); err != nil {
		return Info{}, err
	}
	for _, d := range busyboxDirs {
		p := filepath.Join(dst, d.name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return Info{}, err
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return Info{}, err
		}
	}
	digest, err := copyFile(bin, filepath.Join(dst, "bin", "busybox"), 0o755)
	if err != nil {
		return Info{}, err
	}
	if err := busyboxLinks(ctx, bin, dst); err != nil {
		return Info{}, err
	}
	version, err := busyboxBanner(ctx, bin)
	if err != nil {
		return Info{}, err
	}
	files := map[string]string{
		"etc/passwd":     busyboxPasswd,
		"etc/group":      busyboxGroup,
		"etc/os-release": fmt.Sprintf(busyboxOSRelease, version, version),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dst, name), []byte(text), 0o644); err != nil {
			return Info{}, err
		}
	}
	return Info{Digest: digest, Kind: KindBusybox}, nil
}

// checkStatic makes sure bin exists and needs no dynamic loader, as a
// root holding nothing else requires.
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if os.IsNotExist(err) {
		return missingTool{msg: fmt.Sprintf("busybox-static is not installed (no %s): apt-get install busybox-static", bin)}
	}
	if err != nil {
		return fmt.Errorf("busybox %s: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return missingTool{msg: fmt.Sprintf("%s is dynamically linked: apt-get install busybox-static", bin)}
		}
	}
	return nil
}

// copyFile copies src to dst with mode and returns src's sha256 digest.
func copyFile(src, dst string, mode os.FileMode) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// busyboxLinks links every applet busybox lists (`--list-full`: paths
// such as usr/bin/env) to /bin/busybox with a relative symlink.
func busyboxLinks(ctx context.Context, bin, dst string) error {
	out, err := exec.CommandContext(ctx, bin, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("%s --list-full: %w", bin, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name := path.Clean(strings.TrimSpace(sc.Text()))
		if name == "." || name == "bin/busybox" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "..") {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dst, path.Dir(name)), 0o755); err != nil {
			return err
		}
		target, err := filepath.Rel(path.Dir(name), "bin/busybox")
		if err != nil {
			return err
		}
		if err := os.Symlink(target, filepath.Join(dst, name)); err != nil && !os.IsExist(err) {
			return err
		}
	}
	return sc.Err()
}

// busyboxBanner returns the version busybox prints in its banner.
func busyboxBanner(ctx context.Context, bin string) (string, error) {
	out, _ := exec.CommandContext(ctx, bin).CombinedOutput() // some builds exit 1 after the usage text
	m := busyboxVersion.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s: no version in its banner", bin)
	}
	return string(m[1]), nil
}
