package credential

import "testing"

func TestSecretName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"DB_PASSWORD", true}, {"dbPassword", true}, {"NPM_TOKEN", true}, {"API_KEY", true},
		{"SECRET_KEY_BASE", true}, {"GPG_KEY", false}, {"GPG_KEYS", false}, {"AWS_ACCESS_KEY_ID", false},
		{"PASSWORD_FILE", false}, {"TOKENIZERS_PARALLELISM", false}, {"PASSWORD_MIN_LENGTH", false},
		{"PATH", false}, {"HOME", false}, {"PYTHON_VERSION", false},
	}
	for _, tt := range tests {
		if got := SecretName(tt.name); got != tt.want {
			t.Errorf("SecretName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		value string
		want  string
	}{
		{"AKIAUJZDEGXDNCF32EPF", "an AWS access key ID"},
		{"postgres://app:Winter2024!@db:5432/app", "a URL with a password"},
		{"-----BEGIN RSA PRIVATE KEY-----", "a private key"},
		{"https://example.com/path", ""},
		{"changeme", ""},
	}
	for _, tt := range tests {
		if got := Kind(tt.value); got != tt.want {
			t.Errorf("Kind(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}
