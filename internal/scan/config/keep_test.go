package config

import (
	"testing"

	"github.com/secpipe/secpipe/internal/rootfs"
)

func TestKeepContent(t *testing.T) {
	tests := []struct {
		path string
		size int64
		want bool
	}{
		{path: "etc/big.conf", size: MaxKeptSize + 1, want: false},
		{path: "etc/small.conf", size: 4, want: true},
		{path: "var/lib/dpkg/status", size: 14, want: true},
		{path: "var/lib/dpkg/info/bash.list", size: 10, want: false},
		{path: "root/.bashrc", size: 10, want: true},
		{path: "root/.ssh/authorized_keys", size: 17, want: true},
		{path: "root/.cache/junk", size: 5, want: false},
		{path: "home/ann/.profile", size: 10, want: true},
		{path: "home/ann/notes.txt", size: 6, want: false},
		{path: "usr/lib/systemd/system/ssh.service", size: 7, want: true},
		{path: "usr/lib/systemd/systemd", size: 4, want: false},
		{path: "boot/config-6.1.0-18-amd64", size: 11, want: true},
		{path: "srv/app/Dockerfile", size: 13, want: true},
		{path: "big/values.yml", size: MaxKeptSourceSize + 1, want: false},
	}
	for _, tt := range tests {
		e := rootfs.Entry{Path: tt.path, Mode: 0o644, Size: tt.size}
		if got := KeepContent(e); got != tt.want {
			t.Errorf("KeepContent(%q, %d bytes) = %v, want %v", tt.path, tt.size, got, tt.want)
		}
	}
}
