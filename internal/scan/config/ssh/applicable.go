package ssh

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

const dpkgStatus = "var/lib/dpkg/status"

// server is what the SSH checks evaluate: the parsed configuration and
// why the image counts as running an SSH server.
type server struct {
	cfg *sshdConfig
	// source names the evidence of an SSH server when sshd_config is absent
	// ("openssh-server installed per var/lib/dpkg/status").
	source string
}

// loadServer parses the SSH server configuration of r. It returns nil
// (and no error) when r holds no SSH server: no sshd_config, no sshd
// binary and no installed openssh-server package.
func loadServer(r rootfs.Root) (*server, error) {
	cfg, err := loadSSHD(r)
	if err != nil {
		return nil, err
	}
	if cfg.Present {
		return &server{cfg: cfg}, nil
	}
	for _, b := range [...]string{"usr/sbin/sshd", "sbin/sshd"} {
		if rootfs.Exists(r, b) {
			return &server{cfg: cfg, source: b + " present"}, nil
		}
	}
	data, err := r.ReadFile(dpkgStatus)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dpkgStatus, err)
	}
	if dpkgInstalled(data, "openssh-server") {
		return &server{cfg: cfg, source: "openssh-server installed per " + dpkgStatus}, nil
	}
	return nil, nil
}

// notApplicable is the single result of an SSH check on an image without
// an SSH server.
func notApplicable() []config.Result {
	return []config.Result{{
		Status:  config.NotApplicable,
		Message: "no SSH server: no etc/ssh/sshd_config, no sshd binary, openssh-server not installed",
	}}
}

// dpkgInstalled reports whether the dpkg status database data lists pkg
// with status "installed". Stanzas are separated by blank lines; field
// names are case-insensitive.
func dpkgInstalled(data []byte, pkg string) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var name, status string
	for {
		more := sc.Scan()
		line := sc.Text()
		if !more || strings.TrimSpace(line) == "" {
			if name == pkg && isInstalled(status) {
				return true
			}
			name, status = "", ""
			if !more {
				return false
			}
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		switch strings.ToLower(key) {
		case "package":
			name = strings.TrimSpace(val)
		case "status":
			status = strings.TrimSpace(val)
		}
	}
}

// isInstalled reads the third word of a dpkg Status field ("install ok
// installed"): the package's state.
func isInstalled(status string) bool {
	f := strings.Fields(status)
	return len(f) == 3 && f[2] == "installed"
}
