package secrets

import (
	"strings"
	"testing"
)

func TestNotSecret(t *testing.T) {
	generic := &Rule{ID: "generic-test", Generic: true}
	vendor := &Rule{ID: "vendor-test"}
	tests := []struct {
		name   string
		rule   *Rule
		secret string
		line   string
		want   bool
	}{
		// Vendor documentation examples, for every rule.
		{name: "aws doc key id", rule: vendor, secret: "AKIAIOSFODNN7EXAMPLE", want: true},
		{name: "aws doc secret", rule: vendor, secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", want: true},
		{name: "stripe doc key", rule: vendor, secret: "sk_test_4eC39HqLyjWDarjtT1zdp7dc", want: true},
		{name: "rfc 7617 basic", rule: vendor, secret: "QWxhZGRpbjpvcGVuIHNlc2FtZQ==", want: true},
		{name: "jwt.io sample", rule: vendor, secret: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", want: true},
		{name: "real-looking vendor token", rule: vendor, secret: "ghp_Wvj7FAc9QeWJKY40uvSwMFLZDe1f8rESQedU", want: false},
		// Generic-only checks do not touch vendor rules.
		{name: "vendor uuid kept", rule: vendor, secret: "3f5e2a10-9c4b-4d2e-8f1a-7b6c5d4e3a21", want: false},
		{name: "vendor word kept", rule: vendor, secret: "changeme", want: false},
		{name: "generic uuid", rule: generic, secret: "3f5e2a10-9c4b-4d2e-8f1a-7b6c5d4e3a21", want: true},

		// Placeholders.
		{name: "changeme", rule: generic, secret: "changeme", want: true},
		{name: "password", rule: generic, secret: "password", want: true},
		{name: "secret", rule: generic, secret: "secret", want: true},
		{name: "angle brackets", rule: generic, secret: "<password>", want: true},
		{name: "angle inside", rule: generic, secret: "pre-<TOKEN>", want: true},
		{name: "square brackets", rule: generic, secret: "[REDACTED]", want: true},
		{name: "x run", rule: generic, secret: "xxxxxxxxxxxxxxxx", want: true},
		{name: "x run in key", rule: generic, secret: "sk_live_xxxxxxxxxxxx", want: true},
		{name: "stars", rule: generic, secret: "********", want: true},
		{name: "ellipsis", rule: generic, secret: "abc123...", want: true},
		{name: "your prefix", rule: generic, secret: "your_api_key_here", want: true},
		{name: "my prefix", rule: generic, secret: "my-app-token", want: true},
		{name: "my words", rule: generic, secret: "mysecretpassword", want: true},
		{name: "dummy", rule: generic, secret: "dummy", want: true},
		{name: "fake token", rule: generic, secret: "fake-token-123", want: true},
		{name: "sample", rule: generic, secret: "sample_secret", want: true},
		{name: "redacted", rule: generic, secret: "REDACTED", want: true},
		{name: "todo", rule: generic, secret: "TODO", want: true},
		{name: "none", rule: generic, secret: "None", want: true},
		{name: "null", rule: generic, secret: "null", want: true},
		{name: "undefined", rule: generic, secret: "undefined", want: true},
		{name: "true", rule: generic, secret: "true", want: true},
		{name: "false", rule: generic, secret: "false", want: true},
		{name: "nil", rule: generic, secret: "nil", want: true},
		{name: "empty word", rule: generic, secret: "empty", want: true},
		{name: "mixed placeholder", rule: generic, secret: "<YourStrong@Passw0rd>", want: true},
		{name: "replace me", rule: generic, secret: "REPLACE_ME", want: true},
		{name: "repeated", rule: generic, secret: "aaaaaaaa", want: true},
		{name: "repeated unit", rule: generic, secret: "abcdef0123456789abcdef0123456789", want: true},
		{name: "sequential", rule: generic, secret: "12345678", want: true},
		{name: "sequential mixed", rule: generic, secret: "abc123", want: true},
		{name: "leet password", rule: generic, secret: "P@ssw0rd!", want: true},
		{name: "password digits", rule: generic, secret: "password123", want: true},
		{name: "test variant", rule: generic, secret: "testpass", want: true},
		{name: "test secret", rule: generic, secret: "test-secret-1", want: true},
		{name: "code identifier", rule: generic, secret: "dbPassword", want: true},
		{name: "type name", rule: generic, secret: "string", want: true},
		{name: "secure string type", rule: generic, secret: "SecureString", want: true},
		{name: "i18n label", rule: generic, secret: "Passwort", want: true},
		{name: "base64 placeholder", rule: generic, secret: "Y2hhbmdlbWU=", want: true},
		{name: "word containing test", rule: generic, secret: "Contest2024!", want: false},
		{name: "real human password", rule: generic, secret: "Tr0ub4dor&3", want: false},
		{name: "season password", rule: generic, secret: "winter2024!", want: false},
		{name: "secret plus word", rule: generic, secret: "s3cr3tRabbit", want: false},
		{name: "random token", rule: generic, secret: "Wvj7FAc9QeWJKY40uvSwMFLZDe1f8rES", want: false},
		{name: "base64 real", rule: generic, secret: "R3g3cFEydkxrOVJ6", want: false},

		// References and templates.
		{name: "shell braces", rule: generic, secret: "${DB_PASSWORD}", want: true},
		{name: "shell var", rule: generic, secret: "$DB_PASSWORD", want: true},
		{name: "command", rule: generic, secret: "$(cat /run/secrets/db)", want: true},
		{name: "go template", rule: generic, secret: "{{ .Values.password }}", want: true},
		{name: "mustache", rule: generic, secret: "{{password}}", want: true},
		{name: "python percent", rule: generic, secret: "%(password)s", want: true},
		{name: "printf", rule: generic, secret: "%s", want: true},
		{name: "format field", rule: generic, secret: "{0}", want: true},
		{name: "ruby interpolation", rule: generic, secret: "#{password}", want: true},
		{name: "erb", rule: generic, secret: "<%= ENV['DB_PASSWORD'] %>", want: true},
		{name: "maven filter", rule: generic, secret: "@db.password@", want: true},
		{name: "github secrets", rule: generic, secret: "secrets.DB_PASSWORD", want: true},
		{name: "github expression", rule: generic, secret: "${{ secrets.DB_PASSWORD }}", want: true},
		{name: "vars", rule: generic, secret: "vars.API_TOKEN", want: true},
		{name: "env", rule: generic, secret: "env.API_TOKEN", want: true},
		{name: "process env", rule: generic, secret: "process.env.API_TOKEN", want: true},
		{name: "os environ", rule: generic, secret: `os.environ["API_TOKEN"]`, want: true},
		{name: "os getenv", rule: generic, secret: `os.Getenv("API_TOKEN")`, want: true},
		{name: "ruby env", rule: generic, secret: `ENV["API_TOKEN"]`, want: true},
		{name: "java getenv", rule: generic, secret: `System.getenv("API_TOKEN")`, want: true},
		{name: "cloudformation ref", rule: generic, secret: "!Ref DbPassword", want: true},
		{name: "secrets manager arn", rule: generic, secret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", want: true},
		{name: "1password ref", rule: generic, secret: "op://vault/db/password", want: true},
		{name: "dotted name", rule: generic, secret: "settings.DB_PASSWORD", want: true},
		{name: "jwt is not a dotted name", rule: generic, secret: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmMifQ.Xk29fjs8Lq4vM2pLx7Zt", want: false},

		// Code.
		{name: "call", rule: generic, secret: "getPassword()", want: true},
		{name: "call with args", rule: generic, secret: `config.get("password")`, want: true},
		{name: "index", rule: generic, secret: "params[:password]", want: true},
		{name: "comparison", rule: generic, secret: `pw==""`, want: true},
		{name: "address of", rule: generic, secret: "&cfg", want: true},
		{name: "yaml alias", rule: generic, secret: "*db_password", want: true},

		// Hashes.
		{name: "bcrypt", rule: generic, secret: "$2b$12$KIXQJ5Y8nD2x9vUqKzQ3UeW7c1bT8s0R4lA6mN2pO9qV3yX5zC7eG", want: true},
		{name: "argon2", rule: generic, secret: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$Xk29fjs8Lq4vM2pLx7Zt", want: true},
		{name: "sha512 crypt", rule: generic, secret: "$6$rounds=5000$saltsalt$Xk29fjs8Lq4vM2pLx7Zt", want: true},
		{name: "ssha", rule: generic, secret: "{SSHA}Xk29fjs8Lq4vM2pLx7ZtAbCdEf==", want: true},
		{name: "django", rule: generic, secret: "pbkdf2_sha256$600000$salt$Xk29fjs8Lq4vM2pLx7Zt=", want: true},
		{name: "digest prefix", rule: generic, secret: "sha256:53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb008f86bebb2", want: true},
		{name: "hex with digest key", rule: generic, secret: "53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb008f86bebb2",
			line: `token_sha256 = "53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb008f86bebb2"`, want: true},
		{name: "hex commit", rule: generic, secret: "f62e5bcda4fae4f82370da0c6f20697b8f8447ef",
			line: `commit_token: f62e5bcda4fae4f82370da0c6f20697b8f8447ef`, want: true},
		{name: "hex without digest key", rule: generic, secret: "53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb008f86bebb2",
			line: `api_token = "53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb008f86bebb2"`, want: false},
		{name: "md5 with checksum key", rule: generic, secret: "74254770f58904dba41ecccc3fc1626e",
			line: `checksum_token: 74254770f58904dba41ecccc3fc1626e`, want: true},
		{name: "htpasswd apr1", rule: generic, secret: "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", want: true},
		{name: "spring noop is clear text", rule: generic, secret: "{noop}Tr0ub4dor&3", want: false},
		{name: "spring noop placeholder", rule: generic, secret: "{noop}password", want: true},

		// Ciphertext and public keys.
		{name: "sops", rule: generic, secret: "ENC[AES256_GCM,data:Xk29fjs8,iv:Lq4v,tag:M2pL,type:str]", want: true},
		{name: "ansible vault", rule: generic, secret: "$ANSIBLE_VAULT;1.1;AES256", want: true},
		{name: "jasypt", rule: generic, secret: "ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)", want: true},
		{name: "spring cloud config", rule: generic, secret: "{cipher}AQA7xKp2L9vQ", want: true},
		{name: "ssh public key", rule: generic, secret: "ssh-ed25519", want: true},
		{name: "ssh rsa line", rule: generic, secret: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7", want: true},
		{name: "sealed secret", rule: generic, secret: "AgB" + strings.Repeat("Xk29fjs8Lq4vM2pLx7Zt/+", 20), want: true},
		{name: "stripe publishable", rule: generic, secret: "pk_live_51Hx7qL2mV9kWq9zK2v7RxTq8vX2mLp9", want: true},
		{name: "ssh key blob", rule: generic, secret: "AAAAC3NzaC1lZDI1NTE5AAAAIGx7pQ2vLk9RzXk29fjs8Lq4vM2pLx7Zt", want: true},
		{name: "pem public key", rule: generic, secret: "-----BEGIN PUBLIC KEY-----", want: true},
		{name: "spki base64", rule: generic, secret: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", want: true},
		{name: "age recipient", rule: generic, secret: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", want: true},
		{name: "age secret key kept", rule: generic, secret: "AGE-SECRET-KEY-1QJ8VWRZ5K6XCJ4MHX2PQZ7V9LS3D", want: false},

		// Paths and URLs.
		{name: "absolute path", rule: generic, secret: "/run/secrets/db_password", want: true},
		{name: "relative path", rule: generic, secret: "./certs/server.key", want: true},
		{name: "file name", rule: generic, secret: "keys/signing.pem", want: true},
		{name: "home path", rule: generic, secret: "~/.ssh/id_ed25519", want: true},
		{name: "windows path", rule: generic, secret: `C:\secrets\db.txt`, want: true},
		{name: "url", rule: generic, secret: "https://vault.corp/v1/secret/db", want: true},
		{name: "base64 with slash kept", rule: generic, secret: "/Xk29fjs8Lq4+vM2pLx7Zt/AbCdEfGh=", want: false},
		{name: "empty", rule: generic, secret: "", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notSecret(tt.rule, tt.secret, []byte(tt.line)); got != tt.want {
				t.Errorf("notSecret(%s, %q, %q) = %v, want %v", tt.rule.ID, tt.secret, tt.line, got, tt.want)
			}
		})
	}
}
