package pipeline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		secret string
		want   string
	}{
		{secret: "AKIAUJZDEGXDNCF32EPF", want: "AKIA*****"},
		{secret: "hunter2!", want: "hu*****"},
		{secret: "abc", want: "*****"},
		{secret: "", want: "*****"},
		{secret: "pässwörd-lång", want: "päs*****"}, {secret: "ääää", want: "ä*****"},
	}
	for _, tt := range tests {
		got := Redact(tt.secret)
		if got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.secret, got, tt.want)
		}
		shown := strings.TrimSuffix(got, "*****")
		if len(shown) > RedactKeep || !utf8.ValidString(shown) {
			t.Errorf("Redact(%q) shows %q: more than %d bytes or a cut character", tt.secret, shown, RedactKeep)
		}
	}
}

func TestFingerprintStable(t *testing.T) {
	a := Fingerprint("secret", "github-pat", "deploy/token.sh", "h1")
	if a != Fingerprint("secret", "github-pat", "deploy/token.sh", "h1") {
		t.Error("Fingerprint is not deterministic")
	}
	if len(a) != 32 {
		t.Errorf("len(Fingerprint(...)) = %d, want 32", len(a))
	}
	// Part boundaries count: ("ab","c") and ("a","bc") differ.
	if Fingerprint("ab", "c") == Fingerprint("a", "bc") {
		t.Error("Fingerprint(ab, c) == Fingerprint(a, bc)")
	}
}

func TestSeverityText(t *testing.T) {
	for _, s := range Severities() {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("round trip of %v via %s = %v, %v", s, b, back, err)
		}
	}
	if s, err := ParseSeverity(" HIGH "); err != nil || s != SeverityHigh {
		t.Errorf("ParseSeverity(\" HIGH \") = %v, %v, want high", s, err)
	}
	if _, err := ParseSeverity("severe"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "severe") {
		t.Errorf("ParseSeverity(severe) error = %v, want ErrInvalid naming the value", err)
	}
	if !(SeverityCritical > SeverityHigh && SeverityInfo > SeverityUnknown) {
		t.Error("severities are not ordered lowest first")
	}
}

func TestLocationString(t *testing.T) {
	tests := []struct {
		loc  Location
		want string
	}{
		{loc: Location{Path: "app/src/config.js", Line: 7}, want: "app/src/config.js:7"},
		{loc: Location{Path: "keys/id_rsa"}, want: "keys/id_rsa"},
		{loc: Location{Package: "linux", Version: "4.9.0"}, want: "linux@4.9.0"},
		{loc: Location{Event: "dns query"}, want: "dns query"},
	}
	for _, tt := range tests {
		if got := tt.loc.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.loc, got, tt.want)
		}
	}
}
