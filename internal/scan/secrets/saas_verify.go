package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"strings"
)

// Verify functions of the SaaS rules: structure checks a pattern cannot do.

// saasMixed reports whether secret, past its vendor prefix (up to three
// short segments such as "sq0atp-" or "lin_api_"), mixes at least two of
// upper-case letters, lower-case letters and digits, as random tokens do
// and words and placeholders ("XXXXXXXX", "your-token-here") do not.
func saasMixed(secret, _ string) bool {
	s := secret
	for range 3 {
		i := strings.IndexAny(s, "_-.:")
		if i < 1 || i > 8 || strings.Trim(s[:i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
			break
		}
		s = s[i+1:]
	}
	var upper, lower, digit int
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = 1
		case c >= 'a' && c <= 'z':
			lower = 1
		case c >= '0' && c <= '9':
			digit = 1
		}
	}
	return upper+lower+digit >= 2
}

// saasLast returns a Verify function that applies saasMixed to the part of
// the secret after the last of seps: the random tail of a webhook URL or of
// a token made of numeric ids and a random part.
func saasLast(seps string) func(secret, match string) bool {
	return func(secret, match string) bool {
		return saasMixed(secret[strings.LastIndexAny(secret, seps)+1:], match)
	}
}

// saasAllClasses reports whether secret has upper-case letters, lower-case
// letters and digits, as a random base62 value of 40 or more characters
// does.
func saasAllClasses(secret, _ string) bool {
	return strings.ContainsAny(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
		strings.ContainsAny(secret, "abcdefghijklmnopqrstuvwxyz") &&
		strings.ContainsAny(secret, "0123456789")
}

// saasJSONObject reports whether s is the base64 (standard or URL alphabet,
// padded or not) of a JSON object.
func saasJSONObject(s string) bool {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return false
	}
	var v map[string]any
	return json.Unmarshal(b, &v) == nil
}

// saasSentryOrgToken checks that the payload of a Sentry organization token
// (sntrys_PAYLOAD_SECRET) is a base64 JSON object.
func saasSentryOrgToken(secret, _ string) bool {
	body := strings.TrimPrefix(secret, "sntrys_")
	i := strings.LastIndexByte(body, '_')
	return i > 0 && saasJSONObject(body[:i])
}

// saasMapboxToken checks that the middle part of sk.PAYLOAD.SIG is a base64
// JSON object.
func saasMapboxToken(secret, _ string) bool {
	parts := strings.Split(secret, ".")
	return len(parts) == 3 && saasJSONObject(parts[1])
}

// saasGrafanaCloudToken checks that glc_PAYLOAD carries a base64 JSON object.
func saasGrafanaCloudToken(secret, _ string) bool {
	return saasJSONObject(strings.TrimPrefix(secret, "glc_"))
}

// saasGrafanaSAToken checks the checksum of a Grafana service account token:
// glsa_SECRET_CHECKSUM, where CHECKSUM is the hex of the little-endian
// CRC-32 (IEEE) of "glsa_SECRET".
func saasGrafanaSAToken(secret, _ string) bool {
	i := strings.LastIndexByte(secret, '_')
	if i < 0 {
		return false
	}
	sum := crc32.ChecksumIEEE([]byte(secret[:i]))
	want := hex.EncodeToString([]byte{byte(sum), byte(sum >> 8), byte(sum >> 16), byte(sum >> 24)})
	return secret[i+1:] == want
}

// saasDiscordBotToken checks that the first part of a Discord bot token is
// the base64 of the bot's numeric user id (a snowflake).
func saasDiscordBotToken(secret, _ string) bool {
	first, _, _ := strings.Cut(secret, ".")
	b, err := base64.RawStdEncoding.DecodeString(strings.NewReplacer("-", "+", "_", "/").Replace(first))
	if err != nil || len(b) < 17 || len(b) > 20 {
		return false
	}
	return strings.Trim(string(b), "0123456789") == ""
}

// saasIntercomToken checks that an Intercom access token is the base64 of
// printable text starting "tok:".
func saasIntercomToken(secret, _ string) bool {
	b, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(secret, "="))
	}
	if err != nil || !strings.HasPrefix(string(b), "tok:") {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
