package ssh

import (
	"fmt"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// OpenSSH's default algorithm lists (OpenSSH 9), used when the keyword is
// absent and as the base of "+", "-" and "^" lists.
const (
	defaultCiphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr," +
		"aes128-gcm@openssh.com,aes256-gcm@openssh.com"
	defaultMACs = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com," +
		"hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com," +
		"umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"
	defaultKex = "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org," +
		"ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256," +
		"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
)

// cryptoChecks hold the algorithm lists to modern choices.
func cryptoChecks() []config.Check {
	ciphers := sshdCheck("ssh-weak-ciphers", "SSH offers no weak ciphers", pipeline.SeverityMedium,
		"CBC-mode ciphers are open to plaintext-recovery attacks on SSH, 3DES and Blowfish have "+
			"64-bit blocks (Sweet32) and RC4 (arcfour) is broken. The OpenSSH default list has none "+
			"of them; lists starting with + add to it.",
		"Set Ciphers to chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"+
			"aes256-ctr,aes192-ctr,aes128-ctr, or remove the Ciphers line.",
		[]string{cis("Ensure sshd Ciphers are configured")})
	ciphers.Run = runSettings(algorithms("Ciphers", defaultCiphers, weakCipher))

	macs := sshdCheck("ssh-weak-macs", "SSH offers no weak MACs", pipeline.SeverityLow,
		"MD5 and RIPEMD-160 MACs, truncated 96-bit MACs and UMAC with a 64-bit tag give weak "+
			"integrity protection. HMAC-SHA1 has no practical attack and passes. The OpenSSH default "+
			"list offers umac-64, so an image without a MACs line fails.",
		"Set MACs to hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"+
			"umac-128-etm@openssh.com,hmac-sha2-512,hmac-sha2-256,umac-128@openssh.com "+
			"(or remove the weak ones with MACs -umac-64*,hmac-md5*,hmac-sha1-96*).",
		[]string{cis("Ensure sshd MACs are configured")})
	macs.Run = runSettings(algorithms("MACs", defaultMACs, weakMAC))

	kex := sshdCheck("ssh-weak-kex", "SSH offers no weak key exchange", pipeline.SeverityMedium,
		"Key exchange with SHA-1 or the 1024-bit group1 is within reach of well-funded attackers "+
			"(Logjam) and lets them decrypt recorded sessions. The OpenSSH default list has none.",
		"Set KexAlgorithms to sntrup761x25519-sha512@openssh.com,curve25519-sha256,"+
			"curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"+
			"diffie-hellman-group-exchange-sha256, or remove the line.",
		[]string{cis("Ensure sshd KexAlgorithms is configured")})
	kex.Run = runSettings(algorithms("KexAlgorithms", defaultKex, weakKex))

	return []config.Check{ciphers, macs, kex}
}

// algorithms judges an algorithm-list keyword by the list it yields.
func algorithms(name, def string, weak func(string) bool) setting {
	return setting{name: name, def: def, defName: "list", judge: func(_ rootfs.Root, args []string) string {
		var bad []string
		for _, a := range effectiveList(def, strings.Join(args, ",")) {
			if weak(strings.ToLower(a)) {
				bad = append(bad, a)
			}
		}
		if len(bad) == 0 {
			return ""
		}
		return fmt.Sprintf("offers %s", strings.Join(bad, ", "))
	}}
}

// effectiveList applies an sshd algorithm list to the default: "+list"
// appends, "-list" removes (wildcards allowed), "^list" moves to the
// front; a plain list replaces the default.
func effectiveList(def, spec string) []string {
	base := strings.Split(def, ",")
	if spec == "" {
		return base
	}
	items := splitList(spec[1:])
	switch spec[0] {
	case '+':
		for _, it := range items {
			if !slices.Contains(base, it) {
				base = append(base, it)
			}
		}
		return base
	case '-':
		return slices.DeleteFunc(base, func(a string) bool {
			return slices.ContainsFunc(items, func(p string) bool { return wildMatch(p, a) })
		})
	case '^':
		out := items
		for _, a := range base {
			if !slices.Contains(items, a) {
				out = append(out, a)
			}
		}
		return out
	}
	return splitList(spec)
}

func splitList(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// wildMatch matches s against a pattern with '*' (any run) and '?' (any
// one byte), as sshd's match_pattern does.
func wildMatch(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case star >= 0:
			mark++
			px, sx = star+1, mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// weakCipher: CBC modes, RC4, 3DES/Blowfish/CAST (64-bit blocks), none.
func weakCipher(c string) bool {
	return strings.Contains(c, "cbc") || strings.HasPrefix(c, "arcfour") ||
		strings.HasPrefix(c, "3des") || strings.HasPrefix(c, "blowfish") ||
		strings.HasPrefix(c, "cast128") || c == "none"
}

// weakMAC: MD5, RIPEMD-160, truncated 96-bit MACs and 64-bit UMAC.
func weakMAC(m string) bool {
	return strings.Contains(m, "md5") || strings.Contains(m, "ripemd") ||
		strings.Contains(m, "-96") || strings.HasPrefix(m, "umac-64")
}

// weakKex: SHA-1 based exchanges and the 1024-bit Oakley group 1.
func weakKex(k string) bool {
	return strings.HasSuffix(k, "-sha1") || strings.Contains(k, "-sha1-") ||
		strings.Contains(k, "group1-")
}
