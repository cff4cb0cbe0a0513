package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// keyNL is a line break inside a key block: a real one, or the "\n" escape
// of a key stored in a JSON string or an environment variable.
const keyNL = `(?:\r?\n|\\r\\n|\\n)`

// keyAnchor starts every multiline key pattern: the block must begin on the
// first line of the window (the line holding the keyword). Anchoring keeps
// the cost of a window to one attempt, even when a file repeats the BEGIN
// line of a block that never ends; the price is that of two blocks on one
// line only the first is found.
const keyAnchor = `^[^\n]*?`

// keyBlockMaxLen bounds a PEM block: an 8192-bit RSA key is about 6.5 KB.
const keyBlockMaxLen = 16 << 10

// keyJWKMaxLen bounds the distance between a JWK's "kty" and "d" members:
// the modulus of a 4096-bit RSA key, which may stand between them, is 683
// characters.
const keyJWKMaxLen = 4 << 10

// keyPEM matches a PEM block labelled label whose body is base64 only (no
// headers); the body is the secret. Lines may be broken by real newlines
// or "\n" escapes, and indented.
func keyPEM(label string) string {
	return keyAnchor + `-----BEGIN ` + label + `-----(?:\s|\\[nr])*` +
		`(?P<secret>[A-Za-z0-9+/=][A-Za-z0-9+/=\s\\]{38,}?[A-Za-z0-9+/=])(?:\s|\\[nr])*-----END ` + label + `-----`
}

// keyEscapes removes line-break escapes and JSON's escaped slashes.
var keyEscapes = regexp.MustCompile(`\\+[nr]|\\`)

// keyBody decodes the base64 body of a key block, ignoring whitespace and
// escapes.
func keyBody(body string) ([]byte, bool) {
	body = keyEscapes.ReplaceAllString(body, "")
	body = strings.Join(strings.Fields(body), "")
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(body, "="))
	}
	return b, err == nil
}

// keyDER checks that a PEM body is one whole DER SEQUENCE, as every PKCS#1,
// SEC 1, DSA and PKCS#8 key is: a truncated or made-up body is not.
func keyDER(secret, _ string) bool {
	b, ok := keyBody(secret)
	if !ok || len(b) < 40 || b[0] != 0x30 {
		return false
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		size := n & 0x7f
		if size == 0 || size > 3 || len(b) < 2+size {
			return false
		}
		n = 0
		for _, c := range b[2 : 2+size] {
			n = n<<8 | int(c)
		}
		hdr += size
	}
	return hdr+n == len(b)
}

// keyCiphertext checks a legacy encrypted PEM body: whole cipher blocks.
func keyCiphertext(secret, _ string) bool {
	b, ok := keyBody(secret)
	return ok && len(b) >= 64 && len(b)%8 == 0
}

// keyOpenSSHCipher returns the cipher name of an OpenSSH private key body
// ("none" when it is not encrypted).
func keyOpenSSHCipher(secret string) (string, bool) {
	const magic = "openssh-key-v1\x00"
	b, ok := keyBody(secret)
	if !ok || len(b) < 64 || !bytes.HasPrefix(b, []byte(magic)) {
		return "", false
	}
	b = b[len(magic):]
	n := int(binary.BigEndian.Uint32(b))
	if n == 0 || n > 64 || len(b) < 4+n {
		return "", false
	}
	return string(b[4 : 4+n]), true
}

// keyOpenSSHPlain accepts an OpenSSH key body that is not encrypted.
func keyOpenSSHPlain(secret, _ string) bool {
	c, ok := keyOpenSSHCipher(secret)
	return ok && c == "none"
}

// keyOpenSSHEncrypted accepts an OpenSSH key body protected by a passphrase.
func keyOpenSSHEncrypted(secret, _ string) bool {
	c, ok := keyOpenSSHCipher(secret)
	return ok && c != "none"
}

// keyPGP checks an armored OpenPGP private key: the body decodes and starts
// with a secret-key packet (tag 5). The armor's CRC-24 line is dropped
// unchecked: RFC 9580 deprecates it and tells readers not to reject data
// whose checksum is missing or wrong.
func keyPGP(secret, _ string) bool {
	body := strings.TrimSpace(keyEscapes.ReplaceAllString(secret, "\n"))
	if i := strings.LastIndex(body, "\n="); i > 0 && len(body)-i == 6 {
		body = body[:i]
	}
	b, ok := keyBody(body)
	if !ok || len(b) < 32 || b[0]&0x80 == 0 {
		return false
	}
	tag := b[0] & 0x3f // new packet format
	if b[0]&0x40 == 0 {
		tag = (b[0] >> 2) & 0x0f // old packet format
	}
	return tag == 5
}

// keyPuTTYLines matches the count of private lines in a PuTTY key file.
var keyPuTTYLines = regexp.MustCompile(`Private-Lines: ([0-9]+)`)

// keyPuTTY checks that the private part of a PuTTY key file has as many
// base64 lines as its Private-Lines header says, and decodes.
func keyPuTTY(secret, match string) bool {
	m := keyPuTTYLines.FindStringSubmatch(match)
	if m == nil {
		return false
	}
	n, err := strconv.Atoi(m[1])
	lines := strings.Fields(keyEscapes.ReplaceAllString(secret, "\n"))
	if err != nil || n != len(lines) {
		return false
	}
	b, ok := keyBody(secret)
	return ok && len(b) >= 32
}

// keySSH2 checks that an SSH.com (SECSH) private key decodes and starts with
// the format's magic number.
func keySSH2(secret, _ string) bool {
	b, ok := keyBody(secret)
	return ok && len(b) >= 64 && bytes.HasPrefix(b, []byte{0x3f, 0x6f, 0xf9, 0xeb})
}

// keyJSONPart decodes one base64url part of a JWT into a JSON object.
func keyJSONPart(s string) (map[string]any, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, false
	}
	var v map[string]any
	return v, json.Unmarshal(b, &v) == nil
}

// keyJWTAlg returns the "alg" of a JWT whose header and payload decode as
// JSON objects, and its signature.
func keyJWTAlg(secret string) (alg, sig string, ok bool) {
	parts := strings.Split(secret, ".")
	if len(parts) != 3 {
		return "", "", false
	}
	h, ok1 := keyJSONPart(parts[0])
	_, ok2 := keyJSONPart(parts[1])
	alg, ok3 := h["alg"].(string)
	return alg, parts[2], ok1 && ok2 && ok3
}

// keyJWTSigned accepts a JWT with an algorithm other than "none" and a
// signature of at least 16 bytes.
func keyJWTSigned(secret, _ string) bool {
	alg, sig, ok := keyJWTAlg(secret)
	if !ok || strings.EqualFold(alg, "none") {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(sig)
	return err == nil && len(b) >= 16
}

// keyJWTUnsigned accepts a JWT with alg "none" and an empty signature.
func keyJWTUnsigned(secret, _ string) bool {
	alg, sig, ok := keyJWTAlg(secret)
	return ok && strings.EqualFold(alg, "none") && sig == ""
}

// keyJWK checks that a JWK's private member came with its key type.
func keyJWK(_, match string) bool {
	return strings.Contains(match, `"kty"`)
}

// keyAge checks the Bech32 checksum of an age secret key (BIP 173; age uses
// Bech32, not Bech32m).
func keyAge(secret, _ string) bool {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	s := strings.ToLower(secret)
	i := strings.LastIndexByte(s, '1')
	if i < 1 || len(s)-i < 7 {
		return false
	}
	var values []byte
	for _, c := range []byte(s[:i]) {
		values = append(values, c>>5)
	}
	values = append(values, 0)
	for _, c := range []byte(s[:i]) {
		values = append(values, c&31)
	}
	for _, c := range []byte(s[i+1:]) {
		v := strings.IndexByte(charset, c)
		if v < 0 {
			return false
		}
		values = append(values, byte(v))
	}
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for j := range 5 {
			if (top>>j)&1 == 1 {
				chk ^= gen[j]
			}
		}
	}
	return chk == 1
}

// keyRules returns the rules for private keys and signed tokens: PEM,
// OpenSSH, OpenPGP, PuTTY and SSH.com key files (also as one-line strings
// with "\n" escapes, as in a GCP service-account JSON), JWTs, private JWKs
// and age identities. Public keys and certificates never match.
func keyRules() []Rule {
	pemRefs := []string{"https://www.rfc-editor.org/rfc/rfc7468"}
	const rotate = "Treat the key as compromised: replace it, remove the old public key wherever it is trusted, and revoke any certificate issued for it."
	pem := func(id, title, label string, sev pipeline.Severity, verify func(string, string) bool) Rule {
		return Rule{ID: id, Title: title, Severity: sev, Keywords: []string{"begin " + strings.ToLower(label)},
			Pattern: keyPEM(label), Multiline: true, MaxLen: keyBlockMaxLen, Verify: verify,
			Remediation: rotate, References: pemRefs}
	}
	return []Rule{
		pem("rsa-private-key", "RSA private key (PKCS#1 PEM)", "RSA PRIVATE KEY", pipeline.SeverityCritical, keyDER),
		pem("ec-private-key", "EC private key (SEC 1 PEM)", "EC PRIVATE KEY", pipeline.SeverityCritical, keyDER),
		pem("dsa-private-key", "DSA private key (PEM)", "DSA PRIVATE KEY", pipeline.SeverityCritical, keyDER),
		pem("pkcs8-private-key", "Private key (PKCS#8 PEM)", "PRIVATE KEY", pipeline.SeverityCritical, keyDER),
		pem("pkcs8-encrypted-private-key", "Encrypted private key (PKCS#8 PEM)", "ENCRYPTED PRIVATE KEY",
			pipeline.SeverityMedium, keyDER),
		pem("openssh-private-key", "OpenSSH private key", "OPENSSH PRIVATE KEY", pipeline.SeverityCritical, keyOpenSSHPlain),
		pem("openssh-encrypted-private-key", "Passphrase-protected OpenSSH private key", "OPENSSH PRIVATE KEY",
			pipeline.SeverityMedium, keyOpenSSHEncrypted),
		{ID: "pem-encrypted-private-key", Title: "Passphrase-protected private key (legacy PEM encryption)",
			Severity: pipeline.SeverityMedium,
			Keywords: []string{"begin rsa private key", "begin ec private key", "begin dsa private key"},
			Pattern: keyAnchor + `-----BEGIN (?:RSA|EC|DSA) PRIVATE KEY-----` + keyNL + `Proc-Type: 4,ENCRYPTED` + keyNL +
				`DEK-Info: [A-Z0-9-]+,[0-9A-Fa-f]+` + keyNL + `(?:\s|\\[nr])*` +
				`(?P<secret>[A-Za-z0-9+/=][A-Za-z0-9+/=\s\\]{38,}?[A-Za-z0-9+/=])(?:\s|\\[nr])*-----END (?:RSA|EC|DSA) PRIVATE KEY-----`,
			Multiline: true, MaxLen: keyBlockMaxLen, Verify: keyCiphertext,
			Remediation: rotate, References: []string{"https://www.rfc-editor.org/rfc/rfc1421"}},
		{ID: "pgp-private-key", Title: "OpenPGP private key block", Severity: pipeline.SeverityCritical,
			Keywords: []string{"begin pgp private key block"},
			Pattern: keyAnchor + `-----BEGIN PGP PRIVATE KEY BLOCK-----` + keyNL + `(?:[A-Za-z][A-Za-z-]*: [^\r\n\\]*` + keyNL + `)*` +
				`(?:\s|\\[nr])*(?P<secret>[A-Za-z0-9+/][A-Za-z0-9+/=\s\\]{38,}?[A-Za-z0-9+/=])(?:\s|\\[nr])*-----END PGP PRIVATE KEY BLOCK-----`,
			Multiline: true, MaxLen: keyBlockMaxLen, Verify: keyPGP,
			Remediation: "Revoke the key (publish its revocation certificate to the keyservers that hold it) and create a new one.",
			References:  []string{"https://www.rfc-editor.org/rfc/rfc9580#section-6.2"}},
		{ID: "putty-private-key", Title: "PuTTY private key file (unencrypted)", Severity: pipeline.SeverityCritical,
			Keywords: []string{"putty-user-key-file-"}, Pattern: keyPuTTYPattern(`none`),
			Multiline: true, MaxLen: keyBlockMaxLen, Verify: keyPuTTY,
			Remediation: "Replace the key pair and remove its public key from every authorized_keys file that trusts it.",
			References:  []string{"https://the.earth.li/~sgtatham/putty/latest/htmldoc/AppendixC.html"}},
		{ID: "putty-encrypted-private-key", Title: "Passphrase-protected PuTTY private key file", Severity: pipeline.SeverityMedium,
			Keywords: []string{"putty-user-key-file-"}, Pattern: keyPuTTYPattern(`aes[0-9]+-[a-z]+`),
			Multiline: true, MaxLen: keyBlockMaxLen, Verify: keyPuTTY,
			Remediation: "Replace the key pair and remove its public key from every authorized_keys file that trusts it.",
			References:  []string{"https://the.earth.li/~sgtatham/putty/latest/htmldoc/AppendixC.html"}},
		{ID: "ssh2-private-key", Title: "SSH.com (SECSH) private key file", Severity: pipeline.SeverityHigh,
			Keywords: []string{"begin ssh2 encrypted private key"},
			Pattern: keyAnchor + `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----` + keyNL + `(?:[A-Za-z][A-Za-z-]*: [^\r\n\\]*` + keyNL + `)*` +
				`(?:\s|\\[nr])*(?P<secret>[A-Za-z0-9+/][A-Za-z0-9+/=\s\\]{38,}?[A-Za-z0-9+/=])(?:\s|\\[nr])*---- END SSH2 ENCRYPTED PRIVATE KEY ----`,
			Multiline: true, MaxLen: keyBlockMaxLen, Verify: keySSH2,
			Remediation: "Replace the key pair and remove its public key from every server that trusts it.",
			References:  []string{"https://www.rfc-editor.org/rfc/rfc4716"}},
		{ID: "jwt", Title: "JSON Web Token", Severity: pipeline.SeverityHigh, Keywords: []string{"eyj"},
			Pattern: keyJWTPattern, Verify: keyJWTSigned,
			Remediation: "Revoke the token's session or rotate the signing key, and keep tokens out of source and logs.",
			References:  []string{"https://www.rfc-editor.org/rfc/rfc7519"}},
		{ID: "jwt-unsigned", Title: "Unsigned JSON Web Token (alg none)", Severity: pipeline.SeverityMedium,
			Keywords: []string{"eyj"}, Pattern: keyJWTPattern, Verify: keyJWTUnsigned,
			Remediation: "Remove the token and make sure no service accepts tokens with alg \"none\".",
			References:  []string{"https://www.rfc-editor.org/rfc/rfc7519#section-6"}},
		{ID: "jwk-private-key", Title: "Private JSON Web Key", Severity: pipeline.SeverityCritical,
			Keywords: []string{`"kty"`, `"d":`},
			Pattern: keyAnchor + `(?:"kty"\s*:\s*"(?:RSA|EC|OKP)"[^{}]*?)?"d"\s*:\s*"(?P<secret>[A-Za-z0-9_\-]{32,})"` +
				`(?:[^{}]*?"kty"\s*:\s*"(?:RSA|EC|OKP)")?`,
			Multiline: true, MaxLen: keyJWKMaxLen, Verify: keyJWK, MinEntropy: 3.5,
			Remediation: "Remove the key from its JWKS, publish a new key, and re-issue what the old key signed.",
			References:  []string{"https://www.rfc-editor.org/rfc/rfc7517", "https://www.rfc-editor.org/rfc/rfc7518#section-6"}},
		{ID: "age-secret-key", Title: "age secret key (identity)", Severity: pipeline.SeverityCritical,
			Keywords:    []string{"age-secret-key-1"},
			Pattern:     `(?:^|[^A-Za-z0-9])(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})(?:$|[^A-Za-z0-9])`,
			Verify:      keyAge,
			Remediation: "Generate a new identity with age-keygen and re-encrypt the files encrypted to the old recipient.",
			References:  []string{"https://age-encryption.org/v1"}},
	}
}

// keyJWTPattern matches three base64url parts with JSON-looking header and
// payload; the signature may be empty (alg "none").
const keyJWTPattern = `(?:^|[^A-Za-z0-9_.\-])(?P<secret>eyJ[A-Za-z0-9_\-]{8,}={0,2}\.eyJ[A-Za-z0-9_\-]{8,}={0,2}\.[A-Za-z0-9_\-]*)(?:$|[^A-Za-z0-9_.=\-])`

// keyPuTTYPattern matches a PuTTY key file (format 2 or 3) whose Encryption
// matches enc; the private lines are the secret.
func keyPuTTYPattern(enc string) string {
	b64 := `[A-Za-z0-9+/=]+`
	hdr := `[A-Za-z0-9-]+: [^\r\n\\]*` + keyNL
	return keyAnchor + `PuTTY-User-Key-File-[23]: [a-z0-9@.-]+` + keyNL + `Encryption: ` + enc + keyNL +
		`Comment: [^\r\n\\]*` + keyNL + `Public-Lines: [0-9]+` + keyNL + `(?:` + b64 + keyNL + `)+(?:` + hdr + `)*` +
		`Private-Lines: [0-9]+` + keyNL + `(?P<secret>` + b64 + `(?:` + keyNL + b64 + `)*)` + keyNL + `Private-(?:MAC|Hash): `
}
