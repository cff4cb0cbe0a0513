package secrets

import (
	"encoding/base64"
	"slices"
	"strings"
)

// notSecret reports whether a candidate secret is a known non-secret: a
// vendor's documentation example, a placeholder, a variable reference, a
// hash, a UUID or ciphertext. line is the line the candidate stands on.
//
// Documentation examples are dropped for every rule. The other checks
// apply to Generic rules only: a vendor rule has already matched a precise
// token format, and its tokens may legitimately be UUIDs (Heroku) or look
// like words.
func notSecret(r *Rule, secret string, line []byte) bool {
	if isDocExample(secret) {
		return true
	}
	return r.Generic && notLiteralSecret(secret, line)
}

// notLiteralSecret reports whether a value found by its context (a key
// name, the password slot of a URL) is something other than a literal
// credential: a placeholder, a reference to a variable or a secret store,
// code, a hash, a UUID, ciphertext, a public key, a path or a URL. Rules
// whose matches must not yield to vendor rules call it from Verify.
func notLiteralSecret(secret string, line []byte) bool {
	s := strings.TrimSpace(secret)
	// Spring Security's {noop} prefix marks a password stored in clear.
	s = strings.TrimPrefix(s, "{noop}")
	switch {
	case s == "":
		return true
	case isHash(s, line), isCiphertext(s), isPublicKey(s):
		return true
	case isReference(s), isCode(s), isPlaceholder(s):
		return true
	case isUUID(s), isPathOrURL(s):
		return true
	}
	if d, ok := decodedText(s); ok && isPlaceholder(d) {
		// Kubernetes Secret data and similar carry base64 of the value.
		return true
	}
	return false
}

// docExamples are credentials published in vendors' documentation and
// standards; they occur in countless tutorials and tests and grant nothing.
// (Values that contain "EXAMPLE", like AWS's, are caught without a list.)
var docExamples = []string{
	// Stripe API reference test keys.
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc", "pk_test_TYooMQauvdEDq54NiTphI7jx",
	"sk_test_BQokikJOvBiI2HlWgH4olfQ2", "pk_test_6pRNASCoBOKtIshFeQd4XMUh",
	"rk_test_4eC39HqLyjWDarjtT1zdp7dc",
	// RFC 6749 (OAuth 2.0) examples.
	"2YotnFZFEjr1zCsicMWpAA", "tGzv3JOkF0XG5Qx2TlKWIA", "7Fjfp0ZBr1KtDRbnfVdmIw",
	"SplxlOBeZQQYbYS6WxSbIA", "8xLOxBtZp8", "s6BhdRkqt3", "gX1fBat3bV", "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
	"45ghiukldjahdnhzdauz", // RFC 7009
	// RFC 5849 (OAuth 1.0) examples.
	"dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00", "hh5s93j4hdidpola",
	"hdhd0244k9j7ao03", "ad180jjd733klru7", "9djdj82h48djs9d2", "kkk9d7dh3k39sjv7", "j49sk3j29djd",
	// RFC 6750 bearer token and RFC 7617 "Aladdin:open sesame".
	"mF_9.B5f-4.1JqM", "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
	// The jwt.io sample token's signature (HS256, secret "your-256-bit-secret").
	"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
	// Mailgun's documented sample key.
	"key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
}

// isDocExample reports whether s is or contains a published example value.
func isDocExample(s string) bool {
	return strings.Contains(strings.ToUpper(s), "EXAMPLE") ||
		slices.ContainsFunc(docExamples, func(e string) bool { return strings.Contains(s, e) })
}

// hashPrefixes start password hashes (crypt(3), Django, the {SCHEME}
// prefixes of LDAP userPassword values and of Spring Security's
// DelegatingPasswordEncoder) and content digests.
var hashPrefixes = []string{
	"$1$", "$2$", "$2a$", "$2b$", "$2x$", "$2y$", "$5$", "$6$", "$7$", "$y$", "$gy$", "$apr1$", "$argon2", "$pbkdf2",
	"$scrypt$", "$sha1$", "$md5", "pbkdf2_sha256$", "pbkdf2_sha1$", "argon2$", "bcrypt$", "bcrypt_sha256$", "scrypt$",
	"sha1$", "md5$", "sha1:", "sha224:", "sha256:", "sha384:", "sha512:", "md5:", "blake2b:", "blake3:", "sha256-",
	"sha384-", "sha512-", "{SSHA}", "{SHA}", "{SSHA256}", "{SSHA512}", "{SHA256}", "{SHA512}", "{MD5}", "{SMD5}",
	"{CRYPT}", "{PBKDF2}", "{PBKDF2-SHA256}", "{PBKDF2-SHA512}", "{ARGON2}", "{BCRYPT}", "{bcrypt}", "{scrypt}",
	"{pbkdf2}", "{argon2}", "{sha256}", "{MD4}", "{SHA-256}",
}

// digestWords in a line's key say that a hex value is a digest, not a key.
var digestWords = []string{
	"hash", "digest", "checksum", "sha", "md5", "etag", "commit", "fingerprint",
	"revision", "integrity", "crc",
}

// isHash reports whether s is a password hash or a content digest. A bare
// hex string counts only when the line names a digest.
func isHash(s string, line []byte) bool {
	if hasPrefix(s, hashPrefixes) {
		return true
	}
	switch len(s) {
	case 32, 40, 56, 64, 96, 128:
	default:
		return false
	}
	if !isHex(s) || (strings.ToLower(s) != s && strings.ToUpper(s) != s) {
		return false
	}
	l := strings.ToLower(string(line))
	return slices.ContainsFunc(digestWords, func(w string) bool { return strings.Contains(l, w) })
}

// hasPrefix reports whether s starts with one of prefixes.
func hasPrefix(s string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// isUUID reports whether s is a UUID in canonical form.
func isUUID(s string) bool {
	return len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
		isHex(strings.ReplaceAll(s, "-", "")) && strings.Count(s, "-") == 4
}

// ciphertextPrefixes start values encrypted at rest by SOPS, Ansible Vault,
// Jasypt, Spring Cloud Config, Vault transit, AWS KMS and OpenPGP.
var ciphertextPrefixes = []string{
	"ENC[", "$ANSIBLE_VAULT;", "ENC(", "{cipher}", "vault:v", "AQICAH", "AQECAH",
	"-----BEGIN PGP MESSAGE", "age-encryption.org/",
}

// isCiphertext reports whether s is encrypted: a known envelope prefix,
// or a Bitnami SealedSecret value (long base64 that starts with "Ag": the
// two-byte length of the wrapped session key, 0x02xx).
func isCiphertext(s string) bool {
	return hasPrefix(s, ciphertextPrefixes) || strings.HasPrefix(s, "Ag") && len(s) >= 300 &&
		strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == ""
}

// publicKeyPrefixes start public keys and certificates (OpenSSH lines and
// their base64 blobs, PEM headers, DER SubjectPublicKeyInfo in base64) and
// publishable client-side keys.
var publicKeyPrefixes = []string{
	"ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-", "sk-ecdsa-sha2-", "sk-ssh-ed25519",
	"AAAAB3NzaC1yc2E", "AAAAC3NzaC1lZDI1NTE5", "AAAAE2VjZHNhLXNoYTItbmlzdH",
	"-----BEGIN PUBLIC KEY", "-----BEGIN RSA PUBLIC KEY", "-----BEGIN CERTIFICATE",
	"-----BEGIN PGP PUBLIC", "-----BEGIN SSH2 PUBLIC KEY",
	"MIIBIjANBgkqhkiG9w0BAQEFAAOC", "MIICIjANBgkqhkiG9w0BAQEFAAOC", "MFkwEwYHKoZIzj0CAQ",
	"MHYwEAYHKoZIzj0CAQ", "MCowBQYDK2VwAyEA",
	// Keys meant for browsers and apps: Stripe publishable, Mapbox public.
	"pk_live_", "pk_test_", "pk.eyJ",
}

// isPublicKey reports whether s is a public key or certificate, including
// an age recipient (age1 followed by 58 bech32 characters).
func isPublicKey(s string) bool {
	return hasPrefix(s, publicKeyPrefixes) ||
		len(s) == 62 && strings.HasPrefix(s, "age1") && strings.Trim(s[4:], "023456789acdefghjklmnpqrstuvwxyz") == ""
}

// decodedText decodes s as standard base64 and returns the result when it
// is printable text.
func decodedText(s string) (string, bool) {
	if len(s) < 8 || len(s)%4 != 0 {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return "", false
		}
	}
	return string(b), true
}

// referencePrefixes start values that name a secret kept elsewhere: CI and
// workflow contexts, environment lookups, secret-store URIs, and the YAML
// tags of CloudFormation, Ansible and Home Assistant.
var referencePrefixes = []string{
	"secrets.", "vars.", "env.", "inputs.", "steps.", "needs.", "matrix.",
	"process.env", "import.meta.env", "os.environ", "os.getenv", "os.Getenv", "getenv(",
	"ENV[", "ENV.", "System.getenv", "System.getProperty", "Environment.GetEnvironmentVariable",
	"arn:aws:secretsmanager:", "arn:aws:ssm:", "ref+", "op://", "vault:", "sm://", "awssm:",
	"@Microsoft.KeyVault(", "keyvault:", "!Ref", "!Sub", "!GetAtt", "!ImportValue",
	"!FindInMap", "!Join", "!If", "!Select", "!Base64", "!secret", "!vault", "!env", "!ENV",
	"!include",
}

// templateMarks occur inside template expressions and command
// substitutions: shell and Terraform ${...}, $(...), Go, Jinja, Helm and
// GitHub Actions {{ ... }}, Ruby and CodePipeline #{...}, ERB <%= ... %>.
var templateMarks = []string{"${", "$(", "{{", "}}", "#{", "<%", "%>", "[[", "]]"}

// isReference reports whether s refers to a value instead of being one: a
// variable, a template expression, a format verb, a secret-store URI, or a
// dotted name such as config.db.password.
func isReference(s string) bool {
	if hasPrefix(s, referencePrefixes) || slices.ContainsFunc(templateMarks, func(m string) bool { return strings.Contains(s, m) }) {
		return true
	}
	switch {
	case len(s) > 1 && s[0] == '$' && isIdent(s[1:]):
		return true // $DB_PASSWORD
	case len(s) > 2 && s[0] == '%' && s[len(s)-1] == '%' && isIdent(s[1:len(s)-1]):
		return true // %DB_PASSWORD% (cmd.exe)
	case len(s) > 2 && s[0] == '@' && s[len(s)-1] == '@' && isDotted(s[1:len(s)-1]):
		return true // @db.password@ (Maven and Gradle resource filtering)
	case len(s) > 4 && strings.HasPrefix(s, "__") && strings.HasSuffix(s, "__"):
		return true // __DB_PASSWORD__ (token replacement in release pipelines)
	case strings.Contains(s, ".") && isDotted(s) && allNames(strings.Split(s, ".")):
		return true // settings.DB_PASSWORD, this.password
	}
	if rest, ok := stripFormatVerbs(s); ok {
		return len(rest) < 6 || isPlaceholder(rest)
	}
	return false
}

// stripFormatVerbs removes printf verbs (%s, %v, %q, %(name)s) and
// format fields ({}, {0}, {name}) from s and reports whether it found any.
func stripFormatVerbs(s string) (string, bool) {
	var b strings.Builder
	found := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+1 < len(s) && strings.IndexByte("svq", s[i+1]) >= 0 {
			i++
			found = true
			continue
		}
		if c == '%' && i+1 < len(s) && s[i+1] == '(' {
			if j := strings.Index(s[i:], ")"); j > 0 && i+j+1 < len(s) {
				i += j + 1
				found = true
				continue
			}
		}
		if c == '{' {
			if j := strings.IndexByte(s[i:], '}'); j > 0 && isIdent(s[i+1:i+j]) || j == 1 {
				i += j
				found = true
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), found
}

// isIdent reports whether s is a programming-language identifier.
func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// allNames reports whether every part reads as a name rather than random
// characters: no digits except at the end ("db2"), and either one case or
// camel case with fewer capitals than lower-case letters.
func allNames(parts []string) bool {
	for _, p := range parts {
		p = strings.TrimRight(strings.TrimLeft(p, "$_"), "0123456789")
		var upper, lower int
		for i := 0; i < len(p); i++ {
			switch c := p[i]; {
			case '0' <= c && c <= '9':
				return false
			case 'A' <= c && c <= 'Z':
				upper++
			case 'a' <= c && c <= 'z':
				lower++
			}
		}
		if upper > 0 && lower > 0 && upper*2 > lower {
			return false
		}
	}
	return true
}

// isDotted reports whether s is a dot-separated list of identifiers.
func isDotted(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if !isIdent(strings.TrimPrefix(part, "$")) {
			return false
		}
	}
	return true
}

// isCode reports whether s is an expression rather than a literal: a call,
// an index, a comparison, a pointer operation or a YAML alias.
func isCode(s string) bool {
	if strings.Contains(strings.TrimRight(s, "="), "==") || strings.Contains(s, "!=") || strings.Contains(s, "&&") ||
		strings.Contains(s, "||") || strings.Contains(s, "->") {
		return true
	}
	if len(s) > 1 && (s[0] == '&' || s[0] == '*') && isIdent(s[1:2]) {
		return true // &cfg, *password, YAML *alias
	}
	for _, br := range [...]string{"()", "[]"} {
		i := strings.IndexByte(s, br[0])
		if i > 0 && s[len(s)-1] == br[1] && isDotted(strings.ReplaceAll(s[:i], "::", ".")) {
			return true // getenv("X"), params[:password]
		}
	}
	return false
}

// pathRoots are first segments of absolute paths to files that hold
// secrets rather than secrets themselves.
var pathRoots = []string{
	"etc", "run", "var", "home", "usr", "opt", "tmp", "secrets", "mnt", "srv", "data", "app",
	"root", "vault", "config", "certs", "keys", "dev", "proc", "workspace", "Users", "private",
}

// fileExts end names of files that hold keys, certificates and settings.
var fileExts = []string{
	"pem", "key", "crt", "cer", "der", "p12", "pfx", "jks", "keystore", "json", "yaml", "yml",
	"txt", "env", "conf", "cfg", "ini", "properties", "toml", "xml", "gpg", "asc", "pub", "enc",
	"kdbx", "secret", "token",
}

// isPathOrURL reports whether s is a URL or a file path (a value such as
// password_file: /run/secrets/db or private_key: keys/server.pem).
func isPathOrURL(s string) bool {
	switch {
	case strings.Contains(s, "://"), strings.HasPrefix(s, "file:"):
		return true
	case strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"), strings.HasPrefix(s, "~/"),
		strings.HasPrefix(s, `\\`):
		return true
	case len(s) > 2 && s[1] == ':' && (s[2] == '\\' || s[2] == '/') && isIdent(s[:1]):
		return true // C:\keys\a.pem
	}
	if strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./@~-") != "" {
		return false
	}
	if i := strings.LastIndexByte(s, '.'); i > 0 && slices.Contains(fileExts, s[i+1:]) {
		return true
	}
	if !strings.HasPrefix(s, "/") || strings.Count(s, "/") < 2 {
		return false
	}
	return slices.Contains(pathRoots, strings.SplitN(s[1:], "/", 2)[0]) || strings.ToLower(s) == s
}

// isPlaceholder reports whether s stands in for a secret instead of being
// one: <password>, [REDACTED], xxxx, ****, "...", your_api_key, repeated
// or sequential characters, and values made only of placeholder words
// (changeme, password123, mysecretpassword, test, dummy, none, string...).
func isPlaceholder(s string) bool {
	l := strings.ToLower(s)
	switch {
	case isBracketed(s), hasMaskRun(l), strings.Contains(s, "..."), strings.Contains(s, "…"):
		return true
	case strings.HasPrefix(l, "your"), strings.HasPrefix(l, "my_"), strings.HasPrefix(l, "my-"):
		return true
	case isRepeated(l), isSequential(l):
		return true
	}
	return onlyPlaceholderWords(l)
}

// isBracketed reports whether s is wrapped in brackets or holds an
// angle-bracketed name, the way documentation marks a value to fill in.
func isBracketed(s string) bool {
	if len(s) >= 2 {
		switch s[0:1] + s[len(s)-1:] {
		case "<>", "[]", "()", "{}":
			return true
		}
	}
	i := strings.IndexByte(s, '<')
	return i >= 0 && strings.IndexByte(s[i:], '>') > 1
}

// hasMaskRun reports a run of four or more masking characters (xxxx,
// ****, ####, ____, ????).
func hasMaskRun(l string) bool {
	run := 0
	for i := 0; i < len(l); i++ {
		switch {
		case strings.IndexByte("x*#_?", l[i]) < 0:
			run = 0
		case i > 0 && l[i] == l[i-1]:
			run++
		default:
			run = 1
		}
		if run >= 4 {
			return true
		}
	}
	return false
}

// isRepeated reports whether l repeats a shorter unit (aaaaaa, abab,
// 123123, abcdef0123456789abcdef0123456789).
func isRepeated(l string) bool {
	for p := 1; 2*p <= len(l) && p <= 64; p++ {
		if l[p:] == l[:len(l)-p] {
			return true
		}
	}
	return false
}

// isSequential reports whether the letters and digits of l run in order
// with at most one break (123456, abcdef, abc123, 987654).
func isSequential(l string) bool {
	var an []byte
	for i := 0; i < len(l); i++ {
		if c := l[i]; 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			an = append(an, c)
		}
	}
	if len(an) < 4 {
		return false
	}
	up, down := 0, 0
	for i := 1; i < len(an); i++ {
		if an[i] != an[i-1]+1 {
			up++
		}
		if an[i] != an[i-1]-1 {
			down++
		}
	}
	return min(up, down) <= 1
}

// leet maps digits and symbols written for letters back to the letters.
func leet(c byte) byte {
	switch c {
	case '0':
		return 'o'
	case '1', '!':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7':
		return 't'
	}
	return c
}

// onlyPlaceholderWords reports whether the letters of l split entirely
// into placeholder words, with leetspeak undone and digits and punctuation
// dropped: "P@ssw0rd!", "my-secret-password", "changeme123", "testtoken",
// "dbPassword". A digit or symbol next to a letter may stand for a letter
// or for nothing ("geheim$parole"). At least one letter is required.
func onlyPlaceholderWords(l string) bool {
	var w []byte
	var opt []bool
	isLetter := func(i int) bool { return i >= 0 && i < len(l) && 'a' <= l[i] && l[i] <= 'z' }
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch d := leet(c); {
		case isLetter(i):
			w, opt = append(w, c), append(opt, false)
		case d != c && (isLetter(i-1) || isLetter(i+1)) && i > 0 && i+1 < len(l):
			w, opt = append(w, d), append(opt, true)
		}
	}
	if len(w) == 0 {
		return false
	}
	const maxWord = 14
	ok := make([]bool, len(w)+1)
	ok[0] = true
	for i := 0; i < len(w); i++ {
		if !ok[i] {
			continue
		}
		if opt[i] {
			ok[i+1] = true
		}
		for j := i + 2; j <= min(len(w), i+maxWord); j++ {
			if placeholderWord(string(w[i:j])) {
				ok[j] = true
			}
		}
	}
	return ok[len(w)]
}

// placeholderWord lists the words of which placeholder values, sample
// passwords and code identifiers are made.
func placeholderWord(w string) bool {
	switch w {
	case "password", "passwords", "passwd", "passwort", "pass", "pwd", "pw", "passphrase", "phrase", "word", "secret",
		"secrets", "token", "tokens", "key", "keys", "apikey", "api", "access", "auth", "authorization", "credential",
		"credentials", "cred", "creds", "login", "logon", "user", "users", "username", "usr", "name", "admin",
		"administrator", "root", "guest", "sa", "default", "defaults", "demo", "sample", "samples", "dummy", "fake",
		"mock", "mocked", "stub", "test", "tests", "testing", "tester", "changeme", "change", "changed", "changeit",
		"replace", "replaceme", "insert", "enter", "fill", "put", "set", "get", "read", "load", "fetch", "from", "here",
		"there", "this", "that", "is", "it", "the", "to", "be", "of", "in", "for", "and", "with", "by", "my", "your",
		"our", "new", "old", "some", "any", "value", "values", "val", "string", "str", "text", "none", "null", "nil",
		"undefined", "undef", "empty", "blank", "unset", "notset", "missing", "unknown", "required", "optional", "todo",
		"tbd", "fixme", "placeholder", "redacted", "removed", "hidden", "masked", "mask", "secure", "strong", "super",
		"very", "long", "random", "generated", "foo", "bar", "baz", "qux", "quux", "foobar", "foobared", "hello", "world",
		"abc", "xyz", "xxx", "qwerty", "qwertz", "azerty", "asdf", "zxcv", "letmein", "opensesame", "open", "sesame",
		"trustno", "iloveyou", "local", "localhost", "dev", "devel", "develop", "development", "prod", "production",
		"staging", "stage", "db", "database", "data", "postgres", "postgresql", "pg", "mysql", "maria", "mariadb", "mongo",
		"mongodb", "redis", "rabbitmq", "amqp", "elastic", "kafka", "sql", "server", "service", "svc", "host", "jwt",
		"session", "cookie", "signing", "signature", "sign", "encryption", "encrypt", "crypto", "hmac", "aes", "webhook",
		"hook", "consumer", "oauth", "refresh", "bearer", "client", "app", "application", "id", "env", "environment",
		"variable", "var", "vars", "param", "params", "field", "input", "form", "plain", "plaintext", "hash", "hashed",
		"salt", "system", "sys", "config", "conf", "cfg", "setting", "settings", "file", "path", "url", "uri", "dsn",
		"connection", "conn", "master", "main", "primary", "private", "public", "internal", "smtp", "mail", "email", "ftp",
		"ldap", "int", "bool", "boolean", "number", "bytes", "byte", "char", "object", "true", "false", "yes", "no", "on",
		"off", "kennwort", "senha", "wachtwoord", "salasana", "parola", "heslo", "passord", "adgangskode", "contrasena",
		"jelszo", "haslo", "geslo", "lozinka", "parool", "motdepasse", "mot", "de", "passe", "alice", "bob", "sekrit",
		"ignore", "ignored", "compat", "files", "systemd", "winbind", "nis", "sss", "good", "bad", "wrong", "right",
		"correct", "incorrect", "valid", "invalid", "decryption", "decrypt", "encode", "decode", "encoded", "decoded",
		"geheim", "parole", "anonymous", "domain", "org", "com", "net", "proxy", "repo", "repository", "unique", "confirm",
		"confirmation", "repeat", "retype", "reset", "current", "first", "last":
		return true
	}
	return false
}
