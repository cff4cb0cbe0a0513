package ssh

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// fileChecks hold the server's configuration and keys to safe modes.
func fileChecks() []config.Check {
	cfg := sshdCheck("ssh-config-perms", "sshd_config is readable by root only", pipeline.SeverityMedium,
		"The server configuration reveals which users, keys and algorithms are accepted, and anyone "+
			"who can write it controls who may log in. sshd_config and every file it includes should "+
			"be owned by root:root with mode 0600 or stricter.",
		"chown root:root /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf; "+
			"chmod 0600 /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf",
		[]string{cis("Ensure permissions on /etc/ssh/sshd_config are configured")})
	cfg.Reads = []string{mainConfig + " and included files (file metadata)"}
	cfg.Run = runWith(configPermResults)

	priv := sshdCheck("ssh-host-key-perms", "SSH private host keys are readable by root only", pipeline.SeverityMedium,
		"Whoever reads a private host key can impersonate the server to every client that trusts it. "+
			"Keys should be owned by root with mode 0600, or 0640 with group ssh_keys where the "+
			"distribution uses that group.",
		"chown root:root /etc/ssh/ssh_host_*_key; chmod 0600 /etc/ssh/ssh_host_*_key",
		[]string{cis("Ensure permissions on SSH private host key files are configured")})
	priv.Reads = []string{"etc/ssh/ssh_host_*_key (file metadata)", "HostKey in " + mainConfig, "etc/group"}
	priv.Run = runWith(func(r rootfs.Root, srv *server) []config.Result {
		return keyPermResults(r, hostKeys(r, srv.cfg, ""), privateKeyMode(r))
	})

	pub := sshdCheck("ssh-host-pubkey-perms", "SSH public host keys are not writable by others", pipeline.SeverityLow,
		"A public host key that others can replace lets them confuse clients' host-key checks and "+
			"the fingerprints published for the server.",
		"chown root:root /etc/ssh/ssh_host_*_key.pub; chmod 0644 /etc/ssh/ssh_host_*_key.pub",
		[]string{cis("Ensure permissions on SSH public host key files are configured")})
	pub.Reads = []string{"etc/ssh/ssh_host_*_key.pub (file metadata)", "HostKey in " + mainConfig}
	pub.Run = runWith(func(r rootfs.Root, srv *server) []config.Result {
		return keyPermResults(r, hostKeys(r, srv.cfg, ".pub"), publicKeyMode)
	})
	return []config.Check{cfg, priv, pub}
}

// statResolved returns the entry p resolves to inside r.
func statResolved(r rootfs.Root, p string) (rootfs.Entry, bool) {
	real, err := rootfs.Resolve(r, p)
	if err != nil {
		return rootfs.Entry{}, false
	}
	return r.Lookup(real)
}

func describeMode(e rootfs.Entry) string {
	return fmt.Sprintf("mode %04o owner %d:%d", e.Mode.Perm(), e.UID, e.GID)
}

// configPermResults judges sshd_config and each file it includes.
func configPermResults(r rootfs.Root, srv *server) []config.Result {
	if !srv.cfg.Present {
		return []config.Result{{Status: config.NotApplicable, Path: mainConfig,
			Message: mainConfig + " absent (" + srv.source + ")"}}
	}
	var out []config.Result
	for _, p := range srv.cfg.Files {
		e, ok := statResolved(r, p)
		if !ok {
			continue
		}
		res := config.Result{Status: config.Pass, Path: p, Message: p + " " + describeMode(e)}
		if e.Mode.Perm()&0o177 != 0 || e.UID != 0 || e.GID != 0 {
			res.Status = config.Fail
			res.Message += ", want 0600 or stricter owned by root:root"
		}
		out = append(out, res)
	}
	return out
}

// hostKeys lists the host key files: HostKey values and the usual
// etc/ssh/ssh_host_*_key names, with suffix appended (".pub" for the
// public halves), that exist in r.
func hostKeys(r rootfs.Root, cfg *sshdConfig, suffix string) []string {
	var keys []string
	for _, d := range cfg.all("hostkey") {
		keys = append(keys, strings.TrimLeft(d.Args[0], "/")+suffix)
	}
	for _, e := range rootfs.Glob(r, "etc/ssh/ssh_host_*_key"+suffix) {
		keys = append(keys, e.Path)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	return slices.DeleteFunc(keys, func(k string) bool { return !isRegular(r, k) })
}

// keyPermResults judges each key's entry with ok, which returns "" or
// what is wrong.
func keyPermResults(r rootfs.Root, keys []string, ok func(rootfs.Entry) string) []config.Result {
	if len(keys) == 0 {
		return []config.Result{{Status: config.NotApplicable,
			Message: "no SSH host keys in the image (sshd generates them at first boot)"}}
	}
	var out []config.Result
	for _, k := range keys {
		e, _ := statResolved(r, k)
		res := config.Result{Status: config.Pass, Path: k, Message: k + " " + describeMode(e)}
		if why := ok(e); why != "" {
			res.Status = config.Fail
			res.Message += ", " + why
		}
		out = append(out, res)
	}
	return out
}

// privateKeyMode accepts root-owned keys with mode 0600 or stricter, or
// 0640 or stricter when the group is ssh_keys.
func privateKeyMode(r rootfs.Root) func(rootfs.Entry) string {
	sshKeys, hasGroup := groupID(r, "ssh_keys")
	return func(e rootfs.Entry) string {
		perm := e.Mode.Perm()
		switch {
		case e.UID != 0:
			return "want owner root"
		case perm&0o177 == 0:
			return ""
		case hasGroup && e.GID == sshKeys && perm&0o137 == 0:
			return ""
		}
		return "want 0600 or stricter (0640 with group ssh_keys)"
	}
}

// publicKeyMode accepts root-owned keys that only root can write.
func publicKeyMode(e rootfs.Entry) string {
	if e.UID != 0 || e.Mode.Perm()&0o133 != 0 {
		return "want 0644 or stricter owned by root"
	}
	return ""
}

// groupID looks name up in etc/group.
func groupID(r rootfs.Root, name string) (int, bool) {
	data, err := r.ReadFile("etc/group")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= 3 && f[0] == name {
			gid, err := strconv.Atoi(f[2])
			return gid, err == nil
		}
	}
	return 0, false
}
