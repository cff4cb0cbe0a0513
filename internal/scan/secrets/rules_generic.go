package secrets

import (
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Generic rules find credentials by the name they are assigned to, in any
// of the syntaxes code and configuration use:
//
//	password: "x"  password: x  "password": "x"  DB_PASSWORD=x  export API_TOKEN='x'
//	password = x  <password>x</password>  password="x"  Password: "x"  password := "x"
//	"password" => "x"  {password: 'x'}  define('DB_PASSWORD', 'x')  put("password", "x")
//	<string name="api_key">x</string>  <entry key="db.password">x</entry>
//	password: str = "x"  the password is `x`
//
// Keys are sorted into families (passwords, client secrets, secret keys,
// webhook secrets, API keys, access tokens, cryptographic keys), one rule
// each; keyFamily decides which family owns a key so that exactly one rule
// reports it. Passwords may be short and human (six characters or more)
// but must not be placeholders or code; the others must be random-looking
// tokens of sixteen characters or more. A value is never reported when it
// is quoted differently on each side, holds whitespace, or is unquoted
// code or a bare name (a call, an operator, a trailing comma, letters
// only).

// Pieces of assignment patterns.
const (
	// keyHead is whatever precedes the family word in a key name:
	// DB_, spring.datasource., this., client-.
	keyHead = `(?:[A-Za-z_][\w.-]*)?`
	// keyTail is a version suffix: ses_smtp_password_v4, secret2.
	keyTail = `(?:[_-]?[vV]?[0-9]{1,2})?`
	// assignLead is what may stand before a key.
	assignLead = `(?:^|[\s"'\x60{(\[,])[$@:]*\\?["']?`
	// assignSep separates key and value, with an optional type annotation
	// (password: str = "x", var password string = "x"), or is plain
	// space before a value in backquotes (the password is `x`).
	assignSep = `\\?["']?\]?\s*(?:(?::\s*|\s+)(?:str|string|String|SecretStr|Optional\[str\])\s*=|:=|=>|[:=]|\s(?:is\s|was\s)?)\s*`
	// assignValue is the value, quoted or bare; Verify checks the quotes. A
	// "(" or "[" right before a quote ends it, so that a call or an index
	// (os.getenv("X", "y")) does not swallow a later match.
	assignValue = `\\?["'\x60]?(?P<secret>(?:[^\s"'\x60<>\\(\[]|[(\[][^\s"'\x60<>\\])+)(?:\\?["'\x60]|<|\s|$)`
)

// assignPattern returns the pattern of a generic assignment to a key
// matching key.
func assignPattern(key string) string {
	k := `(?:` + key + `)` + keyTail
	return `(?:` + assignLead + k + assignSep +
		`|<(?:[\w-]+:)?` + k + `>` +
		`|<[\w:-]+\s[^>]*?\b(?:name|key)\s*=\s*["']` + k + `["'][^>]*>` +
		`|\(\s*["']` + k + `["']\s*,\s*` +
		`)` + assignValue
}

// Key names of each family (see keyFamily).
const (
	passwordKeys = keyHead + `(?i:password|passwd|passwort|passphrase|pass_phrase|kennwort)` +
		`|(?:` + keyHead + `[_.-])?(?i:pass|pwd|pw)|[A-Za-z_][\w.]*[a-z0-9](?:Pass|Pwd)`
	secretKeys = keyHead + `(?i:secret)(?:[_.-]?(?i:key)(?:[_.-]?(?i:base))?|[_.-]?(?i:token))?` +
		`|` + keyHead + `(?i:erlang[_.-]?cookie)`
	hookKeys   = keyHead + `(?i:hook|signing)[_.-]?(?i:secret|token|key)`
	apiKeys    = keyHead + `(?i:api|admin|access|application)[_.-]?(?i:key)|` + keyHead + `(?i:api|admin)[_.-]?(?i:token)`
	tokenKeys  = keyHead + `(?i:token|credentials?)`
	cryptoKeys = keyHead + `(?i:encryption|decryption|signing|sign|master|private|hmac|aes|cipher|crypt|crypto|jwt|session|cookie|app|fernet)[_.-]?(?i:key)`
	anyKeys    = passwordKeys + `|` + secretKeys + `|` + hookKeys + `|` + apiKeys + `|` + tokenKeys + `|` + cryptoKeys
)

// Key families.
const (
	famPassword = "password"
	famClient   = "client-secret"
	famSecret   = "secret-key"
	famHook     = "webhook-secret"
	famAPI      = "api-key"
	famToken    = "access-token"
	famCrypto   = "encryption-key"
)

// genericRules covers credentials recognised by the name they are given
// rather than by their format.
func genericRules() []Rule {
	owasp := "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"
	rule := func(id, title string, sev pipeline.Severity, fam, keys string, kw []string, remedy string) Rule {
		return Rule{
			ID: id, Title: title, Severity: sev, Keywords: kw, Pattern: assignPattern(keys),
			Verify:  func(secret, match string) bool { return assignmentOK(fam, secret, match) },
			Generic: true, Remediation: remedy, References: []string{owasp, "https://12factor.net/config"},
		}
	}
	secretKeywords := append(keyEnds("secret"), append(keyStems([]string{"secret"}, []string{"key", "token"}),
		keyStems([]string{"erlang"}, []string{"cookie"})...)...)
	cryptoKeywords := append(keyEnds("privatekey"), append(keyStems([]string{"encryption", "decryption", "signing",
		"sign", "master", "hmac", "aes", "cipher", "crypt", "crypto", "jwt", "session", "cookie", "app", "fernet"},
		[]string{"key"}), "private_key", "private-key", "private.key")...)
	return []Rule{
		rule("generic-password", "Password assigned in code or configuration", pipeline.SeverityHigh, famPassword, passwordKeys,
			append(keyEnds("password", "passwd", "passwort", "passphrase", "pass_phrase", "kennwort", "pass", "pwd", "pw"),
				"password `", "password is `", "passphrase `"),
			"Change the password on the system it belongs to and load it from the environment or a secret store."),
		rule("generic-client-secret", "OAuth or application client secret assigned in code or configuration", pipeline.SeverityHigh,
			famClient, secretKeys, secretKeywords,
			"Regenerate the client secret in the provider's application settings and load it from a secret store."),
		rule("generic-secret-key", "Secret key assigned in code or configuration", pipeline.SeverityHigh, famSecret, secretKeys,
			secretKeywords,
			"Generate a new secret key, invalidate what was signed with the old one (sessions, tokens) and load it from a secret store."),
		rule("generic-webhook-secret", "Webhook or signing secret assigned in code or configuration", pipeline.SeverityMedium,
			famHook, hookKeys, keyStems([]string{"hook", "signing"}, []string{"secret", "token", "key"}),
			"Roll the webhook secret in the sending service's settings and load it from a secret store."),
		rule("generic-api-key", "API key assigned in code or configuration", pipeline.SeverityHigh, famAPI, apiKeys,
			append(keyStems([]string{"api", "admin", "access", "application"}, []string{"key"}),
				keyStems([]string{"api", "admin"}, []string{"token"})...),
			"Revoke the key in the issuing service's console, issue a new one and load it from a secret store."),
		rule("generic-access-token", "Access, auth or refresh token assigned in code or configuration", pipeline.SeverityHigh,
			famToken, tokenKeys, keyEnds("token", "credential", "credentials"),
			"Revoke the token at its issuer and load its replacement from a secret store."),
		rule("generic-encryption-key", "Encryption, signing or private key assigned in code or configuration", pipeline.SeverityHigh,
			famCrypto, cryptoKeys, cryptoKeywords,
			"Generate a new key, re-encrypt or re-sign what depends on it, and load the key from a KMS or secret store."),
		nameValueRule(owasp),
		envDefaultRule(owasp),
		cliPasswordRule(owasp),
		sqlPasswordRule(),
		directivePasswordRule(),
		wordpressKeysRule(),
	}
}

// keyEnds returns keywords for keys ending in one of stems: the stem
// followed by what may end a key (a separator, a quote, '>', the backslash
// of an escaped quote, a version suffix).
func keyEnds(stems ...string) []string {
	var kw []string
	for _, s := range stems {
		for _, end := range []string{"=", ":", `"`, "'", " =", " :", "  ", ">", `\`, "\t", "_v"} {
			kw = append(kw, s+end)
		}
	}
	return kw
}

// keyStems returns keywords for compound key names: every head joined to
// every tail directly or with '_', '-' or '.'.
func keyStems(heads, tails []string) []string {
	var kw []string
	for _, h := range heads {
		for _, t := range tails {
			for _, sep := range []string{"", "_", "-", "."} {
				kw = append(kw, h+sep+t)
			}
		}
	}
	return kw
}

// nameValueRule finds a secret set through a name/value pair, where the
// key and the value are separate fields: Kubernetes and ECS container
// environments (- name: DB_PASSWORD / value: x), Postman variables
// ({"key": "password", "value": "x"}), .NET and Spring XML (<add
// key="DbPassword" value="x"/>) and Terraform variable defaults.
func nameValueRule(ref string) Rule {
	return Rule{
		ID: "generic-name-value-secret", Title: "Secret in a name/value entry or a variable default", Severity: pipeline.SeverityHigh,
		Keywords: []string{"- name:", "variable \"", `password"`, `passwd"`, `pass"`, `pwd"`, `secret"`, `token"`,
			`credentials"`, `api_key"`, `apikey"`, `private_key"`, `encryption_key"`, `signing_key"`, `access_key"`},
		Multiline: true, MaxLen: 320,
		Pattern: `(?:\b(?i:name|key)["']?\s*[:=]\s*["']?(?:` + anyKeys + `)` + keyTail +
			`["']?\s*,?\s*(?:\n\s*(?:-\s*)?)?["']?(?i:value)["']?\s*[:=]\s*` +
			`|\bvariable\s+["'](?:` + anyKeys + `)["']\s*\{[^}]*?\bdefault\s*=\s*)` + assignValue,
		Verify:      func(secret, match string) bool { return assignmentOK("", secret, match) },
		Generic:     true,
		Remediation: "Change the credential and reference it from a secret (valueFrom.secretKeyRef, ECS secrets, a sensitive variable without default) instead of a literal value.",
		References:  []string{"https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/#define-container-environment-variables-using-secret-data", ref},
	}
}

// envDefaultRule finds a secret written as the fallback of an environment
// lookup: process.env.API_TOKEN || 'x', ${POSTGRES_PASSWORD:-x}, Spring's
// ${db.password:x}. The fallback ships with the code and works wherever
// the variable is unset. (Lookups with a default argument, such as
// os.getenv("DB_PASSWORD", "x"), are calls with a key and a value, which
// the family rules report.)
func envDefaultRule(ref string) Rule {
	var kw []string
	for _, stem := range []string{"password", "passwd", "pass", "pwd", "secret", "token", "credentials", "_key", ".key"} {
		kw = append(kw, stem+":", stem+"-")
	}
	return Rule{
		ID: "generic-env-default-secret", Title: "Secret hard-coded as the default of an environment variable", Severity: pipeline.SeverityHigh,
		Keywords: append(kw, "process.env."),
		Pattern: `(?:\bprocess\.env\.(?:` + anyKeys + `)\s*(?:\|\||\?\?)\s*|\$\{(?:` + anyKeys + `)(?::-|:|-))` +
			`\\?["'\x60]?(?P<secret>[^\s"'\x60<>\\}]+)(?:\\?["'\x60]|[}<]|\s|$)`,
		Verify:      func(secret, match string) bool { return assignmentOK("", secret, match) },
		Generic:     true,
		Remediation: "Change the credential and remove the fallback: fail at startup when the variable is missing.",
		References:  []string{ref, "https://pubs.opengroup.org/onlinepubs/9699919799/utilities/V3_chap02.html#tag_18_06_02"},
	}
}

// cliPasswordRule finds passwords given on command lines: --password=x,
// --db-password x, keytool -storepass x, openssl -passin pass:x,
// sshpass -p x, docker login -p x, redis-cli -a x, redis-server
// --requirepass x (also as JSON array elements), mysql -px.
func cliPasswordRule(ref string) Rule {
	return Rule{
		ID: "cli-password-argument", Title: "Password passed as a command-line argument", Severity: pipeline.SeverityHigh,
		Keywords: []string{"-pass", "-pwd", "storepass", "keypass", "sshpass", "mysql", "docker login", "redis-cli",
			"requirepass", "masterauth"},
		Pattern: `(?:^|[\s"'\[,])(?:--?(?:[A-Za-z]+-)*(?i:password|passwd|pass|pwd|requirepass|masterauth)(?:=|\s+|["']\s*,\s*)` +
			`|-(?:src|dest)?(?:store|key)pass\s+|-pass(?:in|out)?\s+pass:|sshpass\s+-p\s*` +
			`|docker\s+login\b[^\n]*?\s-p\s+|redis-cli\b[^\n]*?\s-a\s+` +
			`|(?i:mysql(?:dump|admin|import|check|sh)?)\b[^\n]*?\s-p)` +
			`["']?(?P<secret>[^\s"'\x60<>]+)(?:["']|\s|$)`,
		Verify:      func(secret, _ string) bool { return passwordValue(secret, true) && bareLiteral(secret, "") },
		Generic:     true,
		Remediation: "Change the password, and pass it through the environment, a file or standard input (--password-stdin) instead of the command line.",
		References:  []string{ref, "https://docs.docker.com/reference/cli/docker/login/#password-stdin"},
	}
}

// sqlPasswordRule finds passwords in SQL statements that create or change
// accounts: PostgreSQL's [ENCRYPTED] PASSWORD 'x', MySQL's IDENTIFIED BY
// 'x' and SET PASSWORD, Oracle's IDENTIFIED BY x, and pgcrypto's
// crypt('x', gen_salt(...)) in seed data.
func sqlPasswordRule() Rule {
	return Rule{
		ID: "sql-user-password", Title: "Password in a SQL statement (CREATE/ALTER USER or ROLE, IDENTIFIED BY)", Severity: pipeline.SeverityHigh,
		Keywords: []string{"password '", `password "`, "identified by", "set password", "crypt("},
		Pattern: `(?i)(?:\bpassword\s+|\bidentified\s+(?:with\s+\w+\s+)?by\s+|\bset\s+password\s+(?:for\s+\S+\s*)?=\s*` +
			`|\bcrypt\(\s*(?:'|"))` + `['"]?(?P<secret>[^'"\s;,)\\\x60]+)['"]?(?:\s*,\s*gen_salt)?`,
		Verify: func(secret, match string) bool {
			quoted := strings.HasSuffix(match, "'"+secret+"'") || strings.HasSuffix(match, `"`+secret+`"`) ||
				strings.Contains(match, "gen_salt")
			// Only Oracle's IDENTIFIED BY takes an unquoted password.
			oracle := strings.Contains(strings.ToLower(match), "identified") && bareLiteral(secret, "")
			return strings.IndexByte(":@?$&", secret[0]) < 0 && passwordValue(secret, !quoted) &&
				!strings.EqualFold(secret, "values") && (quoted || oracle)
		},
		Generic:     true,
		Remediation: "Change the database account's password and keep it out of migrations and dumps (pass it as a client-side variable or use a migration secret).",
		References: []string{"https://www.postgresql.org/docs/current/sql-createrole.html", "https://dev.mysql.com/doc/refman/8.0/en/create-user.html",
			"https://docs.oracle.com/en/database/oracle/oracle-database/19/sqlrf/CREATE-USER.html"},
	}
}

// directivePasswordRule finds passwords in line-oriented server
// configuration: redis.conf requirepass and masterauth, HAProxy
// insecure-password and stats auth, LDAP bindpw and rootpw, and msmtp's
// password lines.
func directivePasswordRule() Rule {
	return Rule{
		ID: "config-directive-password", Title: "Password in a server configuration directive (redis.conf, HAProxy, LDAP, msmtp)", Severity: pipeline.SeverityHigh,
		Keywords: []string{"requirepass", "masterauth", "insecure-password", "bindpw", "rootpw", "stats auth", "password ", "password\t"},
		Pattern: `(?i)(?:^\s*(?:requirepass|masterauth|bindpw|rootpw|password|passwd)\s+|\binsecure-password\s+|\bstats\s+auth\s+[^\s:]+:)` +
			`["']?(?P<secret>[^\s"'\x60]+)["']?\s*(?:#.*)?$`,
		Verify:      func(secret, _ string) bool { return passwordValue(secret, true) && bareLiteral(secret, "") },
		Generic:     true,
		Remediation: "Change the password in the service and load the directive from a file outside the repository (an include or a secret mount).",
		References:  []string{"https://redis.io/docs/latest/operate/oss_and_stack/management/config-file/", "https://docs.haproxy.org/2.8/configuration.html#3.4-user"},
	}
}

// wordpressKeysRule finds the authentication keys and salts of a
// wp-config.php, random strings of up to 64 characters of any kind.
func wordpressKeysRule() Rule {
	return Rule{
		ID: "wordpress-auth-key", Title: "WordPress authentication key or salt", Severity: pipeline.SeverityHigh,
		Keywords:    []string{"auth_key", "auth_salt", "logged_in_key", "logged_in_salt", "nonce_key", "nonce_salt"},
		Pattern:     `\bdefine\(\s*["'](?:AUTH|SECURE_AUTH|LOGGED_IN|NONCE)_(?:KEY|SALT)["']\s*,\s*["'](?P<secret>[^'"\n]{32,})["']`,
		MinEntropy:  4,
		Remediation: "Generate new keys and salts (https://api.wordpress.org/secret-key/1.1/salt/); this signs every user out.",
		References:  []string{"https://developer.wordpress.org/advanced-administration/wordpress/wp-config/#security-keys"},
	}
}

// assignmentOK checks a generic match: the key belongs to family (any
// family when family is ""), the value is delimited consistently, is not
// its own key name, and has the shape of the family's secrets.
func assignmentOK(family, secret, match string) bool {
	head, opener, ok := splitAssignment(secret, match)
	key := assignedKey(head)
	fam := keyFamily(key)
	if !ok || fam == "" || family != "" && fam != family || namesItself(key, secret) {
		return false
	}
	// A value after a bare space (the password is `x`) or a comma (a call
	// like put("password", "x")) must not be a name either.
	nameless := opener == 0
	sep := strings.TrimRight(head, " \t\"'\\]")
	if sep == "" {
		return false
	}
	switch last := sep[len(sep)-1]; {
	case opener == '-': // ${VAR:-x}, ${VAR:x}
	case last == '_' || last == '-' || 'a' <= last && last <= 'z' || 'A' <= last && last <= 'Z' || '0' <= last && last <= '9':
		lk := strings.ToLower(key)
		if opener != '`' || secret[0] == '-' || !strings.HasSuffix(lk, "password") && !strings.HasSuffix(lk, "passphrase") {
			return false // key and value apart only by space: prose unless in backquotes
		}
		nameless = true
	case last == ',':
		nameless = true
	}
	if opener == 0 && !bareLiteral(secret, head) {
		return false
	}
	if fam == famPassword {
		return passwordValue(secret, nameless)
	}
	return tokenLike(secret)
}

// passwordValue reports whether a value can be a password; a bare one
// must not be a name (letters and separators only, except Apple's
// xxxx-xxxx-xxxx-xxxx app-specific passwords).
func passwordValue(s string, bare bool) bool {
	if !passwordLike(s) {
		return false
	}
	name := strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-") == ""
	return !bare || !name || appSpecificPassword(s)
}

// namesItself reports whether a value spells its own key, as constants
// naming a setting do (PasswordKey = "password", fakeToken =
// "X-Fake-Token").
func namesItself(key, value string) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
				return r
			case 'A' <= r && r <= 'Z':
				return r + 'a' - 'A'
			}
			return -1
		}, s)
	}
	k := norm(key[strings.LastIndexByte(key, '.')+1:])
	return len(k) >= 4 && strings.Contains(norm(value), k)
}

// splitAssignment finds how the secret at the end of match is delimited.
// It returns the text before the value (without an opening quote) and the
// opening quote ('"', '\”, '`', '>' for XML or '-' for ${VAR:-x}; 0 for a
// bare value), and false ok when the delimiters do not pair up ("x',
// "Enter your password").
func splitAssignment(secret, match string) (head string, opener byte, ok bool) {
	end := len(match)
	var closer byte
	if end > 0 && strings.IndexByte("\"'`<}\\ \t\n", match[end-1]) >= 0 {
		closer = match[end-1]
		end--
		if end > 0 && match[end-1] == '\\' {
			end--
		}
	}
	start := end - len(secret)
	if start < 1 || match[start:end] != secret {
		return "", 0, false
	}
	head = match[:start]
	switch o := match[start-1]; {
	case o == '"' || o == '\'' || o == '`':
		return strings.TrimSuffix(head[:start-1], `\`), o, closer == o
	case o == '>' && (start < 2 || match[start-2] != '='):
		return head, o, closer == '<'
	case (o == '-' || o == ':') && strings.Contains(head, "${"):
		// ${VAR:?message} and ${VAR:+alternative} hold no default.
		return head, '-', closer == '}' && strings.IndexByte("?+=", secret[0]) < 0
	default:
		return head, 0, closer == 0 || closer == ' ' || closer == '\t' || closer == '\n'
	}
}

// bareLiteral reports whether an unquoted value is a literal rather than
// code: not after := or =>, not ending in punctuation that continues an
// expression, not a query string or an option.
func bareLiteral(secret, head string) bool {
	head = strings.TrimRight(head, " \t")
	if strings.HasSuffix(head, ":=") || strings.HasSuffix(head, "=>") {
		return false
	}
	if strings.IndexByte(",;)]}([{", secret[len(secret)-1]) >= 0 || strings.IndexByte("!&*|=-", secret[0]) >= 0 {
		return false
	}
	return !strings.ContainsAny(secret, "(;") && !(strings.Contains(secret, "&") && strings.Contains(secret, "="))
}

// appSpecificPassword reports whether s has the form of an Apple ID
// app-specific password: four groups of four lower-case letters.
func appSpecificPassword(s string) bool {
	if len(s) != 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i%5 == 4 && s[i] != '-' || i%5 != 4 && !('a' <= s[i] && s[i] <= 'z') {
			return false
		}
	}
	return true
}

// assignedKey returns the key name in the head of an assignment match:
// the last name before the value, skipping syntax words (value, default,
// str, define...).
func assignedKey(head string) string {
	fields := strings.FieldsFunc(head, func(r rune) bool {
		return !(r == '_' || r == '.' || r == '-' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	for i := len(fields) - 1; i >= 0; i-- {
		switch strings.ToLower(fields[i]) {
		case "value", "default", "str", "string", "secretstr", "optional", "type", "key", "name", "is", "was",
			"define", "add", "var", "const", "let", "export", "set", "description", "sensitive":
			continue
		}
		if k := strings.Trim(fields[i], ".-"); k != "" {
			return k
		}
	}
	return ""
}

// keyFamily sorts a key name into the family whose rule reports it, or ""
// for names that hold no secret (public keys, page tokens, CSRF tokens,
// test fixtures).
func keyFamily(key string) string {
	switch strings.ToLower(key) {
	case "pwd":
		return "" // the working directory in shells and editors
	case "pass", "fail":
		if strings.ToUpper(key) == key {
			return "" // test runner output: --- PASS: TestName
		}
	}
	n := strings.ToLower(key[strings.LastIndexByte(key, '.')+1:])
	n = strings.TrimRight(strings.NewReplacer("_", "", "-", "").Replace(n), "0123456789")
	if strings.HasSuffix(n, "v") && len(n) < len(key) {
		n = strings.TrimSuffix(n, "v") // password_v4
	}
	for _, w := range []string{"public", "publishable", "pubkey", "page", "cursor", "continuation", "nexttoken",
		"csrf", "xsrf", "cancel", "idempot", "sync", "lexer", "parse", "expected", "wrong", "invalid", "bad",
		"fake", "dummy", "mock", "example", "sample"} {
		if strings.Contains(n, w) {
			return ""
		}
	}
	has := func(suffixes ...string) bool {
		for _, s := range suffixes {
			if strings.HasSuffix(n, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("password", "passwd", "passwort", "passphrase", "kennwort", "pass", "pwd", "pw"):
		return famPassword
	case strings.Contains(n, "hook") && has("secret", "token", "key") || has("signingsecret", "signingtoken"):
		return famHook
	case has("secret", "secretkey", "secretkeybase", "secrettoken", "erlangcookie"):
		for _, w := range []string{"client", "consumer", "app", "oauth", "api"} {
			if strings.Contains(n, w) {
				return famClient
			}
		}
		return famSecret
	case has("apikey", "apitoken", "adminkey", "admintoken", "accesskey", "applicationkey"):
		return famAPI
	case has("token", "credential", "credentials"):
		return famToken
	case has("key"):
		return famCrypto
	}
	return ""
}

// passwordLike reports whether a value can be a human password: six to 128
// printable ASCII characters, not only digits.
func passwordLike(s string) bool {
	if len(s) < 6 || len(s) > 128 || s[0] == '=' {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
		if '0' <= s[i] && s[i] <= '9' {
			digits++
		}
	}
	return digits < len(s)
}

// tokenLike reports whether a value looks like a machine-generated secret:
// 16 to 1024 printable ASCII characters with at least 3 bits of entropy
// per character, holding digits and letters (of random 40-character
// base62 strings, fewer than one in a thousand has no digit; names and
// type names almost never have one), or 20 or more capitals (an Erlang
// cookie).
func tokenLike(s string) bool {
	if len(s) < 16 || len(s) > 1024 {
		return false
	}
	var lower, upper, digit int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c > '~':
			return false
		case 'a' <= c && c <= 'z':
			lower++
		case 'A' <= c && c <= 'Z':
			upper++
		case '0' <= c && c <= '9':
			digit++
		}
	}
	capitals := upper == len(s) && len(s) >= 20 && entropy(s) >= 3.5
	return (digit > 0 && lower+upper > 0 || capitals) && entropy(s) >= 3
}
